/*
 * bench_pipeline.c - figures for the core (issue 2 benchmark):
 *   1. plugin load time per plugin (dlopen + checks + init + fini/dlclose),
 *      median of N loads;
 *   2. per-box overhead of a 100-box sequential mock pipeline and of a
 *      32-way fan-out (mock sandbox, mock LLM answering in one turn), in µs
 *      per box, median of several runs, their ratio and the fan-out's cost
 *      per box over the sequential figure (issue 10's bar: <= 50 µs), with
 *      the default pool (CPUs x 4 threads) and with max_parallel 32 (one
 *      thread per box, as before the pool).
 * Prints figures and BENCH lines (bench_report.h); it is not a pass/fail
 * timer. Exit 0 unless a run fails.
 *
 *   bench_pipeline [PLUGIN_DIR]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_report.h"
#include "plugin/registry.h"
#include "voidbox/voidbox.h"

#ifndef VBX_BENCH_PLUGIN_DIR
#define VBX_BENCH_PLUGIN_DIR "plugins"
#endif

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_plugin_loads(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "bench: cannot open plugin dir %s\n", dir);
    return 1;
  }
  enum { LOADS = 25 };
  printf("plugin load time (median of %d: dlopen, checks, init, fini, dlclose)\n", LOADS);
  struct dirent *e;
  int rc = 0;
  vbx__logger log = {VBX_LOG_ERROR, NULL, NULL, 0};
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 3, ".so")) continue;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    double t[LOADS];
    for (int i = 0; i < LOADS; i++) {
      vbx__registry *reg = NULL;
      vbx_error err = {0};
      if (vbx__registry_new(&log, NULL, &reg)) return 1;
      double t0 = now_us();
      int lrc = vbx__registry_load(reg, path, &err);
      vbx__registry_free(reg);
      t[i] = now_us() - t0;
      if (lrc) {
        fprintf(stderr, "bench: %s\n", err.message);
        rc = 1;
        break;
      }
    }
    if (!rc) printf("  %-28s %8.1f us\n", e->d_name, median(t, LOADS));
  }
  closedir(d);
  return rc;
}

static const char *k_turn =
    "[{\"text\":\"ok\",\"usage\":{\"input_tokens\":10,\"output_tokens\":2}}]";

static vbx_box *mock_box(int i) {
  char name[32];
  snprintf(name, sizeof(name), "b%d", i);
  vbx_box *b = vbx_box_new(name);
  vbx_box_prompt(b, "benchmark");
  vbx_box_llm(b, "mock", NULL);
  vbx_box_llm_option(b, "turns", k_turn);
  return b;
}

/* Run a pipeline of `n` boxes, sequential or one fan-out (with
 * max_parallel `width`, 0: the default); µs per box. */
static int run_boxes(vbx_runtime *rt, int n, int fan_out, unsigned width, double *us_per_box) {
  vbx_pipeline *p = vbx_pipeline_named("bench");
  vbx_box **boxes = calloc((size_t)n, sizeof(*boxes));
  if (!p || !boxes) return 1;
  for (int i = 0; i < n; i++) {
    boxes[i] = mock_box(i);
    if (!fan_out) vbx_pipeline_pipe(p, boxes[i]);
  }
  if (fan_out) vbx_pipeline_fan_out(p, boxes, (size_t)n);
  vbx_pipeline_max_parallel(p, width);
  free(boxes);
  vbx_result *res = NULL;
  vbx_error err = {0};
  double t0 = now_us();
  int rc = vbx_pipeline_run(rt, p, NULL, &res, &err);
  double dt = now_us() - t0;
  if (rc || vbx_result_status(res) != VBX_STATUS_OK) {
    fprintf(stderr, "bench: run failed: %s %s\n", err.message,
            res && vbx_result_error(res) ? vbx_result_error(res) : "");
    rc = 1;
  }
  vbx_result_free(res);
  vbx_pipeline_free(p);
  *us_per_box = dt / n;
  return rc;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : VBX_BENCH_PLUGIN_DIR;
  if (bench_plugin_loads(dir)) return 1;

  const char *paths[] = {NULL, NULL, NULL};
  char mock_sb[4096], mock_llm[4096];
  snprintf(mock_sb, sizeof(mock_sb), "%s/sandbox-mock.so", dir);
  snprintf(mock_llm, sizeof(mock_llm), "%s/llm-mock.so", dir);
  paths[0] = mock_sb;
  paths[1] = mock_llm;
  vbx_runtime_options o = {0};
  o.struct_size = sizeof(o);
  o.plugin_paths = paths;
  o.skip_plugin_dir = 1;
  o.log_level_set = 1;
  o.log_level = VBX_LOG_ERROR;
  vbx_runtime *rt = NULL;
  vbx_error err = {0};
  if (vbx_runtime_new(&o, &rt, &err)) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  enum { RUNS = 5 };
  double seq[RUNS], fan[RUNS], wide[RUNS];
  int rc = 0;
  for (int r = 0; r < RUNS && !rc; r++) {
    rc |= run_boxes(rt, 100, 0, 0, &seq[r]);
    rc |= run_boxes(rt, 32, 1, 0, &fan[r]);
    rc |= run_boxes(rt, 32, 1, 32, &wide[r]);
  }
  if (!rc) {
    double s = median(seq, RUNS), f = median(fan, RUNS), w = median(wide, RUNS);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("per-box overhead (mock sandbox + mock LLM, median of %d runs)\n", RUNS);
    printf("  100-box sequential pipeline   %8.1f us/box\n", s);
    printf("  32-way fan-out, %2ld threads    %8.1f us/box  (+%.1f over sequential; bar 50)\n",
           cpus * 4 < 32 ? cpus * 4 : 32, f, f - s);
    printf("  32-way fan-out, 32 threads    %8.1f us/box  (+%.1f over sequential)\n", w, w - s);
    printf("  ratio fan-out/sequential      %8.2f\n", f / s);
    bench_figure("pipeline per-box overhead, 100-box sequential", s, "us/box", NULL, NAN, NULL);
    bench_figure("pipeline per-box overhead, 32-way fan-out (default pool)", f, "us/box",
                 "100-box sequential, same run", s, NULL);
    bench_figure("pipeline per-box overhead, 32-way fan-out (32 threads)", w, "us/box",
                 "100-box sequential, same run", s, NULL);
    bench_figure("pipeline fan-out (default pool) cost per box over sequential", f - s, "us/box",
                 NULL, NAN, "value<=50");
  }
  vbx_runtime_free(rt);
  return rc;
}
