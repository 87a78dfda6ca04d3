/*
 * gateway/server.c - the gateway's lifetime: the listening socket (TCP on
 * an explicit address, or a Unix socket path), the libmicrohttpd daemon
 * with its bounds, and the orderly stop: cancel the calls in flight, let
 * their 503s (or SSE error events) go out, then close everything.
 *
 * Why libmicrohttpd: the gateway faces a sandbox running untrusted code;
 * a maintained HTTP/1.1 server (request parsing, chunked uploads,
 * Expect: 100-continue, keep-alive, header limits, timeouts) is a smaller
 * risk than a hand-written parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gateway/internal.h"
#include "util/error.h"
#include "util/wipe.h"

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  vbx__gateway *gw = cls;
  pthread_mutex_lock(&gw->mu);
  vsnprintf(gw->last_error, sizeof(gw->last_error), fmt, ap);
  size_t n = strlen(gw->last_error);
  while (n > 0 && (gw->last_error[n - 1] == '\n' || gw->last_error[n - 1] == '\r'))
    gw->last_error[--n] = 0;
  if (strstr(gw->last_error, "connection limit") != NULL) gw->n_over_limit++;
  pthread_mutex_unlock(&gw->mu);
}

static int listen_unix(vbx__gateway *gw, const char *path, vbx_error *err) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof(a));
  a.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(a.sun_path))
    return vbx__error_set(err, VBX_E_TOOBIG,
                          "gateway: unix socket path '%s' is longer than %zu bytes", path,
                          sizeof(a.sun_path) - 1);
  memcpy(a.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return vbx__error_set(err, VBX_E_IO, "gateway: socket: %s", strerror(errno));
  mode_t old = umask(077);
  int rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
  umask(old);
  if (rc != 0) {
    rc = vbx__error_set(err, VBX_E_IO, "gateway: bind %s: %s", path, strerror(errno));
    close(fd);
    return rc;
  }
  if ((gw->unix_path = strdup(path)) == NULL || listen(fd, VBX__GW_BACKLOG) != 0) {
    rc = vbx__error_set(err, VBX_E_IO, "gateway: listen %s: %s", path, strerror(errno));
    unlink(path);
    close(fd);
    return rc;
  }
  snprintf(gw->url, sizeof(gw->url), "unix:%s", path);
  return fd;
}

static int listen_tcp(vbx__gateway *gw, const char *addr, uint16_t port, vbx_error *err) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof(ss));
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  int v6 = 0;
  if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    len = sizeof(*a4);
  } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    len = sizeof(*a6);
    v6 = 1;
  } else {
    return vbx__error_set(err, VBX_E_INVAL,
                          "gateway: listen address '%s' is not a numeric IPv4 or IPv6 address",
                          addr);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return vbx__error_set(err, VBX_E_IO, "gateway: socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  int rc;
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, VBX__GW_BACKLOG) != 0 ||
      getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
    rc = vbx__error_set(err, VBX_E_IO, "gateway: bind %s port %u: %s", addr, port, strerror(errno));
    close(fd);
    return rc;
  }
  gw->port = ntohs(v6 ? a6->sin6_port : a4->sin_port);
  snprintf(gw->url, sizeof(gw->url), v6 ? "http://[%s]:%u" : "http://%s:%u", addr, gw->port);
  return fd;
}

static void cond_init_monotonic(pthread_cond_t *cv) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(cv, &ca);
  pthread_condattr_destroy(&ca);
}

static void gw_free(vbx__gateway *gw) {
  vbx__gw_admit_stop(gw);
  vbx__gw_provider_destroy(gw);
  if (gw->unix_path) unlink(gw->unix_path);
  free(gw->unix_path);
  pthread_cond_destroy(&gw->conn_cv);
  pthread_mutex_destroy(&gw->conn_mu);
  pthread_cond_destroy(&gw->cv);
  pthread_mutex_destroy(&gw->mu);
  pthread_mutex_destroy(&gw->provider_mu);
  vbx__wipe(gw->token, sizeof(gw->token));
  free(gw);
}

int vbx__gateway_start(const vbx__gateway_config *cfg, vbx__gateway **out, vbx_error *err) {
  int rc;
  if (cfg == NULL || out == NULL) return vbx__error_set(err, VBX_E_INVAL, "gateway: no config");
  *out = NULL;
  if (cfg->token != NULL && !vbx__gw_token_ok(cfg->token))
    return vbx__error_set(
        err, VBX_E_INVAL,
        "gateway: token must be 16 to %d printable ASCII characters without spaces",
        VBX__GATEWAY_TOKEN_MAX - 1);
  char why[300];
  if ((rc = vbx__mhd_load(why, sizeof why)) != 0)
    return vbx__error_set(err, rc, "gateway: %s", why);
  vbx__gateway *gw = calloc(1, sizeof(*gw));
  if (gw == NULL) return vbx__error_set(err, VBX_E_NOMEM, "gateway: out of memory");
  pthread_mutex_init(&gw->mu, NULL);
  pthread_mutex_init(&gw->provider_mu, NULL);
  pthread_mutex_init(&gw->conn_mu, NULL);
  cond_init_monotonic(&gw->cv);
  cond_init_monotonic(&gw->conn_cv);
  gw->ext_cancel = cfg->cancel;
  gw->obs = cfg->obs;
  gw->max_body = cfg->max_body_bytes ? cfg->max_body_bytes : VBX__GATEWAY_DEFAULT_BODY_MAX;
  if (cfg->token != NULL) {
    snprintf(gw->token, sizeof(gw->token), "%s", cfg->token);
  } else if (vbx__gw_random_hex(gw->token, sizeof(gw->token), 32) != 0) {
    rc = vbx__error_set(err, VBX_E_IO, "gateway: cannot read random bytes for the token");
    goto fail;
  }
  gw->token_len = strlen(gw->token);
  if ((rc = vbx__gw_provider_create(gw, cfg, err)) != 0) goto fail;
  gw->system = gw->llm.impl->name;
  int fd = cfg->unix_path
               ? listen_unix(gw, cfg->unix_path, err)
               : listen_tcp(gw, cfg->listen_addr ? cfg->listen_addr : "127.0.0.1", cfg->port, err);
  if (fd < 0) {
    rc = fd;
    goto fail;
  }
  unsigned conns = cfg->max_connections ? cfg->max_connections : VBX__GATEWAY_DEFAULT_CONNS;
  unsigned pending = cfg->max_unauthenticated ? cfg->max_unauthenticated : conns / 2;
  if (pending == 0) pending = 1;
  if (pending > conns) pending = conns;
  unsigned tmo = cfg->timeout_secs ? cfg->timeout_secs : VBX__GATEWAY_DEFAULT_TIMEOUT_S;
  unsigned htmo =
      cfg->header_timeout_secs ? cfg->header_timeout_secs : VBX__GATEWAY_DEFAULT_HEADER_TIMEOUT_S;
  size_t hdr = cfg->max_header_bytes ? cfg->max_header_bytes : VBX__GATEWAY_DEFAULT_HEADER_MAX;
  if ((rc = vbx__gw_admit_start(gw, conns, pending, htmo, err)) != 0) {
    close(fd); /* MHD never saw it */
    goto fail;
  }
  /* MHD's own limit leaves room for connections admit.c has cut and whose
   * threads are still exiting (attackers that reconnect as fast as they
   * are evicted keep many of those); admit.c keeps the live ones to conns.
   * Past MHD's limit a connection is closed at accept, unseen by admit.c. */
  gw->mhd = vbx__mhd.start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
          MHD_USE_ERROR_LOG,
      0, NULL, NULL, (MHD_AccessHandlerCallback)vbx__gw_on_request, gw, MHD_OPTION_EXTERNAL_LOGGER,
      mhd_log, gw, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
      conns + pending + VBX__GW_TEARDOWN_SLACK, MHD_OPTION_CONNECTION_TIMEOUT, tmo,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, hdr, MHD_OPTION_NOTIFY_CONNECTION, vbx__gw_on_connection,
      gw, MHD_OPTION_NOTIFY_COMPLETED, vbx__gw_on_completed, gw, MHD_OPTION_END);
  if (gw->mhd == NULL) {
    rc = vbx__error_set(err, VBX_E_IO, "gateway: cannot start the HTTP server on %s: %s", gw->url,
                        gw->last_error[0] ? gw->last_error : "libmicrohttpd refused the options");
    /* fd is not closed here: MHD may already have closed a socket passed
     * with MHD_OPTION_LISTEN_SOCKET, and a double close could hit another
     * thread's descriptor. */
    goto fail;
  }
  *out = gw;
  return 0;
fail:
  gw_free(gw);
  return rc;
}

const char *vbx__gateway_url(const vbx__gateway *gw) { return gw ? gw->url : NULL; }

uint16_t vbx__gateway_port(const vbx__gateway *gw) { return gw ? gw->port : 0; }

const char *vbx__gateway_token(const vbx__gateway *gw) { return gw ? gw->token : NULL; }

uint64_t vbx__gateway_requests(const vbx__gateway *gw) {
  return gw ? (uint64_t)atomic_load(&((vbx__gateway *)gw)->requests) : 0;
}

void vbx__gateway_stop(vbx__gateway *gw) {
  if (gw == NULL) return;
  /* Provider calls see the cancellation and their requests answer 503 (an
   * SSE error event once a stream has started); MHD_stop_daemon shuts
   * every socket down at once, so give those answers time to go out. */
  vbx__cancel_set(&gw->stopping);
  uint64_t until = vbx__now_ns() + (uint64_t)VBX__GATEWAY_STOP_GRACE_MS * 1000000u;
  struct timespec ts = vbx__timespec_at(until);
  pthread_mutex_lock(&gw->mu);
  while (gw->inflight > 0)
    if (pthread_cond_timedwait(&gw->cv, &gw->mu, &ts) == ETIMEDOUT) break;
  pthread_mutex_unlock(&gw->mu);
  vbx__mhd.stop_daemon(gw->mhd); /* shuts down and joins every connection; closes the socket */
  pthread_mutex_lock(&gw->mu);
  while (gw->workers > 0)
    pthread_cond_wait(&gw->cv, &gw->mu);
  pthread_mutex_unlock(&gw->mu);
  gw_free(gw);
}
