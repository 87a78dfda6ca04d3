/*
 * tests/integration/harness/harness.h - the shared loader harness of the
 * sandbox backend integration tests (tests/integration/local, .../qemu,
 * .../kvm, .../conformance): loads one sandbox plugin (.so) through the
 * real registry, creates boxes with the backend's default options merged
 * before each box's own, runs commands in them (to completion, or as
 * procs with streaming stdin: th_proc.c), and runs a create or a command
 * on a thread of its own (th_async.c). What the VM backends' tests add is
 * th_vm.h.
 *
 * Failures are cmocka assertions (fail_msg), so the helpers are meant for
 * test bodies. Threads: th_load / th_unload from the main thread only;
 * th_box*, th_exec, th_sh from any thread when the backend is
 * VBX_VT_THREAD_SAFE (TH is read-only between load and unload).
 */
#ifndef VBX_TEST_HARNESS_H
#define VBX_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/call.h"
#include "plugin/registry.h"

typedef struct th {
  vbx__registry *reg;
  const vbx_sandbox_backend_vtable *vt;
  void *state;
  const vbx_host_services *h;
  char *default_opts; /* JSON object members (no braces), "" when none */
} th;

extern th TH;

/* A box to create: zero fields take the harness defaults (512 MiB, one
 * vCPU, name "test", no extra env, no options of its own, the backend's
 * disk size). */
typedef struct th_box_cfg {
  const char *name;
  const char *opts_json; /* object members without braces, or NULL */
  uint32_t memory_mb, vcpus;
  int network;
  const char *const *env; /* "KEY=VALUE", NULL-terminated, or NULL */
  uint32_t timeout_secs;
  uint32_t disk_mb;           /* 0: the backend's default */
  const char *network_policy; /* with network: the policy JSON, NULL: default */
  uint32_t
      llm_gateway_port;    /* the box's LLM gateway host port (VOIDBOX_LLM_GATEWAY_URL), 0: none */
  const vbx_mount *mounts; /* the config's mounts (n_mounts of them), or NULL */
  size_t n_mounts;
} th_box_cfg;

/* th_load - load plugin_file (a file name in VBX_TEST_PLUGIN_DIR) and pick
 * the sandbox backend named backend into TH; default_opts (JSON object
 * members without braces, may be NULL) go before every box's options.
 * Asserts. */
void th_load(const char *plugin_file, const char *backend, const char *default_opts);
/* th_unload - free the registry (and the plugin) and clear TH. */
void th_unload(void);
/* th_box_try - create a box from c (may be NULL: defaults). Returns the
 * create rc with the error in *call (initialised here) and the box in
 * *out (NULL on failure). */
int th_box_try(const th_box_cfg *c, vbx_call *call, void **out);
/* th_box_call - th_box_try with a call the caller initialised (its
 * cancellation token, its deadline). */
int th_box_call(const th_box_cfg *c, vbx_call *call, void **out);
/* th_box_cfg_box - th_box_try that asserts success. */
void *th_box_cfg_box(const th_box_cfg *c);
/* th_box - a default box with options opts_json (or NULL); asserts. */
void *th_box(const char *opts_json, int network);
/* th_exec - run argv (NULL-terminated) with optional stdin; returns the
 * exec rc and fills res (free with th_res_free when rc == 0). */
int th_exec(void *box, const char *const *argv, const char *in, size_t in_len, uint32_t timeout_ms,
            vbx_exec_result *res, vbx_call *call);
/* th_sh - /bin/sh -c CMD (30 s timeout); asserts the exec rc is 0;
 * returns the exit code, stdout/stderr in res. */
int th_sh(void *box, const char *cmd, vbx_exec_result *res);
/* th_script - SHELL -c SCRIPT with timeout_ms; asserts the exec rc is 0;
 * its stdout into out (NUL-terminated, cut at cap; out may be NULL), its
 * stderr printed when it exits non-zero; returns the exit code. */
int th_script(void *box, const char *shell, const char *script, uint32_t timeout_ms, char *out,
              size_t cap);
/* th_log_take - the host log lines (warnings and up) since the last call,
 * one per line ("origin: message"), malloc'd; the caller frees it. */
char *th_log_take(void);
/* th_res_free - free res's output buffers (host allocator) and zero it. */
void th_res_free(vbx_exec_result *res);
/* th_status_kib - VmHWM / VmRSS (any "Field: N kB" line of
 * /proc/self/status) in KiB, -1 when absent. */
long th_status_kib(const char *field);
/* th_reset_hwm - reset VmHWM to the current RSS (/proc/self/clear_refs
 * "5"); 0 if done, -1 when the kernel refuses. */
int th_reset_hwm(void);
/* th_now - CLOCK_MONOTONIC in seconds. */
double th_now(void);

/* ---- streaming exec (th_proc.c) ------------------------------------------ */
/* th_proc_open - proc_open of argv (NULL-terminated) in box, with the
 * request's timeout_ms (0: none); asserts. Returns the backend's proc. */
void *th_proc_open(void *box, const char *const *argv, uint32_t timeout_ms);
/* th_proc_write - proc_write of the string s; asserts. */
void th_proc_write(void *proc, const char *s);
/* th_proc_expect - read (10 s a read at most) until exactly `want` came
 * on `stream`, with nothing on the other stream; asserts. */
void th_proc_expect(void *proc, vbx_stream stream, const char *want);
/* th_proc_drain - read to end of file (30 s at most) into out / err
 * (NUL-terminated, cut at their caps), then proc_status into *st;
 * asserts. */
void th_proc_drain(void *proc, char *out, size_t out_cap, char *err, size_t err_cap,
                   vbx_exec_result *st);
/* th_proc_expect_exit - th_proc_drain asserting that no more output came
 * and that the process exited with exit_code (no signal, no timeout). */
void th_proc_expect_exit(void *proc, int exit_code);

/* ---- a create or a command on a thread of its own (th_async.c) ---------- */
/* A box created on its own thread, to be cancelled meanwhile. */
typedef struct th_creator {
  th_box_cfg cfg;     /* the box */
  vbx__cancel cancel; /* vbx__cancel_set it to cancel the create */
  int rc;             /* the create's rc */
  double done;        /* th_now() when it returned */
  char msg[1024];     /* its error, or "(created)" */
} th_creator;
/* th_create_thread - a pthread body (arg: a zero-initialised th_creator
 * but for cfg): th_box_call(&c->cfg) with a call carrying c->cancel; a box
 * created all the same is destroyed. */
void *th_create_thread(void *arg);

/* A command running in a box on its own thread while the box dies. */
typedef struct th_running {
  void *box;      /* set by the caller */
  int rc;         /* the exec's rc */
  double done;    /* th_now() when it returned */
  char msg[1024]; /* its error, or "(exec returned)" */
} th_running;
/* th_kill_mid_exec - run `echo started; sleep 60` in r->box on a thread of
 * its own, send sig to pid 500 ms later (the command runs by then), wait
 * for the exec to return; returns the seconds from the signal to the
 * exec's return. Asserts the thread and the signal. */
double th_kill_mid_exec(th_running *r, int pid, int sig);

#endif
