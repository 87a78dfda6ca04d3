/*
 * exporter-otlp/opts.c - the spec's exporter options (see opts.h).
 */
#include "opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "popt.h"
#include "url.h"

#define KNOWN                                                                                    \
  "endpoint, traces_endpoint, metrics_endpoint, logs_endpoint, headers, protocol, compression, " \
  "timeout_ms, flush_timeout_ms, max_queue, max_batch, schedule_delay_ms, export_interval_ms, "  \
  "service_name, resource_attributes, signals"

static const char *const signal_names[OX_N_SIGNALS] = {"traces", "metrics", "logs"};

const char *ox_signal_name(int signal) {
  return signal >= 0 && signal < OX_N_SIGNALS ? signal_names[signal] : "?";
}

/* Header names the exporter sets itself. */
static int reserved_header(const char *name) {
  static const char *const names[] = {"Content-Type", "Content-Encoding", "Content-Length",
                                      "Transfer-Encoding", "Host"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcasecmp(name, names[i]) == 0) return 1;
  return 0;
}

static int url_opt(const vbx_popt *p, const vbx_json *v, char **out) {
  int rc = vbx_popt_string(p, v, 1, OX_URL_MAX, out);
  if (rc != 0) return rc;
  if (ox_url_ok(*out)) return 0;
  char shown[256];
  ox_url_for_log(*out, shown, sizeof(shown));
  free(*out);
  *out = NULL;
  return p->h->set_error(p->call, VBX_E_INVAL, p->field,
                         "%s must be an http:// or https:// URL with a host (got '%s')", p->what,
                         shown);
}

/* A map of string -> string into l; keys of `kind` (OX_KEY_*). */
static int map_opt(const vbx_popt *p, const vbx_json *v, int kind, ox_kvlist *l) {
  const vbx_host_services *h = p->h;
  if (h->json_type(v) != VBX_JSON_OBJECT)
    return h->set_error(p->call, VBX_E_INVAL, p->field, "%s must be a map of strings", p->what);
  vbx_json *val;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(v, i, &val)) != NULL; i++) {
    const char *s = h->json_string_value(val);
    size_t len = s ? h->json_string_length(val) : 0;
    if (!ox_key_ok(key, strlen(key), kind))
      return h->set_error(p->call, VBX_E_INVAL, p->field, "%s: '%.64s' is not a valid %s", p->what,
                          key, kind == OX_KEY_HEADER ? "header name" : "attribute key");
    if (kind == OX_KEY_HEADER && reserved_header(key))
      return h->set_error(p->call, VBX_E_INVAL, p->field, "%s: '%s' is set by the exporter",
                          p->what, key);
    if (s == NULL)
      return h->set_error(p->call, VBX_E_INVAL, p->field, "%s: the value of '%s' must be a string",
                          p->what, key);
    if (!ox_value_ok(s, len) || strlen(s) != len)
      return h->set_error(p->call, VBX_E_INVAL, p->field,
                          "%s: the value of '%s' is over %d bytes or holds control characters",
                          p->what, key, OX_KV_VALUE_MAX);
    int rc = ox_kvlist_set(l, key, s);
    if (rc != 0)
      return h->set_error(p->call, rc, p->field,
                          rc == VBX_E_LIMIT ? "%s has more than 128 entries" : "%s: out of memory",
                          p->what);
  }
  return 0;
}

static int signals_opt(const vbx_popt *p, const vbx_json *v, unsigned *out) {
  const vbx_host_services *h = p->h;
  size_t n = h->json_type(v) == VBX_JSON_ARRAY ? h->json_array_size(v) : 0;
  if (n == 0)
    return h->set_error(p->call, VBX_E_INVAL, p->field,
                        "%s must be a non-empty list of traces, metrics, logs", p->what);
  unsigned set = 0;
  for (size_t i = 0; i < n; i++) {
    const char *s = h->json_string_value(h->json_array_get(v, i));
    int k = 0;
    while (k < OX_N_SIGNALS && (s == NULL || strcmp(s, signal_names[k]) != 0))
      k++;
    if (k == OX_N_SIGNALS)
      return h->set_error(p->call, VBX_E_INVAL, p->field,
                          "%s[%zu] must be one of traces, metrics, logs%s%.32s%s", p->what, i,
                          s ? " (got '" : "", s ? s : "", s ? "')" : "");
    set |= 1u << k;
  }
  *out = set;
  return 0;
}

static int protocol_opt(const vbx_popt *p, const vbx_json *v) {
  char *s = NULL;
  int rc = vbx_popt_string(p, v, 1, 64, &s);
  if (rc != 0) return rc;
  if (strcmp(s, "http/json") != 0) {
    int known = strcmp(s, "http/protobuf") == 0 || strcmp(s, "grpc") == 0;
    rc = p->h->set_error(p->call, VBX_E_INVAL, p->field,
                         known ? "%s: %s is not supported by this exporter; use http/json"
                               : "%s must be http/json (got '%s')",
                         p->what, s);
  }
  free(s);
  return rc;
}

static int compression_opt(const vbx_popt *p, const vbx_json *v, int *gzip) {
  char *s = NULL;
  int rc = vbx_popt_string(p, v, 1, 64, &s);
  if (rc != 0) return rc;
  if (strcmp(s, "gzip") == 0 || strcmp(s, "none") == 0)
    *gzip = strcmp(s, "gzip") == 0;
  else
    rc = p->h->set_error(p->call, VBX_E_INVAL, p->field, "%s must be gzip or none (got '%.32s')",
                         p->what, s);
  free(s);
  return rc;
}

static int u32_opt(const vbx_popt *p, const vbx_json *v, int64_t lo, int64_t hi, uint32_t *out) {
  int64_t i = 0;
  int rc = vbx_popt_int(p, v, lo, hi, &i);
  if (rc == 0) *out = (uint32_t)i;
  return rc;
}

static int apply(const vbx_host_services *h, const char *key, const vbx_json *v, ox_cfg *c,
                 int *batch_set, vbx_call *call) {
  char what[64];
  vbx_popt p = vbx_popt_option(h, call, key, what, sizeof(what));
  for (int s = 0; s < OX_N_SIGNALS; s++) {
    char name[32];
    snprintf(name, sizeof(name), "%s_endpoint", signal_names[s]);
    if (strcmp(key, name) == 0) return url_opt(&p, v, &c->signal_url[s]);
  }
  if (!strcmp(key, "endpoint")) return url_opt(&p, v, &c->endpoint);
  if (!strcmp(key, "headers")) return map_opt(&p, v, OX_KEY_HEADER, &c->headers);
  if (!strcmp(key, "protocol")) return protocol_opt(&p, v);
  if (!strcmp(key, "compression")) return compression_opt(&p, v, &c->gzip);
  if (!strcmp(key, "timeout_ms")) return u32_opt(&p, v, 1, 60000, &c->timeout_ms);
  if (!strcmp(key, "flush_timeout_ms")) return u32_opt(&p, v, 1, 60000, &c->flush_timeout_ms);
  if (!strcmp(key, "max_queue")) return u32_opt(&p, v, 1, 1000000, &c->max_queue);
  if (!strcmp(key, "max_batch")) {
    *batch_set = 1;
    return u32_opt(&p, v, 1, 1000000, &c->max_batch);
  }
  if (!strcmp(key, "schedule_delay_ms")) return u32_opt(&p, v, 1, 600000, &c->schedule_delay_ms);
  if (!strcmp(key, "export_interval_ms"))
    return u32_opt(&p, v, 100, 3600000, &c->export_interval_ms);
  if (!strcmp(key, "service_name"))
    return vbx_popt_string(&p, v, 1, OX_SERVICE_NAME_MAX, &c->service_name);
  if (!strcmp(key, "resource_attributes")) return map_opt(&p, v, OX_KEY_ATTRIBUTE, &c->resource);
  if (!strcmp(key, "signals")) return signals_opt(&p, v, &c->signals);
  return h->set_error(call, VBX_E_INVAL, key, "unknown option '%.64s' (known: " KNOWN ")", key);
}

int ox_cfg_parse(const vbx_host_services *h, const vbx_json *options, ox_cfg *c, vbx_call *call) {
  memset(c, 0, sizeof(*c));
  c->headers.nocase = 1;
  for (int s = 0; s < OX_N_SIGNALS; s++)
    c->signal_headers[s].nocase = 1;
  c->gzip = 1;
  c->timeout_ms = 10000;
  c->flush_timeout_ms = 5000;
  c->max_queue = 4096;
  c->max_batch = 512;
  c->schedule_delay_ms = 1000;
  c->export_interval_ms = 10000;
  c->signals = OX_ALL_SIGNALS;
  if (options == NULL) return 0;
  if (h->json_type(options) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_INVAL, NULL, "the otlp exporter's options must be a map");
  int rc = 0, batch_set = 0;
  vbx_json *v = NULL;
  const char *key;
  for (size_t i = 0; rc == 0 && (key = h->json_object_key_at(options, i, &v)) != NULL; i++)
    rc = apply(h, key, v, c, &batch_set, call);
  if (rc == 0 && !batch_set && c->max_batch > c->max_queue) c->max_batch = c->max_queue;
  if (rc == 0 && c->max_batch > c->max_queue)
    rc = h->set_error(call, VBX_E_INVAL, "max_batch",
                      "option 'max_batch' (%u) must not exceed max_queue (%u)", c->max_batch,
                      c->max_queue);
  if (rc != 0) ox_cfg_free(c);
  return rc;
}

void ox_cfg_free(ox_cfg *c) {
  free(c->endpoint);
  free(c->service_name);
  for (int s = 0; s < OX_N_SIGNALS; s++) {
    free(c->signal_url[s]);
    c->signal_url[s] = NULL;
    ox_kvlist_free(&c->signal_headers[s]);
  }
  ox_kvlist_free(&c->headers);
  ox_kvlist_free(&c->resource);
  c->endpoint = c->service_name = NULL;
}
