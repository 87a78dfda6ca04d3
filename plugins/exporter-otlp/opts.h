/*
 * exporter-otlp/opts.h - the exporter's configuration: the spec's options
 * (exporters: [{type: otlp, ...}]) checked with the key at fault in the
 * error's field, then the OpenTelemetry SDK environment variables on top
 * (env.c).
 *
 *   endpoint            base URL, http:// or https://; "/v1/<signal>" appended
 *                       (default http://localhost:4318)
 *   traces_endpoint     full URL of one signal, used as is
 *   metrics_endpoint    "
 *   logs_endpoint       "
 *   headers             map string -> string, sent with every request
 *   protocol            "http/json" only
 *   compression         "gzip" (default) | "none"
 *   timeout_ms          one request, 1..60000 (default 10000)
 *   flush_timeout_ms    the end-of-run flush, 1..60000 (default 5000)
 *   max_queue           records buffered per signal, 1..1000000 (default 4096)
 *   max_batch           spans/log records per request, 1..max_queue (default
 *                       512, or max_queue when smaller)
 *   schedule_delay_ms   1..600000 (default 1000)
 *   export_interval_ms  metrics, 100..3600000 (default 10000)
 *   service_name        1..256 bytes (default "voidbox")
 *   resource_attributes map string -> string
 *   signals             list of traces|metrics|logs (default all three)
 *
 * Threads: a configuration belongs to one thread at a time.
 */
#ifndef VBX_OTLP_OPTS_H
#define VBX_OTLP_OPTS_H

#include <stdint.h>

#include "kvlist.h"
#include "voidbox/plugin.h"

enum { OX_TRACES = 0, OX_METRICS = 1, OX_LOGS = 2, OX_N_SIGNALS = 3 };
#define OX_ALL_SIGNALS 0x7u

#define OX_DEFAULT_ENDPOINT "http://localhost:4318"
#define OX_SERVICE_NAME_MAX 256

typedef struct ox_cfg {
  char *endpoint;                         /* base URL; NULL: the default */
  char *signal_url[OX_N_SIGNALS];         /* full URLs or NULL */
  ox_kvlist headers;                      /* every signal's */
  ox_kvlist signal_headers[OX_N_SIGNALS]; /* one signal's, over `headers` */
  int gzip;
  uint32_t timeout_ms, flush_timeout_ms, schedule_delay_ms, export_interval_ms;
  uint32_t max_queue, max_batch;
  char *service_name; /* NULL: resource's service.name, else "voidbox" */
  ox_kvlist resource;
  unsigned signals; /* 1u << OX_TRACES | ... */
} ox_cfg;

/* The signal's name ("traces", "metrics", "logs"). */
const char *ox_signal_name(int signal);
/* c = the defaults, then every key of `options` (an object or NULL).
 * Unknown keys and bad values fail with VBX_E_INVAL, the key as the
 * error's field; c then holds nothing to free. */
int ox_cfg_parse(const vbx_host_services *h, const vbx_json *options, ox_cfg *c, vbx_call *call);
/* Free what c holds. */
void ox_cfg_free(ox_cfg *c);

#endif
