/*
 * exporter-otlp/plugin.c - the plugin descriptor and the "otlp" exporter
 * registration: OpenTelemetry's OTLP over HTTP with JSON bodies (traces,
 * metrics, logs) to a collector.
 */
#include <stdlib.h>

#include "exporter_vt.h"

typedef struct ox_plugin {
  const vbx_host_services *host;
} ox_plugin;

static int ox_validate(void *state, const vbx_json *options, vbx_call *call) {
  ox_plugin *p = state;
  ox_cfg c;
  int rc = ox_cfg_parse(p->host, options, &c, call);
  if (rc == 0) ox_cfg_free(&c);
  return rc;
}

static int ox_create(void *state, const vbx_json *options, vbx_call *call, void **out) {
  ox_plugin *p = state;
  return ox_exp_create(p->host, options, NULL, call, out);
}

static const vbx_exporter_vtable ox_vtable = {
    .struct_size = sizeof(vbx_exporter_vtable),
    .name = "otlp",
    .description =
        "OpenTelemetry OTLP/HTTP with JSON bodies: traces, metrics and logs to a "
        "collector (OTEL_EXPORTER_OTLP_* variables honoured)",
    .flags = 0,
    .validate_options = ox_validate,
    .create = ox_create,
    .destroy = ox_exp_destroy,
    .on_event = ox_exp_on_event,
    .on_span = ox_exp_on_span,
    .flush = ox_exp_flush,
    .on_metric = ox_exp_on_metric,
    .on_log = ox_exp_on_log,
    .dropped = ox_exp_dropped,
};

static int ox_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  if (!VBX_HAS_MEMBER(host, vbx_host_services, http_request) || host->http_request == NULL)
    return host->set_error(NULL, VBX_E_UNSUPPORTED, NULL, "the host has no http_request service");
  ox_plugin *p = calloc(1, sizeof(*p));
  if (p == NULL) return VBX_E_NOMEM;
  p->host = host;
  int rc = reg->register_exporter(reg->reg, &ox_vtable);
  if (rc != 0) {
    free(p);
    return rc;
  }
  *state = p;
  return 0;
}

static void ox_fini(void *state) { free(state); }

VBX_PLUGIN_DEFINE("exporter-otlp", OX_PLUGIN_VERSION, "Apache-2.0",
                  "exporter \"otlp\": OpenTelemetry OTLP/HTTP (JSON) to a collector", ox_init,
                  ox_fini)
