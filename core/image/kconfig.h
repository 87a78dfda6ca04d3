/*
 * image/kconfig.h - Kconfig fragments and .config files: parsing, and the
 * check that every option a fragment asks for really ended up in the final
 * .config (olddefconfig silently drops options whose dependencies are not
 * met; we report each one instead).
 *
 * Plain data, no I/O; one owner at a time.
 */
#ifndef VBX_IMAGE_KCONFIG_H
#define VBX_IMAGE_KCONFIG_H

#include <stddef.h>

#include "util/strbuf.h"
#include "voidbox/voidbox.h"

typedef struct vbx__kconfig_opt {
  char *name;  /* "CONFIG_SMP" */
  char *value; /* "y", "8", "\"str\""; NULL for "# CONFIG_X is not set" */
  int line;    /* 1-based line in the parsed text */
} vbx__kconfig_opt;

typedef struct vbx__kconfig {
  vbx__kconfig_opt *opts;
  size_t n;
} vbx__kconfig;

/* Parse text[0..len) in .config syntax: "CONFIG_X=value" and
 * "# CONFIG_X is not set"; blank lines and other comments are skipped.
 * origin names the file in errors. strict (for fragments) refuses an option
 * given twice and any other non-comment line. On success *out owns copies of
 * everything (free with vbx__kconfig_free). Returns 0, VBX_E_SPEC (err says
 * "origin:line: ...") or VBX_E_NOMEM. */
int vbx__kconfig_parse(const char *text, size_t len, const char *origin, int strict,
                       vbx__kconfig *out, vbx_error *err);

/* Release everything *k owns; k stays valid and empty. */
void vbx__kconfig_free(vbx__kconfig *k);

/* The value of name in k: "y"..., NULL when "is not set" or absent;
 * *present (may be NULL) says whether it appeared at all. */
const char *vbx__kconfig_get(const vbx__kconfig *k, const char *name, int *present);

/* Compare what a fragment wants with a final .config. For every unmet
 * option, append a line "CONFIG_X: wanted y, got is not set (fragment line
 * N)\n" to report (may be NULL). Returns the number of unmet options, or
 * VBX_E_NOMEM. */
int vbx__kconfig_verify(const vbx__kconfig *want, const vbx__kconfig *have, vbx__strbuf *report);

#endif
