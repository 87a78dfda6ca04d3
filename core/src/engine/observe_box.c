/*
 * engine/observe_box.c - the spans and metric points of one box's work
 * (docs/observability.md): sandbox creation, each LLM call (OpenTelemetry
 * GenAI conventions), each tool call and each exec, a resource sample of
 * the sandbox before it is destroyed, and the W3C traceparent its
 * processes inherit. All of it goes to the run's hub through the calling
 * thread's scope (plugin/observe.h); outside a run nothing is recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/error.h"
#include "util/strbuf.h"

/* A metric point in the current scope. attrs NULL-terminated. */
static void point(const char *name, const char *unit, const char *description, int kind,
                  double value, const char *const *attrs) {
  vbx_metric_data m = {.struct_size = sizeof(m),
                       .name = name,
                       .unit = unit,
                       .description = description,
                       .kind = kind,
                       .value = value,
                       .attrs = attrs};
  vbx__obs_metric(&m);
}

/* The requested model, or NULL for the provider's default. */
static const char *model_of(const vbx__box_run *br) { return br->box->llm.model; }

/* Attribute list base[] then the model when known, then extra k/v (may be
 * NULL), NULL-terminated, in out[10]. */
static void gen_ai_attrs(const char *out[10], const vbx__box_run *br, const char *k,
                         const char *v) {
  size_t n = 0;
  out[n++] = "gen_ai.operation.name";
  out[n++] = "chat";
  out[n++] = "gen_ai.system";
  out[n++] = br->rb->llm->name;
  if (model_of(br) != NULL) {
    out[n++] = "gen_ai.request.model";
    out[n++] = model_of(br);
  }
  if (k != NULL) {
    out[n++] = k;
    out[n++] = v;
  }
  out[n] = NULL;
}

vbx_span *vbx__obs_phase_begin(const char *name, vbx__obs_scope *saved) {
  vbx_span *s = vbx__span_start(name, NULL, VBX_SPAN_INTERNAL, NULL);
  vbx__obs_enter(NULL, s, NULL, saved);
  return s;
}

void vbx__obs_phase_end(vbx_span *span, int rc, const char *message, const vbx__obs_scope *saved) {
  vbx__obs_leave(saved);
  vbx__span_end(span, rc, rc != 0 ? message : NULL);
}

vbx_span *vbx__obs_llm_begin(const vbx__box_run *br, uint32_t max_tokens, vbx__obs_scope *saved) {
  char name[300];
  snprintf(name, sizeof(name), "chat%s%.256s", model_of(br) ? " " : "",
           model_of(br) ? model_of(br) : "");
  vbx_span *s = vbx__span_start(name, NULL, VBX_SPAN_CLIENT, NULL);
  vbx__span_attr(s, "gen_ai.operation.name", "chat");
  vbx__span_attr(s, "gen_ai.system", br->rb->llm->name);
  if (model_of(br) != NULL) vbx__span_attr(s, "gen_ai.request.model", model_of(br));
  vbx__span_attr_int(s, "gen_ai.request.max_tokens", (int64_t)max_tokens);
  vbx__span_attr_int(s, "voidbox.turn", (int64_t)br->res->turns + 1);
  vbx__obs_enter(NULL, s, NULL, saved);
  return s;
}

void vbx__obs_llm_end(const vbx__box_run *br, vbx_span *span, const vbx__obs_scope *saved,
                      const vbx__llm_outcome *o) {
  vbx__obs_leave(saved);
  if (o->response_model != NULL) vbx__span_attr(span, "gen_ai.response.model", o->response_model);
  if (o->stop_reason != NULL)
    vbx__span_attr(span, "gen_ai.response.finish_reasons", o->stop_reason);
  vbx__span_attr_int(span, "gen_ai.usage.input_tokens", (int64_t)o->input_tokens);
  vbx__span_attr_int(span, "gen_ai.usage.output_tokens", (int64_t)o->output_tokens);
  vbx__span_attr_double(span, "voidbox.cost_usd", o->cost_usd);
  if (o->rc != 0) vbx__span_attr(span, "error.type", vbx__error_text(o->rc));
  const char *a[10];
  gen_ai_attrs(a, br, o->rc != 0 ? "error.type" : NULL, "error");
  point("gen_ai.client.operation.duration", "s", "GenAI operation duration", VBX_METRIC_HISTOGRAM,
        (double)o->duration_ns / 1e9, a);
  if (o->rc == 0) {
    static const char *desc = "Measures number of input and output tokens used";
    gen_ai_attrs(a, br, "gen_ai.token.type", "input");
    point("gen_ai.client.token.usage", "{token}", desc, VBX_METRIC_HISTOGRAM,
          (double)o->input_tokens, a);
    gen_ai_attrs(a, br, "gen_ai.token.type", "output");
    point("gen_ai.client.token.usage", "{token}", desc, VBX_METRIC_HISTOGRAM,
          (double)o->output_tokens, a);
  }
  if (o->cost_usd > 0) {
    gen_ai_attrs(a, br, "voidbox.box", br->box->name);
    point("voidbox.llm.cost", "USD", "Cost of LLM calls as priced by the provider plugin",
          VBX_METRIC_COUNTER, o->cost_usd, a);
  }
  vbx__span_end(span, o->rc, o->message);
}

vbx_span *vbx__obs_tool_begin(const char *name, const char *call_id, size_t input_bytes,
                              vbx__obs_scope *saved) {
  char span_name[300];
  snprintf(span_name, sizeof(span_name), "execute_tool %.256s", name ? name : "?");
  vbx_span *s = vbx__span_start(span_name, NULL, VBX_SPAN_INTERNAL, NULL);
  vbx__span_attr(s, "gen_ai.operation.name", "execute_tool");
  vbx__span_attr(s, "gen_ai.tool.name", name ? name : "");
  if (call_id != NULL) vbx__span_attr(s, "gen_ai.tool.call.id", call_id);
  vbx__span_attr_int(s, "voidbox.tool.input_bytes", (int64_t)input_bytes);
  vbx__obs_enter(NULL, s, NULL, saved);
  return s;
}

void vbx__obs_tool_end(const vbx__box_run *br, vbx_span *span, const vbx__obs_scope *saved,
                       const char *name, int is_error, size_t output_bytes, uint64_t duration_ns) {
  vbx__obs_leave(saved);
  const char *attrs[] = {
      "gen_ai.tool.name", name ? name : "",           "voidbox.box", br->box->name,
      "voidbox.status",   is_error ? "failed" : "ok", NULL};
  point("voidbox.tool.calls", "{call}", "Tool calls made by boxes", VBX_METRIC_COUNTER, 1, attrs);
  point("voidbox.tool.duration", "s", "Duration of tool calls", VBX_METRIC_HISTOGRAM,
        (double)duration_ns / 1e9, attrs);
  vbx__span_attr_int(span, "voidbox.tool.output_bytes", (int64_t)output_bytes);
  vbx__span_attr(span, "voidbox.status", is_error ? "failed" : "ok");
  vbx__span_end(span, is_error ? VBX_E_TOOL : 0, is_error ? "the tool reported an error" : NULL);
}

vbx_span *vbx__obs_exec_begin(const vbx_exec_request *req) {
  const char *argv0 = req && req->argv && req->argv[0] ? req->argv[0] : "?";
  const char *base = strrchr(argv0, '/');
  char name[300];
  snprintf(name, sizeof(name), "exec %.256s", base && base[1] ? base + 1 : argv0);
  vbx_span *s = vbx__span_start(name, NULL, VBX_SPAN_INTERNAL, NULL);
  vbx__span_attr(s, "process.executable.name", base && base[1] ? base + 1 : argv0);
  size_t n = 0;
  while (req && req->argv && req->argv[n])
    n++;
  vbx__span_attr_int(s, "voidbox.exec.argc", (int64_t)n);
  return s;
}

void vbx__obs_exec_end(vbx_span *span, int rc, const vbx_exec_result *res, const char *message) {
  if (span == NULL) return;
  if (rc == 0 && res != NULL) {
    vbx__span_attr_int(span, "process.exit.code", res->exit_code);
    if (res->term_signal) vbx__span_attr_int(span, "voidbox.exec.signal", res->term_signal);
    vbx__span_attr_int(span, "voidbox.exec.stdout_bytes", (int64_t)res->stdout_len);
    vbx__span_attr_int(span, "voidbox.exec.stderr_bytes", (int64_t)res->stderr_len);
    if (res->timed_out) vbx__span_attr(span, "voidbox.exec.timed_out", "true");
  }
  vbx__span_end(span, rc, message);
}

void vbx__obs_sandbox_sample(const vbx__box_run *br) {
  if (br->sandbox.handle == NULL || !vbx__impl_has(br->sandbox.impl, VBX_M_TELEMETRY)) return;
  if (vbx__obs_current().hub == NULL) return;
  vbx_sandbox_telemetry t;
  memset(&t, 0, sizeof(t));
  t.struct_size = sizeof(t);
  vbx_call call;
  vbx__box_call(br, &call);
  uint64_t cap = vbx__now_ns() + VBX__TELEMETRY_SAMPLE_NS;
  if (call.deadline_ns == 0 || call.deadline_ns > cap) call.deadline_ns = cap;
  if (vbx__inst_telemetry(&br->sandbox, &t, &call) != 0) return;
  const char *backend = br->rb->sandbox->name;
  const char *a[] = {"voidbox.box", br->box->name, "voidbox.sandbox.backend", backend, NULL,
                     NULL,          NULL};
  point("voidbox.sandbox.cpu.time", "s", "CPU time used inside the sandbox", VBX_METRIC_COUNTER,
        (double)t.cpu_usec / 1e6, a);
  point("voidbox.sandbox.memory.usage", "By", "Memory in use inside the sandbox", VBX_METRIC_GAUGE,
        (double)t.mem_used_kib * 1024.0, a);
  point("voidbox.sandbox.memory.limit", "By", "Memory the sandbox can see", VBX_METRIC_GAUGE,
        (double)t.mem_total_kib * 1024.0, a);
  point("voidbox.sandbox.process.count", "{process}", "Processes in the sandbox", VBX_METRIC_GAUGE,
        (double)t.procs, a);
  if (!VBX_HAS_MEMBER(&t, vbx_sandbox_telemetry, host_cpu_usec)) return;
  point("voidbox.sandbox.file_descriptor.count", "{file_descriptor}",
        "Open file descriptors of the sandbox's processes", VBX_METRIC_GAUGE, (double)t.open_fds,
        a);
  a[4] = "network.io.direction";
  a[5] = "receive";
  point("voidbox.sandbox.network.io", "By", "Bytes through the sandbox's network interfaces",
        VBX_METRIC_COUNTER, (double)t.net_rx_bytes, a);
  a[5] = "transmit";
  point("voidbox.sandbox.network.io", "By", "Bytes through the sandbox's network interfaces",
        VBX_METRIC_COUNTER, (double)t.net_tx_bytes, a);
  if (t.host_process == NULL) return;
  a[4] = "voidbox.host.process";
  a[5] = t.host_process;
  point("voidbox.host.memory.usage", "By", "Resident memory of the host process carrying the box",
        VBX_METRIC_GAUGE, (double)t.host_rss_kib * 1024.0, a);
  point("voidbox.host.cpu.time", "s", "CPU time of the host process carrying the box",
        VBX_METRIC_COUNTER, (double)t.host_cpu_usec / 1e6, a);
}

char **vbx__obs_sandbox_env(const char *const *env) {
  char tp[56];
  size_t n = 0;
  while (env && env[n])
    n++;
  char **out = calloc(n + 2, sizeof(char *));
  if (out == NULL) return NULL;
  size_t k = 0;
  int ok = 1;
  for (size_t i = 0; i < n && ok; i++) {
    if (strncmp(env[i], "TRACEPARENT=", 12) == 0) continue; /* ours wins */
    ok = (out[k++] = strdup(env[i])) != NULL;
  }
  if (ok && vbx__span_traceparent(vbx__obs_current().span, tp) == 0) {
    vbx__strbuf sb = VBX__STRBUF_INIT;
    vbx__strbuf_printf(&sb, "TRACEPARENT=%s", tp);
    ok = !sb.failed && (out[k++] = vbx__strbuf_take(&sb)) != NULL;
  }
  if (!ok) {
    vbx__strv_free(out);
    return NULL;
  }
  return out;
}
