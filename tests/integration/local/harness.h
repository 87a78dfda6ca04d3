/*
 * tests/integration/local/harness.h - loads sandbox-local.so through the
 * real loader and creates boxes; helpers to run commands and measure
 * memory. Tests that need root or namespaces call lt_require() first: it
 * exits 77 with the reason when they are unavailable.
 */
#ifndef VBX_TEST_LOCAL_HARNESS_H
#define VBX_TEST_LOCAL_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/call.h"
#include "plugin/registry.h"

typedef struct lt {
  vbx__registry *reg;
  const vbx_sandbox_backend_vtable *vt;
  void *state;
  const vbx_host_services *h;
} lt;

extern lt LT;

/* Skip (exit 77) with a reason unless root and namespaces work. */
void lt_require(void);
/* Load the plugin into LT (asserts). */
void lt_load(void);
void lt_unload(void);
/* Create a box with options JSON (or NULL); asserts success. */
void *lt_box(const char *opts_json, int network);
/* Run argv (NULL-terminated) with optional stdin; returns the exec rc and
 * fills res (caller frees with lt_res_free). */
int lt_exec(void *box, const char *const *argv, const char *in, size_t in_len, uint32_t timeout_ms,
            vbx_exec_result *res, vbx_call *call);
/* sh -c CMD; asserts rc == 0; returns exit code, stdout in res. */
int lt_sh(void *box, const char *cmd, vbx_exec_result *res);
void lt_res_free(vbx_exec_result *res);
/* VmHWM / VmRSS of this process in KiB. */
long lt_status_kib(const char *field);
/* Reset VmHWM to the current RSS (/proc/self/clear_refs "5"); 0 if done. */
int lt_reset_hwm(void);

#endif
