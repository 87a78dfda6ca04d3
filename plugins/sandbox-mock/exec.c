/*
 * sandbox-mock/exec.c - one mock exec: cancellation check, fail_exec,
 * barrier, interpretation (shell.c), the scripted delay (cancellable),
 * streaming the output in two chunks, capture with the output cap, and
 * the record line.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"

#define DELAY_SLICE_MS 10

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep delay_ms in slices. Returns 0, 1 when req->timeout_ms passed first,
 * or a negative code on cancellation / call deadline. */
static int do_delay(const vbx_host_services *h, uint32_t delay_ms, uint32_t timeout_ms,
                    vbx_call *call) {
  uint64_t start = mono_ns();
  uint64_t end = start + (uint64_t)delay_ms * 1000000u;
  uint64_t tmo = timeout_ms ? start + (uint64_t)timeout_ms * 1000000u : 0;
  for (;;) {
    uint64_t now = mono_ns();
    uint64_t dl = h->deadline_ns(call);
    if (dl != 0 && now >= dl)
      return h->set_error(call, VBX_E_TIMEOUT, NULL, "mock exec passed the call deadline");
    if (h->is_cancelled(call))
      return h->set_error(call, VBX_E_CANCELLED, NULL, "mock exec cancelled during its delay");
    if (tmo != 0 && now >= tmo && tmo < end) return 1;
    if (now >= end) return 0;
    uint64_t left = end - now;
    if (left > (uint64_t)DELAY_SLICE_MS * 1000000u) left = (uint64_t)DELAY_SLICE_MS * 1000000u;
    struct timespec ts = {0, (long)left};
    nanosleep(&ts, NULL);
  }
}

/* Stream `len` bytes in (up to) two chunks split after a newline near the
 * middle. Returns the callback's non-zero value, if any. */
static int stream(const vbx_exec_request *req, vbx_stream which, const char *data, size_t len) {
  if (req->on_output == NULL || len == 0) return 0;
  size_t cut = len / 2;
  const char *nl = memchr(data + cut, '\n', len - cut);
  if (nl != NULL && (size_t)(nl - data) + 1 < len) cut = (size_t)(nl - data) + 1;
  if (cut == 0 || cut >= len) return req->on_output(req->user, which, data, len);
  int rc = req->on_output(req->user, which, data, cut);
  if (rc != 0) return rc;
  return req->on_output(req->user, which, data + cut, len - cut);
}

static char *host_copy(const vbx_host_services *h, const vbx__strbuf *b, size_t cap, size_t *len,
                       int *truncated) {
  size_t n = b->len;
  if (n > cap) {
    n = cap;
    *truncated = 1;
  }
  char *s = h->alloc(n + 1);
  if (s != NULL && n > 0) memcpy(s, b->data, n);
  *len = n;
  return s;
}

static vbx_json *str_json(const vbx_host_services *h, const char *s, size_t len) {
  return s ? h->json_string_new(s, len) : h->json_null_new();
}

static void record_exec(mock_sandbox *sb, const vbx_exec_request *req, const vbx_exec_result *res,
                        int rc, vbx_call *call, int *rc_out) {
  const vbx_host_services *h = sb->st->host;
  if (sb->opt.record == NULL) return;
  vbx_json *o = h->json_object_new(), *argv = h->json_array_new();
  for (size_t i = 0; req->argv != NULL && req->argv[i] != NULL; i++)
    h->json_array_append(argv, h->json_string_new(req->argv[i], strlen(req->argv[i])));
  h->json_object_set(o, "argv", argv);
  h->json_object_set(o, "cwd", str_json(h, req->cwd, req->cwd ? strlen(req->cwd) : 0));
  h->json_object_set(o, "stdin", str_json(h, req->stdin_data, req->stdin_len));
  h->json_object_set(o, "rc", h->json_integer_new(rc));
  if (rc == 0) {
    h->json_object_set(o, "exit_code", h->json_integer_new(res->exit_code));
    h->json_object_set(o, "timed_out", h->json_bool_new(res->timed_out));
    h->json_object_set(o, "stdout", str_json(h, res->stdout_data, res->stdout_len));
    h->json_object_set(o, "stderr", str_json(h, res->stderr_data, res->stderr_len));
  }
  int r = mock_record(sb, "exec", o, rc == 0 ? call : NULL);
  if (rc == 0 && r != 0) *rc_out = r;
}

static void free_result(const vbx_host_services *h, vbx_exec_result *res) {
  h->free(res->stdout_data);
  h->free(res->stderr_data);
  res->stdout_data = res->stderr_data = NULL;
  res->stdout_len = res->stderr_len = 0;
}

int mock_exec(void *sandbox, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call) {
  mock_sandbox *sb = sandbox;
  const vbx_host_services *h = sb->st->host;
  mock_outcome oc = {0};
  uint64_t start = mono_ns();
  int rc = 0;
  if (req == NULL || res == NULL) {
    rc = h->set_error(call, VBX_E_INVAL, NULL, "mock exec: NULL request or result");
    goto out;
  }
  uint32_t res_size = res->struct_size;
  memset(res, 0, sizeof *res);
  res->struct_size = res_size;
  if (h->is_cancelled(call)) {
    rc = h->set_error(call, VBX_E_CANCELLED, NULL, "mock exec cancelled before it started");
    goto done;
  }
  if (sb->opt.fail_exec) {
    rc = h->set_error(call, VBX_E_SANDBOX, "fail_exec",
                      "mock sandbox '%s': exec failed (fail_exec is set)", sb->box_name);
    goto done;
  }
  if (sb->opt.barrier_name != NULL && !sb->passed_barrier) {
    rc = mock_barrier_wait(sb->st, sb->opt.barrier_name, sb->opt.barrier_parties,
                           sb->opt.barrier_timeout_ms, call);
    if (rc != 0) goto done;
    sb->passed_barrier = 1;
  }
  rc = mock_shell_run(sb, req->argv, req->cwd, req->stdin_data, req->stdin_len, &oc);
  if (rc == 0 && (oc.out.failed || oc.err.failed)) rc = VBX_E_NOMEM;
  if (rc != 0) {
    rc = h->set_error(call, rc, NULL, "mock exec: %s",
                      rc == VBX_E_LIMIT ? "nesting of sh -c too deep" : "out of memory");
    goto done;
  }
  if (oc.delay_ms > 0) {
    int d = do_delay(h, oc.delay_ms, req->timeout_ms, call);
    if (d < 0) {
      rc = d;
      goto done;
    }
    if (d == 1) { /* the exec's own timeout: a result, not an error */
      free(oc.out.data);
      free(oc.err.data);
      memset(&oc, 0, sizeof oc);
      res->timed_out = 1;
      oc.exit_code = 124;
    }
  }
  int cb = stream(req, VBX_STREAM_STDOUT, oc.out.data, oc.out.len);
  if (cb == 0) cb = stream(req, VBX_STREAM_STDERR, oc.err.data, oc.err.len);
  if (cb != 0) {
    rc = h->set_error(call, cb < 0 ? cb : VBX_E_CANCELLED, NULL,
                      "mock exec: output callback stopped the command");
    goto done;
  }
  size_t cap = req->max_output_bytes ? req->max_output_bytes : MOCK_DEFAULT_OUTPUT_CAP;
  res->exit_code = oc.exit_code;
  res->term_signal = 0;
  res->stdout_data = host_copy(h, &oc.out, cap, &res->stdout_len, &res->stdout_truncated);
  res->stderr_data = host_copy(h, &oc.err, cap, &res->stderr_len, &res->stderr_truncated);
  if (res->stdout_data == NULL || res->stderr_data == NULL) {
    free_result(h, res);
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto done;
  }
  res->duration_ns = mono_ns() - start;
done:
  record_exec(sb, req, res, rc, call, &rc);
  if (rc != 0) free_result(h, res);
out:
  free(oc.out.data);
  free(oc.err.data);
  return rc;
}
