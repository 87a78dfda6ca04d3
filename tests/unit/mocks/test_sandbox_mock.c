/*
 * tests/unit/mocks/test_sandbox_mock.c - the "mock" sandbox backend loaded
 * from sandbox-mock.so: options, scripted commands and globbing, built-ins
 * and the in-memory file system, the record file, barriers, failures,
 * delays with cancellation and timeouts, output caps.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture.h"

static fx F;
static const vbx_sandbox_backend_vtable *VT;

static int setup(void **state) {
  fx_open(&F, "sandbox-mock.so", VBX_KIND_SANDBOX, "mock");
  VT = F.impl->vtable;
  return 0;
}

static int teardown(void **state) {
  fx_close(&F);
  return 0;
}

/* Create a sandbox from JSON options text (NULL: none). Returns the rc. */
static int make(const char *opts, const char *box, void **sb, vbx_call *c) {
  vbx_json *o = opts ? fx_json(&F, opts) : NULL;
  vbx_sandbox_config cfg = {.struct_size = sizeof cfg};
  cfg.box_name = box;
  cfg.memory_mb = 256;
  cfg.vcpus = 1;
  cfg.options = o;
  cfg.spec_dir = F.tmpdir;
  fx_call(c);
  int rc = VT->create(F.impl->plugin_state, &cfg, c, sb);
  if (o) F.host->json_decref(o);
  return rc;
}

static void *make_ok(const char *opts) {
  vbx_call c;
  void *sb = NULL;
  int rc = make(opts, "box", &sb, &c);
  if (rc != 0) fail_msg("create: %s", c.message);
  return sb;
}

typedef struct chunks {
  int n_out, n_err;
  char out[4096];
  char err[4096];
} chunks;

static int on_output(void *user, vbx_stream s, const char *d, size_t len) {
  chunks *ch = user;
  char *dst = s == VBX_STREAM_STDOUT ? ch->out : ch->err;
  if (s == VBX_STREAM_STDOUT)
    ch->n_out++;
  else
    ch->n_err++;
  strncat(dst, d, len < 4000 - strlen(dst) ? len : 4000 - strlen(dst));
  return 0;
}

static int run(void *sb, const char *const *argv, vbx_exec_result *res, vbx_call *c, chunks *ch) {
  vbx_exec_request req = {.struct_size = sizeof req};
  req.argv = argv;
  req.on_output = ch ? on_output : NULL;
  req.user = ch;
  memset(res, 0, sizeof *res);
  res->struct_size = sizeof *res;
  fx_call(c);
  return VT->exec(sb, &req, res, c);
}

static void res_free(vbx_exec_result *r) {
  F.host->free(r->stdout_data);
  F.host->free(r->stderr_data);
}

/* Run `sh -c CMD`, expect rc 0, return exit code; stdout copied to out. */
static int sh(void *sb, const char *cmd, char *out, size_t out_len) {
  const char *argv[] = {"sh", "-c", cmd, NULL};
  vbx_exec_result r;
  vbx_call c;
  int rc = run(sb, argv, &r, &c, NULL);
  if (rc != 0) fail_msg("exec %s: %s", cmd, c.message);
  if (out) snprintf(out, out_len, "%s", r.stdout_data);
  int code = r.exit_code;
  res_free(&r);
  return code;
}

static void expect_bad(const char *opts, const char *field, const char *needle) {
  vbx_call c;
  fx_call(&c);
  vbx_json *o = fx_json(&F, opts);
  int rc = VT->validate_options(F.impl->plugin_state, o, &c);
  F.host->json_decref(o);
  assert_int_not_equal(rc, 0);
  assert_string_equal(c.field, field);
  if (strstr(c.message, needle) == NULL) fail_msg("message '%s' lacks '%s'", c.message, needle);
}

static void test_registration(void **state) {
  assert_true(VT->flags & VBX_SANDBOX_IS_SIMULATED);
  assert_string_equal(VT->name, "mock");
}

static void test_options(void **state) {
  vbx_call c;
  fx_call(&c);
  vbx_json *o = fx_json(&F,
                        "{\"commands\":[{\"match\":\"ls*\",\"stdout\":\"x\",\"stderr\":\"y\","
                        "\"exit_code\":2,\"delay_ms\":1}],\"record\":\"r.jsonl\","
                        "\"barrier\":{\"name\":\"b\",\"parties\":2,\"timeout_ms\":10},"
                        "\"fail_exec\":false}");
  assert_int_equal(VT->validate_options(F.impl->plugin_state, o, &c), 0);
  F.host->json_decref(o);
  expect_bad("{\"comands\":[]}", "comands", "comands");
  expect_bad("{\"commands\":{}}", "commands", "list");
  expect_bad("{\"commands\":[{\"stdout\":\"x\"}]}", "commands", "match");
  expect_bad("{\"commands\":[{\"match\":\"a\",\"colour\":1}]}", "commands", "commands[0].colour");
  expect_bad("{\"commands\":[{\"match\":\"a\",\"exit_code\":256}]}", "commands", "exit_code");
  expect_bad("{\"commands\":[{\"match\":\"a\",\"delay_ms\":\"5\"}]}", "commands", "delay_ms");
  expect_bad("{\"record\":5}", "record", "string");
  expect_bad("{\"barrier\":{\"name\":\"b\"}}", "barrier", "parties");
  expect_bad("{\"barrier\":{\"name\":\"b\",\"parties\":2,\"x\":1}}", "barrier", "barrier.x");
  expect_bad("{\"fail_exec\":\"yes\"}", "fail_exec", "true or false");
  /* create refuses the same things */
  void *sb = NULL;
  assert_int_equal(make("{\"bogus\":1}", "box", &sb, &c), VBX_E_INVAL);
  assert_null(sb);
  assert_string_equal(c.field, "bogus");
}

static void test_scripted_glob_and_chunks(void **state) {
  void *sb = make_ok(
      "{\"commands\":[{\"match\":\"python3 *analy[sz]e*\",\"stdout\":"
      "\"line one\\nline two\\nline three\\n\",\"stderr\":\"warn\\n\","
      "\"exit_code\":3},{\"match\":\"python3 *\",\"stdout\":\"generic\\n\"}]}");
  const char *argv[] = {"python3", "analyze.py", "--days", "30", NULL};
  vbx_exec_result r;
  vbx_call c;
  chunks ch = {0};
  assert_int_equal(run(sb, argv, &r, &c, &ch), 0);
  assert_int_equal(r.exit_code, 3);
  assert_string_equal(r.stdout_data, "line one\nline two\nline three\n");
  assert_int_equal(r.stdout_len, strlen("line one\nline two\nline three\n"));
  assert_string_equal(r.stderr_data, "warn\n");
  assert_int_equal(ch.n_out, 2); /* streamed in two chunks */
  assert_string_equal(ch.out, r.stdout_data);
  assert_string_equal(ch.err, "warn\n");
  res_free(&r);
  /* first match wins; the second pattern catches other python3 lines */
  const char *argv2[] = {"python3", "fetch.py", NULL};
  assert_int_equal(run(sb, argv2, &r, &c, NULL), 0);
  assert_string_equal(r.stdout_data, "generic\n");
  assert_int_equal(r.exit_code, 0);
  res_free(&r);
  /* bash -c: the inner command is matched again */
  const char *argv3[] = {"/bin/bash", "-c", "python3 analyse.py", NULL};
  assert_int_equal(run(sb, argv3, &r, &c, NULL), 0);
  assert_int_equal(r.exit_code, 3);
  res_free(&r);
  const char *argv4[] = {"bash", "-e", "-lc", "python3 analyse.py", NULL};
  assert_int_equal(run(sb, argv4, &r, &c, NULL), 0);
  assert_int_equal(r.exit_code, 3);
  res_free(&r);
  /* `bash -c` with no string is not a shell call: unscripted */
  const char *argv5[] = {"bash", "-c", NULL};
  assert_int_equal(run(sb, argv5, &r, &c, NULL), 0);
  assert_int_equal(r.exit_code, 127);
  res_free(&r);
  VT->destroy(sb);
}

static void test_builtins_and_unscripted(void **state) {
  void *sb = make_ok(NULL);
  char out[512];
  assert_int_equal(sh(sb, "echo hello   world", out, sizeof out), 0);
  assert_string_equal(out, "hello world\n");
  assert_int_equal(sh(sb, "echo 'a  b' \"c d\"", out, sizeof out), 0);
  assert_string_equal(out, "a  b c d\n");
  assert_int_equal(sh(sb, "true", NULL, 0), 0);
  assert_int_equal(sh(sb, "false", NULL, 0), 1);
  assert_int_equal(sh(sb, "false && echo no || echo yes", out, sizeof out), 0);
  assert_string_equal(out, "yes\n");
  assert_int_equal(sh(sb, "echo one; echo two", out, sizeof out), 0);
  assert_string_equal(out, "one\ntwo\n");
  const char *argv[] = {"curl", "-s", "http://example.com", NULL};
  vbx_exec_result r;
  vbx_call c;
  assert_int_equal(run(sb, argv, &r, &c, NULL), 0);
  assert_int_equal(r.exit_code, 127);
  assert_string_equal(r.stderr_data, "mock: command not scripted: curl -s http://example.com\n");
  assert_string_equal(r.stdout_data, "");
  res_free(&r);
  const char *argv2[] = {"bash", "-c", "grep x | wc -l", NULL};
  assert_int_equal(run(sb, argv2, &r, &c, NULL), 0);
  assert_int_equal(r.exit_code, 127);
  assert_non_null(strstr(r.stderr_data, "not scripted: grep x | wc -l"));
  res_free(&r);
  VT->destroy(sb);
}

static void test_memfs(void **state) {
  void *sb = make_ok(NULL);
  vbx_call c;
  char out[512];
  fx_call(&c);
  assert_int_equal(VT->file_write(sb, "/data/prices.csv", "a,b\n1,2\n", 8, 0644, &c), 0);
  assert_int_equal(VT->file_write(sb, "/data/sub/x.txt", "x", 1, 0600, &c), 0);
  char *data = NULL;
  size_t len = 0;
  assert_int_equal(VT->file_read(sb, "/data/../data/./prices.csv", 0, &data, &len, &c), 0);
  assert_int_equal(len, 8);
  assert_string_equal(data, "a,b\n1,2\n");
  F.host->free(data);
  assert_int_equal(VT->file_read(sb, "/data/prices.csv", 4, &data, &len, &c), VBX_E_TOOBIG);
  assert_null(data);
  assert_int_equal(VT->file_read(sb, "/nope", 0, &data, &len, &c), VBX_E_NOTFOUND);
  assert_non_null(strstr(c.message, "/nope"));
  assert_int_equal(sh(sb, "cat /data/prices.csv", out, sizeof out), 0);
  assert_string_equal(out, "a,b\n1,2\n");
  assert_int_equal(sh(sb, "ls /data", out, sizeof out), 0);
  assert_string_equal(out, "prices.csv\nsub\n");
  assert_int_equal(sh(sb, "ls /", out, sizeof out), 0);
  assert_string_equal(out, "data\n");
  assert_int_equal(sh(sb, "ls /missing", out, sizeof out), 2);
  assert_int_equal(sh(sb, "cat /missing", out, sizeof out), 1);
  assert_int_equal(sh(sb, "cat /data", out, sizeof out), 1);
  /* relative paths are under /workspace; redirection writes files */
  assert_int_equal(sh(sb, "echo first > notes.txt && echo second >> notes.txt", out, sizeof out),
                   0);
  assert_string_equal(out, "");
  assert_int_equal(VT->file_read(sb, "/workspace/notes.txt", 0, &data, &len, &c), 0);
  assert_string_equal(data, "first\nsecond\n");
  F.host->free(data);
  assert_int_equal(sh(sb, "ls", out, sizeof out), 0);
  assert_string_equal(out, "notes.txt\n");
  /* the size bound */
  size_t big = (16u << 20) + 1;
  char *blob = calloc(1, big);
  assert_non_null(blob);
  assert_int_equal(VT->file_write(sb, "/big", blob, big, 0644, &c), VBX_E_LIMIT);
  /* fits alone, but not with the files already there: the bound is the total */
  assert_int_equal(VT->file_write(sb, "/big", blob, (16u << 20) - 10, 0644, &c), VBX_E_LIMIT);
  assert_int_equal(VT->file_write(sb, "/big", blob, (8u << 20), 0644, &c), 0);
  free(blob);
  VT->destroy(sb);
}

static void test_record(void **state) {
  void *sb = NULL;
  vbx_call c;
  assert_int_equal(make("{\"record\":\"calls.jsonl\",\"commands\":[{\"match\":\"hi\","
                        "\"stdout\":\"there\\n\"}]}",
                        "analyst", &sb, &c),
                   0);
  const char *argv[] = {"hi", NULL};
  vbx_exec_result r;
  assert_int_equal(run(sb, argv, &r, &c, NULL), 0);
  res_free(&r);
  fx_call(&c);
  assert_int_equal(VT->file_write(sb, "/a.txt", "abc", 3, 0644, &c), 0);
  char *data = NULL;
  size_t len = 0;
  assert_int_equal(VT->file_read(sb, "/a.txt", 100, &data, &len, &c), 0);
  F.host->free(data);
  assert_int_equal(VT->file_read(sb, "/none", 100, &data, &len, &c), VBX_E_NOTFOUND);
  VT->destroy(sb);

  char path[400];
  snprintf(path, sizeof path, "%s/calls.jsonl", F.tmpdir);
  char *text = fx_read_file(path);
  assert_non_null(text);
  const char *ops[] = {"create", "exec", "file_write", "file_read", "file_read", "destroy"};
  char *save = NULL;
  size_t i = 0;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
    assert_true(i < 6);
    vbx_json *o = fx_json(&F, line);
    assert_string_equal(F.host->json_string_value(F.host->json_object_get(o, "op")), ops[i]);
    assert_string_equal(F.host->json_string_value(F.host->json_object_get(o, "box")), "analyst");
    if (i == 1) {
      vbx_json *av = F.host->json_object_get(o, "argv");
      assert_string_equal(F.host->json_string_value(F.host->json_array_get(av, 0)), "hi");
      assert_string_equal(F.host->json_string_value(F.host->json_object_get(o, "stdout")),
                          "there\n");
      assert_int_equal(F.host->json_integer_value(F.host->json_object_get(o, "exit_code")), 0);
    }
    if (i == 2)
      assert_string_equal(F.host->json_string_value(F.host->json_object_get(o, "data")), "abc");
    if (i == 4)
      assert_int_equal(F.host->json_integer_value(F.host->json_object_get(o, "rc")),
                       VBX_E_NOTFOUND);
    if (i == 0)
      assert_int_equal(F.host->json_integer_value(F.host->json_object_get(o, "memory_mb")), 256);
    F.host->json_decref(o);
  }
  assert_int_equal(i, 6);
  free(text);
  /* an unwritable record path fails create, naming the field */
  assert_int_equal(make("{\"record\":\"/nonexistent-dir/x.jsonl\"}", "b", &sb, &c), VBX_E_IO);
  assert_string_equal(c.field, "record");
}

typedef struct waiter {
  void *sb;
  int rc;
  int exit_code;
} waiter;

static void *waiter_main(void *arg) {
  waiter *w = arg;
  const char *argv[] = {"true", NULL};
  vbx_exec_result r;
  vbx_call c;
  w->rc = run(w->sb, argv, &r, &c, NULL);
  w->exit_code = r.exit_code;
  if (w->rc == 0) res_free(&r);
  return NULL;
}

static void barrier_case(const char *opts, int expect) {
  waiter w[2] = {{make_ok(opts), -99, -1}, {make_ok(opts), -99, -1}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, waiter_main, &w[i]), 0);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(w[i].rc, expect);
    VT->destroy(w[i].sb);
  }
}

static void test_barrier(void **state) {
  /* two sandboxes, parties 2: both pass, however the threads interleave */
  barrier_case("{\"barrier\":{\"name\":\"pair\",\"parties\":2,\"timeout_ms\":20000}}", 0);
  /* parties 3 with only 2 arrivals: both time out */
  barrier_case("{\"barrier\":{\"name\":\"trio\",\"parties\":3,\"timeout_ms\":200}}", VBX_E_TIMEOUT);
  /* a lone sandbox at a parties-2 barrier times out, with a clear message */
  void *sb = make_ok("{\"barrier\":{\"name\":\"solo\",\"parties\":2,\"timeout_ms\":50}}");
  const char *argv[] = {"true", NULL};
  vbx_exec_result r;
  vbx_call c;
  assert_int_equal(run(sb, argv, &r, &c, NULL), VBX_E_TIMEOUT);
  assert_non_null(strstr(c.message, "1 of 2"));
  VT->destroy(sb);
}

static void test_fail_exec(void **state) {
  void *sb = make_ok("{\"fail_exec\":true}");
  const char *argv[] = {"true", NULL};
  vbx_exec_result r;
  vbx_call c;
  assert_int_equal(run(sb, argv, &r, &c, NULL), VBX_E_SANDBOX);
  assert_null(r.stdout_data);
  assert_non_null(strstr(c.message, "fail_exec"));
  VT->destroy(sb);
}

static vbx__cancel CANCEL;

static void *canceller(void *arg) {
  struct timespec ts = {0, 50 * 1000000L};
  nanosleep(&ts, NULL);
  vbx__cancel_set(&CANCEL);
  return NULL;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_delay_cancel_timeout(void **state) {
  void *sb = make_ok(
      "{\"commands\":[{\"match\":\"slow\",\"stdout\":\"done\\n\","
      "\"delay_ms\":5000},{\"match\":\"quick\",\"stdout\":\"ok\\n\","
      "\"delay_ms\":30}]}");
  const char *slow[] = {"slow", NULL}, *quick[] = {"quick", NULL};
  vbx_exec_result r;
  vbx_call c;
  /* a short delay completes */
  uint64_t t0 = now_ms();
  assert_int_equal(run(sb, quick, &r, &c, NULL), 0);
  assert_true(now_ms() - t0 >= 30);
  assert_string_equal(r.stdout_data, "ok\n");
  res_free(&r);
  /* cancellation interrupts a long delay */
  atomic_init(&CANCEL.cancelled, 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, canceller, NULL), 0);
  vbx_exec_request req = {.struct_size = sizeof req};
  req.argv = slow;
  memset(&r, 0, sizeof r);
  vbx__call_init(&c, &CANCEL, NULL, 0);
  t0 = now_ms();
  assert_int_equal(VT->exec(sb, &req, &r, &c), VBX_E_CANCELLED);
  assert_true(now_ms() - t0 < 2000);
  pthread_join(t, NULL);
  /* the exec's own timeout gives a timed-out result, not an error */
  req.timeout_ms = 40;
  memset(&r, 0, sizeof r);
  fx_call(&c);
  assert_int_equal(VT->exec(sb, &req, &r, &c), 0);
  assert_int_equal(r.timed_out, 1);
  assert_int_equal(r.exit_code, 124);
  res_free(&r);
  /* the call deadline */
  req.timeout_ms = 0;
  vbx__call_init(&c, NULL, NULL, vbx__now_ns() + 40 * 1000000ull);
  memset(&r, 0, sizeof r);
  assert_int_equal(VT->exec(sb, &req, &r, &c), VBX_E_TIMEOUT);
  VT->destroy(sb);
}

/* telemetry: deterministic figures (docs/mock.md "Telemetry"), a fresh
 * sequence per sandbox, memory following the in-memory files, the record
 * line, and cancellation. */
static void test_telemetry(void **state) {
  (void)state;
  assert_true(VBX_HAS_METHOD(VT, vbx_sandbox_backend_vtable, telemetry));
  void *sb = NULL;
  vbx_call c;
  assert_int_equal(make("{\"record\":\"telem.jsonl\"}", "tbox", &sb, &c), 0);
  vbx_sandbox_telemetry t = {.struct_size = sizeof t};
  fx_call(&c);
  assert_int_equal(VT->telemetry(sb, &t, &c), 0);
  assert_int_equal(t.cpu_usec, 1000);
  assert_int_equal(t.mem_total_kib, 256 * 1024); /* memory_mb 256 */
  assert_int_equal(t.mem_used_kib, 16384);
  assert_int_equal(t.procs, 1);
  assert_int_equal(t.time_ns, 1000000000ull);
  char big[3000];
  memset(big, 'x', sizeof big);
  assert_int_equal(VT->file_write(sb, "/big", big, sizeof big, 0644, &c), 0);
  assert_int_equal(VT->telemetry(sb, &t, &c), 0);
  assert_int_equal(t.cpu_usec, 2000);
  assert_int_equal(t.mem_used_kib, 16384 + 3); /* ceil(3000 / 1024) */
  assert_int_equal(t.time_ns, 2000000000ull);
  vbx__cancel cancel = {0};
  vbx__cancel_set(&cancel);
  vbx_call cc;
  vbx__call_init(&cc, &cancel, NULL, 0);
  assert_int_equal(VT->telemetry(sb, &t, &cc), VBX_E_CANCELLED);
  VT->destroy(sb);
  /* another sandbox starts its own sequence */
  sb = make_ok(NULL);
  assert_int_equal(VT->telemetry(sb, &t, &c), 0);
  assert_int_equal(t.cpu_usec, 1000);
  VT->destroy(sb);
  char path[400];
  snprintf(path, sizeof path, "%s/telem.jsonl", F.tmpdir);
  char *text = fx_read_file(path);
  assert_non_null(text);
  assert_int_equal(fx_count(text, "\"telemetry\""), 3); /* 2 samples + the cancelled call */
  free(text);
}

static void test_output_cap(void **state) {
  void *sb = make_ok("{\"commands\":[{\"match\":\"big\",\"stdout\":\"0123456789\"}]}");
  const char *argv[] = {"big", NULL};
  vbx_exec_request req = {.struct_size = sizeof req};
  req.argv = argv;
  req.max_output_bytes = 4;
  vbx_exec_result r = {.struct_size = sizeof r};
  vbx_call c;
  fx_call(&c);
  assert_int_equal(VT->exec(sb, &req, &r, &c), 0);
  assert_int_equal(r.stdout_len, 4);
  assert_string_equal(r.stdout_data, "0123");
  assert_int_equal(r.stdout_truncated, 1);
  assert_int_equal(r.stderr_truncated, 0);
  res_free(&r);
  VT->destroy(sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registration),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_scripted_glob_and_chunks),
      cmocka_unit_test(test_builtins_and_unscripted),
      cmocka_unit_test(test_memfs),
      cmocka_unit_test(test_record),
      cmocka_unit_test(test_barrier),
      cmocka_unit_test(test_fail_exec),
      cmocka_unit_test(test_delay_cancel_timeout),
      cmocka_unit_test(test_output_cap),
      cmocka_unit_test(test_telemetry),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
