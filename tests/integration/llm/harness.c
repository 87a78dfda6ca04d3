/*
 * tests/integration/llm/harness.c - plugin loading and helpers (see
 * harness.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

int lh_load(lh *x, const char *so_path, const char *provider) {
  memset(x, 0, sizeof(*x));
  vbx_error err;
  memset(&err, 0, sizeof(err));
  vbx__logger log = {VBX_LOG_ERROR, NULL, NULL, 0};
  if (vbx__registry_new(&log, NULL, &x->reg) != 0) {
    fprintf(stderr, "registry_new failed\n");
    return -1;
  }
  if (vbx__registry_load(x->reg, so_path, &err) != 0) {
    fprintf(stderr, "loading %s failed: %s\n", so_path, err.message);
    return -1;
  }
  vbx__registry_freeze(x->reg);
  const vbx__impl *impl = vbx__registry_find(x->reg, VBX_KIND_LLM, provider);
  if (!impl) {
    fprintf(stderr, "provider %s not registered by %s\n", provider, so_path);
    return -1;
  }
  x->vt = impl->vtable;
  x->state = impl->plugin_state;
  x->h = vbx__plugin_host(impl->plugin);
  return 0;
}

void lh_free(lh *x) {
  if (x->reg) vbx__registry_free(x->reg);
  memset(x, 0, sizeof(*x));
}

vbx_json *lh_json(lh *x, const char *text) { return x->h->json_parse(text, strlen(text), NULL); }

int lh_create(lh *x, const char *url, const char *model, const char *opts_json, void **out,
              vbx_call *call) {
  vbx_llm_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.struct_size = sizeof(cfg);
  cfg.box_name = "test";
  cfg.model = model;
  cfg.base_url = url;
  cfg.api_key_env = W ? W->key_env : NULL;
  vbx_json *opts = opts_json ? lh_json(x, opts_json) : NULL;
  if (opts_json) assert_non_null(opts);
  cfg.options = opts;
  int rc = x->vt->create(x->state, &cfg, call, out);
  if (opts) x->h->json_decref(opts);
  return rc;
}

typedef struct text_sink {
  char *buf;
  size_t cap;
} text_sink;

static int on_text(void *user, const char *t, size_t n) {
  text_sink *s = user;
  size_t l = strlen(s->buf);
  if (l + n < s->cap) {
    memcpy(s->buf + l, t, n);
    s->buf[l + n] = 0;
  }
  return 0;
}

int lh_complete(lh *x, void *prov, const char *messages_json, const char *tools_json,
                vbx_llm_response *resp, char *streamed, size_t cap, vbx_call *call) {
  char def[] = "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Say hello\"}]}]";
  vbx_json *msgs = lh_json(x, messages_json ? messages_json : def);
  vbx_json *tools = tools_json ? lh_json(x, tools_json) : NULL;
  assert_non_null(msgs);
  text_sink sink = {streamed, cap};
  if (streamed) streamed[0] = 0;
  vbx_llm_request req;
  memset(&req, 0, sizeof(req));
  req.struct_size = sizeof(req);
  req.system = "You are a test.";
  req.messages = msgs;
  req.tools = tools;
  req.max_tokens = 256;
  req.on_text = streamed ? on_text : NULL;
  req.user = &sink;
  memset(resp, 0, sizeof(*resp));
  resp->struct_size = sizeof(*resp);
  int rc = x->vt->complete(prov, &req, resp, call);
  x->h->json_decref(msgs);
  if (tools) x->h->json_decref(tools);
  return rc;
}

void lh_response_free(lh *x, vbx_llm_response *resp) {
  if (resp->content) x->h->json_decref(resp->content);
  x->h->free(resp->stop_reason);
  x->h->free(resp->model);
  memset(resp, 0, sizeof(*resp));
}

char *lh_text(lh *x, const vbx_llm_response *resp) {
  const vbx_host_services *h = x->h;
  char *out = calloc(1, 1);
  for (size_t i = 0; resp->content && i < h->json_array_size(resp->content); i++) {
    vbx_json *b = h->json_array_get(resp->content, i);
    const char *t = h->json_string_value(h->json_object_get(b, "type"));
    if (!t || strcmp(t, "text")) continue;
    const char *s = h->json_string_value(h->json_object_get(b, "text"));
    size_t l = strlen(out);
    out = realloc(out, l + strlen(s) + 1);
    strcpy(out + l, s);
  }
  return out;
}
