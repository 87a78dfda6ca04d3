/*
 * llm-openai/stream.c - the chat/completions answer: SSE chunks
 * ("data: {...}" ... "data: [DONE]") with tool_calls whose JSON-string
 * arguments are accumulated by index, or a buffered response when
 * `stream: false`.
 */
#include <string.h>

#include "jsonh.h"
#include "openai.h"

const char *vbx_openai_stop_reason(const char *f) {
  if (!f || !*f) return NULL;
  if (!strcmp(f, "tool_calls") || !strcmp(f, "function_call")) return "tool_use";
  if (!strcmp(f, "stop")) return "end_turn";
  if (!strcmp(f, "length")) return "max_tokens";
  if (!strcmp(f, "content_filter")) return "refusal";
  return "end_turn";
}

const char *vbx_openai_turn_stop(const vbx_llm_turn *t) { return vbx_openai_stop_reason(t->stop); }

void vbx_openai_usage(const vbx_host_services *h, const vbx_json *usage, vbx_llm_usage *u) {
  if (!usage || h->json_type(usage) != VBX_JSON_OBJECT) return;
  uint64_t prompt = vbx_lj_get_u64(h, usage, "prompt_tokens");
  vbx_json *det = vbx_lj_get_typed(h, usage, "prompt_tokens_details", VBX_JSON_OBJECT);
  uint64_t cached = vbx_lj_get_u64(h, det, "cached_tokens");
  if (cached > prompt) cached = prompt;
  u->input_tokens = prompt - cached;
  u->cache_read_tokens = cached;
  u->cache_write_tokens = 0;
  u->output_tokens = vbx_lj_get_u64(h, usage, "completion_tokens");
}

static int tool_delta(vbx_llm_turn *t, const vbx_json *tc) {
  const vbx_host_services *h = t->h;
  vbx_json *ix = vbx_lj_get_typed(h, tc, "index", VBX_JSON_INTEGER);
  long idx = ix ? (long)h->json_integer_value(ix) : 0;
  if (idx < 0 || idx > 1024)
    return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "tool_calls index out of range");
  vbx_json *fn = vbx_lj_get_typed(h, tc, "function", VBX_JSON_OBJECT);
  int rc =
      vbx_blocks_tool(&t->blocks, idx, vbx_lj_get_str(h, tc, "id"), vbx_lj_get_str(h, fn, "name"));
  vbx_json *args = vbx_lj_get_typed(h, fn, "arguments", VBX_JSON_STRING);
  if (!rc && args)
    rc = vbx_blocks_tool_json(&t->blocks, idx, h->json_string_value(args),
                              h->json_string_length(args));
  return rc;
}

/* One choice's message (buffered) or delta (streamed). */
static int take_message(vbx_llm_turn *t, const vbx_json *m) {
  const vbx_host_services *h = t->h;
  int rc = 0;
  vbx_json *c = vbx_lj_get_typed(h, m, "content", VBX_JSON_STRING);
  if (c)
    rc = vbx_llm_turn_text(t, VBX_LLM_TEXT_KEY, h->json_string_value(c), h->json_string_length(c));
  vbx_json *tcs = vbx_lj_get_typed(h, m, "tool_calls", VBX_JSON_ARRAY);
  for (size_t i = 0; tcs && i < h->json_array_size(tcs) && !rc; i++) {
    vbx_json *tc = h->json_array_get(tcs, i);
    if (!vbx_lj_get_typed(h, tc, "index", VBX_JSON_INTEGER)) {
      /* buffered responses carry no index: use the position */
      vbx_json *fn = vbx_lj_get_typed(h, tc, "function", VBX_JSON_OBJECT);
      vbx_json *args = vbx_lj_get_typed(h, fn, "arguments", VBX_JSON_STRING);
      rc = vbx_blocks_tool(&t->blocks, (long)i, vbx_lj_get_str(h, tc, "id"),
                           vbx_lj_get_str(h, fn, "name"));
      if (!rc && args)
        rc = vbx_blocks_tool_json(&t->blocks, (long)i, h->json_string_value(args),
                                  h->json_string_length(args));
    } else {
      rc = tool_delta(t, tc);
    }
  }
  return rc;
}

static int take_chunk(vbx_llm_turn *t, const vbx_json *doc, const char *what) {
  const vbx_host_services *h = t->h;
  int rc = 0;
  vbx_json *err = h->json_object_get(doc, "error");
  if (err) {
    const char *msg = vbx_lj_get_str(h, err, "message");
    if (!msg) msg = h->json_string_value(err);
    return vbx_llm_turn_fail(t, VBX_E_PROVIDER, "provider error in stream: %s",
                             msg ? msg : "no message");
  }
  vbx_llm_turn_copy(t->model, sizeof(t->model), vbx_lj_get_str(h, doc, "model"));
  vbx_json *choices = vbx_lj_get_typed(h, doc, "choices", VBX_JSON_ARRAY);
  for (size_t i = 0; choices && i < h->json_array_size(choices) && !rc; i++) {
    vbx_json *ch = h->json_array_get(choices, i);
    vbx_json *ix = vbx_lj_get_typed(h, ch, "index", VBX_JSON_INTEGER);
    if (ix && h->json_integer_value(ix) != 0) continue; /* n > 1 is not requested */
    vbx_json *m = vbx_lj_get_typed(h, ch, "delta", VBX_JSON_OBJECT);
    if (!m) m = vbx_lj_get_typed(h, ch, "message", VBX_JSON_OBJECT);
    if (m) rc = take_message(t, m);
    vbx_llm_turn_copy(t->stop, sizeof(t->stop), vbx_lj_get_str(h, ch, "finish_reason"));
  }
  vbx_json *usage = vbx_lj_get_typed(h, doc, "usage", VBX_JSON_OBJECT);
  if (usage) vbx_openai_usage(h, usage, &t->usage);
  if (rc && !t->msg_set) vbx_llm_turn_fail(t, rc, "failed handling %s", what);
  return rc;
}

int vbx_openai_event(vbx_llm_turn *t, const char *event, const char *data, size_t len) {
  if (len == 6 && !memcmp(data, "[DONE]", 6)) {
    t->done = 1;
    return 0;
  }
  vbx_json *doc = vbx_llm_turn_object(t, data, len);
  if (!doc)
    return vbx_llm_turn_fail(t, VBX_E_PROTOCOL,
                             "malformed JSON in '%s' event (chat.completion.chunk)", event);
  int rc = take_chunk(t, doc, "a chat.completion.chunk event");
  t->h->json_decref(doc);
  return rc;
}

int vbx_openai_buffered(vbx_llm_turn *t, const char *body, size_t len) {
  const vbx_host_services *h = t->h;
  vbx_json *doc = h->json_parse(body, len, NULL);
  if (!doc || !vbx_lj_get_typed(h, doc, "choices", VBX_JSON_ARRAY)) {
    if (doc) h->json_decref(doc);
    return h->set_error(t->call, VBX_E_PROTOCOL, NULL,
                        "malformed JSON in the chat.completion response body from %s", t->url);
  }
  int rc = take_chunk(t, doc, "the chat.completion response");
  h->json_decref(doc);
  t->done = !rc;
  return rc;
}
