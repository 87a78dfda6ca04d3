/*
 * llm-common/pricing.c - pricing file loading and cost (see pricing.h).
 */
#include "pricing.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "layout.h"

static const char *price_keys[4] = {"input", "output", "cache_read", "cache_write"};

int vbx_pricing_parse(const vbx_host_services *h, const char *text, size_t len, const char *name,
                      vbx_pricing *out, vbx_call *call) {
  int rc = 0;
  vbx_json *doc = h->json_parse(text, len, call);
  if (!doc) return h->set_error(call, VBX_E_INVAL, "pricing_file", "%s: not valid JSON", name);
  vbx_json *models = h->json_object_get(doc, "models");
  if (h->json_type(doc) != VBX_JSON_OBJECT || !models || h->json_type(models) != VBX_JSON_OBJECT) {
    rc = h->set_error(call, VBX_E_INVAL, "pricing_file",
                      "%s: expected an object with a \"models\" object", name);
    goto out;
  }
  size_t n = h->json_object_size(models);
  out->entries = calloc(n ? n : 1, sizeof(*out->entries));
  if (!out->entries) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  vbx_json *m = NULL;
  const char *model;
  for (size_t i = 0; (model = h->json_object_key_at(models, i, &m)) != NULL && i < n; i++) {
    if (h->json_type(m) != VBX_JSON_OBJECT) {
      rc = h->set_error(call, VBX_E_INVAL, "pricing_file", "%s: model '%s' must be an object", name,
                        model);
      goto out;
    }
    double vals[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++) {
      vbx_json *v = h->json_object_get(m, price_keys[k]);
      if (!v) continue;
      vbx_json_type t = h->json_type(v);
      double d = h->json_number_value(v);
      if ((t != VBX_JSON_INTEGER && t != VBX_JSON_REAL) || !isfinite(d) || d < 0) {
        rc = h->set_error(call, VBX_E_INVAL, "pricing_file",
                          "%s: models.%s.%s must be a non-negative number", name, model,
                          price_keys[k]);
        goto out;
      }
      vals[k] = d;
    }
    vbx_price_entry *e = &out->entries[out->n];
    e->model = strdup(model);
    if (!e->model) {
      rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
      goto out;
    }
    e->price = (vbx_price){vals[0], vals[1], vals[2], vals[3]};
    out->n++;
  }
out:
  h->json_decref(doc);
  if (rc) vbx_pricing_free(out);
  return rc;
}

/* Read a whole file of at most VBX_PRICING_MAX_BYTES. */
static int read_file(const vbx_host_services *h, const char *path, char **out, size_t *len,
                     vbx_call *call) {
  int rc = 0;
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  if (!f)
    return h->set_error(call, VBX_E_IO, "pricing_file", "cannot open pricing file %s: %s", path,
                        strerror(errno));
  buf = malloc(VBX_PRICING_MAX_BYTES + 1);
  if (!buf) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  size_t n = fread(buf, 1, VBX_PRICING_MAX_BYTES + 1, f);
  if (ferror(f)) {
    rc = h->set_error(call, VBX_E_IO, "pricing_file", "cannot read pricing file %s", path);
    goto out;
  }
  if (n > VBX_PRICING_MAX_BYTES) {
    rc = h->set_error(call, VBX_E_TOOBIG, "pricing_file",
                      "pricing file %s is larger than %zu bytes", path, VBX_PRICING_MAX_BYTES);
    goto out;
  }
  buf[n] = 0;
  *out = buf;
  *len = n;
  buf = NULL;
out:
  free(buf);
  fclose(f);
  return rc;
}

static int load_path(const vbx_host_services *h, const char *path, vbx_pricing *out,
                     vbx_call *call) {
  char *text = NULL;
  size_t len = 0;
  int rc = read_file(h, path, &text, &len, call);
  if (rc) return rc;
  rc = vbx_pricing_parse(h, text, len, path, out, call);
  free(text);
  if (rc) return rc;
  out->path = strdup(path);
  if (!out->path) {
    vbx_pricing_free(out);
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  return 0;
}

static int exists(const char *p) {
  struct stat st;
  return p && *p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The pricing table of the tree this plugin lives in (core/layout):
 * BUILD/share/voidbox in a build tree, PREFIX/share/voidbox when installed;
 * never the other tree's. */
static int tree_pricing(char *out, size_t n) {
  static const char *const dirs[] = {VBX_LAYOUT_PLUGINDIR, NULL};
  vbx_layout l;
  int rc = vbx_layout_find((const void *)price_keys, dirs, &l);
  if (rc != 0) return rc;
  return vbx_layout_path(&l, VBX_LAYOUT_PRICING, VBX_LAYOUT_BUILD_PRICING, out, n);
}

int vbx_pricing_load(const vbx_host_services *h, const char *opt_path, const char *spec_dir,
                     vbx_pricing *out, vbx_call *call) {
  memset(out, 0, sizeof(*out));
  if (opt_path) {
    char full[4096];
    if (opt_path[0] != '/' && spec_dir && *spec_dir) {
      int n = snprintf(full, sizeof(full), "%s/%s", spec_dir, opt_path);
      if (n < 0 || (size_t)n >= sizeof(full))
        return h->set_error(call, VBX_E_TOOBIG, "pricing_file", "pricing_file path too long");
      return load_path(h, full, out, call);
    }
    return load_path(h, opt_path, out, call);
  }
  const char *env = getenv("VOIDBOX_PRICING_FILE");
  if (env && *env) return load_path(h, env, out, call);
  char tree[PATH_MAX];
  if (tree_pricing(tree, sizeof(tree)) == 0 && exists(tree)) return load_path(h, tree, out, call);
  return 0; /* no table: costs are 0, warned at first use */
}

static int boundary(char c) { return c == 0 || c == '-' || c == ':' || c == '@'; }

const vbx_price *vbx_pricing_find(const vbx_pricing *p, const char *model) {
  if (!model) return NULL;
  const vbx_price_entry *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < p->n; i++) {
    size_t l = strlen(p->entries[i].model);
    if (strncmp(model, p->entries[i].model, l) == 0 && boundary(model[l]) && l > best_len) {
      best = &p->entries[i];
      best_len = l;
    }
  }
  return best ? &best->price : NULL;
}

double vbx_pricing_cost(const vbx_host_services *h, vbx_pricing *p, const char *model,
                        const vbx_llm_usage *u) {
  const vbx_price *pr = vbx_pricing_find(p, model);
  if (!pr) {
    if (!p->warned) {
      p->warned = 1;
      if (!p->path)
        h->log(h->ctx, VBX_LOG_WARN,
               "no pricing file found; cost is reported as 0 "
               "(set pricing_file or VOIDBOX_PRICING_FILE)");
      else
        h->log(h->ctx, VBX_LOG_WARN,
               "model '%s' is not in pricing file %s; its cost is reported as 0",
               model ? model : "(none)", p->path);
    }
    return 0.0;
  }
  return ((double)u->input_tokens * pr->input + (double)u->output_tokens * pr->output +
          (double)u->cache_read_tokens * pr->cache_read +
          (double)u->cache_write_tokens * pr->cache_write) /
         1e6;
}

void vbx_pricing_free(vbx_pricing *p) {
  for (size_t i = 0; i < p->n; i++)
    free(p->entries[i].model);
  free(p->entries);
  free(p->path);
  memset(p, 0, sizeof(*p));
}
