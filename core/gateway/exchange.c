/*
 * gateway/exchange.c - one provider call, run on a worker thread while the
 * connection's thread watches the client.
 *
 * Why a worker even for a buffered answer: libmicrohttpd (thread per
 * connection) does not look at a connection while its handler or content
 * reader runs, so a handler blocked in complete() would never notice its
 * client going away, and the provider (and the upstream behind it) would
 * be held until it finished on its own. Instead the connection's thread
 * waits in poll() on two descriptors: the client's socket (POLLRDHUP: the
 * peer closed; POLLHUP: MHD shut it down while stopping) and an eventfd the
 * worker writes whenever it has news. A client that goes away sets the
 * call's third cancel source at once, which the provider sees through
 * host->is_cancelled() and the host HTTP helper at its next check.
 *
 * The record is shared by the worker and the connection's side (handler,
 * then the SSE reader) and freed by whichever lets go last. The worker
 * thread is detached and counted in gw->workers, which vbx__gateway_stop
 * waits for before destroying the provider.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/observe_llm.h"
#include "gateway/internal.h"

void vbx__gw_xchg_wake(vbx__gw_xchg *x) {
  uint64_t one = 1;
  ssize_t n = write(x->wake_fd, &one, sizeof(one)); /* EAGAIN: the count is already non-zero */
  (void)n;
}

void vbx__gw_xchg_gone(vbx__gw_xchg *x) {
  vbx__cancel_set(&x->gone);
  pthread_mutex_lock(&x->mu);
  pthread_cond_broadcast(&x->cv);
  pthread_mutex_unlock(&x->mu);
}

void vbx__gw_xchg_release(vbx__gw_xchg *x) {
  pthread_mutex_lock(&x->mu);
  unsigned left = --x->refs;
  pthread_mutex_unlock(&x->mu);
  if (left) return;
  vbx__gw_msgreq_free(&x->req);
  vbx__gw_response_free(&x->resp);
  vbx__strbuf_reset(&x->q);
  vbx__strbuf_reset(&x->streamed);
  close(x->wake_fd);
  pthread_cond_destroy(&x->cv);
  pthread_mutex_destroy(&x->mu);
  free(x);
}

static void *worker(void *arg) {
  vbx__gw_xchg *x = arg;
  vbx__gateway *gw = x->gw;
  vbx_call call;
  vbx__gw_call_init(gw, &call, &x->gone);
  vbx_llm_request r;
  memset(&r, 0, sizeof(r));
  r.struct_size = sizeof(r);
  r.system = x->req.system;
  r.messages = (const vbx_json *)x->req.messages;
  r.tools = (const vbx_json *)x->req.tools;
  r.max_tokens = x->req.max_tokens;
  if (x->sink != NULL) {
    r.on_text = x->sink->on_text;
    r.user = x;
  }
  vbx_llm_response resp;
  memset(&resp, 0, sizeof(resp));
  resp.struct_size = sizeof(resp);
  vbx__llm_call_info ci = {
      .system = gw->system, .model = gw->model, .box = gw->obs.box, .max_tokens = r.max_tokens};
  /* this thread works for the box: its scope, then the call's span */
  vbx__obs_scope thread_scope, box_scope;
  vbx_span *span = NULL;
  if (gw->obs.hub != NULL) {
    vbx__obs_enter(gw->obs.hub, gw->obs.span, gw->obs.box, &thread_scope);
    span = vbx__obs_llm_begin(&ci, &box_scope);
  }
  uint64_t t0 = vbx__now_ns();
  vbx__gw_provider_lock(gw);
  int rc = vbx__inst_complete(&gw->llm, &r, &resp, &call);
  vbx__gw_provider_unlock(gw);
  if (rc == 0 && !json_is_array((json_t *)resp.content))
    rc = vbx__call_fail(&call, VBX_E_PLUGIN, NULL, "provider returned no content array");
  if (gw->obs.hub != NULL) {
    vbx__obs_llm_end(&ci, span, &box_scope, rc, vbx__call_message(&call, rc), &resp,
                     vbx__now_ns() - t0);
    vbx__obs_leave(&thread_scope);
  }
  pthread_mutex_lock(&x->mu);
  if (rc == VBX_E_CANCELLED && vbx__cancel_is_set(&gw->stopping))
    snprintf(x->errmsg, sizeof(x->errmsg), "the gateway is stopping");
  else if (rc != 0)
    snprintf(x->errmsg, sizeof(x->errmsg), "%s", vbx__call_message(&call, rc));
  x->rc = rc;
  if (x->sink != NULL) {
    x->sink->on_end(x, rc, &resp);
    vbx__gw_response_free(&resp);
  } else {
    x->resp = resp; /* the handler builds the message from it */
  }
  x->done = 1;
  vbx__gw_xchg_wake(x);
  pthread_mutex_unlock(&x->mu);
  vbx__gw_xchg_release(x);
  pthread_mutex_lock(&gw->mu);
  gw->workers--;
  pthread_cond_broadcast(&gw->cv);
  pthread_mutex_unlock(&gw->mu);
  return NULL;
}

int vbx__gw_xchg_start(vbx__gateway *gw, vbx__gw_conn *conn, vbx__gw_msgreq *req,
                       const vbx__gw_sink *sink, vbx__gw_xchg **out) {
  *out = NULL;
  vbx__gw_xchg *x = calloc(1, sizeof(*x));
  if (x == NULL) {
    vbx__gw_msgreq_free(req);
    return VBX_E_NOMEM;
  }
  x->req = *req;
  x->sink = sink;
  memset(req, 0, sizeof(*req));
  x->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (x->wake_fd < 0) {
    vbx__gw_msgreq_free(&x->req);
    free(x);
    return VBX_E_IO;
  }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&x->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&x->mu, NULL);
  x->gw = gw;
  x->client_fd = conn ? conn->fd : -1;
  x->refs = 2; /* the worker's and the caller's */
  x->resp.struct_size = sizeof(x->resp);
  x->last_out_ns = vbx__now_ns();
  vbx__gw_message_id(x->id, sizeof(x->id));
  pthread_mutex_lock(&gw->mu);
  gw->workers++;
  pthread_mutex_unlock(&gw->mu);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t th;
  int err = pthread_create(&th, &attr, worker, x);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    pthread_mutex_lock(&gw->mu);
    gw->workers--;
    pthread_cond_broadcast(&gw->cv);
    pthread_mutex_unlock(&gw->mu);
    x->refs = 1;
    vbx__gw_xchg_release(x);
    return VBX_E_IO;
  }
  *out = x;
  return 0;
}

int vbx__gw_xchg_watch(vbx__gw_xchg *x, int timeout_ms) {
  struct pollfd p[2] = {{x->client_fd, POLLRDHUP, 0}, {x->wake_fd, POLLIN, 0}};
  int n = poll(p, 2, timeout_ms);
  if (n < 0 && errno != EINTR) { /* cannot watch: treat the client as gone */
    vbx__gw_xchg_gone(x);
    return VBX_E_CANCELLED;
  }
  if (n > 0 && (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
    vbx__gw_xchg_gone(x);
    return VBX_E_CANCELLED;
  }
  if (n > 0 && (p[1].revents & POLLIN)) {
    uint64_t v;
    ssize_t k = read(x->wake_fd, &v, sizeof(v));
    (void)k;
  }
  return 0;
}

int vbx__gw_xchg_wait(vbx__gw_xchg *x, int until_started) {
  for (;;) {
    pthread_mutex_lock(&x->mu);
    int ready = x->done || (until_started && x->started);
    pthread_mutex_unlock(&x->mu);
    if (ready) return 0;
    if (vbx__gw_xchg_watch(x, -1) != 0) return VBX_E_CANCELLED;
  }
}
