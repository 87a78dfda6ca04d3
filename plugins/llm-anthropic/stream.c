/*
 * llm-anthropic/stream.c - the Messages answer: the SSE event stream
 * (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping, error) or a buffered response when `stream: false`.
 */
#include <string.h>

#include "anthropic.h"
#include "jsonh.h"

void vbx_anthropic_usage(const vbx_host_services *h, const vbx_json *usage, vbx_llm_usage *u) {
  if (!usage || h->json_type(usage) != VBX_JSON_OBJECT) return;
  if (vbx_lj_get_typed(h, usage, "input_tokens", VBX_JSON_INTEGER))
    u->input_tokens = vbx_lj_get_u64(h, usage, "input_tokens");
  if (vbx_lj_get_typed(h, usage, "output_tokens", VBX_JSON_INTEGER))
    u->output_tokens = vbx_lj_get_u64(h, usage, "output_tokens");
  if (vbx_lj_get_typed(h, usage, "cache_read_input_tokens", VBX_JSON_INTEGER))
    u->cache_read_tokens = vbx_lj_get_u64(h, usage, "cache_read_input_tokens");
  if (vbx_lj_get_typed(h, usage, "cache_creation_input_tokens", VBX_JSON_INTEGER))
    u->cache_write_tokens = vbx_lj_get_u64(h, usage, "cache_creation_input_tokens");
}

static int on_block_start(vbx_llm_turn *t, const vbx_json *ev, long idx) {
  const vbx_host_services *h = t->h;
  vbx_json *cb = vbx_lj_get_typed(h, ev, "content_block", VBX_JSON_OBJECT);
  const char *type = vbx_lj_get_str(h, cb, "type");
  if (!type)
    return vbx_llm_turn_fail(t, VBX_E_PROTOCOL,
                             "'content_block_start' event without content_block.type");
  if (!strcmp(type, "text")) {
    const char *s = vbx_lj_get_str(h, cb, "text");
    return vbx_llm_turn_text(t, idx, s ? s : "", s ? strlen(s) : 0);
  }
  if (!strcmp(type, "tool_use")) {
    const char *id = vbx_lj_get_str(h, cb, "id"), *name = vbx_lj_get_str(h, cb, "name");
    if (!id || !name)
      return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "tool_use block without id or name");
    return vbx_blocks_tool(&t->blocks, idx, id, name);
  }
  return 0; /* thinking and other block types are not part of the canonical content */
}

static int on_delta(vbx_llm_turn *t, const vbx_json *ev, long idx) {
  const vbx_host_services *h = t->h;
  vbx_json *d = vbx_lj_get_typed(h, ev, "delta", VBX_JSON_OBJECT);
  const char *type = vbx_lj_get_str(h, d, "type");
  if (!type)
    return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "'content_block_delta' event without delta.type");
  if (!strcmp(type, "text_delta")) {
    vbx_json *s = vbx_lj_get_typed(h, d, "text", VBX_JSON_STRING);
    if (!s) return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "text_delta without text");
    return vbx_llm_turn_text(t, idx, h->json_string_value(s), h->json_string_length(s));
  }
  if (!strcmp(type, "input_json_delta")) {
    vbx_json *p = vbx_lj_get_typed(h, d, "partial_json", VBX_JSON_STRING);
    if (!p) return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "input_json_delta without partial_json");
    return vbx_blocks_tool_json(&t->blocks, idx, h->json_string_value(p), h->json_string_length(p));
  }
  return 0; /* thinking_delta, signature_delta, ... */
}

/* One parsed event by its type; unknown types are ignored. */
static int take_event(vbx_llm_turn *t, const char *event, const vbx_json *ev) {
  const vbx_host_services *h = t->h;
  vbx_json *ix = vbx_lj_get_typed(h, ev, "index", VBX_JSON_INTEGER);
  long idx = ix ? (long)h->json_integer_value(ix) : 0;
  if (!strcmp(event, "message_start")) {
    vbx_json *m = vbx_lj_get_typed(h, ev, "message", VBX_JSON_OBJECT);
    vbx_llm_turn_copy(t->model, sizeof(t->model), vbx_lj_get_str(h, m, "model"));
    vbx_anthropic_usage(h, vbx_lj_get_typed(h, m, "usage", VBX_JSON_OBJECT), &t->usage);
  } else if (!strcmp(event, "content_block_start")) {
    return on_block_start(t, ev, idx);
  } else if (!strcmp(event, "content_block_delta")) {
    return on_delta(t, ev, idx);
  } else if (!strcmp(event, "message_delta")) {
    vbx_json *d = vbx_lj_get_typed(h, ev, "delta", VBX_JSON_OBJECT);
    vbx_llm_turn_copy(t->stop, sizeof(t->stop), vbx_lj_get_str(h, d, "stop_reason"));
    vbx_anthropic_usage(h, vbx_lj_get_typed(h, ev, "usage", VBX_JSON_OBJECT), &t->usage);
  } else if (!strcmp(event, "message_stop")) {
    t->done = 1;
  } else if (!strcmp(event, "error")) {
    vbx_json *e = vbx_lj_get_typed(h, ev, "error", VBX_JSON_OBJECT);
    const char *type = vbx_lj_get_str(h, e, "type"), *msg = vbx_lj_get_str(h, e, "message");
    return vbx_llm_turn_fail(t, VBX_E_PROVIDER, "provider error in stream (%s): %s",
                             type ? type : "error", msg ? msg : "no message");
  }
  return 0;
}

int vbx_anthropic_event(vbx_llm_turn *t, const char *event, const char *data, size_t len) {
  if (!strcmp(event, "ping")) return 0;
  vbx_json *ev = vbx_llm_turn_object(t, data, len);
  if (!ev) return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "malformed JSON in '%s' event", event);
  int rc = take_event(t, event, ev);
  if (rc && !t->msg_set)
    vbx_llm_turn_fail(t, rc, "failed handling '%s' event%s", event,
                      rc == VBX_E_TOOBIG ? ": content larger than max_response_bytes" : "");
  t->h->json_decref(ev);
  return rc;
}

/* Buffered response: {"content":[...],"model","stop_reason","usage"}. */
int vbx_anthropic_buffered(vbx_llm_turn *t, const char *body, size_t len) {
  const vbx_host_services *h = t->h;
  int rc = 0;
  vbx_json *doc = h->json_parse(body, len, NULL);
  vbx_json *content = vbx_lj_get_typed(h, doc, "content", VBX_JSON_ARRAY);
  if (!content) {
    rc = vbx_llm_turn_fail(t, VBX_E_PROTOCOL,
                           "malformed JSON in the response body (no content array)");
    goto out;
  }
  for (size_t i = 0; i < h->json_array_size(content) && !rc; i++) {
    vbx_json *blk = h->json_array_get(content, i);
    const char *type = vbx_lj_get_str(h, blk, "type");
    if (type && !strcmp(type, "text")) {
      vbx_json *s = vbx_lj_get_typed(h, blk, "text", VBX_JSON_STRING);
      if (s) rc = vbx_llm_turn_text(t, (long)i, h->json_string_value(s), h->json_string_length(s));
    } else if (type && !strcmp(type, "tool_use")) {
      rc = vbx_blocks_tool(&t->blocks, (long)i, vbx_lj_get_str(h, blk, "id"),
                           vbx_lj_get_str(h, blk, "name"));
      vbx_json *in = h->json_object_get(blk, "input");
      if (!rc && in) rc = vbx_blocks_tool_input(&t->blocks, (long)i, in);
    }
  }
  vbx_llm_turn_copy(t->model, sizeof(t->model), vbx_lj_get_str(h, doc, "model"));
  vbx_llm_turn_copy(t->stop, sizeof(t->stop), vbx_lj_get_str(h, doc, "stop_reason"));
  vbx_anthropic_usage(h, vbx_lj_get_typed(h, doc, "usage", VBX_JSON_OBJECT), &t->usage);
  t->done = 1;
out:
  if (doc) h->json_decref(doc);
  return rc;
}
