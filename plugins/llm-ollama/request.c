/*
 * llm-ollama/request.c - canonical messages and tools to the /api/chat
 * shape: {"model","messages":[{"role","content","tool_calls":[{"function":
 * {"name","arguments":{...}}}]} | {"role":"tool","content","tool_name"}],
 * "tools":[{"type":"function","function":{"name","description",
 * "parameters"}}],"stream","options":{"num_predict","temperature",
 * "num_ctx"},"keep_alive"}. Tool arguments are JSON objects, not text.
 */
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "ollama.h"

char *vbx_ollama_normalise_host(const char *v) {
  if (!v || !*v) return NULL;
  while (*v == ' ')
    v++;
  const char *scheme = "http://";
  const char *rest = v;
  if (!strncmp(v, "http://", 7))
    rest = v + 7;
  else if (!strncmp(v, "https://", 8)) {
    scheme = "https://";
    rest = v + 8;
  }
  size_t n = strlen(rest);
  while (n > 0 && rest[n - 1] == '/')
    n--;
  if (n == 0 || n > 1024) return NULL;
  /* a port is present when a ':' follows the host (after ']' for IPv6) */
  const char *host_end = rest;
  if (*rest == '[') {
    const char *rb = memchr(rest, ']', n);
    host_end = rb ? rb + 1 : rest + n;
  } else {
    const char *slash = memchr(rest, '/', n);
    const char *colon = memchr(rest, ':', slash ? (size_t)(slash - rest) : n);
    host_end = colon ? colon : (slash ? slash : rest + n);
  }
  int has_port = host_end < rest + n && *host_end == ':';
  int add_port = !has_port && !strcmp(scheme, "http://");
  const char *slash = memchr(host_end, '/', (size_t)(rest + n - host_end));
  size_t hl = (size_t)((slash ? slash : rest + n) - rest);
  size_t tail = n - hl;
  size_t len = strlen(scheme) + n + (add_port ? 6 : 0) + 1;
  char *out = malloc(len);
  if (!out) return NULL;
  char *o = out;
  memcpy(o, scheme, strlen(scheme));
  o += strlen(scheme);
  memcpy(o, rest, hl);
  o += hl;
  if (add_port) {
    memcpy(o, ":11434", 6);
    o += 6;
  }
  memcpy(o, rest + hl, tail);
  o += tail;
  *o = 0;
  return out;
}

/* Name of the tool whose tool_use id is `id`, searched in earlier messages. */
static const char *tool_name_for(const vbx_host_services *h, const vbx_json *msgs, size_t upto,
                                 const char *id) {
  for (size_t i = 0; i < upto; i++) {
    vbx_json *content = vbx_lj_get_typed(h, h->json_array_get(msgs, i), "content", VBX_JSON_ARRAY);
    for (size_t k = 0; content && k < h->json_array_size(content); k++) {
      vbx_json *blk = h->json_array_get(content, k);
      const char *t = vbx_lj_get_str(h, blk, "type"), *bid = vbx_lj_get_str(h, blk, "id");
      if (t && !strcmp(t, "tool_use") && bid && !strcmp(bid, id))
        return vbx_lj_get_str(h, blk, "name");
    }
  }
  return NULL;
}

static int one_message(vbx_lj *j, vbx_json *out, const vbx_json *msgs, size_t i, vbx_call *call) {
  const vbx_host_services *h = j->h;
  vbx_json *msg = h->json_array_get(msgs, i);
  const char *role = vbx_lj_get_str(h, msg, "role");
  vbx_json *content =
      h->json_type(msg) == VBX_JSON_OBJECT ? h->json_object_get(msg, "content") : NULL;
  if (!role || !content || (strcmp(role, "user") && strcmp(role, "assistant")))
    return h->set_error(call, VBX_E_INVAL, "messages",
                        "message %zu needs role user|assistant and content", i);
  int is_user = !strcmp(role, "user");
  size_t n = h->json_type(content) == VBX_JSON_ARRAY ? h->json_array_size(content) : 0;
  vbx_json *calls = NULL;
  for (size_t k = 0; k < n; k++) {
    vbx_json *blk = h->json_array_get(content, k);
    const char *t = vbx_lj_get_str(h, blk, "type");
    if (is_user && t && !strcmp(t, "tool_result")) {
      const char *id = vbx_lj_get_str(h, blk, "tool_use_id");
      vbx_lbuf txt = {0};
      if (vbx_llm_tool_result_text(h, blk, &txt)) j->failed = 1;
      vbx_json *m = vbx_lj_obj(j);
      vbx_lj_set(j, m, "role", vbx_lj_str(j, "tool"));
      vbx_lj_set(j, m, "content", vbx_lj_str(j, vbx_lbuf_str(&txt)));
      const char *name = id ? tool_name_for(h, msgs, i, id) : NULL;
      if (name) vbx_lj_set(j, m, "tool_name", vbx_lj_str(j, name));
      vbx_lj_push(j, out, m);
      vbx_lbuf_free(&txt);
    } else if (!is_user && t && !strcmp(t, "tool_use")) {
      vbx_json *fn = vbx_lj_obj(j);
      vbx_lj_set(j, fn, "name", vbx_lj_str(j, vbx_lj_get_str(h, blk, "name")));
      vbx_json *in = vbx_lj_get_typed(h, blk, "input", VBX_JSON_OBJECT);
      vbx_lj_set(j, fn, "arguments", in ? vbx_lj_ref(j, in) : vbx_lj_obj(j));
      vbx_json *c = vbx_lj_obj(j);
      vbx_lj_set(j, c, "function", fn);
      if (!calls) calls = vbx_lj_arr(j);
      vbx_lj_push(j, calls, c);
    }
  }
  vbx_lbuf txt = {0};
  if (vbx_llm_content_text(h, content, &txt)) j->failed = 1;
  if (!is_user) {
    vbx_json *m = vbx_lj_obj(j);
    vbx_lj_set(j, m, "role", vbx_lj_str(j, "assistant"));
    vbx_lj_set(j, m, "content", vbx_lj_str(j, vbx_lbuf_str(&txt)));
    if (calls) vbx_lj_set(j, m, "tool_calls", calls);
    vbx_lj_push(j, out, m);
  } else if (txt.len > 0) {
    vbx_llm_push_msg(j, out, "user", vbx_lbuf_str(&txt));
  }
  vbx_lbuf_free(&txt);
  return 0;
}

int vbx_ollama_body(vbx_lj *j, vbx_json *o, const vbx_llm_base *b, const vbx_llm_request *req,
                    int stream, vbx_call *call) {
  const vbx_host_services *h = b->h;
  int rc = 0;
  vbx_json *msgs = vbx_lj_arr(j);
  if (req->system && *req->system) vbx_llm_push_msg(j, msgs, "system", req->system);
  for (size_t i = 0; i < h->json_array_size(req->messages) && !rc; i++)
    rc = one_message(j, msgs, req->messages, i, call);
  vbx_lj_set(j, o, "model", vbx_lj_str(j, b->model));
  vbx_lj_set(j, o, "messages", msgs);
  if (vbx_llm_has_tools(h, req)) vbx_lj_set(j, o, "tools", vbx_llm_function_tools(j, req->tools));
  vbx_lj_set(j, o, "stream", h->json_bool_new(stream));
  vbx_json *opts = vbx_lj_obj(j);
  vbx_lj_set(j, opts, "num_predict", h->json_integer_new(vbx_llm_max_tokens(b, req)));
  if (b->opts.has_temperature)
    vbx_lj_set(j, opts, "temperature", h->json_real_new(b->opts.temperature));
  if (b->opts.num_ctx) vbx_lj_set(j, opts, "num_ctx", h->json_integer_new(b->opts.num_ctx));
  vbx_lj_set(j, o, "options", opts);
  if (b->opts.keep_alive) vbx_lj_set(j, o, "keep_alive", vbx_lj_str(j, b->opts.keep_alive));
  return rc;
}
