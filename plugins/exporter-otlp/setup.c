/*
 * exporter-otlp/setup.c - the configuration resolved for sending: each
 * signal's URL (its own endpoint, else the base endpoint + "/v1/<signal>")
 * and header lines (the common headers, the signal's over them,
 * Content-Type and Content-Encoding), and the resource: service.name,
 * service.version, telemetry.sdk.{name,language,version}, then the
 * configured attributes (which may replace all but service.name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "url.h"

static void free_list(char **l) {
  for (size_t i = 0; l != NULL && l[i] != NULL; i++)
    free(l[i]);
  free(l);
}

/* The header lines of signal s into t->headers. */
static int header_lines(const ox_cfg *c, int s, ox_target *t) {
  ox_kvlist all = {.nocase = 1};
  int rc = ox_kvlist_merge(&all, &c->headers);
  if (rc == 0) rc = ox_kvlist_merge(&all, &c->signal_headers[s]);
  char **l = rc == 0 ? calloc(all.n + 3, sizeof(*l)) : NULL;
  if (l == NULL) goto out;
  size_t k = 0;
  for (size_t i = 0; i < all.n; i++, k++) {
    if (asprintf(&l[k], "%s: %s", all.v[i].key, all.v[i].value) < 0) {
      l[k] = NULL;
      goto out;
    }
  }
  if ((l[k++] = strdup("Content-Type: application/json")) == NULL) goto out;
  if (c->gzip && (l[k++] = strdup("Content-Encoding: gzip")) == NULL) goto out;
  t->headers = l;
  l = NULL;
out:
  free_list(l);
  ox_kvlist_free(&all);
  return t->headers ? 0 : VBX_E_NOMEM;
}

static int target(const ox_cfg *c, int s, ox_target *t) {
  if (c->signal_url[s] != NULL) {
    t->url = strdup(c->signal_url[s]);
  } else {
    char path[16];
    snprintf(path, sizeof(path), "v1/%s", ox_signal_name(s));
    t->url = ox_url_join(c->endpoint ? c->endpoint : OX_DEFAULT_ENDPOINT, path);
  }
  if (t->url == NULL) return VBX_E_NOMEM;
  ox_url_for_log(t->url, t->where, sizeof(t->where));
  return header_lines(c, s, t);
}

/* res_attrs: the built-in attributes, then the configured ones. */
static int resource(ox_exp *e) {
  const ox_cfg *c = &e->cfg;
  const char *name =
      c->service_name ? c->service_name : ox_kvlist_get(&c->resource, "service.name");
  ox_kvlist l = {0};
  int rc = ox_kvlist_set(&l, "service.name", name ? name : "voidbox");
  if (rc == 0) rc = ox_kvlist_set(&l, "service.version", OX_PLUGIN_VERSION);
  if (rc == 0) rc = ox_kvlist_set(&l, "telemetry.sdk.name", "voidbox");
  if (rc == 0) rc = ox_kvlist_set(&l, "telemetry.sdk.language", "c");
  if (rc == 0) rc = ox_kvlist_set(&l, "telemetry.sdk.version", OX_PLUGIN_VERSION);
  for (size_t i = 0; rc == 0 && i < c->resource.n; i++)
    if (strcmp(c->resource.v[i].key, "service.name") != 0)
      rc = ox_kvlist_set(&l, c->resource.v[i].key, c->resource.v[i].value);
  char **a = rc == 0 ? calloc(2 * l.n + 1, sizeof(*a)) : NULL;
  if (a != NULL) {
    for (size_t i = 0; i < l.n; i++) { /* hand the strings over */
      a[2 * i] = l.v[i].key;
      a[2 * i + 1] = l.v[i].value;
    }
    free(l.v);
    l = (ox_kvlist){0};
  }
  ox_kvlist_free(&l);
  if (a == NULL) return rc ? rc : VBX_E_NOMEM;
  e->res_attrs = a;
  e->res.service_name = a[1];
  e->res.service_version = OX_PLUGIN_VERSION;
  e->res.attrs = (const char *const *)a;
  return 0;
}

int ox_setup(ox_exp *e, vbx_call *call) {
  int rc = resource(e);
  for (int s = 0; rc == 0 && s < OX_N_SIGNALS; s++)
    rc = target(&e->cfg, s, &e->target[s]);
  if (rc != 0) return e->h->set_error(call, rc, NULL, "otlp exporter: out of memory");
  return 0;
}

void ox_setup_free(ox_exp *e) {
  for (int s = 0; s < OX_N_SIGNALS; s++) {
    free(e->target[s].url);
    free_list(e->target[s].headers);
    e->target[s].url = NULL;
    e->target[s].headers = NULL;
  }
  free_list(e->res_attrs);
  e->res_attrs = NULL;
}
