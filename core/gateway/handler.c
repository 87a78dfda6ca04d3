/*
 * gateway/handler.c - the libmicrohttpd access handler: token check,
 * routing, bounded body collection, and the non-streaming answer.
 *
 * MHD calls the handler several times per request on the connection's
 * thread: first with the headers (authentication, routing and the
 * Content-Length bound happen here, before any body byte is read, so an
 * unauthenticated or oversized request is answered without reading it;
 * the first valid token makes the connection trusted, see admit.c), then
 * with body pieces, then once with no data. The provider call then runs on
 * an exchange's worker (exchange.c) while this thread watches the client.
 *
 * Every request is counted in gw->inflight from its headers until MHD
 * reports it completed (its answer sent, or the connection gone), so that
 * vbx__gateway_stop can let answers in flight go out before it closes
 * the connections. While the gateway stops, new requests get 503.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/internal.h"

enum { R_MESSAGES = 1, R_DONE = 2 };

typedef struct gw_req {
  int route;
  int too_big;
  size_t discarded;
  vbx__strbuf body;
} gw_req;

static enum MHD_Result complete_buffered(vbx__gateway *gw, struct MHD_Connection *c,
                                         vbx__gw_conn *conn, vbx__gw_msgreq *req) {
  vbx__gw_xchg *x;
  int rc = vbx__gw_xchg_start(gw, conn, req, NULL, &x);
  if (rc == VBX_E_NOMEM) return vbx__gw_reply_error(c, 500, "api_error", "out of memory");
  if (rc != 0)
    return vbx__gw_reply_error(c, 503, "overloaded_error", "cannot start a provider worker thread");
  if (vbx__gw_xchg_wait(x, 0) != 0) { /* the client went away: the call is cancelled */
    vbx__gw_xchg_release(x);
    return MHD_NO;
  }
  /* done: the worker no longer touches rc, errmsg or resp */
  enum MHD_Result ok;
  if (x->rc != 0) {
    const char *type;
    unsigned status = (unsigned)vbx__gw_status_for(x->rc, x->errmsg, &type);
    ok = vbx__gw_reply_error(c, status, type, x->errmsg);
  } else {
    char *j = vbx__gw_message_json(&x->resp, x->id, gw->model);
    ok = vbx__gw_reply(c, 200, j);
    free(j);
  }
  vbx__gw_xchg_release(x);
  return ok;
}

static enum MHD_Result messages(vbx__gateway *gw, struct MHD_Connection *c, gw_req *r) {
  char why[512];
  vbx__gw_msgreq req;
  int rc =
      vbx__gw_parse_request(r->body.data ? r->body.data : "", r->body.len, &req, why, sizeof(why));
  vbx__strbuf_reset(&r->body);
  if (rc == VBX_E_NOMEM) return vbx__gw_reply_error(c, 500, "api_error", why);
  if (rc != 0) return vbx__gw_reply_error(c, 400, "invalid_request_error", why);
  if (vbx__cancel_is_set(&gw->stopping)) {
    vbx__gw_msgreq_free(&req);
    return vbx__gw_reply_error(c, 503, "overloaded_error", "the gateway is stopping");
  }
  vbx__gw_conn *conn = vbx__gw_conn_of(c);
  return req.stream ? vbx__gw_stream(gw, c, conn, &req) : complete_buffered(gw, c, conn, &req);
}

/* First call: headers only. Decide everything that needs no body. */
static enum MHD_Result on_headers(vbx__gateway *gw, struct MHD_Connection *c, const char *url,
                                  const char *method, gw_req *r) {
  if (!vbx__gw_authorised(gw, c)) {
    r->route = R_DONE;
    return vbx__gw_reply_error(c, 401, "authentication_error",
                               "invalid or missing token: send the box's gateway token as "
                               "x-api-key or Authorization: Bearer");
  }
  if (vbx__gw_admit_trust(gw, vbx__gw_conn_of(c)) != 0) return MHD_NO; /* cut meanwhile */
  if (vbx__cancel_is_set(&gw->stopping)) {
    r->route = R_DONE;
    return vbx__gw_reply_error(c, 503, "overloaded_error", "the gateway is stopping");
  }
  int is_messages = strcmp(url, "/v1/messages") == 0;
  int is_models = strcmp(url, "/v1/models") == 0;
  if (is_messages && strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
    const char *cl =
        vbx__mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && strtoull(cl, NULL, 10) > gw->max_body) {
      r->route = R_DONE;
      return vbx__gw_reply_error(c, 413, "request_too_large",
                                 "request body exceeds the gateway's limit");
    }
    r->route = R_MESSAGES;
    return MHD_YES;
  }
  r->route = R_DONE;
  if (is_models && strcmp(method, MHD_HTTP_METHOD_GET) == 0) {
    char *j = vbx__gw_models_json(gw->model);
    enum MHD_Result ok = vbx__gw_reply(c, 200, j);
    free(j);
    return ok;
  }
  if (is_messages || is_models)
    return vbx__gw_reply_error(c, 405, "invalid_request_error", "method not allowed");
  return vbx__gw_reply_error(c, 404, "not_found_error", "no such endpoint");
}

enum MHD_Result vbx__gw_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls) {
  vbx__gateway *gw = cls;
  gw_req *r = *con_cls;
  (void)version;
  if (r == NULL) {
    if ((r = calloc(1, sizeof(*r))) == NULL) return MHD_NO;
    *con_cls = r;
    atomic_fetch_add(&gw->requests, 1);
    pthread_mutex_lock(&gw->mu);
    gw->inflight++;
    pthread_mutex_unlock(&gw->mu);
    return on_headers(gw, c, url, method, r);
  }
  if (r->route != R_MESSAGES) { /* already answered: drop any body */
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    if (!r->too_big && r->body.len + n > gw->max_body) {
      r->too_big = 1;
      vbx__strbuf_reset(&r->body);
    }
    if (r->too_big) { /* chunked body over the limit: discard, but not forever */
      r->discarded += n;
      return r->discarded > gw->max_body ? MHD_NO : MHD_YES;
    }
    if (vbx__strbuf_append(&r->body, upload_data, n) != 0) return MHD_NO;
    return MHD_YES;
  }
  r->route = R_DONE;
  if (r->too_big)
    return vbx__gw_reply_error(c, 413, "request_too_large",
                               "request body exceeds the gateway's limit");
  return messages(gw, c, r);
}

/* A client abort needs nothing here: a provider call in flight belongs to
 * a handler that is still waiting (it sees the socket close) or to an SSE
 * response, whose release (reader_free) cancels it. */
void vbx__gw_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                          enum MHD_RequestTerminationCode toe) {
  vbx__gateway *gw = cls;
  gw_req *r = *con_cls;
  (void)c;
  (void)toe;
  if (r == NULL) return;
  vbx__strbuf_reset(&r->body);
  free(r);
  *con_cls = NULL;
  pthread_mutex_lock(&gw->mu);
  gw->inflight--;
  pthread_cond_broadcast(&gw->cv);
  pthread_mutex_unlock(&gw->mu);
}
