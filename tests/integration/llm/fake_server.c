/*
 * tests/integration/llm/fake_server.c - scripted loopback HTTP server (see
 * fake_server.h).
 */
#include "fake_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQS 64
#define MAX_HDR 65536
#define MAX_BODY (8u << 20)

struct fake_server {
  int lfd;
  int stop_pipe[2];
  pthread_t th;
  pthread_mutex_t mu;
  const fs_response *script;
  size_t n_script;
  fs_request reqs[MAX_REQS];
  size_t n_reqs;
  char url[64];
};

/* Sleep ms unless stopped; returns 1 when stopped. */
static int wait_ms(fake_server *s, unsigned ms) {
  struct pollfd p = {s->stop_pipe[0], POLLIN, 0};
  return poll(&p, 1, (int)ms) > 0;
}

/* Keep the connection open for ms, ending early when the client closes it
 * (so a stalled response does not hold up the next connection) or on stop. */
static void stall(fake_server *s, int fd, unsigned ms) {
  uint64_t left = ms;
  while (left > 0) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    unsigned step = left > 50 ? 50 : (unsigned)left;
    int n = poll(p, 2, (int)step);
    if (n < 0 && errno != EINTR) return;
    if (n > 0 && p[1].revents) return;
    if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[256];
      ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) return;
    }
    left -= step;
  }
}

static int send_all(int fd, const char *d, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, d, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    d += w;
    n -= (size_t)w;
  }
  return 0;
}

static char *find_header(const char *hdrs, const char *name) {
  size_t nl = strlen(name);
  for (const char *p = hdrs; p && *p;) {
    const char *e = strstr(p, "\r\n");
    if (!e) break;
    if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ')
        v++;
      return strndup(v, (size_t)(e - v));
    }
    p = e + 2;
  }
  return NULL;
}

static int read_request(fake_server *s, int fd, fs_request *r) {
  char *buf = malloc(MAX_HDR + 1);
  size_t len = 0;
  char *end = NULL;
  int rc = -1;
  if (!buf) return -1;
  while (!end) {
    if (len >= MAX_HDR) goto out;
    struct pollfd p[2] = {{fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    if (poll(p, 2, 10000) <= 0 || p[1].revents) goto out;
    ssize_t n = recv(fd, buf + len, MAX_HDR - len, 0);
    if (n <= 0) goto out;
    len += (size_t)n;
    buf[len] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  size_t hlen = (size_t)(end - buf) + 4;
  sscanf(buf, "%15s %511s", r->method, r->path);
  const char *first = strstr(buf, "\r\n");
  r->headers = strndup(first + 2, hlen - (size_t)(first + 2 - buf));
  char *cl = find_header(r->headers, "Content-Length");
  size_t blen = cl ? strtoul(cl, NULL, 10) : 0;
  free(cl);
  if (blen > MAX_BODY) goto out;
  char *exp = find_header(r->headers, "Expect");
  if (exp && strncasecmp(exp, "100-continue", 12) == 0)
    send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  free(exp);
  r->body = malloc(blen + 1);
  if (!r->body) goto out;
  size_t have = len - hlen;
  if (have > blen) have = blen;
  memcpy(r->body, buf + hlen, have);
  while (have < blen) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    if (poll(p, 2, 10000) <= 0 || p[1].revents) goto out;
    ssize_t n = recv(fd, r->body + have, blen - have, 0);
    if (n <= 0) goto out;
    have += (size_t)n;
  }
  r->body[blen] = 0;
  r->body_len = blen;
  rc = 0;
out:
  free(buf);
  return rc;
}

static const char *reason(int st) {
  switch (st) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Status";
  }
}

static void respond(fake_server *s, int fd, const fs_response *r) {
  char head[2048];
  if (r->status == 0) return; /* drop the connection without an answer */
  int n =
      snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nConnection: close\r\n%s",
               r->status, reason(r->status), r->content_type ? r->content_type : "application/json",
               r->extra_headers ? r->extra_headers : "");
  if (!r->parts && r->body)
    n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n",
                  strlen(r->body) + r->filler_bytes);
  n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
  if (send_all(fd, head, (size_t)n)) return;
  if (r->parts) {
    for (const fs_part *p = r->parts; p->data; p++) {
      if (p->delay_ms && wait_ms(s, p->delay_ms)) return;
      if (send_all(fd, p->data, strlen(p->data))) return;
    }
  } else if (r->body && send_all(fd, r->body, strlen(r->body))) {
    return;
  }
  if (r->filler_bytes) {
    char chunk[16384];
    memset(chunk, 'a', sizeof(chunk));
    for (size_t left = r->filler_bytes; left > 0;) {
      size_t k = left < sizeof(chunk) ? left : sizeof(chunk);
      if (send_all(fd, chunk, k)) return;
      left -= k;
    }
  }
  if (r->stall_ms) stall(s, fd, r->stall_ms);
}

static void *serve(void *arg) {
  fake_server *s = arg;
  size_t next = 0;
  for (;;) {
    struct pollfd p[2] = {{s->lfd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) break;
    if (p[1].revents) break;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) continue;
    fs_request r;
    memset(&r, 0, sizeof(r));
    if (read_request(s, fd, &r) == 0) {
      pthread_mutex_lock(&s->mu);
      if (s->n_reqs < MAX_REQS)
        s->reqs[s->n_reqs++] = r;
      else {
        free(r.headers);
        free(r.body);
      }
      pthread_mutex_unlock(&s->mu);
      static const fs_response exhausted = {500,  NULL, NULL, "{\"error\":\"script exhausted\"}",
                                            NULL, 0,    0};
      respond(s, fd, next < s->n_script ? &s->script[next] : &exhausted);
      next++;
    } else {
      free(r.headers);
      free(r.body);
    }
    shutdown(fd, SHUT_RDWR);
    close(fd);
  }
  return NULL;
}

fake_server *fs_start(const fs_response *script, size_t n) {
  fake_server *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->script = script;
  s->n_script = n;
  pthread_mutex_init(&s->mu, NULL);
  if (pipe(s->stop_pipe)) goto fail;
  s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof(a);
  if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(s->lfd, 16) ||
      getsockname(s->lfd, (struct sockaddr *)&a, &al))
    goto fail;
  snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", ntohs(a.sin_port));
  if (pthread_create(&s->th, NULL, serve, s)) goto fail;
  return s;
fail:
  if (s->lfd > 0) close(s->lfd);
  free(s);
  return NULL;
}

const char *fs_url(const fake_server *s) { return s->url; }

size_t fs_count(fake_server *s) {
  pthread_mutex_lock(&s->mu);
  size_t n = s->n_reqs;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static char *get(fake_server *s, size_t i, int what, const char *name) {
  char *out = NULL;
  pthread_mutex_lock(&s->mu);
  if (i < s->n_reqs) {
    if (what == 0)
      out = strdup(s->reqs[i].body);
    else if (what == 1)
      out = find_header(s->reqs[i].headers, name);
    else
      out = strdup(s->reqs[i].path);
  }
  pthread_mutex_unlock(&s->mu);
  return out;
}

char *fs_body(fake_server *s, size_t i) { return get(s, i, 0, NULL); }
char *fs_header(fake_server *s, size_t i, const char *name) { return get(s, i, 1, name); }
char *fs_path(fake_server *s, size_t i) { return get(s, i, 2, NULL); }

void fs_stop(fake_server *s) {
  if (!s) return;
  if (write(s->stop_pipe[1], "x", 1) != 1) { /* nothing else to do */
  }
  pthread_join(s->th, NULL);
  close(s->lfd);
  close(s->stop_pipe[0]);
  close(s->stop_pipe[1]);
  for (size_t i = 0; i < s->n_reqs; i++) {
    free(s->reqs[i].headers);
    free(s->reqs[i].body);
  }
  pthread_mutex_destroy(&s->mu);
  free(s);
}
