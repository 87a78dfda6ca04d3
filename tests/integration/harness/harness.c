/*
 * tests/integration/harness/harness.c - see harness.h.
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

#include "harness.h"

th TH;

/* The host log, kept for th_log_take and echoed on stderr. */
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_log;
static size_t g_log_len;

static void log_keep(void *user, vbx_log_level level, const char *origin, const char *msg) {
  (void)user, (void)level;
  fprintf(stderr, "[%s] %s\n", origin ? origin : "host", msg);
  pthread_mutex_lock(&g_log_lock);
  size_t n = strlen(origin ? origin : "host") + strlen(msg) + 3;
  if (g_log_len + n < 4u << 20) { /* bounded: 4 MiB */
    char *p = realloc(g_log, g_log_len + n + 1);
    if (p != NULL) {
      g_log = p;
      g_log_len += (size_t)sprintf(g_log + g_log_len, "%s: %s\n", origin ? origin : "host", msg);
    }
  }
  pthread_mutex_unlock(&g_log_lock);
}

char *th_log_take(void) {
  pthread_mutex_lock(&g_log_lock);
  char *out = g_log != NULL ? g_log : strdup("");
  g_log = NULL;
  g_log_len = 0;
  pthread_mutex_unlock(&g_log_lock);
  return out;
}

void th_load(const char *plugin_file, const char *backend, const char *default_opts) {
  memset(&TH, 0, sizeof TH);
  vbx_error err;
  memset(&err, 0, sizeof err);
  vbx__logger log = {VBX_LOG_WARN, log_keep, NULL, 0};
  assert_int_equal(vbx__registry_new(&log, NULL, &TH.reg), 0);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", VBX_TEST_PLUGIN_DIR, plugin_file);
  if (vbx__registry_load(TH.reg, path, &err) != 0) fail_msg("loading %s: %s", path, err.message);
  vbx__registry_freeze(TH.reg);
  const vbx__impl *impl = vbx__registry_find(TH.reg, VBX_KIND_SANDBOX, backend);
  if (impl == NULL) fail_msg("%s registers no sandbox backend '%s'", path, backend);
  TH.vt = impl->vtable;
  TH.state = impl->plugin_state;
  TH.h = vbx__plugin_host(impl->plugin);
  TH.default_opts = strdup(default_opts ? default_opts : "");
  assert_non_null(TH.default_opts);
}

void th_unload(void) {
  if (TH.reg) vbx__registry_free(TH.reg);
  free(TH.default_opts);
  memset(&TH, 0, sizeof TH);
}

int th_box_try(const th_box_cfg *c, vbx_call *call, void **out) {
  vbx__call_init(call, NULL, NULL, 0);
  return th_box_call(c, call, out);
}

int th_box_call(const th_box_cfg *c, vbx_call *call, void **out) {
  static const th_box_cfg none;
  if (c == NULL) c = &none;
  vbx_sandbox_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.struct_size = sizeof cfg;
  cfg.box_name = c->name ? c->name : "test";
  cfg.memory_mb = c->memory_mb ? c->memory_mb : 512;
  cfg.vcpus = c->vcpus ? c->vcpus : 1;
  cfg.network = c->network;
  cfg.env = c->env;
  cfg.timeout_secs = c->timeout_secs;
  cfg.disk_mb = c->disk_mb;
  cfg.network_policy = c->network_policy;
  cfg.llm_gateway_port = c->llm_gateway_port;
  cfg.mounts = c->mounts;
  cfg.n_mounts = c->n_mounts;
  const char *own = c->opts_json ? c->opts_json : "";
  size_t cap = strlen(TH.default_opts) + strlen(own) + 4;
  char *text = malloc(cap);
  assert_non_null(text);
  snprintf(text, cap, "{%s%s%s}", TH.default_opts, TH.default_opts[0] && own[0] ? "," : "", own);
  vbx_json *o = TH.h->json_parse(text, strlen(text), NULL);
  if (o == NULL) fail_msg("bad options JSON: %s", text);
  free(text);
  cfg.options = o;
  *out = NULL;
  int rc = TH.vt->create(TH.state, &cfg, call, out);
  TH.h->json_decref(o);
  return rc;
}

void *th_box_cfg_box(const th_box_cfg *c) {
  vbx_call call;
  void *box = NULL;
  int rc = th_box_try(c, &call, &box);
  if (rc != 0) fail_msg("create: %d %s", rc, call.message);
  assert_non_null(box);
  return box;
}

void *th_box(const char *opts_json, int network) {
  th_box_cfg c = {.opts_json = opts_json, .network = network};
  return th_box_cfg_box(&c);
}

int th_exec(void *box, const char *const *argv, const char *in, size_t in_len, uint32_t timeout_ms,
            vbx_exec_result *res, vbx_call *call) {
  vbx_exec_request req;
  memset(&req, 0, sizeof req);
  req.struct_size = sizeof req;
  req.argv = argv;
  req.stdin_data = in;
  req.stdin_len = in_len;
  req.timeout_ms = timeout_ms;
  memset(res, 0, sizeof *res);
  res->struct_size = sizeof *res;
  return TH.vt->exec(box, &req, res, call);
}

int th_sh(void *box, const char *cmd, vbx_exec_result *res) {
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = th_exec(box, argv, NULL, 0, 30000, res, &call);
  if (rc != 0) fail_msg("exec sh -c '%s': %d %s", cmd, rc, call.message);
  return res->exit_code;
}

int th_script(void *box, const char *shell, const char *script, uint32_t timeout_ms, char *out,
              size_t cap) {
  const char *argv[] = {shell, "-c", script, NULL};
  vbx_call call;
  vbx_exec_result res;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = th_exec(box, argv, NULL, 0, timeout_ms, &res, &call);
  if (rc != 0) fail_msg("exec %s -c: %d %s", shell, rc, call.message);
  if (out != NULL) snprintf(out, cap, "%s", res.stdout_data);
  int code = res.exit_code;
  if (code != 0) printf("# exit %d, stderr: %s\n", code, res.stderr_data);
  th_res_free(&res);
  return code;
}

void th_res_free(vbx_exec_result *res) {
  TH.h->free(res->stdout_data);
  TH.h->free(res->stderr_data);
  memset(res, 0, sizeof *res);
}

long th_status_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && line[n] == ':') v = strtol(line + n + 1, NULL, 10);
  if (f) fclose(f);
  return v;
}

int th_reset_hwm(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f == NULL) return -1;
  int rc = fputs("5", f) < 0 ? -1 : 0;
  if (fclose(f) != 0) rc = -1;
  return rc;
}

double th_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
