/*
 * tests/integration/conformance/conformance.h - the sandbox conformance
 * suite: one table of cases (cases.c) every sandbox backend must pass, run
 * against one backend per process (backends.c: mock, local, qemu, kvm). A case a backend cannot do by design names the reason in
 * the backend's table and is reported SKIPPED, never passed.
 */
#ifndef VBX_TEST_CONFORMANCE_H
#define VBX_TEST_CONFORMANCE_H

#include "harness.h"

typedef struct cf_backend {
  const char *name;      /* "mock", "local", "qemu", "kvm" */
  void (*require)(void); /* exit 77 with a reason when it cannot run */
  void (*load)(void);    /* th_load with the backend's default options */
  void (*unload)(void);
  int agent; /* 1: a guest-session skeleton box (gs_box.h):
                                    box directory and agent pid are checked */
  /* case name -> why it does not apply to this backend (NULL-terminated
   * pairs); a case not listed applies. */
  const char *const *not_applicable;
  const char *box_opts; /* options every conformance box adds, or NULL */
} cf_backend;

extern const cf_backend *CF;
/* The backend named name, or NULL. */
const cf_backend *cf_backend_find(const char *name);
/* Why case does not apply to CF, or NULL. */
const char *cf_not_applicable(const char *case_name);

#endif
