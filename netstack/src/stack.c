/*
 * netstack/stack.c - ns in front of libslirp, and the poll loop
 * (stack.h).
 */
#include "stack.h"

#include "frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_POLL 512
#define MAX_TIMERS 16

typedef struct ns_timer {
  bool used, armed;
  SlirpTimerId id;
  void *cb_opaque;
  int64_t expire_ms;
} ns_timer;

struct ns_stack {
  ns n;
  Slirp *slirp;
  ns_stack_out_fn out;
  void *user;
  ns_timer timers[MAX_TIMERS];
  struct pollfd fds[MAX_POLL];
  size_t nfds, first_slirp;
  bool slirp_overflow;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- libslirp callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque) {
  ns_stack *s = opaque;
  if (len > NS_FRAME_MAX) return (ssize_t)len; /* dropped, as a wire would */
  ns_from_slirp(&s->n, buf, len, now_ns());
  return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque) {
  ns_stack *s = opaque;
  ns_log(&s->n, "slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque) {
  (void)opaque;
  return (int64_t)now_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque) {
  ns_stack *s = opaque;
  for (size_t i = 0; i < MAX_TIMERS; i++)
    if (!s->timers[i].used) {
      s->timers[i] = (ns_timer){.used = true, .id = id, .cb_opaque = cb_opaque};
      return &s->timers[i];
    }
  ns_log(&s->n, "slirp: out of timers");
  return NULL;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque) {
  (void)cb, (void)cb_opaque, (void)opaque;
  return NULL; /* SlirpConfig version 4 uses timer_new_opaque */
}

static void cb_timer_free(void *timer, void *opaque) {
  (void)opaque;
  if (timer != NULL) memset(timer, 0, sizeof(ns_timer));
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque) {
  (void)opaque;
  ns_timer *t = timer;
  if (t == NULL) return;
  t->armed = true;
  t->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque) { (void)fd, (void)opaque; }
static void cb_unregister_poll_fd(int fd, void *opaque) { (void)fd, (void)opaque; }
static void cb_notify(void *opaque) { (void)opaque; }

static const SlirpCb k_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- ns sinks ---- */

static void to_slirp(void *user, const uint8_t *frame, size_t len) {
  ns_stack *s = user;
  if (len <= (size_t)INT32_MAX) slirp_input(s->slirp, frame, (int)len);
}

static void to_guest(void *user, const uint8_t *frame, size_t len) {
  ns_stack *s = user;
  s->out(s->user, frame, len);
}

static struct in_addr v4(uint32_t host_order) {
  struct in_addr a = {htonl(host_order)};
  return a;
}

ns_stack *ns_stack_new(const ns_config *cfg, ns_stack_out_fn out, void *user, char *err,
                       size_t errcap) {
  ns_stack *s = calloc(1, sizeof *s);
  if (s == NULL) {
    snprintf(err, errcap, "out of memory");
    return NULL;
  }
  s->out = out;
  s->user = user;
  const ns_sink sink = {to_slirp, to_guest, s};
  if (ns_init(&s->n, cfg, &sink, now_ns(), err, errcap) != 0) {
    free(s);
    return NULL;
  }
  SlirpConfig sc = {0};
  sc.version = 4;
  sc.restricted = 0;
  sc.in_enabled = true;
  sc.vnetwork = v4(NS_NET);
  sc.vnetmask = v4(0xffffff00u);
  sc.vhost = v4(NS_HOST);
  sc.in6_enabled = false;
  sc.vhostname = "voidbox";
  sc.vdhcp_start = v4(NS_GUEST);
  sc.vnameserver = v4(NS_DNS);
  sc.disable_host_loopback = false; /* 10.0.2.2 reaches 127.0.0.1 where the policy allows */
  sc.enable_emu = false;
  sc.disable_dns = true; /* ns answers DNS itself */
  sc.disable_dhcp = false;
  s->slirp = slirp_new(&sc, &k_callbacks, s);
  if (s->slirp == NULL) {
    snprintf(err, errcap, "libslirp %s refused its configuration", slirp_version_string());
    ns_fini(&s->n);
    free(s);
    return NULL;
  }
  return s;
}

void ns_stack_input(ns_stack *s, uint8_t *frame, size_t len) {
  ns_from_guest(&s->n, frame, len, now_ns());
}

ns *ns_stack_ns(ns_stack *s) { return &s->n; }

static int cb_add_poll(int fd, int events, void *opaque) {
  ns_stack *s = opaque;
  if (s->nfds >= MAX_POLL) {
    s->slirp_overflow = true;
    return -1;
  }
  short ev = 0;
  if (events & SLIRP_POLL_IN) ev |= POLLIN;
  if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
  if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
  s->fds[s->nfds] = (struct pollfd){.fd = fd, .events = ev};
  return (int)s->nfds++;
}

static int cb_get_revents(int idx, void *opaque) {
  ns_stack *s = opaque;
  if (idx < 0 || (size_t)idx >= s->nfds) return 0;
  short r = s->fds[idx].revents;
  int ev = 0;
  if (r & POLLIN) ev |= SLIRP_POLL_IN;
  if (r & POLLOUT) ev |= SLIRP_POLL_OUT;
  if (r & POLLPRI) ev |= SLIRP_POLL_PRI;
  if (r & POLLERR) ev |= SLIRP_POLL_ERR;
  if (r & POLLHUP) ev |= SLIRP_POLL_HUP;
  return ev;
}

int ns_stack_poll(ns_stack *s, struct pollfd *extra, size_t n_extra, int max_ms) {
  size_t base = 0;
  for (size_t i = 0; i < n_extra && base < MAX_POLL; i++)
    s->fds[base++] = extra[i];
  size_t dns0 = base;
  for (size_t i = 0; i < VBX_NP_MAX_DNS; i++)
    s->fds[base++] = (struct pollfd){.fd = s->n.dns_fd[i], .events = POLLIN};
  s->nfds = base;
  s->first_slirp = base;
  uint32_t timeout = (uint32_t)(max_ms < 0 ? 1000 : max_ms);
  slirp_pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
  uint64_t t = now_ns();
  int64_t now_ms = (int64_t)(t / 1000000);
  for (size_t i = 0; i < MAX_TIMERS; i++)
    if (s->timers[i].used && s->timers[i].armed) {
      int64_t left = s->timers[i].expire_ms - now_ms;
      if (left < 0) left = 0;
      if ((uint64_t)left < timeout) timeout = (uint32_t)left;
    }
  /* ns's timers before the poll, for its timeout (frames it releases here
   * wait in the link buffer only until the caller's flush) ... */
  int tick = ns_tick(&s->n, t);
  if ((uint32_t)tick < timeout) timeout = (uint32_t)tick;
  int rc = poll(s->fds, s->nfds, (int)timeout);
  if (rc < 0 && errno != EINTR) return -1;
  slirp_pollfds_poll(s->slirp, rc < 0, cb_get_revents, s);
  for (size_t i = 0; i < n_extra; i++)
    extra[i].revents = s->fds[i].revents;
  t = now_ns();
  for (size_t i = 0; i < VBX_NP_MAX_DNS; i++)
    if (s->fds[dns0 + i].fd >= 0 && (s->fds[dns0 + i].revents & POLLIN))
      ns_dns_readable(&s->n, (unsigned)i, t);
  now_ms = (int64_t)(t / 1000000);
  for (size_t i = 0; i < MAX_TIMERS; i++) {
    ns_timer *tm = &s->timers[i];
    if (tm->used && tm->armed && tm->expire_ms <= now_ms) {
      tm->armed = false;
      slirp_handle_timer(s->slirp, tm->id, tm->cb_opaque);
    }
  }
  /* ... and after it, so what fell due while polling goes out in this
   * round: the caller flushes the link next, and only then polls again. */
  ns_tick(&s->n, t);
  return 0;
}

void ns_stack_free(ns_stack *s) {
  if (s == NULL) return;
  slirp_cleanup(s->slirp);
  ns_fini(&s->n);
  free(s);
}
