/*
 * llm-common/base.c - provider instance basics (see base.h).
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int vbx_llm_base_init(vbx_llm_base *b, const vbx_host_services *h, const vbx_llm_defaults *d,
                      const vbx_llm_config *cfg, const char *env_base_url, vbx_call *call) {
  int rc = 0;
  memset(b, 0, sizeof(*b));
  b->h = h;
  b->d = d;
  rc = vbx_llm_opts_parse(h, cfg->options, d->opt_flags, &b->opts, call);
  if (rc) return rc;
  const char *model = cfg->model && *cfg->model ? cfg->model : d->model;
  const char *url = cfg->base_url && *cfg->base_url ? cfg->base_url
                    : env_base_url && *env_base_url ? env_base_url
                                                    : d->base_url;
  if (strlen(model) > 256) {
    rc = h->set_error(call, VBX_E_INVAL, "model", "model name longer than 256 bytes");
    goto out;
  }
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
    rc = h->set_error(call, VBX_E_INVAL, "base_url",
                      "base_url '%s' must start with http:// or https://", url);
    goto out;
  }
  b->model = strdup(model);
  b->base_url = strdup(url);
  if (!b->model || !b->base_url) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  size_t n = strlen(b->base_url);
  while (n > 0 && b->base_url[n - 1] == '/')
    b->base_url[--n] = 0;
  const char *env = cfg->api_key_env && *cfg->api_key_env ? cfg->api_key_env : d->api_key_env;
  if (env) {
    b->api_key_env = strdup(env);
    if (!b->api_key_env) {
      rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
      goto out;
    }
    const char *key = getenv(env);
    if (!key || !*key) {
      rc = h->set_error(call, VBX_E_AUTH, "api_key_env",
                        "authentication failed: the API key variable $%s is not set or empty", env);
      goto out;
    }
    if (strpbrk(key, "\r\n") || strlen(key) > 4096) {
      rc = h->set_error(call, VBX_E_AUTH, "api_key_env",
                        "authentication failed: $%s holds an invalid API key (newline or too long)",
                        env);
      goto out;
    }
    b->api_key = dup_or_null(key);
    if (!b->api_key) {
      rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
      goto out;
    }
  }
  if (d->priced) {
    rc = vbx_pricing_load(h, b->opts.pricing_file, cfg->spec_dir, &b->pricing, call);
    if (rc) goto out;
  }
  b->rng = h->monotonic_ns() ^ (uint64_t)(uintptr_t)b;
out:
  if (rc) vbx_llm_base_free(b);
  return rc;
}

void vbx_llm_base_free(vbx_llm_base *b) {
  free(b->model);
  free(b->base_url);
  free(b->api_key_env);
  if (b->api_key) {
    memset(b->api_key, 0, strlen(b->api_key));
    free(b->api_key);
  }
  vbx_llm_opts_free(&b->opts);
  vbx_pricing_free(&b->pricing);
  memset(b, 0, sizeof(*b));
}

char *vbx_llm_url(const vbx_llm_base *b, const char *path) {
  size_t bl = strlen(b->base_url);
  if (bl >= 3 && strcmp(b->base_url + bl - 3, "/v1") == 0 && strncmp(path, "/v1/", 4) == 0)
    path += 3;
  size_t pl = strlen(path);
  char *u = malloc(bl + pl + 1);
  if (!u) return NULL;
  memcpy(u, b->base_url, bl);
  memcpy(u + bl, path, pl + 1);
  return u;
}

uint32_t vbx_llm_max_tokens(const vbx_llm_base *b, const vbx_llm_request *req) {
  if (b->opts.max_tokens) return b->opts.max_tokens;
  if (req->max_tokens) return req->max_tokens;
  return 4096;
}

void vbx_llm_price(vbx_llm_base *b, const char *model, vbx_llm_usage *usage) {
  usage->struct_size = sizeof(*usage);
  usage->cost_usd =
      b->d->priced ? vbx_pricing_cost(b->h, &b->pricing, model ? model : b->model, usage) : 0.0;
}

int vbx_llm_set_strings(const vbx_host_services *h, vbx_llm_response *resp, const char *stop,
                        const char *model, vbx_call *call) {
  resp->stop_reason = h->strdup(stop ? stop : "end_turn");
  resp->model = model ? h->strdup(model) : NULL;
  if (!resp->stop_reason || (model && !resp->model))
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  return 0;
}

int vbx_llm_finish_response(vbx_llm_base *b, vbx_blocks *blocks, const char *stop,
                            const char *model, const vbx_llm_usage *usage, vbx_llm_response *resp,
                            vbx_call *call) {
  int rc = vbx_blocks_build(blocks, &resp->content, call);
  if (rc) return rc;
  if (!stop) stop = vbx_blocks_tools(blocks) ? "tool_use" : "end_turn";
  rc = vbx_llm_set_strings(b->h, resp, stop, model && model[0] ? model : b->model, call);
  if (rc) return rc;
  resp->usage = *usage;
  vbx_llm_price(b, resp->model, &resp->usage);
  return 0;
}

char *vbx_llm_secret_header(const char *prefix, const char *key) {
  size_t pl = strlen(prefix), kl = strlen(key);
  char *out = malloc(pl + kl + 1);
  if (!out) return NULL;
  memcpy(out, prefix, pl);
  memcpy(out + pl, key, kl + 1);
  return out;
}

void vbx_llm_secret_free(char *header) {
  if (!header) return;
  /* volatile so the wipe of memory about to be freed is not optimised out */
  volatile char *p = header;
  while (*p)
    *p++ = 0;
  free(header);
}
