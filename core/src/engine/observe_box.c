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

vbx_span *vbx__obs_phase_begin(const char *name, vbx__obs_scope *saved) {
  vbx_span *s = vbx__span_start(name, NULL, VBX_SPAN_INTERNAL, NULL);
  vbx__obs_enter(NULL, s, NULL, saved);
  return s;
}

void vbx__obs_phase_end(vbx_span *span, int rc, const char *message, const vbx__obs_scope *saved) {
  vbx__obs_leave(saved);
  vbx__span_end(span, rc, rc != 0 ? message : NULL);
}

vbx_span *vbx__obs_tool_span(const char *name, const char *call_id, size_t input_bytes) {
  char span_name[300];
  snprintf(span_name, sizeof(span_name), "execute_tool %.256s", name ? name : "?");
  vbx_span *s = vbx__span_start(span_name, NULL, VBX_SPAN_INTERNAL, NULL);
  vbx__span_attr(s, "gen_ai.operation.name", "execute_tool");
  vbx__span_attr(s, "gen_ai.tool.name", name ? name : "");
  if (call_id != NULL) vbx__span_attr(s, "gen_ai.tool.call.id", call_id);
  vbx__span_attr_int(s, "voidbox.tool.input_bytes", (int64_t)input_bytes);
  return s;
}

void vbx__obs_tool_finish(const vbx__box_run *br, vbx_span *span, const char *name, int is_error,
                          size_t output_bytes, uint64_t duration_ns) {
  const char *attrs[] = {
      "gen_ai.tool.name", name ? name : "",           "voidbox.box", br->box->name,
      "voidbox.status",   is_error ? "failed" : "ok", NULL};
  vbx__obs_point("voidbox.tool.calls", "{call}", "Tool calls made by boxes", VBX_METRIC_COUNTER, 1,
                 attrs);
  vbx__obs_point("voidbox.tool.duration", "s", "Duration of tool calls", VBX_METRIC_HISTOGRAM,
                 (double)duration_ns / 1e9, attrs);
  vbx__span_attr_int(span, "voidbox.tool.output_bytes", (int64_t)output_bytes);
  vbx__span_attr(span, "voidbox.status", is_error ? "failed" : "ok");
  vbx__span_end(span, is_error ? VBX_E_TOOL : 0, is_error ? "the tool reported an error" : NULL);
}

vbx_span *vbx__obs_tool_begin(const char *name, const char *call_id, size_t input_bytes,
                              vbx__obs_scope *saved) {
  vbx_span *s = vbx__obs_tool_span(name, call_id, input_bytes);
  vbx__obs_enter(NULL, s, NULL, saved);
  return s;
}

void vbx__obs_tool_end(const vbx__box_run *br, vbx_span *span, const vbx__obs_scope *saved,
                       const char *name, int is_error, size_t output_bytes, uint64_t duration_ns) {
  vbx__obs_leave(saved);
  vbx__obs_tool_finish(br, span, name, is_error, output_bytes, duration_ns);
}

vbx_span *vbx__obs_exec_begin(const vbx_exec_request *req) {
  const char *argv0 = req && req->argv && req->argv[0] ? req->argv[0] : "?";
  const char *slash = strrchr(argv0, '/');
  const char *base = slash && slash[1] ? slash + 1 : argv0;
  char name[300];
  snprintf(name, sizeof(name), "exec %.256s", base);
  vbx_span *s = vbx__span_start(name, NULL, VBX_SPAN_INTERNAL, NULL);
  vbx__span_attr(s, "process.executable.name", base);
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
  vbx__obs_point("voidbox.sandbox.cpu.time", "s", "CPU time used inside the sandbox",
                 VBX_METRIC_COUNTER, (double)t.cpu_usec / 1e6, a);
  vbx__obs_point("voidbox.sandbox.memory.usage", "By", "Memory in use inside the sandbox",
                 VBX_METRIC_GAUGE, (double)t.mem_used_kib * 1024.0, a);
  vbx__obs_point("voidbox.sandbox.memory.limit", "By", "Memory the sandbox can see",
                 VBX_METRIC_GAUGE, (double)t.mem_total_kib * 1024.0, a);
  vbx__obs_point("voidbox.sandbox.process.count", "{process}", "Processes in the sandbox",
                 VBX_METRIC_GAUGE, (double)t.procs, a);
  if (!VBX_HAS_MEMBER(&t, vbx_sandbox_telemetry, host_cpu_usec)) return;
  vbx__obs_point("voidbox.sandbox.file_descriptor.count", "{file_descriptor}",
                 "Open file descriptors of the sandbox's processes", VBX_METRIC_GAUGE,
                 (double)t.open_fds, a);
  a[4] = "network.io.direction";
  a[5] = "receive";
  vbx__obs_point("voidbox.sandbox.network.io", "By",
                 "Bytes through the sandbox's network interfaces", VBX_METRIC_COUNTER,
                 (double)t.net_rx_bytes, a);
  a[5] = "transmit";
  vbx__obs_point("voidbox.sandbox.network.io", "By",
                 "Bytes through the sandbox's network interfaces", VBX_METRIC_COUNTER,
                 (double)t.net_tx_bytes, a);
  if (t.host_process == NULL) return;
  a[4] = "voidbox.host.process";
  a[5] = t.host_process;
  vbx__obs_point("voidbox.host.memory.usage", "By",
                 "Resident memory of the host process carrying the box", VBX_METRIC_GAUGE,
                 (double)t.host_rss_kib * 1024.0, a);
  vbx__obs_point("voidbox.host.cpu.time", "s", "CPU time of the host process carrying the box",
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
