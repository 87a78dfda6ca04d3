/*
 * gateway/stream.c - answering `"stream": true` with Anthropic SSE events.
 *
 * A worker thread runs the provider's complete(); its on_text callback
 * turns each text piece into a content_block_delta (text_delta) event as it
 * arrives, appended to a queue. The connection's thread (libmicrohttpd,
 * thread per connection) drains the queue in the response's content-reader
 * callback, blocking until bytes, the end, or the gateway stopping. When
 * complete() returns, the rest follows: any text the provider did not
 * stream, each tool_use block as content_block_start + one input_json_delta
 * + content_block_stop, message_delta (stop_reason, usage), message_stop.
 *
 * The HTTP status is decided before headers go out: the handler waits for
 * the first event or the end, so a provider that fails before producing
 * anything gives a JSON error with a status; a failure after that is an SSE
 * `error` event. Back-pressure: on_text waits while more than
 * VBX__GW_STREAM_QUEUE_MAX bytes are unsent. A client that goes away makes
 * the next on_text return VBX_E_CANCELLED, which aborts the upstream call.
 *
 * The stream record is shared by the worker and the MHD response and freed
 * by whichever lets go last (refs, under s->mu).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/internal.h"

typedef struct gw_stream {
  vbx__gateway *gw;
  vbx__gw_msgreq req;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  vbx__strbuf q;                 /* SSE bytes not yet handed to MHD */
  size_t q_off;
  int started, text_open, done, client_gone;
  int rc;                        /* complete()'s result once done */
  unsigned refs;
  size_t next_index;             /* next content block index */
  vbx__strbuf streamed;          /* text already sent as text_delta */
  uint64_t last_out_ns;
  char id[48];
  char errmsg[1024];
} gw_stream;

static void wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, unsigned ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  pthread_cond_timedwait(cv, mu, &ts);
}

static void release(gw_stream *s) {
  pthread_mutex_lock(&s->mu);
  unsigned left = --s->refs;
  pthread_mutex_unlock(&s->mu);
  if (left) return;
  vbx__gw_msgreq_free(&s->req);
  vbx__strbuf_reset(&s->q);
  vbx__strbuf_reset(&s->streamed);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* Append one event (data stolen). Caller holds s->mu. OOM is sticky in q. */
static void emit(gw_stream *s, const char *name, json_t *data) {
  char *txt = data ? json_dumps(data, JSON_COMPACT) : NULL;
  json_decref(data);
  if (txt == NULL) {
    s->q.failed = 1;
    return;
  }
  vbx__strbuf_printf(&s->q, "event: %s\ndata: %s\n\n", name, txt);
  free(txt);
  pthread_cond_broadcast(&s->cv);
}

static void ensure_started(gw_stream *s) {
  if (s->started) return;
  s->started = 1;
  const char *model = s->gw->model ? s->gw->model : s->gw->impl->name;
  emit(s, "message_start",
       json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:[], s:n, s:n, s:{s:i, s:i}}}", "type",
                 "message_start", "message", "id", s->id, "type", "message", "role", "assistant",
                 "model", model, "content", "stop_reason", "stop_sequence", "usage",
                 "input_tokens", 0, "output_tokens", 0));
}

static void block_start(gw_stream *s, json_t *block) {
  emit(s, "content_block_start", json_pack("{s:s, s:I, s:o}", "type", "content_block_start",
                                           "index", (json_int_t)s->next_index, "content_block", block));
}

static void block_delta(gw_stream *s, json_t *delta) {
  emit(s, "content_block_delta", json_pack("{s:s, s:I, s:o}", "type", "content_block_delta",
                                           "index", (json_int_t)s->next_index, "delta", delta));
}

static void block_stop(gw_stream *s) {
  emit(s, "content_block_stop",
       json_pack("{s:s, s:I}", "type", "content_block_stop", "index", (json_int_t)s->next_index));
  s->next_index++;
}

static void text_delta(gw_stream *s, const char *t, size_t n) {
  block_delta(s, json_pack("{s:s, s:s%}", "type", "text_delta", "text", t, n));
}

static int on_text(void *user, const char *text, size_t len) {
  gw_stream *s = user;
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  if (s->client_gone) {
    rc = VBX_E_CANCELLED;
    goto out;
  }
  ensure_started(s);
  if (!s->text_open) {
    s->text_open = 1;
    block_start(s, json_pack("{s:s, s:s}", "type", "text", "text", ""));
  }
  text_delta(s, text, len);
  vbx__strbuf_append(&s->streamed, text, len);
  if (s->q.failed || s->streamed.failed) {
    rc = VBX_E_NOMEM;
    goto out;
  }
  while (s->q.len - s->q_off > VBX__GW_STREAM_QUEUE_MAX && !s->client_gone &&
         !vbx__cancel_is_set(&s->gw->stopping))
    wait_ms(&s->cv, &s->mu, 250);
  if (s->client_gone) rc = VBX_E_CANCELLED;
out:
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* The end of a successful completion. Caller holds s->mu. */
static void finish(gw_stream *s, const vbx_llm_response *resp) {
  json_t *content = (json_t *)resp->content;
  int streamed_text = s->text_open;
  size_t i;
  json_t *b;
  ensure_started(s);
  if (s->text_open) {
    /* Text the provider returned beyond what it streamed. */
    vbx__strbuf full = VBX__STRBUF_INIT;
    json_array_foreach(content, i, b) {
      const char *t = json_string_value(json_object_get(b, "type"));
      json_t *tx = json_object_get(b, "text");
      if (t && strcmp(t, "text") == 0 && json_is_string(tx))
        vbx__strbuf_append(&full, json_string_value(tx), json_string_length(tx));
    }
    if (!full.failed && full.len > s->streamed.len &&
        memcmp(full.data, s->streamed.data ? s->streamed.data : "", s->streamed.len) == 0)
      text_delta(s, full.data + s->streamed.len, full.len - s->streamed.len);
    vbx__strbuf_reset(&full);
    block_stop(s);
    s->text_open = 0;
  }
  json_array_foreach(content, i, b) {
    json_t *nb = vbx__gw_block(b);
    const char *t = json_string_value(json_object_get(nb, "type"));
    if (t && strcmp(t, "text") == 0 && !streamed_text) {
      json_t *tx = json_object_get(nb, "text");
      block_start(s, json_pack("{s:s, s:s}", "type", "text", "text", ""));
      text_delta(s, json_string_value(tx), json_string_length(tx));
      block_stop(s);
    } else if (t && strcmp(t, "tool_use") == 0) {
      char *args = json_dumps(json_object_get(nb, "input"), JSON_COMPACT);
      block_start(s, json_pack("{s:s, s:O, s:O, s:{}}", "type", "tool_use", "id",
                               json_object_get(nb, "id"), "name", json_object_get(nb, "name"),
                               "input"));
      if (args) block_delta(s, json_pack("{s:s, s:s}", "type", "input_json_delta", "partial_json", args));
      else s->q.failed = 1;
      free(args);
      block_stop(s);
    }
    json_decref(nb);
  }
  emit(s, "message_delta",
       json_pack("{s:s, s:{s:s, s:n}, s:o}", "type", "message_delta", "delta", "stop_reason",
                 resp->stop_reason ? resp->stop_reason : "end_turn", "stop_sequence", "usage",
                 vbx__gw_usage(&resp->usage)));
  emit(s, "message_stop", json_pack("{s:s}", "type", "message_stop"));
}

static void *worker(void *arg) {
  gw_stream *s = arg;
  vbx__gateway *gw = s->gw;
  vbx_call call;
  vbx__gw_call_init(gw, &call);
  vbx_llm_request r;
  memset(&r, 0, sizeof(r));
  r.struct_size = sizeof(r);
  r.system = s->req.system;
  r.messages = (const vbx_json *)s->req.messages;
  r.tools = (const vbx_json *)s->req.tools;
  r.max_tokens = s->req.max_tokens;
  r.on_text = on_text;
  r.user = s;
  vbx_llm_response resp;
  memset(&resp, 0, sizeof(resp));
  resp.struct_size = sizeof(resp);
  vbx__gw_provider_lock(gw);
  int rc = gw->vt->complete(gw->provider, &r, &resp, &call);
  vbx__gw_provider_unlock(gw);
  pthread_mutex_lock(&s->mu);
  if (rc == 0 && !json_is_array((json_t *)resp.content))
    rc = vbx__call_fail(&call, VBX_E_PLUGIN, NULL, "provider returned no content array");
  if (rc == 0) {
    finish(s, &resp);
  } else {
    snprintf(s->errmsg, sizeof(s->errmsg), "%s", vbx__call_message(&call, rc));
    if (s->started) {
      const char *type;
      vbx__gw_status_for(rc, s->errmsg, &type);
      emit(s, "error", json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type", type,
                                 "message", s->errmsg));
    }
  }
  s->rc = rc;
  s->done = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  vbx__gw_response_free(&resp);
  release(s);
  pthread_mutex_lock(&gw->mu);
  gw->workers--;
  pthread_cond_broadcast(&gw->cv);
  pthread_mutex_unlock(&gw->mu);
  return NULL;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  gw_stream *s = cls;
  ssize_t out;
  (void)pos;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    size_t pending = s->q.len - s->q_off;
    if (pending > 0) {
      size_t n = pending < max ? pending : max;
      memcpy(buf, s->q.data + s->q_off, n);
      s->q_off += n;
      if (s->q_off == s->q.len) {
        s->q.len = s->q_off = 0;
        s->q.data[0] = 0;
      }
      s->last_out_ns = vbx__now_ns();
      pthread_cond_broadcast(&s->cv);
      out = (ssize_t)n;
      break;
    }
    if (s->q.failed || vbx__cancel_is_set(&s->gw->stopping)) {
      out = MHD_CONTENT_READER_END_WITH_ERROR;
      break;
    }
    if (s->done) {
      out = MHD_CONTENT_READER_END_OF_STREAM;
      break;
    }
    static const char ping[] = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
    if (vbx__now_ns() - s->last_out_ns >= (uint64_t)VBX__GW_PING_SECS * 1000000000u &&
        max >= sizeof(ping) - 1) {
      memcpy(buf, ping, sizeof(ping) - 1);
      s->last_out_ns = vbx__now_ns();
      out = (ssize_t)(sizeof(ping) - 1);
      break;
    }
    wait_ms(&s->cv, &s->mu, 250);
  }
  pthread_mutex_unlock(&s->mu);
  return out;
}

static void reader_free(void *cls) {
  gw_stream *s = cls;
  pthread_mutex_lock(&s->mu);
  if (!s->done) s->client_gone = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  release(s);
}

static gw_stream *stream_new(vbx__gateway *gw, vbx__gw_msgreq *req) {
  gw_stream *s = calloc(1, sizeof(*s));
  if (s == NULL) return NULL;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&s->mu, NULL);
  s->gw = gw;
  s->req = *req;
  memset(req, 0, sizeof(*req));
  s->refs = 2; /* the worker and the handler (then the MHD response) */
  s->last_out_ns = vbx__now_ns();
  vbx__gw_message_id(s->id, sizeof(s->id));
  return s;
}

enum MHD_Result vbx__gw_stream(vbx__gateway *gw, struct MHD_Connection *c, vbx__gw_msgreq *req) {
  gw_stream *s = stream_new(gw, req);
  if (s == NULL) return vbx__gw_reply_error(c, 500, "api_error", "out of memory");
  pthread_mutex_lock(&gw->mu);
  gw->workers++;
  pthread_mutex_unlock(&gw->mu);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t th;
  int err = pthread_create(&th, &attr, worker, s);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    pthread_mutex_lock(&gw->mu);
    gw->workers--;
    pthread_mutex_unlock(&gw->mu);
    s->refs = 1;
    release(s);
    return vbx__gw_reply_error(c, 503, "overloaded_error", "cannot start a stream worker thread");
  }
  pthread_mutex_lock(&s->mu);
  while (!s->started && !s->done && !vbx__cancel_is_set(&gw->stopping)) wait_ms(&s->cv, &s->mu, 250);
  int started = s->started;
  char msg[sizeof(s->errmsg)];
  int rc = s->done ? s->rc : VBX_E_CANCELLED;
  snprintf(msg, sizeof(msg), "%s", s->done ? s->errmsg : "the gateway is stopping");
  pthread_mutex_unlock(&s->mu);
  if (!started) {
    const char *type;
    unsigned status = (unsigned)vbx__gw_status_for(rc, msg, &type);
    release(s);
    return vbx__gw_reply_error(c, status, type, msg);
  }
  struct MHD_Response *r =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, s, reader_free);
  if (r == NULL) {
    reader_free(s);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ok;
}
