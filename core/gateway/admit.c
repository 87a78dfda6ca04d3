/*
 * gateway/admit.c - which connections the gateway keeps: a connection is
 * *pending* from the moment it is accepted until a request of it presents
 * the box's token, then *trusted* for the rest of its life.
 *
 *   - A pending connection must present the token within the header
 *     deadline (header_ns from accepting it), however it drips its bytes;
 *     libmicrohttpd's own timeout is an inactivity timeout, which a byte
 *     every few seconds resets. The reaper thread shuts down each pending
 *     connection whose deadline has passed.
 *   - At most max_pending connections are pending; a new connection past
 *     that evicts the oldest pending one. The newcomer always gets in, so
 *     clients without the token cannot lock the real client out by holding
 *     slots: they can only push each other out, and the real client sends
 *     its headers (token included) at once.
 *   - At most max_conns connections are live (pending + trusted); a
 *     newcomer past that evicts the oldest pending one, or is closed when
 *     every live connection is trusted.
 *   - A newcomer whose first header block, token included, is already
 *     waiting in its socket when it is accepted is trusted at once
 *     (vbx__gw_peek_authorised). That is what keeps the real client in
 *     when attackers reconnect as fast as they are evicted: a flood of
 *     newcomers could otherwise push it out before its thread has read
 *     its headers. A pending connection about to be evicted is peeked the
 *     same way first (its headers may have arrived just after it was
 *     accepted). A hint only: every request is still authenticated.
 *
 * Cutting a connection is shutdown(fd, SHUT_RDWR) on MHD's socket: MHD's
 * connection thread sees the end of the stream and closes the connection
 * as a client abort. The socket is never closed here. That is safe
 * because MHD reports a connection CLOSED (which unlinks the record under
 * conn_mu) before it closes the socket, so a descriptor reached through
 * the pending list is never one MHD has already closed or reused.
 *
 * MHD's own connection limit is set to max_conns + max_pending (server.c):
 * room for cut connections whose threads are still exiting.
 *
 * Threads: STARTED and CLOSED run on MHD's listening thread, trust on a
 * connection thread, the reaper on its own; all state under gw->conn_mu.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "gateway/internal.h"
#include "util/error.h"

/* Unlink a pending connection. conn_mu held. */
static void unlink_pending(vbx__gateway *gw, vbx__gw_conn *k) {
  if (k->prev)
    k->prev->next = k->next;
  else
    gw->pend_head = k->next;
  if (k->next)
    k->next->prev = k->prev;
  else
    gw->pend_tail = k->prev;
  k->prev = k->next = NULL;
  gw->n_pending--;
  gw->n_live--;
}

/* Close a pending connection: MHD's thread sees EOF. conn_mu held. */
static void cut(vbx__gateway *gw, vbx__gw_conn *k, uint64_t *counter) {
  unlink_pending(gw, k);
  k->state = VBX__GW_CONN_CUT;
  shutdown(k->fd, SHUT_RDWR);
  (*counter)++;
}

/* Make room for a newcomer (`early`: its token is already in its socket):
 * cut the oldest pending connection - unless its token has meanwhile
 * arrived in its socket (a real client whose headers came just after it
 * was accepted, on a busy machine), which is trusted instead, and the
 * room is looked for again. At most EVICT_PEEKS connections are looked
 * at, so a newcomer costs a bounded number of peeks. conn_mu held. */
#define EVICT_PEEKS 8
static int room_needed(const vbx__gateway *gw, int early) {
  return gw->n_live >= gw->max_conns || (!early && gw->n_pending >= gw->max_pending);
}

static void make_room(vbx__gateway *gw, int early) {
  for (int i = 0; i < EVICT_PEEKS && gw->pend_head != NULL && room_needed(gw, early); i++) {
    vbx__gw_conn *k = gw->pend_head;
    if (!vbx__gw_peek_authorised(gw, k->fd)) {
      cut(gw, k, &gw->n_evicted);
      return;
    }
    unlink_pending(gw, k);
    gw->n_live++; /* still live, now trusted */
    k->state = VBX__GW_CONN_TRUSTED;
    gw->n_early++;
  }
}

static void *reaper(void *arg) {
  vbx__gateway *gw = arg;
  pthread_mutex_lock(&gw->conn_mu);
  while (!gw->reaper_stop) {
    uint64_t now = vbx__now_ns();
    while (gw->pend_head != NULL && gw->pend_head->deadline_ns <= now)
      cut(gw, gw->pend_head, &gw->n_expired);
    if (gw->pend_head == NULL) {
      pthread_cond_wait(&gw->conn_cv, &gw->conn_mu);
      continue;
    }
    /* The head has the earliest deadline: the list is in accept order and
     * every deadline is the same offset from its accept. */
    struct timespec ts = vbx__timespec_at(gw->pend_head->deadline_ns);
    pthread_cond_timedwait(&gw->conn_cv, &gw->conn_mu, &ts);
  }
  pthread_mutex_unlock(&gw->conn_mu);
  return NULL;
}

int vbx__gw_admit_start(vbx__gateway *gw, unsigned max_conns, unsigned max_pending,
                        unsigned header_secs, vbx_error *err) {
  gw->max_conns = max_conns;
  gw->max_pending = max_pending;
  gw->header_ns = (uint64_t)header_secs * 1000000000u;
  int e = pthread_create(&gw->reaper, NULL, reaper, gw);
  if (e != 0)
    return vbx__error_set(err, VBX_E_IO, "gateway: cannot start the header-deadline thread: %s",
                          strerror(e));
  gw->reaper_started = 1;
  return 0;
}

void vbx__gw_admit_stop(vbx__gateway *gw) {
  if (!gw->reaper_started) return;
  pthread_mutex_lock(&gw->conn_mu);
  gw->reaper_stop = 1;
  pthread_cond_broadcast(&gw->conn_cv);
  pthread_mutex_unlock(&gw->conn_mu);
  pthread_join(gw->reaper, NULL);
  gw->reaper_started = 0;
}

static void started(vbx__gateway *gw, struct MHD_Connection *c, void **socket_context) {
  const union MHD_ConnectionInfo *ci =
      vbx__mhd.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  vbx__gw_conn *k = calloc(1, sizeof(*k));
  if (ci == NULL || k == NULL) { /* cannot account for it: do not keep it */
    if (ci != NULL) shutdown(ci->connect_fd, SHUT_RDWR);
    free(k);
    *socket_context = NULL;
    return;
  }
  k->fd = ci->connect_fd;
  int early = vbx__gw_peek_authorised(gw, k->fd);
  pthread_mutex_lock(&gw->conn_mu);
  make_room(gw, early);
  if (gw->n_live >= gw->max_conns) { /* every live connection is trusted */
    k->state = VBX__GW_CONN_CUT;
    shutdown(k->fd, SHUT_RDWR);
    gw->n_refused++;
  } else if (early) {
    k->state = VBX__GW_CONN_TRUSTED;
    gw->n_live++;
    gw->n_early++;
  } else {
    k->state = VBX__GW_CONN_PENDING;
    k->deadline_ns = vbx__now_ns() + gw->header_ns;
    k->prev = gw->pend_tail;
    if (gw->pend_tail)
      gw->pend_tail->next = k;
    else
      gw->pend_head = k;
    gw->pend_tail = k;
    gw->n_pending++;
    gw->n_live++;
    if (gw->pend_head == k) pthread_cond_broadcast(&gw->conn_cv); /* a first deadline */
  }
  pthread_mutex_unlock(&gw->conn_mu);
  *socket_context = k;
}

static void closed(vbx__gateway *gw, void **socket_context) {
  vbx__gw_conn *k = *socket_context;
  if (k == NULL) return;
  pthread_mutex_lock(&gw->conn_mu);
  if (k->state == VBX__GW_CONN_PENDING)
    unlink_pending(gw, k);
  else if (k->state == VBX__GW_CONN_TRUSTED)
    gw->n_live--;
  pthread_mutex_unlock(&gw->conn_mu);
  free(k);
  *socket_context = NULL;
}

void vbx__gw_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                           enum MHD_ConnectionNotificationCode code) {
  vbx__gateway *gw = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    started(gw, c, socket_context);
  else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
    closed(gw, socket_context);
}

vbx__gw_conn *vbx__gw_conn_of(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci =
      vbx__mhd.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? (vbx__gw_conn *)ci->socket_context : NULL;
}

int vbx__gw_admit_trust(vbx__gateway *gw, vbx__gw_conn *k) {
  if (k == NULL) return VBX_E_CANCELLED;
  pthread_mutex_lock(&gw->conn_mu);
  if (k->state == VBX__GW_CONN_PENDING) {
    unlink_pending(gw, k);
    gw->n_live++; /* still live, now trusted */
    k->state = VBX__GW_CONN_TRUSTED;
  }
  int rc = k->state == VBX__GW_CONN_CUT ? VBX_E_CANCELLED : 0;
  pthread_mutex_unlock(&gw->conn_mu);
  return rc;
}

void vbx__gateway_admission_counts(const vbx__gateway *cgw, vbx__gateway_admission *out) {
  vbx__gateway *gw = (vbx__gateway *)cgw; /* the lock only */
  memset(out, 0, sizeof(*out));
  if (gw == NULL) return;
  pthread_mutex_lock(&gw->conn_mu);
  out->evicted = gw->n_evicted;
  out->expired = gw->n_expired;
  out->refused = gw->n_refused;
  out->trusted_early = gw->n_early;
  pthread_mutex_unlock(&gw->conn_mu);
  pthread_mutex_lock(&gw->mu);
  out->over_limit = gw->n_over_limit;
  pthread_mutex_unlock(&gw->mu);
}
