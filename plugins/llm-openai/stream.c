/*
 * llm-openai/stream.c - one chat/completions call: SSE chunks
 * ("data: {...}" ... "data: [DONE]") with tool_calls whose JSON-string
 * arguments are accumulated by index, or a buffered response when
 * `stream: false`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "jsonh.h"
#include "openai.h"
#include "sse.h"
#include "transport.h"

#define TEXT_KEY (-1L)

typedef struct oa_stream {
  vbx_llm_base *b;
  const vbx_host_services *h;
  const vbx_llm_request *req;
  vbx_call *call;
  vbx_sse_parser sse;
  vbx_blocks blocks;
  int done, delivered, msg_set;
  char finish[64];
  char model[257];
  vbx_llm_usage usage;
  vbx_llm_err err;                 /* recorded for the transport */
} oa_stream;

const char *vbx_openai_stop_reason(const char *f) {
  if (!f || !*f) return NULL;
  if (!strcmp(f, "tool_calls") || !strcmp(f, "function_call")) return "tool_use";
  if (!strcmp(f, "stop")) return "end_turn";
  if (!strcmp(f, "length")) return "max_tokens";
  if (!strcmp(f, "content_filter")) return "refusal";
  return "end_turn";
}

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

static int fail(oa_stream *s, int code, const char *fmt, const char *a) {
  s->msg_set = 1;
  vbx_llm_err_set(&s->err, code, NULL, fmt, a);
  return s->h->set_error(s->call, code, NULL, fmt, a);
}

static int deliver_text(oa_stream *s, const char *t, size_t n) {
  int rc = vbx_blocks_text(&s->blocks, TEXT_KEY, t, n);
  if (rc || !s->req->on_text || n == 0) return rc;
  s->delivered = 1;
  if (s->req->on_text(s->req->user, t, n) != 0)
    return fail(s, VBX_E_CANCELLED, "cancelled by the text callback%s", "");
  return 0;
}

static int tool_delta(oa_stream *s, const vbx_json *tc) {
  const vbx_host_services *h = s->h;
  vbx_json *ix = vbx_lj_get_typed(h, tc, "index", VBX_JSON_INTEGER);
  long idx = ix ? (long)h->json_integer_value(ix) : 0;
  if (idx < 0 || idx > 1024) return fail(s, VBX_E_PROTOCOL, "tool_calls index out of range%s", "");
  vbx_json *fn = vbx_lj_get_typed(h, tc, "function", VBX_JSON_OBJECT);
  int rc = vbx_blocks_tool(&s->blocks, idx, vbx_lj_get_str(h, tc, "id"), vbx_lj_get_str(h, fn, "name"));
  vbx_json *args = vbx_lj_get_typed(h, fn, "arguments", VBX_JSON_STRING);
  if (!rc && args)
    rc = vbx_blocks_tool_json(&s->blocks, idx, h->json_string_value(args), h->json_string_length(args));
  return rc;
}

/* One choice's message (buffered) or delta (streamed). */
static int take_message(oa_stream *s, const vbx_json *m) {
  const vbx_host_services *h = s->h;
  int rc = 0;
  vbx_json *c = vbx_lj_get_typed(h, m, "content", VBX_JSON_STRING);
  if (c) rc = deliver_text(s, h->json_string_value(c), h->json_string_length(c));
  vbx_json *tcs = vbx_lj_get_typed(h, m, "tool_calls", VBX_JSON_ARRAY);
  for (size_t i = 0; tcs && i < h->json_array_size(tcs) && !rc; i++) {
    vbx_json *tc = h->json_array_get(tcs, i);
    if (!vbx_lj_get_typed(h, tc, "index", VBX_JSON_INTEGER)) {
      /* buffered responses carry no index: use the position */
      vbx_json *fn = vbx_lj_get_typed(h, tc, "function", VBX_JSON_OBJECT);
      vbx_json *args = vbx_lj_get_typed(h, fn, "arguments", VBX_JSON_STRING);
      rc = vbx_blocks_tool(&s->blocks, (long)i, vbx_lj_get_str(h, tc, "id"), vbx_lj_get_str(h, fn, "name"));
      if (!rc && args)
        rc = vbx_blocks_tool_json(&s->blocks, (long)i, h->json_string_value(args), h->json_string_length(args));
    } else {
      rc = tool_delta(s, tc);
    }
  }
  return rc;
}

static int take_chunk(oa_stream *s, const vbx_json *doc, const char *what) {
  const vbx_host_services *h = s->h;
  int rc = 0;
  vbx_json *err = h->json_object_get(doc, "error");
  if (err) {
    const char *msg = vbx_lj_get_str(h, err, "message");
    return fail(s, VBX_E_PROVIDER, "provider error in stream: %s",
                msg ? msg : h->json_string_value(err) ? h->json_string_value(err) : "no message");
  }
  const char *model = vbx_lj_get_str(h, doc, "model");
  if (model) snprintf(s->model, sizeof(s->model), "%s", model);
  vbx_json *choices = vbx_lj_get_typed(h, doc, "choices", VBX_JSON_ARRAY);
  for (size_t i = 0; choices && i < h->json_array_size(choices) && !rc; i++) {
    vbx_json *ch = h->json_array_get(choices, i);
    vbx_json *ix = vbx_lj_get_typed(h, ch, "index", VBX_JSON_INTEGER);
    if (ix && h->json_integer_value(ix) != 0) continue; /* n > 1 is not requested */
    vbx_json *m = vbx_lj_get_typed(h, ch, "delta", VBX_JSON_OBJECT);
    if (!m) m = vbx_lj_get_typed(h, ch, "message", VBX_JSON_OBJECT);
    if (m) rc = take_message(s, m);
    const char *f = vbx_lj_get_str(h, ch, "finish_reason");
    if (f) snprintf(s->finish, sizeof(s->finish), "%s", f);
  }
  vbx_json *usage = vbx_lj_get_typed(h, doc, "usage", VBX_JSON_OBJECT);
  if (usage) vbx_openai_usage(h, usage, &s->usage);
  if (rc && !s->msg_set) fail(s, rc, "failed handling %s", what);
  return rc;
}

static int on_event(void *user, const char *event, const char *data, size_t len, const char *id) {
  oa_stream *s = user;
  const vbx_host_services *h = s->h;
  if (len == 6 && !memcmp(data, "[DONE]", 6)) {
    s->done = 1;
    return 0;
  }
  vbx_json *doc = h->json_parse(data, len, NULL);
  if (!doc || h->json_type(doc) != VBX_JSON_OBJECT) {
    if (doc) h->json_decref(doc);
    return fail(s, VBX_E_PROTOCOL, "malformed JSON in '%s' event (chat.completion.chunk)", event);
  }
  int rc = take_chunk(s, doc, "a chat.completion.chunk event");
  h->json_decref(doc);
  return rc;
}

static int st_data(void *user, const char *data, size_t len) {
  oa_stream *s = user;
  int rc = vbx_sse_feed(&s->sse, data, len);
  if (rc && !s->msg_set) {
    s->msg_set = 1;
    vbx_llm_err_set(&s->err, rc, rc == VBX_E_TOOBIG ? "max_response_bytes" : NULL,
                    "SSE stream failed: line or event larger than %zu bytes, or out of memory",
                    s->sse.max_line);
  }
  return rc;
}

static void st_reset(void *user) {
  oa_stream *s = user;
  vbx_sse_reset(&s->sse);
  vbx_blocks_reset(&s->blocks);
  s->done = s->msg_set = 0;
  s->finish[0] = s->model[0] = 0;
  memset(&s->usage, 0, sizeof(s->usage));
  memset(&s->err, 0, sizeof(s->err));
}

static int st_delivered(void *user) { return ((oa_stream *)user)->delivered; }

int vbx_openai_complete(vbx_llm_base *b, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call) {
  const vbx_host_services *h = b->h;
  int stream = b->opts.stream;
  char *body = NULL, *url = NULL, *rbody = NULL, *auth = NULL;
  size_t rlen = 0;
  oa_stream s;
  memset(&s, 0, sizeof(s));
  s.b = b;
  s.h = h;
  s.req = req;
  s.call = call;
  size_t bound = b->opts.max_response_bytes;
  vbx_sse_init(&s.sse, bound, bound, on_event, &s);
  vbx_blocks_init(&s.blocks, h, bound);
  int rc = vbx_openai_body(b, req, stream, &body, call);
  if (rc) goto out;
  url = vbx_llm_url(b, "/v1/chat/completions");
  auth = vbx_llm_secret_header("Authorization: Bearer ", b->api_key);
  if (!url || !auth) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  const char *headers[] = {auth, "Content-Type: application/json",
                           stream ? "Accept: text/event-stream" : "Accept: application/json", NULL};
  vbx_llm_post p = {url, headers, body, strlen(body), b->model, b->api_key_env, b->api_key};
  vbx_llm_stream_ops ops = {st_data, st_reset, st_delivered, &s, &s.err};
  rc = vbx_llm_http_post(h, &b->opts, &p, stream ? &ops : NULL, &rbody, &rlen, &b->rng, call);
  if (rc) goto out;
  if (stream) {
    if ((rc = vbx_sse_finish(&s.sse))) goto out;
    if (!s.done) {
      rc = h->set_error(call, VBX_E_PROVIDER, NULL,
                        "stream ended before completion (no 'data: [DONE]' from %s)", url);
      goto out;
    }
  } else {
    vbx_json *doc = h->json_parse(rbody ? rbody : "", rlen, NULL);
    if (!doc || !vbx_lj_get_typed(h, doc, "choices", VBX_JSON_ARRAY)) {
      if (doc) h->json_decref(doc);
      rc = h->set_error(call, VBX_E_PROTOCOL, NULL,
                        "malformed JSON in the chat.completion response body from %s", url);
      goto out;
    }
    rc = take_chunk(&s, doc, "the chat.completion response");
    h->json_decref(doc);
    if (rc) goto out;
  }
  rc = vbx_llm_finish_response(b, &s.blocks, vbx_openai_stop_reason(s.finish), s.model, &s.usage,
                               resp, call);
out:
  vbx_llm_secret_free(auth);
  h->free(body);
  h->free(rbody);
  free(url);
  vbx_sse_free(&s.sse);
  vbx_blocks_free(&s.blocks);
  return rc;
}
