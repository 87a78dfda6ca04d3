/*
 * exporter-otlp/env.h - the OpenTelemetry SDK environment variables, read
 * when an exporter is created; they take precedence over the spec's
 * options. An empty variable counts as unset.
 *
 *   OTEL_EXPORTER_OTLP_ENDPOINT            base URL (replaces the spec's
 *                                          endpoint and per-signal URLs)
 *   OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT   full URL of a signal
 *   OTEL_EXPORTER_OTLP_HEADERS             k=v,k=v (values percent-decoded),
 *                                          over the spec's headers
 *   OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_HEADERS    one signal's, over both
 *   OTEL_EXPORTER_OTLP_COMPRESSION         gzip | none
 *   OTEL_EXPORTER_OTLP_TIMEOUT             ms, 1..60000
 *   OTEL_EXPORTER_OTLP_PROTOCOL            http/json (http/protobuf, grpc refused)
 *   OTEL_SERVICE_NAME                      service.name, over everything
 *   OTEL_RESOURCE_ATTRIBUTES               k=v,k=v (values percent-decoded),
 *                                          over the spec's resource_attributes
 *
 * Threads: as the configuration it changes.
 */
#ifndef VBX_OTLP_ENV_H
#define VBX_OTLP_ENV_H

#include "opts.h"

/* How a variable is read: getenv, or a table in tests. */
typedef const char *(*ox_getenv_fn)(const char *name);

/* Apply the variables `get` returns over c. A malformed one fails with
 * VBX_E_INVAL (field NULL) and a message that starts with its name; c is
 * then partly updated (the caller frees it as usual). */
int ox_env_apply(const vbx_host_services *h, ox_getenv_fn get, ox_cfg *c, vbx_call *call);

#endif
