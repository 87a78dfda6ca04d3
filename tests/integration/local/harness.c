/*
 * tests/integration/local/harness.c - see harness.h.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

lt LT;

void lt_require(void) {
  if (geteuid() != 0) {
    printf("SKIP: sandbox-local needs root (namespaces, pivot_root); uid %u\n", geteuid());
    exit(77);
  }
  pid_t p = fork();
  if (p == 0)
    _exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0 ? 0 : 1);
  int st = 0;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    printf("SKIP: cannot create mount/pid/net/ipc/uts namespaces here\n");
    exit(77);
  }
  if (access(VBX_TEST_AGENT, X_OK) != 0) {
    printf("SKIP: guest agent %s not built\n", VBX_TEST_AGENT);
    exit(77);
  }
}

void lt_load(void) {
  memset(&LT, 0, sizeof LT);
  vbx_error err;
  memset(&err, 0, sizeof err);
  vbx__logger log = {VBX_LOG_WARN, NULL, NULL};
  assert_int_equal(vbx__registry_new(&log, NULL, &LT.reg), 0);
  if (vbx__registry_load(LT.reg, VBX_TEST_PLUGIN_DIR "/sandbox-local.so", &err) != 0)
    fail_msg("loading sandbox-local.so: %s", err.message);
  vbx__registry_freeze(LT.reg);
  const vbx__impl *impl = vbx__registry_find(LT.reg, VBX_KIND_SANDBOX, "local");
  assert_non_null(impl);
  LT.vt = impl->vtable;
  LT.state = impl->plugin_state;
  LT.h = vbx__plugin_host(impl->plugin);
}

void lt_unload(void) {
  if (LT.reg)
    vbx__registry_free(LT.reg);
  memset(&LT, 0, sizeof LT);
}

void *lt_box(const char *opts_json, int network) {
  vbx_sandbox_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.struct_size = sizeof cfg;
  cfg.box_name = "test";
  cfg.memory_mb = 512;
  cfg.vcpus = 1;
  cfg.network = network;
  char agent[600];
  snprintf(agent, sizeof agent, "{\"agent_path\":\"%s\"%s%s}", VBX_TEST_AGENT,
           opts_json ? "," : "", opts_json ? opts_json : "");
  vbx_json *o = LT.h->json_parse(agent, strlen(agent), NULL);
  assert_non_null(o);
  cfg.options = o;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *box = NULL;
  int rc = LT.vt->create(LT.state, &cfg, &call, &box);
  LT.h->json_decref(o);
  if (rc != 0)
    fail_msg("create: %d %s", rc, call.message);
  return box;
}

int lt_exec(void *box, const char *const *argv, const char *in, size_t in_len, uint32_t timeout_ms,
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
  return LT.vt->exec(box, &req, res, call);
}

int lt_sh(void *box, const char *cmd, vbx_exec_result *res) {
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = lt_exec(box, argv, NULL, 0, 30000, res, &call);
  if (rc != 0)
    fail_msg("exec sh -c '%s': %d %s", cmd, rc, call.message);
  return res->exit_code;
}

void lt_res_free(vbx_exec_result *res) {
  LT.h->free(res->stdout_data);
  LT.h->free(res->stderr_data);
  memset(res, 0, sizeof *res);
}

long lt_status_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && line[n] == ':')
      v = strtol(line + n + 1, NULL, 10);
  if (f)
    fclose(f);
  return v;
}

int lt_reset_hwm(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f == NULL)
    return -1;
  int rc = fputs("5", f) < 0 ? -1 : 0;
  if (fclose(f) != 0)
    rc = -1;
  return rc;
}
