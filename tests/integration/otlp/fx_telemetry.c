/*
 * tests/integration/otlp/fx_telemetry.c - a fixture plugin for the OTLP
 * tests (otlp-fx.so, loaded with --plugin): skill type "otlpfx" with one
 * tool, `otlpfx_note` {text}, that leaves telemetry the way any plugin
 * does, on the box's thread: a warning log line "otlpfx note: TEXT", a span
 * "otlpfx.note" (parent NULL: under the current span) with the attribute
 * otlpfx.text, and the counter otlpfx.notes += 1. It answers "noted: TEXT".
 * So every backend's run has log records written under a known span.
 */
#include <stdio.h>
#include <string.h>

#include <voidbox/plugin.h>

static const vbx_host_services *host;

static int fx_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  (void)state, (void)cfg, (void)call;
  *out = (void *)&host;
  return 0;
}

static void fx_destroy(void *skill) { (void)skill; }

static int fx_provision(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                        vbx_call *call) {
  static const char *TOOLS =
      "[{\"name\": \"otlpfx_note\", \"description\": \"Leave a note in the telemetry.\","
      " \"input_schema\": {\"type\": \"object\","
      " \"properties\": {\"text\": {\"type\": \"string\"}}, \"required\": [\"text\"]}}]";
  (void)skill, (void)sandbox;
  out->name = host->strdup("otlpfx");
  out->tools = host->json_parse(TOOLS, strlen(TOOLS), call);
  if (out->name == NULL || out->tools == NULL)
    return host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  return 0;
}

static int fx_call_tool(void *skill, const vbx_sandbox_ref *sandbox, const char *tool,
                        const vbx_json *input, char **out_text, int *is_error, vbx_call *call) {
  (void)skill, (void)sandbox;
  if (strcmp(tool, "otlpfx_note") != 0)
    return host->set_error(call, VBX_E_NOTFOUND, NULL, "otlpfx has no tool '%s'", tool);
  const vbx_json *t = input ? host->json_object_get(input, "text") : NULL;
  const char *text = t ? host->json_string_value(t) : NULL;
  if (text == NULL) text = "";
  host->log(host->ctx, VBX_LOG_WARN, "otlpfx note: %s", text);
  vbx_span *span = host->span_begin(host->ctx, "otlpfx.note", NULL);
  if (span != NULL) {
    host->span_set_attr(span, "otlpfx.text", text);
    host->span_end(span, 0);
  }
  host->metric_add(host->ctx, "otlpfx.notes", 1, "{note}");
  size_t n = strlen(text) + sizeof("noted: ");
  if ((*out_text = host->alloc(n)) == NULL)
    return host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  snprintf(*out_text, n, "noted: %s", text);
  *is_error = 0;
  return 0;
}

static const vbx_skill_type_vtable fx_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "otlpfx",
    .description = "OTLP test fixture: a tool that logs, spans and counts",
    .flags = VBX_VT_THREAD_SAFE,
    .create = fx_create,
    .destroy = fx_destroy,
    .provision = fx_provision,
    .call_tool = fx_call_tool,
};

static int fx_init(const vbx_host_services *h, const vbx_registrar *reg, void **state) {
  host = h;
  *state = NULL;
  return reg->register_skill_type(reg->reg, &fx_vtable);
}

VBX_PLUGIN_DEFINE("otlp-fx", "1.0.0", "MIT", "OTLP test fixture plugin", fx_init, NULL)
