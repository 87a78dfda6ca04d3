/*
 * tests/integration/harness/th_proc.c - procs (streaming exec, the proc_*
 * methods) driven from a test body (harness.h): open, write a string, read
 * until an expected text, read to end of file with the exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

void *th_proc_open(void *box, const char *const *argv, uint32_t timeout_ms) {
  vbx_exec_request req = {.struct_size = sizeof req, .argv = argv, .timeout_ms = timeout_ms};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *p = NULL;
  int rc = TH.vt->proc_open(box, &req, &p, &call);
  if (rc != 0) fail_msg("proc_open %s: %d %s", argv[0], rc, call.message);
  assert_non_null(p);
  return p;
}

void th_proc_write(void *proc, const char *s) {
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, vbx__now_ns() + 30000000000ull);
  int rc = TH.vt->proc_write(proc, s, strlen(s), &call);
  if (rc != 0) fail_msg("proc_write: %d %s", rc, call.message);
}

void th_proc_expect(void *proc, vbx_stream stream, const char *want) {
  size_t n = strlen(want), got = 0;
  char buf[4096];
  while (got < n) {
    vbx_call call;
    vbx__call_init(&call, NULL, NULL, 0);
    vbx_stream st = 0;
    size_t len = 0;
    int rc = TH.vt->proc_read(proc, 10000, &st, buf, n - got, &len, &call);
    if (rc != 0) fail_msg("proc_read (waiting for '%s'): %d %s", want, rc, call.message);
    if (len == 0) fail_msg("end of file while waiting for '%s' (%zu bytes came)", want, got);
    if (st != stream) fail_msg("'%.*s' came on stream %d, not %d", (int)len, buf, st, stream);
    if (memcmp(buf, want + got, len) != 0)
      fail_msg("'%.*s' came where '%s' was expected", (int)len, buf, want + got);
    got += len;
  }
}

void th_proc_drain(void *proc, char *out, size_t out_cap, char *err, size_t err_cap,
                   vbx_exec_result *st) {
  size_t no = 0, ne = 0;
  double until = th_now() + 30;
  for (;;) {
    char buf[4096];
    vbx_call call;
    vbx__call_init(&call, NULL, NULL, 0);
    vbx_stream s = 0;
    size_t len = 0;
    int rc = TH.vt->proc_read(proc, 1000, &s, buf, sizeof buf, &len, &call);
    if (rc == VBX_E_AGAIN && th_now() < until) continue;
    if (rc != 0) fail_msg("proc_read to end of file: %d %s", rc, call.message);
    if (len == 0) break;
    char *dst = s == VBX_STREAM_STDOUT ? out : err;
    size_t *n = s == VBX_STREAM_STDOUT ? &no : &ne;
    size_t cap = s == VBX_STREAM_STDOUT ? out_cap : err_cap;
    size_t k = *n + len < cap ? len : cap - 1 - *n;
    memcpy(dst + *n, buf, k);
    *n += k;
  }
  out[no] = '\0';
  err[ne] = '\0';
  memset(st, 0, sizeof *st);
  st->struct_size = sizeof *st;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = TH.vt->proc_status(proc, st, &call);
  if (rc != 0) fail_msg("proc_status after end of file: %d %s", rc, call.message);
}

void th_proc_expect_exit(void *proc, int exit_code) {
  char out[256], err[256];
  vbx_exec_result st;
  th_proc_drain(proc, out, sizeof out, err, sizeof err, &st);
  if (out[0] != '\0' || err[0] != '\0') fail_msg("unexpected output '%s', '%s'", out, err);
  assert_int_equal(st.exit_code, exit_code);
  assert_int_equal(st.term_signal, 0);
  assert_false(st.timed_out);
}
