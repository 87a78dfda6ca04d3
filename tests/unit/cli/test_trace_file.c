/*
 * test_trace_file.c - `run --trace`'s span sink (core/cli trace_file.c):
 * spans from several threads kept up to the bound and the rest counted,
 * the file one OTLP/JSON line that reads back, service.name from
 * OTEL_SERVICE_NAME, an existing file replaced, and a failed write named
 * without a temporary file left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otlp_json.h"
#include "trace_file.h"

#define THREADS 4
#define PER_THREAD 50

static char g_dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(g_dir, sizeof(g_dir), "/tmp/vbx-trace-file-XXXXXX");
  return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Spans of one thread: ids thread * 1000 + i + 1, children of span 1. */
static void *produce(void *arg) {
  vbx__span_sink *k = arg;
  static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  static unsigned next;
  pthread_mutex_lock(&mu);
  unsigned base = next++ * 1000;
  pthread_mutex_unlock(&mu);
  for (unsigned i = 0; i < PER_THREAD; i++) {
    const char *attrs[] = {"k", "v", NULL};
    vbx_span_data d;
    memset(&d, 0, sizeof(d));
    d.struct_size = sizeof(d);
    d.name = "box b";
    d.plugin = "voidbox";
    d.trace_id_hi = 0x0123456789abcdefull;
    d.trace_id_lo = 0xfedcba9876543210ull;
    d.span_id = base + i + 2;
    d.parent_span_id = 1;
    d.start_ns = 1700000000000000000ull + i;
    d.end_ns = d.start_ns + 10;
    d.attrs = attrs;
    d.kind = VBX_SPAN_INTERNAL;
    d.box = "b";
    vbx__span_sink_on_span(k, &d);
  }
  return NULL;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Entries of g_dir but . and .. (temporary files start with a dot). */
static int entries(void) {
  DIR *d = opendir(g_dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  if (d) closedir(d);
  return n;
}

static void test_bounded_concurrent_write(void **state) {
  (void)state;
  vbx__span_sink *k = vbx__span_sink_new(120);
  assert_non_null(k);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, produce, k), 0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  assert_int_equal(vbx__span_sink_count(k), 120);
  assert_int_equal(vbx__span_sink_dropped(k), THREADS * PER_THREAD - 120);

  char path[128], why[256];
  snprintf(path, sizeof(path), "%s/t.json", g_dir);
  FILE *old = fopen(path, "w"); /* an existing file is replaced */
  assert_non_null(old);
  fputs("old", old);
  fclose(old);
  setenv("OTEL_SERVICE_NAME", "svc-test", 1);
  assert_int_equal(vbx__span_sink_write(k, path, why, sizeof(why)), 0);
  unsetenv("OTEL_SERVICE_NAME");
  const char *text = slurp(path);
  assert_non_null(text);
  size_t len = strlen(text);
  assert_true(len > 1 && text[len - 1] == '\n');
  assert_null(memchr(text, '\n', len - 1)); /* one line */
  assert_non_null(strstr(text, "\"svc-test\""));
  vbx_otlp_span_rec *recs = NULL;
  size_t n = 0;
  assert_int_equal(vbx_otlp_read_traces(text, len, &recs, &n, why, sizeof(why)), 0);
  assert_int_equal(n, 120);
  assert_string_equal(recs[0].trace_id, "0123456789abcdeffedcba9876543210");
  assert_string_equal(recs[0].parent_id, "0000000000000001");
  assert_string_equal(recs[0].name, "box b");
  vbx_otlp_span_recs_free(recs, n);
  assert_int_equal(entries(), 1); /* no temporary file left */
  vbx__span_sink_free(k);
}

static void test_write_failures(void **state) {
  (void)state;
  vbx__span_sink *k = vbx__span_sink_new(10);
  assert_non_null(k);
  char path[128], why[256] = "";
  snprintf(path, sizeof(path), "%s/missing/t.json", g_dir);
  assert_int_equal(vbx__span_sink_write(k, path, why, sizeof(why)), -1);
  char want[160];
  snprintf(want, sizeof(want), "cannot create a file in %s/missing: No such file", g_dir);
  assert_non_null(strstr(why, want));
  /* a directory in the way: the rename fails, the temporary file goes */
  int before = entries();
  assert_int_equal(vbx__span_sink_write(k, g_dir, why, sizeof(why)), -1);
  assert_non_null(strstr(why, "cannot replace it"));
  assert_int_equal(entries(), before);
  /* a file name without a directory is created in the working directory */
  char cwd[512];
  assert_non_null(getcwd(cwd, sizeof(cwd)));
  assert_int_equal(chdir(g_dir), 0);
  assert_int_equal(vbx__span_sink_write(k, "here.json", why, sizeof(why)), 0);
  assert_int_equal(chdir(cwd), 0);
  snprintf(path, sizeof(path), "%s/here.json", g_dir);
  assert_non_null(slurp(path));
  vbx__span_sink_free(k);
  vbx__span_sink_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bounded_concurrent_write),
      cmocka_unit_test(test_write_failures),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
