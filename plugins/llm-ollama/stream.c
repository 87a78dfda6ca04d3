/*
 * llm-ollama/stream.c - one /api/chat call: NDJSON chunks {"message":
 * {"content","tool_calls"},"done":false} ... {"done":true,"done_reason",
 * "prompt_eval_count","eval_count"}, or one object when `stream: false`.
 * Ollama gives tool calls no ids; they are generated ("call_ollama_N",
 * unique per provider instance).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "jsonh.h"
#include "ndjson.h"
#include "ollama.h"
#include "transport.h"

#define TEXT_KEY (-1L)

typedef struct ol_stream {
  vbx_llm_base *b;
  const vbx_host_services *h;
  const vbx_llm_request *req;
  vbx_call *call;
  vbx_ndjson_splitter nd;
  vbx_blocks blocks;
  long ntools;
  int done, delivered, msg_set;
  char done_reason[64];
  char model[257];
  vbx_llm_usage usage;
  vbx_llm_err err;                 /* recorded for the transport */
} ol_stream;

/* Tool-call id counter, shared by all instances (fan-out boxes run
 * concurrently, hence atomic). */
static atomic_ulong g_call_seq;

static int fail(ol_stream *s, int code, const char *fmt, const char *a) {
  s->msg_set = 1;
  vbx_llm_err_set(&s->err, code, NULL, fmt, a);
  return s->h->set_error(s->call, code, NULL, fmt, a);
}

static int take_chunk(ol_stream *s, const vbx_json *doc) {
  const vbx_host_services *h = s->h;
  int rc = 0;
  vbx_json *err = h->json_object_get(doc, "error");
  if (err) {
    const char *m = h->json_string_value(err);
    if (!m) m = vbx_lj_get_str(h, err, "message");
    return fail(s, VBX_E_PROVIDER, "ollama error: %s", m ? m : "no message");
  }
  const char *model = vbx_lj_get_str(h, doc, "model");
  if (model) snprintf(s->model, sizeof(s->model), "%s", model);
  vbx_json *m = vbx_lj_get_typed(h, doc, "message", VBX_JSON_OBJECT);
  vbx_json *c = vbx_lj_get_typed(h, m, "content", VBX_JSON_STRING);
  if (c && h->json_string_length(c) > 0) {
    const char *t = h->json_string_value(c);
    size_t n = h->json_string_length(c);
    rc = vbx_blocks_text(&s->blocks, TEXT_KEY, t, n);
    if (!rc && s->req->on_text) {
      s->delivered = 1;
      if (s->req->on_text(s->req->user, t, n) != 0)
        return fail(s, VBX_E_CANCELLED, "cancelled by the text callback%s", "");
    }
  }
  vbx_json *tcs = vbx_lj_get_typed(h, m, "tool_calls", VBX_JSON_ARRAY);
  for (size_t i = 0; tcs && i < h->json_array_size(tcs) && !rc; i++) {
    vbx_json *fn = vbx_lj_get_typed(h, h->json_array_get(tcs, i), "function", VBX_JSON_OBJECT);
    const char *name = vbx_lj_get_str(h, fn, "name");
    vbx_json *args = fn ? h->json_object_get(fn, "arguments") : NULL;
    if (!name) return fail(s, VBX_E_PROTOCOL, "tool call without function.name%s", "");
    char id[64];
    snprintf(id, sizeof(id), "call_ollama_%lu", atomic_fetch_add(&g_call_seq, 1) + 1);
    long key = s->ntools++;
    rc = vbx_blocks_tool(&s->blocks, key, id, name);
    if (rc) break;
    if (args && h->json_type(args) == VBX_JSON_OBJECT) {
      rc = vbx_blocks_tool_input(&s->blocks, key, args);
    } else if (args && h->json_type(args) == VBX_JSON_STRING) { /* tolerate JSON text */
      rc = vbx_blocks_tool_json(&s->blocks, key, h->json_string_value(args), h->json_string_length(args));
    } else if (args && h->json_type(args) != VBX_JSON_NULL) {
      return fail(s, VBX_E_PROTOCOL, "arguments of tool call '%s' are not an object", name);
    }
  }
  vbx_json *done = h->json_object_get(doc, "done");
  if (!rc && done && h->json_is_true(done)) {
    s->done = 1;
    const char *r = vbx_lj_get_str(h, doc, "done_reason");
    if (r) snprintf(s->done_reason, sizeof(s->done_reason), "%s", r);
    s->usage.input_tokens = vbx_lj_get_u64(h, doc, "prompt_eval_count");
    s->usage.output_tokens = vbx_lj_get_u64(h, doc, "eval_count");
  }
  return rc;
}

static int on_line(void *user, const char *line, size_t len) {
  ol_stream *s = user;
  const vbx_host_services *h = s->h;
  vbx_json *doc = h->json_parse(line, len, NULL);
  if (!doc || h->json_type(doc) != VBX_JSON_OBJECT) {
    if (doc) h->json_decref(doc);
    char what[48];
    snprintf(what, sizeof(what), "%zu", s->nd.lines);
    return fail(s, VBX_E_PROTOCOL, "malformed JSON in NDJSON line %s of the /api/chat stream", what);
  }
  int rc = take_chunk(s, doc);
  h->json_decref(doc);
  if (rc && !s->msg_set) fail(s, rc, "failed handling an /api/chat chunk%s", "");
  return rc;
}

static int st_data(void *user, const char *data, size_t len) {
  ol_stream *s = user;
  int rc = vbx_ndjson_feed(&s->nd, data, len);
  if (rc && !s->msg_set) {
    s->msg_set = 1;
    vbx_llm_err_set(&s->err, rc, rc == VBX_E_TOOBIG ? "max_response_bytes" : NULL,
                    "NDJSON line longer than %zu bytes, or out of memory", s->nd.max_line);
  }
  return rc;
}

static void st_reset(void *user) {
  ol_stream *s = user;
  vbx_ndjson_reset(&s->nd);
  vbx_blocks_reset(&s->blocks);
  s->ntools = 0;
  s->done = s->msg_set = 0;
  s->done_reason[0] = s->model[0] = 0;
  memset(&s->usage, 0, sizeof(s->usage));
  memset(&s->err, 0, sizeof(s->err));
}

static int st_delivered(void *user) { return ((ol_stream *)user)->delivered; }

int vbx_ollama_complete(vbx_llm_base *b, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call) {
  const vbx_host_services *h = b->h;
  int stream = b->opts.stream;
  char *body = NULL, *url = NULL, *rbody = NULL;
  size_t rlen = 0;
  ol_stream s;
  memset(&s, 0, sizeof(s));
  s.b = b;
  s.h = h;
  s.req = req;
  s.call = call;
  size_t bound = b->opts.max_response_bytes;
  vbx_ndjson_init(&s.nd, bound, on_line, &s);
  vbx_blocks_init(&s.blocks, h, bound);
  int rc = vbx_ollama_body(b, req, stream, &body, call);
  if (rc) goto out;
  url = vbx_llm_url(b, "/api/chat");
  if (!url) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  const char *headers[] = {"Content-Type: application/json",
                           stream ? "Accept: application/x-ndjson" : "Accept: application/json", NULL};
  vbx_llm_post p = {url, headers, body, strlen(body), b->model, NULL, NULL};
  vbx_llm_stream_ops ops = {st_data, st_reset, st_delivered, &s, &s.err};
  rc = vbx_llm_http_post(h, &b->opts, &p, stream ? &ops : NULL, &rbody, &rlen, &b->rng, call);
  if (rc) goto out;
  if (stream) {
    if ((rc = vbx_ndjson_finish(&s.nd))) goto out;
  } else if ((rc = on_line(&s, rbody ? rbody : "", rlen))) {
    goto out;
  }
  if (!s.done) {
    rc = h->set_error(call, VBX_E_PROVIDER, NULL,
                      "stream ended before completion (no \"done\": true from %s)", url);
    goto out;
  }
  /* Tool calls win over a length stop; otherwise the defaults apply. */
  const char *stop =
      !vbx_blocks_tools(&s.blocks) && !strcmp(s.done_reason, "length") ? "max_tokens" : NULL;
  rc = vbx_llm_finish_response(b, &s.blocks, stop, s.model, &s.usage, resp, call);
out:
  h->free(body);
  h->free(rbody);
  free(url);
  vbx_ndjson_free(&s.nd);
  vbx_blocks_free(&s.blocks);
  return rc;
}
