/*
 * tests/bench/bench_local.c - sandbox-local figures: exec round trip of
 * `true` (p50/p99 over 1000 calls) against plain fork/exec on the host,
 * and streaming throughput of 1 GB of stdout with the host's peak RSS.
 * Needs root (namespaces); prints SKIP and exits 77 otherwise.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin/call.h"
#include "plugin/registry.h"

#define N 1000
extern char **environ;

static uint64_t now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
static long hwm_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char l[256];
  long v = -1;
  while (f && fgets(l, sizeof l, f))
    if (strncmp(l, "VmHWM:", 6) == 0) v = strtol(l + 6, NULL, 10);
  if (f) fclose(f);
  return v;
}
static uint64_t streamed;
static int on_out(void *u, vbx_stream s, const char *d, size_t n) {
  (void)u, (void)s, (void)d;
  streamed += n;
  return 0;
}

int main(void) {
  if (geteuid() != 0) {
    printf("SKIP: bench_local needs root (namespaces)\n");
    return 77;
  }
  vbx__registry *reg;
  vbx_error err;
  memset(&err, 0, sizeof err);
  vbx__logger log = {VBX_LOG_WARN, NULL, NULL, 0};
  if (vbx__registry_new(&log, NULL, &reg) != 0 ||
      vbx__registry_load(reg, VBX_BENCH_PLUGIN_DIR "/sandbox-local.so", &err) != 0) {
    printf("cannot load sandbox-local.so: %s\n", err.message);
    return 1;
  }
  vbx__registry_freeze(reg);
  const vbx__impl *impl = vbx__registry_find(reg, VBX_KIND_SANDBOX, "local");
  const vbx_sandbox_backend_vtable *vt = impl->vtable;
  const vbx_host_services *h = vbx__plugin_host(impl->plugin);
  const char *opts = "{\"agent_path\":\"" VBX_BENCH_AGENT "\"}";
  vbx_json *o = h->json_parse(opts, strlen(opts), NULL);
  vbx_sandbox_config cfg = {
      .struct_size = sizeof cfg, .box_name = "bench", .memory_mb = 1024, .vcpus = 2, .options = o};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *box;
  uint64_t t0 = now();
  if (vt->create(impl->plugin_state, &cfg, &call, &box) != 0) {
    printf("create failed: %s\n", call.message);
    return 1;
  }
  printf("box create (namespaces + root + agent + handshake): %.2f ms\n", (now() - t0) / 1e6);
  static uint64_t lat[N], host[N];
  const char *argv[] = {"/bin/true", NULL};
  for (int i = 0; i < N; i++) {
    vbx_exec_request req = {.struct_size = sizeof req, .argv = argv};
    vbx_exec_result res = {.struct_size = sizeof res};
    uint64_t s = now();
    if (vt->exec(box, &req, &res, &call) != 0) {
      printf("exec failed: %s\n", call.message);
      return 1;
    }
    lat[i] = now() - s;
    h->free(res.stdout_data);
    h->free(res.stderr_data);
  }
  for (int i = 0; i < N; i++) {
    pid_t pid;
    uint64_t s = now();
    char *const a[] = {(char *)"/bin/true", NULL};
    posix_spawn(&pid, "/bin/true", NULL, NULL, a, environ);
    waitpid(pid, NULL, 0);
    host[i] = now() - s;
  }
  qsort(lat, N, sizeof lat[0], cmp);
  qsort(host, N, sizeof host[0], cmp);
  printf("exec `true` via sandbox-local: p50 %.3f ms  p99 %.3f ms  (%d calls)\n", lat[N / 2] / 1e6,
         lat[N * 99 / 100] / 1e6, N);
  printf("plain spawn+wait on the host:  p50 %.3f ms  p99 %.3f ms\n", host[N / 2] / 1e6,
         host[N * 99 / 100] / 1e6);
  printf("ratio sandbox/host: p50 %.2fx  p99 %.2fx\n", (double)lat[N / 2] / (double)host[N / 2],
         (double)lat[N * 99 / 100] / (double)host[N * 99 / 100]);
  long hwm0 = hwm_kib();
  const char *big[] = {"/bin/sh", "-c", "head -c 1073741824 /dev/zero", NULL};
  vbx_exec_request req = {
      .struct_size = sizeof req, .argv = big, .on_output = on_out, .max_output_bytes = 1 << 20};
  vbx_exec_result res = {.struct_size = sizeof res};
  uint64_t s = now();
  if (vt->exec(box, &req, &res, &call) != 0) {
    printf("stream exec failed: %s\n", call.message);
    return 1;
  }
  double secs = (now() - s) / 1e9;
  printf("stream 1 GB stdout: %llu bytes in %.2f s = %.1f MB/s; host VmHWM %ld -> %ld KiB\n",
         (unsigned long long)streamed, secs, streamed / 1e6 / secs, hwm0, hwm_kib());
  h->free(res.stdout_data);
  h->free(res.stderr_data);
  vt->destroy(box);
  h->json_decref(o);
  vbx__registry_free(reg);
  return 0;
}
