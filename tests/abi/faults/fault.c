/*
 * tests/abi/faults/fault.c - a plugin that misbehaves on request, for the
 * containment tests (tests/integration/cli/cli_plugin_faults.sh). It
 * registers one implementation of each kind, all named "fault":
 *
 *   llm "fault"       options: fault, at (create|complete|destroy),
 *                     tool (a tool to call on the first turn: bash or
 *                     fault_tool), text (the final answer)
 *   sandbox "fault"   options: fault, at (create|exec|destroy); exec streams
 *                     `stdout` (default "ok\n") `repeat` times (default 1),
 *                     or with `binary: true` the bytes "a\0b\xff\n"
 *   skill "fault"     options: fault, at (create|provision|call_tool);
 *                     provides the tool fault_tool
 *   exporter "fault"  options: fault, at (create|on_event|flush)
 *
 * fault is one of: none (default), segv, bus, abort, exit (exit(7)), hang
 * (never returns, ignoring cancellation and deadlines), fpe; and two that
 * are not crashes: error (the call fails with VBX_E_PROVIDER, llm
 * complete only) and lost (VBX_E_SANDBOX_LOST, sandbox exec only).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "voidbox/plugin.h"

static const vbx_host_services *H;

typedef struct fault_cfg {
  char fault[16];
  char at[32];
  char tool[32];
  char text[128];
  char out[256]; /* sandbox stdout */
  size_t out_len;
  uint64_t repeat;
} fault_cfg;

static void opt(const vbx_json *o, const char *key, char *dst, size_t cap, const char *dflt) {
  const char *v = o ? H->json_string_value(H->json_object_get(o, key)) : NULL;
  snprintf(dst, cap, "%s", v ? v : dflt);
}

static void *cfg_new(const vbx_json *o) {
  fault_cfg *c = H->alloc(sizeof(*c));
  if (c == NULL) return NULL;
  opt(o, "fault", c->fault, sizeof(c->fault), "none");
  opt(o, "at", c->at, sizeof(c->at), "");
  opt(o, "tool", c->tool, sizeof(c->tool), "");
  opt(o, "text", c->text, sizeof(c->text), "done");
  opt(o, "stdout", c->out, sizeof(c->out), "ok\n");
  c->out_len = strlen(c->out);
  if (o && H->json_is_true(H->json_object_get(o, "binary"))) {
    memcpy(c->out, "a\0b\xff\n", 5);
    c->out_len = 5;
  }
  int64_t r = o ? H->json_integer_value(H->json_object_get(o, "repeat")) : 0;
  c->repeat = r > 0 ? (uint64_t)r : 1;
  return c;
}

static int accept_options(void *st, const vbx_json *o, vbx_call *call) {
  (void)st, (void)o, (void)call;
  return 0;
}

/* Misbehave when this is the configured place. */
static void maybe_fault(const fault_cfg *c, const char *here) {
  if (c == NULL || strcmp(c->at, here) != 0) return;
  if (!strcmp(c->fault, "segv")) {
    volatile uintptr_t addr = 0;
    *(volatile int *)addr = 1;
  } else if (!strcmp(c->fault, "bus")) {
    /* A real bus error: touch a page of a mapping past the file's end. */
    FILE *f = tmpfile();
    char *m = f ? mmap(NULL, 4096, PROT_READ, MAP_SHARED, fileno(f), 0) : MAP_FAILED;
    if (m != MAP_FAILED) (void)*(volatile char *)m;
    raise(SIGBUS);
  } else if (!strcmp(c->fault, "fpe")) {
    raise(SIGFPE);
  } else if (!strcmp(c->fault, "abort")) {
    abort();
  } else if (!strcmp(c->fault, "exit")) {
    exit(7);
  } else if (!strcmp(c->fault, "hang")) {
    for (;;) {
      struct timespec ts = {0, 100000000};
      nanosleep(&ts, NULL);
    }
  }
}

static void destroy_cfg(void *x) {
  maybe_fault(x, "destroy");
  H->free(x);
}

/* ---- llm ---- */
static int llm_create(void *st, const vbx_llm_config *cfg, vbx_call *call, void **out) {
  (void)st, (void)call;
  fault_cfg *c = cfg_new(cfg->options);
  maybe_fault(c, "create");
  *out = c;
  return c ? 0 : VBX_E_NOMEM;
}

static int llm_complete(void *p, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call) {
  (void)call;
  fault_cfg *c = p;
  maybe_fault(c, "complete");
  if (!strcmp(c->at, "complete") && !strcmp(c->fault, "error"))
    return H->set_error(call, VBX_E_PROVIDER, NULL, "fault: asked to fail");
  int first = H->json_array_size(req->messages) == 1;
  vbx_json *block = H->json_object_new();
  if (first && c->tool[0]) {
    vbx_json *input = H->json_object_new();
    H->json_object_set(input, "command", H->json_string_new("echo hi", 7));
    H->json_object_set(block, "type", H->json_string_new("tool_use", 8));
    H->json_object_set(block, "id", H->json_string_new("t1", 2));
    H->json_object_set(block, "name", H->json_string_new(c->tool, strlen(c->tool)));
    H->json_object_set(block, "input", input);
  } else {
    H->json_object_set(block, "type", H->json_string_new("text", 4));
    H->json_object_set(block, "text", H->json_string_new(c->text, strlen(c->text)));
  }
  resp->content = H->json_array_new();
  if (resp->content) H->json_array_append(resp->content, block);
  resp->stop_reason = H->strdup(first && c->tool[0] ? "tool_use" : "end_turn");
  resp->usage.input_tokens = 10;
  resp->usage.output_tokens = 5;
  return resp->content ? 0 : VBX_E_NOMEM;
}

static const vbx_llm_provider_vtable llm_vt = {
    .struct_size = sizeof(vbx_llm_provider_vtable),
    .name = "fault",
    .description = "misbehaves on request (tests)",
    .validate_options = accept_options,
    .create = llm_create,
    .destroy = destroy_cfg,
    .complete = llm_complete,
};

/* ---- sandbox ---- */
static int sb_create(void *st, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  (void)st, (void)call;
  fault_cfg *c = cfg_new(cfg->options);
  maybe_fault(c, "create");
  *out = c;
  return c ? 0 : VBX_E_NOMEM;
}

static int sb_exec(void *s, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call) {
  (void)req;
  const fault_cfg *c = s;
  maybe_fault(c, "exec");
  if (!strcmp(c->at, "exec") && !strcmp(c->fault, "lost"))
    return H->set_error(call, VBX_E_SANDBOX_LOST, NULL, "fault: the sandbox is gone");
  /* Stream the output; capture at most the request's cap. */
  size_t cap = req->max_output_bytes ? req->max_output_bytes : 1u << 20;
  char *cap_buf = H->alloc(cap + 1);
  size_t got = 0;
  for (uint64_t i = 0; cap_buf && i < c->repeat; i++) {
    if (req->on_output && req->on_output(req->user, VBX_STREAM_STDOUT, c->out, c->out_len) != 0)
      break;
    size_t take = c->out_len < cap - got ? c->out_len : cap - got;
    memcpy(cap_buf + got, c->out, take);
    got += take;
    res->stdout_truncated |= take < c->out_len;
  }
  if (cap_buf == NULL) return VBX_E_NOMEM;
  res->stdout_data = cap_buf;
  res->stdout_len = got;
  res->stderr_data = H->strdup("");
  return 0;
}

static const vbx_sandbox_backend_vtable sb_vt = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "fault",
    .description = "misbehaves on request (tests)",
    .flags = VBX_SANDBOX_IS_SIMULATED,
    .validate_options = accept_options,
    .create = sb_create,
    .destroy = destroy_cfg,
    .exec = sb_exec,
};

/* ---- skill ---- */
static int sk_create(void *st, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  (void)st, (void)call;
  fault_cfg *c = cfg_new(cfg->options);
  maybe_fault(c, "create");
  *out = c;
  return c ? 0 : VBX_E_NOMEM;
}

static int sk_provision(void *s, const vbx_sandbox_ref *sb, vbx_skill_contrib *out,
                        vbx_call *call) {
  (void)sb;
  maybe_fault(s, "provision");
  static const char tools[] =
      "[{\"name\":\"fault_tool\",\"description\":\"misbehaves\",\"input_schema\":"
      "{\"type\":\"object\"}}]";
  out->tools = H->json_parse(tools, sizeof(tools) - 1, call);
  return out->tools ? 0 : VBX_E_NOMEM;
}

static int sk_call(void *s, const vbx_sandbox_ref *sb, const char *tool, const vbx_json *in,
                   char **out, int *is_error, vbx_call *call) {
  (void)sb, (void)tool, (void)in, (void)call;
  maybe_fault(s, "call_tool");
  *out = H->strdup("tool ok");
  *is_error = 0;
  return 0;
}

static int sk_validate(void *st, const vbx_skill_config *cfg, vbx_call *call) {
  (void)st, (void)cfg, (void)call;
  return 0;
}

static const vbx_skill_type_vtable sk_vt = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "fault",
    .description = "misbehaves on request (tests)",
    .validate = sk_validate,
    .create = sk_create,
    .destroy = destroy_cfg,
    .provision = sk_provision,
    .call_tool = sk_call,
};

/* ---- exporter ---- */
static int ex_create(void *st, const vbx_json *o, vbx_call *call, void **out) {
  (void)st, (void)call;
  fault_cfg *c = cfg_new(o);
  maybe_fault(c, "create");
  *out = c;
  return c ? 0 : VBX_E_NOMEM;
}

static void ex_on_event(void *x, const vbx_event *ev) {
  if (ev->type == VBX_EV_BOX_FINISHED) maybe_fault(x, "on_event");
}

static int ex_flush(void *x, vbx_call *call) {
  (void)call;
  maybe_fault(x, "flush");
  return 0;
}

static const vbx_exporter_vtable ex_vt = {
    .struct_size = sizeof(vbx_exporter_vtable),
    .name = "fault",
    .description = "misbehaves on request (tests)",
    .validate_options = accept_options,
    .create = ex_create,
    .destroy = destroy_cfg,
    .on_event = ex_on_event,
    .flush = ex_flush,
};

static int fault_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  H = host;
  *state = NULL;
  int rc = reg->register_llm_provider(reg->reg, &llm_vt);
  if (rc == 0) rc = reg->register_sandbox_backend(reg->reg, &sb_vt);
  if (rc == 0) rc = reg->register_skill_type(reg->reg, &sk_vt);
  if (rc == 0) rc = reg->register_exporter(reg->reg, &ex_vt);
  /* VOIDBOX_FAULT_INIT=segv|exit|hang misbehaves in init itself. */
  const char *f = getenv("VOIDBOX_FAULT_INIT");
  if (f != NULL) {
    fault_cfg c;
    memset(&c, 0, sizeof(c));
    snprintf(c.fault, sizeof(c.fault), "%s", f);
    snprintf(c.at, sizeof(c.at), "init");
    maybe_fault(&c, "init");
  }
  return rc;
}

VBX_PLUGIN_DEFINE("fault", "1.0.0", "Apache-2.0", "a plugin that misbehaves on request (tests)",
                  fault_init, NULL)
