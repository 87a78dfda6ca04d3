/*
 * exporter-otlp/env.c - the OTEL_* environment variables (see env.h).
 */
#include "env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

#define PREFIX "OTEL_EXPORTER_OTLP_"

static const char *const upper[OX_N_SIGNALS] = {"TRACES", "METRICS", "LOGS"};

/* The variable's value, NULL when unset or empty. */
static const char *var(ox_getenv_fn get, const char *name) {
  const char *v = get(name);
  return v != NULL && v[0] != '\0' ? v : NULL;
}

static int url_var(const vbx_host_services *h, const char *name, const char *v, char **out,
                   vbx_call *call) {
  if (!ox_url_ok(v)) {
    char shown[256];
    ox_url_for_log(v, shown, sizeof(shown));
    return h->set_error(call, VBX_E_INVAL, NULL,
                        "%s: '%s' is not an http:// or https:// URL with a host", name, shown);
  }
  char *u = strdup(v);
  if (u == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  free(*out);
  *out = u;
  return 0;
}

static int list_var(const vbx_host_services *h, const char *name, const char *v, int kind,
                    ox_kvlist *l, vbx_call *call) {
  char why[256];
  int rc = ox_kvlist_parse(l, v, kind, why, sizeof(why));
  if (rc != 0) return h->set_error(call, rc, NULL, "%s: %s", name, why);
  if (kind != OX_KEY_HEADER) return 0;
  for (size_t i = 0; i < l->n; i++)
    if (strcasecmp(l->v[i].key, "Content-Type") == 0 ||
        strcasecmp(l->v[i].key, "Content-Encoding") == 0 ||
        strcasecmp(l->v[i].key, "Content-Length") == 0 ||
        strcasecmp(l->v[i].key, "Transfer-Encoding") == 0 || strcasecmp(l->v[i].key, "Host") == 0)
      return h->set_error(call, VBX_E_INVAL, NULL, "%s: header '%s' is set by the exporter", name,
                          l->v[i].key);
  return 0;
}

static int endpoints(const vbx_host_services *h, ox_getenv_fn get, ox_cfg *c, vbx_call *call) {
  const char *v = var(get, PREFIX "ENDPOINT");
  int rc;
  if (v != NULL) {
    if ((rc = url_var(h, PREFIX "ENDPOINT", v, &c->endpoint, call)) != 0) return rc;
    for (int s = 0; s < OX_N_SIGNALS; s++) { /* the spec's per-signal URLs lose to it */
      free(c->signal_url[s]);
      c->signal_url[s] = NULL;
    }
  }
  for (int s = 0; s < OX_N_SIGNALS; s++) {
    char name[64];
    snprintf(name, sizeof(name), PREFIX "%s_ENDPOINT", upper[s]);
    if ((v = var(get, name)) != NULL && (rc = url_var(h, name, v, &c->signal_url[s], call)) != 0)
      return rc;
  }
  return 0;
}

static int headers(const vbx_host_services *h, ox_getenv_fn get, ox_cfg *c, vbx_call *call) {
  const char *v = var(get, PREFIX "HEADERS");
  int rc;
  if (v != NULL) {
    ox_kvlist l = {.nocase = 1};
    rc = list_var(h, PREFIX "HEADERS", v, OX_KEY_HEADER, &l, call);
    if (rc == 0 && (rc = ox_kvlist_merge(&c->headers, &l)) != 0)
      h->set_error(call, rc, NULL, PREFIX "HEADERS: too many headers or out of memory");
    ox_kvlist_free(&l);
    if (rc != 0) return rc;
  }
  for (int s = 0; s < OX_N_SIGNALS; s++) {
    char name[64];
    snprintf(name, sizeof(name), PREFIX "%s_HEADERS", upper[s]);
    if ((v = var(get, name)) == NULL) continue;
    ox_kvlist_free(&c->signal_headers[s]);
    if ((rc = list_var(h, name, v, OX_KEY_HEADER, &c->signal_headers[s], call)) != 0) return rc;
  }
  return 0;
}

static int scalars(const vbx_host_services *h, ox_getenv_fn get, ox_cfg *c, vbx_call *call) {
  const char *v;
  if ((v = var(get, PREFIX "COMPRESSION")) != NULL) {
    if (strcmp(v, "gzip") != 0 && strcmp(v, "none") != 0)
      return h->set_error(call, VBX_E_INVAL, NULL,
                          PREFIX "COMPRESSION: '%.32s' must be gzip or none", v);
    c->gzip = strcmp(v, "gzip") == 0;
  }
  if ((v = var(get, PREFIX "TIMEOUT")) != NULL) {
    char *end = NULL;
    unsigned long ms = strtoul(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || ms < 1 || ms > 60000)
      return h->set_error(call, VBX_E_INVAL, NULL,
                          PREFIX "TIMEOUT: '%.32s' is not a number of milliseconds from 1 to 60000",
                          v);
    c->timeout_ms = (uint32_t)ms;
  }
  if ((v = var(get, PREFIX "PROTOCOL")) != NULL && strcmp(v, "http/json") != 0) {
    int known = strcmp(v, "http/protobuf") == 0 || strcmp(v, "grpc") == 0;
    return h->set_error(call, VBX_E_INVAL, NULL,
                        known ? PREFIX
                            "PROTOCOL: '%s' is not supported by this exporter; use "
                            "http/json"
                              : PREFIX "PROTOCOL: '%.32s' is not a protocol; use http/json",
                        v);
  }
  return 0;
}

static int resource(const vbx_host_services *h, ox_getenv_fn get, ox_cfg *c, vbx_call *call) {
  const char *v = var(get, "OTEL_RESOURCE_ATTRIBUTES");
  int rc;
  if (v != NULL) {
    ox_kvlist l = {0};
    rc = list_var(h, "OTEL_RESOURCE_ATTRIBUTES", v, OX_KEY_ATTRIBUTE, &l, call);
    if (rc == 0 && (rc = ox_kvlist_merge(&c->resource, &l)) != 0)
      h->set_error(call, rc, NULL,
                   "OTEL_RESOURCE_ATTRIBUTES: too many attributes or out of memory");
    if (rc == 0 && ox_kvlist_get(&l, "service.name") != NULL) {
      free(c->service_name); /* the variable's service.name beats the spec's service_name */
      c->service_name = NULL;
    }
    ox_kvlist_free(&l);
    if (rc != 0) return rc;
  }
  if ((v = var(get, "OTEL_SERVICE_NAME")) != NULL) {
    size_t len = strnlen(v, OX_SERVICE_NAME_MAX + 1);
    if (len > OX_SERVICE_NAME_MAX || !ox_value_ok(v, len))
      return h->set_error(call, VBX_E_INVAL, NULL,
                          "OTEL_SERVICE_NAME: longer than %d bytes or holds control characters",
                          OX_SERVICE_NAME_MAX);
    char *s = strdup(v);
    if (s == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    free(c->service_name);
    c->service_name = s;
  }
  return 0;
}

int ox_env_apply(const vbx_host_services *h, ox_getenv_fn get, ox_cfg *c, vbx_call *call) {
  int rc;
  if ((rc = endpoints(h, get, c, call)) != 0 || (rc = headers(h, get, c, call)) != 0 ||
      (rc = scalars(h, get, c, call)) != 0 || (rc = resource(h, get, c, call)) != 0)
    return rc;
  return 0;
}
