/*
 * tests/unit/mocks/fixture.h - loading the mock plugins through the real
 * registry and calling their vtables the way the engine does.
 */
#ifndef VBX_TEST_MOCKS_FIXTURE_H
#define VBX_TEST_MOCKS_FIXTURE_H

#include "plugin/call.h"
#include "plugin/registry.h"

typedef struct fx {
  vbx__registry *reg;
  const vbx_host_services *host; /* the loaded plugin's table */
  const vbx__impl *impl;
  char tmpdir[256]; /* a fresh scratch directory */
} fx;

/* Load BUILD/plugins/<file> into a new frozen registry and find the
 * implementation (kind, name). Fails the test on error. */
void fx_open(fx *f, const char *file, vbx__kind kind, const char *name);
void fx_close(fx *f);
/* Parse JSON text with the host (new reference). Fails the test on error. */
vbx_json *fx_json(const fx *f, const char *text);
/* A call with no cancellation and no deadline. */
void fx_call(vbx_call *c);
/* Read a whole text file (malloc'd) or NULL. */
char *fx_read_file(const char *path);
/* Write a text file. */
void fx_write_file(const char *path, const char *text);
/* fx_skill_create - create an instance of f's skill type (its impl) for
 * TYPE:VALUE with options JSON opts (or NULL), box "box", the scratch
 * directory as the spec's; asserts that validate gives the same code and
 * message. Returns create's code; *out the instance or NULL. */
int fx_skill_create(const fx *f, const char *type, const char *value, const char *opts, void **out,
                    vbx_call *c);
/* Count occurrences of needle in hay. */
int fx_count(const char *hay, const char *needle);

#endif
