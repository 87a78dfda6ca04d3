/*
 * gateway/stream.c - answering `"stream": true` with Anthropic SSE events.
 *
 * The exchange's worker (exchange.c) runs the provider's complete(); its
 * on_text callback turns each text piece into a content_block_delta
 * (text_delta) event as it arrives, appended to the exchange's queue. The
 * connection's thread (libmicrohttpd, thread per connection) drains the
 * queue in the response's content-reader callback, waiting for the
 * worker's signal or the client going away. When complete() returns, the
 * rest follows: any text the provider did not stream, each tool_use block
 * as content_block_start + one input_json_delta + content_block_stop,
 * message_delta (stop_reason, usage), message_stop.
 *
 * The HTTP status is decided before headers go out: the handler waits for
 * the first event or the end, so a provider that fails before producing
 * anything gives a JSON error with a status; a failure after that
 * (including the gateway stopping) is an SSE `error` event, after which
 * the stream ends normally. Back-pressure: on_text waits while more than
 * VBX__GW_STREAM_QUEUE_MAX bytes are unsent. A client that goes away is
 * seen by the reader's wait (or by MHD dropping the response) and cancels
 * the call at once; on_text then returns VBX_E_CANCELLED too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/internal.h"

/* Append one event (data stolen). Caller holds s->mu. OOM is sticky in q. */
static void emit(vbx__gw_xchg *s, const char *name, json_t *data) {
  char *txt = data ? json_dumps(data, JSON_COMPACT) : NULL;
  json_decref(data);
  if (txt == NULL) {
    s->q.failed = 1;
    return;
  }
  vbx__strbuf_printf(&s->q, "event: %s\ndata: %s\n\n", name, txt);
  free(txt);
  vbx__gw_xchg_wake(s);
}

static void ensure_started(vbx__gw_xchg *s) {
  if (s->started) return;
  s->started = 1;
  const char *model = s->gw->model ? s->gw->model : s->gw->llm.impl->name;
  emit(s, "message_start",
       json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:[], s:n, s:n, s:{s:i, s:i}}}", "type",
                 "message_start", "message", "id", s->id, "type", "message", "role", "assistant",
                 "model", model, "content", "stop_reason", "stop_sequence", "usage", "input_tokens",
                 0, "output_tokens", 0));
}

static void block_start(vbx__gw_xchg *s, json_t *block) {
  emit(s, "content_block_start",
       json_pack("{s:s, s:I, s:o}", "type", "content_block_start", "index",
                 (json_int_t)s->next_index, "content_block", block));
}

static void block_delta(vbx__gw_xchg *s, json_t *delta) {
  emit(s, "content_block_delta",
       json_pack("{s:s, s:I, s:o}", "type", "content_block_delta", "index",
                 (json_int_t)s->next_index, "delta", delta));
}

static void block_stop(vbx__gw_xchg *s) {
  emit(s, "content_block_stop",
       json_pack("{s:s, s:I}", "type", "content_block_stop", "index", (json_int_t)s->next_index));
  s->next_index++;
}

static void text_delta(vbx__gw_xchg *s, const char *t, size_t n) {
  block_delta(s, json_pack("{s:s, s:s%}", "type", "text_delta", "text", t, n));
}

static void wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, unsigned ms) {
  struct timespec ts = vbx__timespec_at(vbx__now_ns() + (uint64_t)ms * 1000000u);
  pthread_cond_timedwait(cv, mu, &ts);
}

/* The request's on_text: each provider text piece becomes a text_delta
 * (user: the exchange). */
static int sse_on_text(void *user, const char *text, size_t len) {
  vbx__gw_xchg *s = user;
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  if (vbx__cancel_is_set(&s->gone)) {
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
  /* The reader broadcasts cv when it drains, gone() when the client left;
   * the timeout only bounds how late the gateway stopping is noticed. */
  while (s->q.len - s->q_off > VBX__GW_STREAM_QUEUE_MAX && !vbx__cancel_is_set(&s->gone) &&
         !vbx__cancel_is_set(&s->gw->stopping))
    wait_ms(&s->cv, &s->mu, 250);
  if (vbx__cancel_is_set(&s->gone)) rc = VBX_E_CANCELLED;
out:
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* The end of a successful completion. Caller holds s->mu. */
static void finish(vbx__gw_xchg *s, const vbx_llm_response *resp) {
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
      block_start(
          s, json_pack("{s:s, s:O, s:O, s:{}}", "type", "tool_use", "id", json_object_get(nb, "id"),
                       "name", json_object_get(nb, "name"), "input"));
      if (args)
        block_delta(s, json_pack("{s:s, s:s}", "type", "input_json_delta", "partial_json", args));
      else
        s->q.failed = 1;
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

/* The worker's end, s->mu held: the remaining events of a success, or an
 * SSE error event when the stream had started. */
static void sse_end(vbx__gw_xchg *s, int rc, const vbx_llm_response *resp) {
  if (rc == 0) {
    finish(s, resp);
  } else if (s->started) {
    const char *type;
    vbx__gw_status_for(rc, s->errmsg, &type);
    emit(s, "error",
         json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type", type, "message",
                   s->errmsg));
  }
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  vbx__gw_xchg *s = cls;
  static const char ping[] = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  const uint64_t ping_ns = (uint64_t)VBX__GW_PING_SECS * 1000000000u;
  (void)pos;
  for (;;) {
    ssize_t out = 0;
    int wait_ms_left = 0;
    pthread_mutex_lock(&s->mu);
    size_t pending = s->q.len - s->q_off;
    uint64_t now = vbx__now_ns();
    if (pending > 0) {
      size_t n = pending < max ? pending : max;
      memcpy(buf, s->q.data + s->q_off, n);
      s->q_off += n;
      if (s->q_off == s->q.len) {
        s->q.len = s->q_off = 0;
        s->q.data[0] = 0;
      }
      s->last_out_ns = now;
      pthread_cond_broadcast(&s->cv); /* on_text may be waiting for room */
      out = (ssize_t)n;
    } else if (s->q.failed) {
      out = MHD_CONTENT_READER_END_WITH_ERROR;
    } else if (s->done) {
      out = MHD_CONTENT_READER_END_OF_STREAM;
    } else if (now - s->last_out_ns >= ping_ns && max >= sizeof(ping) - 1) {
      memcpy(buf, ping, sizeof(ping) - 1);
      s->last_out_ns = now;
      out = (ssize_t)(sizeof(ping) - 1);
    } else {
      uint64_t left = s->last_out_ns + ping_ns > now ? s->last_out_ns + ping_ns - now : 0;
      wait_ms_left = (int)(left / 1000000u) + 1;
    }
    pthread_mutex_unlock(&s->mu);
    if (out != 0) return out;
    if (vbx__gw_xchg_watch(s, wait_ms_left) != 0) return MHD_CONTENT_READER_END_WITH_ERROR;
  }
}

/* MHD is done with the response: sent whole, or the connection closed. */
static void reader_free(void *cls) {
  vbx__gw_xchg *s = cls;
  pthread_mutex_lock(&s->mu);
  int done = s->done;
  pthread_mutex_unlock(&s->mu);
  if (!done) vbx__gw_xchg_gone(s);
  vbx__gw_xchg_release(s);
}

static const vbx__gw_sink k_sse_sink = {sse_on_text, sse_end};

enum MHD_Result vbx__gw_stream(vbx__gateway *gw, struct MHD_Connection *c, vbx__gw_conn *conn,
                               vbx__gw_msgreq *req) {
  vbx__gw_xchg *s;
  int rc = vbx__gw_xchg_start(gw, conn, req, &k_sse_sink, &s);
  if (rc == VBX_E_NOMEM) return vbx__gw_reply_error(c, 500, "api_error", "out of memory");
  if (rc != 0)
    return vbx__gw_reply_error(c, 503, "overloaded_error", "cannot start a provider worker thread");
  if (vbx__gw_xchg_wait(s, 1) != 0) { /* the client went away before anything was sent */
    vbx__gw_xchg_release(s);
    return MHD_NO;
  }
  pthread_mutex_lock(&s->mu);
  int started = s->started;
  rc = s->rc;
  char msg[sizeof(s->errmsg)];
  snprintf(msg, sizeof(msg), "%s", s->errmsg);
  pthread_mutex_unlock(&s->mu);
  if (!started) {
    const char *type;
    unsigned status = (unsigned)vbx__gw_status_for(rc, msg, &type);
    vbx__gw_xchg_release(s);
    return vbx__gw_reply_error(c, status, type, msg);
  }
  struct MHD_Response *r =
      vbx__mhd.create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, s, reader_free);
  if (r == NULL) {
    reader_free(s);
    return MHD_NO;
  }
  vbx__mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  vbx__mhd.add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  enum MHD_Result ok = vbx__mhd.queue_response(c, MHD_HTTP_OK, r);
  vbx__mhd.destroy_response(r);
  return ok;
}
