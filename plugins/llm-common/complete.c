/*
 * llm-common/complete.c - the one complete() of the HTTP LLM providers:
 * request checks, body, POST with retries, streamed or buffered answer,
 * end marker, stop reason, priced usage, response (see wire.h). What
 * differs between providers comes from their vbx_llm_wire.
 */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* key + fixed headers + accept + NULL */
#define MAX_HEADERS (1 + 3 + 1 + 1)

static int on_event(void *user, const char *event, const char *data, size_t len, const char *id) {
  vbx_llm_turn *t = user;
  (void)id;
  return t->w->unit(t, event, data, len);
}

static int on_line(void *user, const char *line, size_t len) {
  vbx_llm_turn *t = user;
  return t->w->unit(t, NULL, line, len);
}

/* Transport hooks (vbx_llm_stream_ops): body bytes go to the framing's
 * parser; a parser failure without a message of the wire's gets one. */
static int st_data(void *user, const char *data, size_t len) {
  vbx_llm_turn *t = user;
  int rc = t->w->framing == VBX_LLM_SSE ? vbx_sse_feed(&t->sse, data, len)
                                        : vbx_ndjson_feed(&t->nd, data, len);
  if (rc && !t->msg_set) {
    t->msg_set = 1;
    vbx_llm_err_set(&t->err, rc, rc == VBX_E_TOOBIG ? "max_response_bytes" : NULL,
                    t->w->framing_error[rc == VBX_E_TOOBIG ? 0 : 1], t->b->opts.max_response_bytes);
  }
  return rc;
}

static void st_reset(void *user) { vbx_llm_turn_reset(user); }

static int st_delivered(void *user) { return ((vbx_llm_turn *)user)->delivered; }

static void turn_init(vbx_llm_turn *t, vbx_llm_base *b, const vbx_llm_wire *w,
                      const vbx_llm_request *req, vbx_call *call) {
  memset(t, 0, sizeof(*t));
  t->b = b;
  t->h = b->h;
  t->req = req;
  t->call = call;
  t->w = w;
  size_t bound = b->opts.max_response_bytes;
  if (w->framing == VBX_LLM_SSE)
    vbx_sse_init(&t->sse, bound, bound, on_event, t);
  else
    vbx_ndjson_init(&t->nd, bound, on_line, t);
  vbx_blocks_init(&t->blocks, b->h, bound);
}

static void turn_free(vbx_llm_turn *t) {
  vbx_sse_free(&t->sse);
  vbx_ndjson_free(&t->nd);
  vbx_blocks_free(&t->blocks);
}

/* The request body as JSON text (host->alloc'd in *out). */
static int build_body(vbx_llm_turn *t, int stream, char **out) {
  const vbx_host_services *h = t->h;
  if (!t->req->messages || h->json_type(t->req->messages) != VBX_JSON_ARRAY)
    return h->set_error(t->call, VBX_E_INVAL, "messages", "messages must be an array");
  vbx_lj j = {h, 0};
  vbx_json *o = vbx_lj_obj(&j);
  int rc = o ? t->w->body(&j, o, t->b, t->req, stream, t->call) : 0;
  char *text = rc || j.failed ? NULL : h->json_dump(o);
  if (o) h->json_decref(o);
  if (rc) return rc;
  if (!text) return h->set_error(t->call, VBX_E_NOMEM, NULL, "out of memory building the request");
  *out = text;
  return 0;
}

/* POST body to t->url with the wire's headers; buffered answers land in
 * *rbody (host->alloc'd). The key header is wiped once sent. */
static int post(vbx_llm_turn *t, int stream, const char *body, char **rbody, size_t *rlen) {
  const vbx_host_services *h = t->h;
  const vbx_llm_wire *w = t->w;
  vbx_llm_base *b = t->b;
  char *key = NULL;
  if (w->key_prefix && b->api_key && !(key = vbx_llm_secret_header(w->key_prefix, b->api_key)))
    return h->set_error(t->call, VBX_E_NOMEM, NULL, "out of memory");
  const char *headers[MAX_HEADERS];
  size_t n = 0;
  if (key) headers[n++] = key;
  for (size_t i = 0; i < sizeof(w->headers) / sizeof(w->headers[0]) && w->headers[i]; i++)
    headers[n++] = w->headers[i];
  headers[n++] = w->accept[stream ? 1 : 0];
  headers[n] = NULL;
  vbx_llm_post p = {t->url,
                    headers,
                    body,
                    strlen(body),
                    b->model,
                    key ? b->api_key_env : NULL,
                    key ? b->api_key : NULL};
  vbx_llm_stream_ops ops = {st_data, st_reset, st_delivered, t, &t->err};
  int rc = vbx_llm_http_post(h, &b->opts, &p, stream ? &ops : NULL, rbody, rlen, &b->rng, t->call);
  vbx_llm_secret_free(key);
  return rc;
}

/* The end of a stream or the buffered body; the answer must be complete. */
static int read_answer(vbx_llm_turn *t, int stream, const char *rbody, size_t rlen) {
  const vbx_llm_wire *w = t->w;
  int rc;
  if (stream)
    rc = w->framing == VBX_LLM_SSE ? vbx_sse_finish(&t->sse) : vbx_ndjson_finish(&t->nd);
  else if (w->buffered)
    rc = w->buffered(t, rbody ? rbody : "", rlen);
  else
    rc = w->unit(t, NULL, rbody ? rbody : "", rlen);
  if (rc) return rc;
  if (!t->done)
    return t->h->set_error(t->call, VBX_E_PROVIDER, NULL,
                           "stream ended before completion (no %s from %s)", w->end_marker, t->url);
  return 0;
}

int vbx_llm_complete(vbx_llm_base *b, const vbx_llm_wire *w, const vbx_llm_request *req,
                     vbx_llm_response *resp, vbx_call *call) {
  const vbx_host_services *h = b->h;
  int stream = b->opts.stream;
  char *body = NULL, *url = NULL, *rbody = NULL;
  size_t rlen = 0;
  vbx_llm_turn t;
  turn_init(&t, b, w, req, call);
  int rc = build_body(&t, stream, &body);
  if (rc) goto out;
  t.url = url = vbx_llm_url(b, w->path);
  if (!url) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  if ((rc = post(&t, stream, body, &rbody, &rlen))) goto out;
  if ((rc = read_answer(&t, stream, rbody, rlen))) goto out;
  const char *stop = w->stop ? w->stop(&t) : t.stop[0] ? t.stop : NULL;
  rc = vbx_llm_finish_response(b, &t.blocks, stop, t.model, &t.usage, resp, call);
out:
  h->free(body);
  h->free(rbody);
  free(url);
  turn_free(&t);
  return rc;
}
