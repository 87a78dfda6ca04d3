/*
 * llm-anthropic/stream.c - one completion: the SSE event stream
 * (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping, error) or a buffered response when `stream: false`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anthropic.h"
#include "blocks.h"
#include "jsonh.h"
#include "sse.h"
#include "transport.h"

typedef struct an_stream {
  vbx_llm_base *b;
  const vbx_host_services *h;
  const vbx_llm_request *req;
  vbx_call *call;
  vbx_sse_parser sse;
  vbx_blocks blocks;
  int started, stopped, delivered, msg_set;
  char stop_reason[64];
  char model[257];
  vbx_llm_usage usage;
  vbx_llm_err err;                 /* recorded for the transport */
} an_stream;

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

static int fail(an_stream *s, int code, const char *fmt, const char *a, const char *b) {
  s->msg_set = 1;
  vbx_llm_err_set(&s->err, code, NULL, fmt, a, b);
  return s->h->set_error(s->call, code, NULL, fmt, a, b);
}

static int deliver_text(an_stream *s, const char *t, size_t n) {
  if (!s->req->on_text || n == 0) return 0;
  s->delivered = 1;
  if (s->req->on_text(s->req->user, t, n) != 0)
    return fail(s, VBX_E_CANCELLED, "cancelled by the text callback%s%s", "", "");
  return 0;
}

static void copy(char *dst, size_t cap, const char *src) {
  if (src) snprintf(dst, cap, "%s", src);
}

static int on_block_start(an_stream *s, const vbx_json *ev, long idx) {
  const vbx_host_services *h = s->h;
  vbx_json *cb = vbx_lj_get_typed(h, ev, "content_block", VBX_JSON_OBJECT);
  const char *type = vbx_lj_get_str(h, cb, "type");
  if (!type) return fail(s, VBX_E_PROTOCOL, "'content_block_start' event without content_block.type%s%s", "", "");
  if (!strcmp(type, "text")) {
    const char *t = vbx_lj_get_str(h, cb, "text");
    int rc = vbx_blocks_text(&s->blocks, idx, t ? t : "", t ? strlen(t) : 0);
    if (rc) return rc;
    return deliver_text(s, t, t ? strlen(t) : 0);
  }
  if (!strcmp(type, "tool_use")) {
    const char *id = vbx_lj_get_str(h, cb, "id"), *name = vbx_lj_get_str(h, cb, "name");
    if (!id || !name) return fail(s, VBX_E_PROTOCOL, "tool_use block without id or name%s%s", "", "");
    return vbx_blocks_tool(&s->blocks, idx, id, name);
  }
  return 0; /* thinking and other block types are not part of the canonical content */
}

static int on_delta(an_stream *s, const vbx_json *ev, long idx) {
  const vbx_host_services *h = s->h;
  vbx_json *d = vbx_lj_get_typed(h, ev, "delta", VBX_JSON_OBJECT);
  const char *type = vbx_lj_get_str(h, d, "type");
  if (!type) return fail(s, VBX_E_PROTOCOL, "'content_block_delta' event without delta.type%s%s", "", "");
  if (!strcmp(type, "text_delta")) {
    vbx_json *t = vbx_lj_get_typed(h, d, "text", VBX_JSON_STRING);
    if (!t) return fail(s, VBX_E_PROTOCOL, "text_delta without text%s%s", "", "");
    const char *txt = h->json_string_value(t);
    size_t n = h->json_string_length(t);
    int rc = vbx_blocks_text(&s->blocks, idx, txt, n);
    if (rc) return rc;
    return deliver_text(s, txt, n);
  }
  if (!strcmp(type, "input_json_delta")) {
    vbx_json *p = vbx_lj_get_typed(h, d, "partial_json", VBX_JSON_STRING);
    if (!p) return fail(s, VBX_E_PROTOCOL, "input_json_delta without partial_json%s%s", "", "");
    return vbx_blocks_tool_json(&s->blocks, idx, h->json_string_value(p), h->json_string_length(p));
  }
  return 0; /* thinking_delta, signature_delta, ... */
}

static int on_event(void *user, const char *event, const char *data, size_t len, const char *id) {
  an_stream *s = user;
  const vbx_host_services *h = s->h;
  int rc = 0;
  if (!strcmp(event, "ping")) return 0;
  vbx_json *ev = h->json_parse(data, len, NULL);
  if (!ev || h->json_type(ev) != VBX_JSON_OBJECT) {
    rc = fail(s, VBX_E_PROTOCOL, "malformed JSON in '%s' event%s", event, "");
    goto out;
  }
  vbx_json *ix = vbx_lj_get_typed(h, ev, "index", VBX_JSON_INTEGER);
  long idx = ix ? (long)h->json_integer_value(ix) : 0;
  if (!strcmp(event, "message_start")) {
    vbx_json *m = vbx_lj_get_typed(h, ev, "message", VBX_JSON_OBJECT);
    copy(s->model, sizeof(s->model), vbx_lj_get_str(h, m, "model"));
    vbx_anthropic_usage(h, vbx_lj_get_typed(h, m, "usage", VBX_JSON_OBJECT), &s->usage);
    s->started = 1;
  } else if (!strcmp(event, "content_block_start")) {
    rc = on_block_start(s, ev, idx);
  } else if (!strcmp(event, "content_block_delta")) {
    rc = on_delta(s, ev, idx);
  } else if (!strcmp(event, "message_delta")) {
    vbx_json *d = vbx_lj_get_typed(h, ev, "delta", VBX_JSON_OBJECT);
    copy(s->stop_reason, sizeof(s->stop_reason), vbx_lj_get_str(h, d, "stop_reason"));
    vbx_anthropic_usage(h, vbx_lj_get_typed(h, ev, "usage", VBX_JSON_OBJECT), &s->usage);
  } else if (!strcmp(event, "message_stop")) {
    s->stopped = 1;
  } else if (!strcmp(event, "error")) {
    vbx_json *e = vbx_lj_get_typed(h, ev, "error", VBX_JSON_OBJECT);
    const char *type = vbx_lj_get_str(h, e, "type"), *msg = vbx_lj_get_str(h, e, "message");
    rc = fail(s, VBX_E_PROVIDER, "provider error in stream (%s): %s", type ? type : "error",
              msg ? msg : "no message");
  }
  if (rc && !s->msg_set)
    fail(s, rc, "failed handling '%s' event%s", event,
         rc == VBX_E_TOOBIG ? ": content larger than max_response_bytes" : "");
out:
  if (ev) h->json_decref(ev);
  return rc;
}

static int st_data(void *user, const char *data, size_t len) {
  an_stream *s = user;
  int rc = vbx_sse_feed(&s->sse, data, len);
  if (rc && !s->msg_set) {
    s->msg_set = 1;
    vbx_llm_err_set(&s->err, rc, rc == VBX_E_TOOBIG ? "max_response_bytes" : NULL,
                    rc == VBX_E_TOOBIG ? "SSE line or event larger than its bound (%zu bytes)"
                                       : "SSE stream failed (%zu)",
                    s->sse.max_line);
  }
  return rc;
}

static void st_reset(void *user) {
  an_stream *s = user;
  vbx_sse_reset(&s->sse);
  vbx_blocks_reset(&s->blocks);
  s->started = s->stopped = s->msg_set = 0;
  s->stop_reason[0] = s->model[0] = 0;
  memset(&s->usage, 0, sizeof(s->usage));
  memset(&s->err, 0, sizeof(s->err));
}

static int st_delivered(void *user) { return ((an_stream *)user)->delivered; }

/* Buffered response: {"content":[...],"model","stop_reason","usage"}. */
static int parse_body(an_stream *s, const char *body, size_t len) {
  const vbx_host_services *h = s->h;
  int rc = 0;
  vbx_json *doc = h->json_parse(body ? body : "", len, NULL);
  vbx_json *content = vbx_lj_get_typed(h, doc, "content", VBX_JSON_ARRAY);
  if (!content) {
    rc = fail(s, VBX_E_PROTOCOL, "malformed JSON in the response body (no content array)%s%s", "", "");
    goto out;
  }
  for (size_t i = 0; i < h->json_array_size(content) && !rc; i++) {
    vbx_json *blk = h->json_array_get(content, i);
    const char *type = vbx_lj_get_str(h, blk, "type");
    if (type && !strcmp(type, "text")) {
      vbx_json *t = vbx_lj_get_typed(h, blk, "text", VBX_JSON_STRING);
      if (!t) continue;
      rc = vbx_blocks_text(&s->blocks, (long)i, h->json_string_value(t), h->json_string_length(t));
      if (!rc) rc = deliver_text(s, h->json_string_value(t), h->json_string_length(t));
    } else if (type && !strcmp(type, "tool_use")) {
      rc = vbx_blocks_tool(&s->blocks, (long)i, vbx_lj_get_str(h, blk, "id"), vbx_lj_get_str(h, blk, "name"));
      vbx_json *in = h->json_object_get(blk, "input");
      if (!rc && in) rc = vbx_blocks_tool_input(&s->blocks, (long)i, in);
    }
  }
  copy(s->model, sizeof(s->model), vbx_lj_get_str(h, doc, "model"));
  copy(s->stop_reason, sizeof(s->stop_reason), vbx_lj_get_str(h, doc, "stop_reason"));
  vbx_anthropic_usage(h, vbx_lj_get_typed(h, doc, "usage", VBX_JSON_OBJECT), &s->usage);
  s->started = s->stopped = 1;
out:
  if (doc) h->json_decref(doc);
  return rc;
}

int vbx_anthropic_complete(vbx_llm_base *b, const vbx_llm_request *req, vbx_llm_response *resp,
                           vbx_call *call) {
  const vbx_host_services *h = b->h;
  int stream = b->opts.stream;
  char *body = NULL, *url = NULL, *rbody = NULL, *hkey = NULL;
  size_t rlen = 0;
  an_stream s;
  memset(&s, 0, sizeof(s));
  s.b = b;
  s.h = h;
  s.req = req;
  s.call = call;
  size_t bound = b->opts.max_response_bytes;
  vbx_sse_init(&s.sse, bound, bound, on_event, &s);
  vbx_blocks_init(&s.blocks, h, bound);
  int rc = vbx_anthropic_body(b, req, stream, &body, call);
  if (rc) goto out;
  url = vbx_llm_url(b, "/v1/messages");
  hkey = vbx_llm_secret_header("x-api-key: ", b->api_key);
  if (!url || !hkey) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  const char *headers[] = {hkey, "anthropic-version: " VBX_ANTHROPIC_VERSION,
                           "content-type: application/json",
                           stream ? "accept: text/event-stream" : "accept: application/json", NULL};
  vbx_llm_post p = {url, headers, body, strlen(body), b->model, b->api_key_env, b->api_key};
  vbx_llm_stream_ops ops = {st_data, st_reset, st_delivered, &s, &s.err};
  rc = vbx_llm_http_post(h, &b->opts, &p, stream ? &ops : NULL, &rbody, &rlen, &b->rng, call);
  if (rc) goto out;
  if (stream) {
    rc = vbx_sse_finish(&s.sse);
    if (rc) goto out;
    if (!s.stopped) {
      rc = h->set_error(call, VBX_E_PROVIDER, NULL,
                        "stream ended before completion (no message_stop event from %s)", url);
      goto out;
    }
  } else if ((rc = parse_body(&s, rbody, rlen))) {
    goto out;
  }
  rc = vbx_llm_finish_response(b, &s.blocks, s.stop_reason[0] ? s.stop_reason : NULL, s.model,
                               &s.usage, resp, call);
out:
  vbx_llm_secret_free(hkey);
  h->free(body);
  h->free(rbody);
  free(url);
  vbx_sse_free(&s.sse);
  vbx_blocks_free(&s.blocks);
  return rc;
}
