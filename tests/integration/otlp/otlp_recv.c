/*
 * tests/integration/otlp/otlp_recv.c - the validating OTLP/HTTP receiver
 * (see otlp_recv.h): libmicrohttpd with a thread per connection on a
 * listening socket of our own; each request's state lives in MHD's
 * per-request pointer until the request completes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "otlp_recv.h"

struct otlp_recv {
  otlp_recv_opts o;
  int *statuses;
  struct MHD_Daemon *mhd;
  uint16_t port;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stopping;
  unsigned seq;
  unsigned valid[3]; /* valid requests per signal so far */
  size_t pending;
  size_t n_violations;
  json_t *log; /* array of request records */
  char violations[4096];
};

typedef struct req {
  unsigned seq;
  double t;
  char *body;
  size_t len;
  int too_big;
  json_t *headers;
} req;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum MHD_Result header_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
  (void)kind;
  char name[128];
  size_t i = 0;
  for (; key[i] && i < sizeof name - 1; i++)
    name[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] + 32 : key[i]);
  name[i] = '\0';
  json_object_set_new(cls, name, json_string(value ? value : ""));
  return MHD_YES;
}

static void write_file(const char *dir, const char *name, const char *text, int append) {
  char path[1024], tmp[1040];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(append ? path : tmp, append ? "a" : "w");
  if (f == NULL) {
    fprintf(stderr, "otlp_recv: cannot write %s: %s\n", path, strerror(errno));
    return;
  }
  fputs(text, f);
  if (fclose(f) != 0) fprintf(stderr, "otlp_recv: writing %s: %s\n", path, strerror(errno));
  if (!append && rename(tmp, path) != 0)
    fprintf(stderr, "otlp_recv: rename %s: %s\n", path, strerror(errno));
}

/* Record the finished request (rec: a new reference, taken). */
static void record(otlp_recv *r, json_t *rec, const json_t *body) {
  const char *v = json_string_value(json_object_get(rec, "violation"));
  unsigned seq = (unsigned)json_integer_value(json_object_get(rec, "seq"));
  char line[700] = "";
  if (v && *v)
    snprintf(line, sizeof line, "%04u %s %s: %s\n", seq,
             json_string_value(json_object_get(rec, "method")),
             json_string_value(json_object_get(rec, "path")), v);
  pthread_mutex_lock(&r->mu);
  if (*line) {
    r->n_violations++;
    size_t used = strlen(r->violations);
    snprintf(r->violations + used, sizeof r->violations - used, "%s", line);
  }
  if (r->o.dir) {
    if (body && json_integer_value(json_object_get(rec, "status")) == 200) {
      char name[64], *text = json_dumps(body, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
      snprintf(name, sizeof name, "%04u-%s.json", seq,
               json_string_value(json_object_get(rec, "signal")));
      if (text) write_file(r->o.dir, name, text, 0);
      free(text);
    }
    char *text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text) {
      size_t n = strlen(text);
      char *nl = realloc(text, n + 2);
      if (nl) {
        memcpy(nl + n, "\n", 2);
        write_file(r->o.dir, "requests.jsonl", nl, 1);
        text = nl;
      }
    }
    free(text);
    if (*line) write_file(r->o.dir, "violations.txt", line, 1);
  }
  if (body) json_object_set(rec, "body", (json_t *)body);
  json_array_append_new(r->log, rec);
  pthread_mutex_unlock(&r->mu);
}

static enum MHD_Result answer(struct MHD_Connection *conn, int status, const char *grpc_msg,
                              unsigned retry_after) {
  char text[700];
  if (status == 200) {
    snprintf(text, sizeof text, "{}");
  } else {
    json_t *st = json_pack("{s:i, s:s}", "code", status == 400 ? 3 : 14, "message",
                           grpc_msg ? grpc_msg : "try again");
    char *s = json_dumps(st, JSON_COMPACT);
    snprintf(text, sizeof text, "%s", s ? s : "{}");
    free(s);
    json_decref(st);
  }
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
  if (resp == NULL) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", "application/json");
  if (retry_after > 0 && (status == 429 || status == 503)) {
    char ra[16];
    snprintf(ra, sizeof ra, "%u", retry_after);
    MHD_add_response_header(resp, "Retry-After", ra);
  }
  enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* The body as the exporter meant it: *doc parsed, or a status and why. */
static int decode(otlp_recv *r, req *q, const char *method, int sig, json_t **doc, char *why,
                  size_t cap) {
  size_t max = r->o.max_body;
  const char *ct = json_string_value(json_object_get(q->headers, "content-type"));
  const char *ce = json_string_value(json_object_get(q->headers, "content-encoding"));
  *doc = NULL;
  if (strcmp(method, "POST") != 0) {
    snprintf(why, cap, "method %s: OTLP/HTTP takes POST", method);
    return 405;
  }
  if (sig < 0) {
    snprintf(why, cap, "not an OTLP/HTTP path (/v1/traces, /v1/metrics, /v1/logs)");
    return 404;
  }
  if (q->too_big) {
    snprintf(why, cap, "the body is over %zu bytes", max);
    return 413;
  }
  size_t ctn = ct ? strcspn(ct, ";") : 0;
  while (ctn > 0 && ct[ctn - 1] == ' ')
    ctn--;
  if (ct == NULL || ctn != strlen("application/json") || strncasecmp(ct, "application/json", ctn))
    return snprintf(why, cap, "Content-Type '%s': want application/json (http/json)",
                    ct ? ct : "(none)"),
           415;
  char *text = q->body;
  size_t len = q->len;
  char *inflated = NULL;
  if (ce && strcasecmp(ce, "gzip") == 0) {
    int rc = otlp_inflate(q->body, q->len, max, &inflated, &len, why, cap);
    if (rc != 0) return rc == -2 ? 413 : 400;
    text = inflated;
  } else if (ce && *ce && strcasecmp(ce, "identity") != 0) {
    snprintf(why, cap, "Content-Encoding '%s': want gzip or identity", ce);
    return 415;
  }
  json_error_t err;
  *doc = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &err);
  free(inflated);
  if (*doc == NULL) {
    snprintf(why, cap, "not JSON: %s (line %d, column %d)", err.text, err.line, err.column);
    return 400;
  }
  if (otlp_check((otlp_signal)sig, *doc, why, cap) != 0) {
    json_decref(*doc);
    *doc = NULL;
    return 400;
  }
  return 200;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
  otlp_recv *r = cls;
  (void)version;
  req *q = *state;
  if (q == NULL) {
    if ((q = calloc(1, sizeof *q)) == NULL) return MHD_NO;
    q->t = now_s();
    q->headers = json_object();
    MHD_get_connection_values(conn, MHD_HEADER_KIND, header_cb, q->headers);
    pthread_mutex_lock(&r->mu);
    q->seq = ++r->seq;
    r->pending++;
    pthread_mutex_unlock(&r->mu);
    *state = q;
    return MHD_YES;
  }
  if (*upload_size > 0) {
    if (!q->too_big && q->len + *upload_size <= r->o.max_body) {
      char *nb = realloc(q->body, q->len + *upload_size + 1);
      if (nb == NULL) return MHD_NO;
      memcpy(nb + q->len, upload, *upload_size);
      q->body = nb;
      q->len += *upload_size;
      q->body[q->len] = '\0';
    } else {
      q->too_big = 1;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (r->o.stall) {
    pthread_mutex_lock(&r->mu);
    while (!r->stopping)
      pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    return MHD_NO;
  }
  int sig = otlp_signal_of_path(url);
  char why[512] = "";
  json_t *doc = NULL;
  int status = decode(r, q, method, sig, &doc, why, sizeof why);
  if (status == 200) {
    pthread_mutex_lock(&r->mu);
    unsigned n = r->valid[sig]++;
    pthread_mutex_unlock(&r->mu);
    if (n < r->o.n_statuses) status = r->statuses[n];
  }
  const char *ce = json_string_value(json_object_get(q->headers, "content-encoding"));
  const char *ct = json_string_value(json_object_get(q->headers, "content-type"));
  json_t *rec = json_pack("{s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:O, s:s, s:f}", "seq",
                          (int)q->seq, "method", method, "path", url, "signal",
                          sig >= 0 ? otlp_signal_name((otlp_signal)sig) : "none", "status", status,
                          "content_type", ct ? ct : "", "encoding", ce ? ce : "", "bytes",
                          (json_int_t)q->len, "headers", q->headers, "violation", why, "t", q->t);
  if (rec != NULL) record(r, rec, doc);
  json_decref(doc);
  return answer(conn, status, why[0] ? why : NULL, r->o.retry_after);
}

/* MHD's own messages, but for the connections closed on purpose while
 * stopping (a stalled request is ended that way). */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
  otlp_recv *r = cls;
  pthread_mutex_lock(&r->mu);
  int quiet = r->stopping;
  pthread_mutex_unlock(&r->mu);
  if (quiet) return;
  fprintf(stderr, "otlp_recv: ");
  vfprintf(stderr, fmt, ap);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode code) {
  otlp_recv *r = cls;
  req *q = *state;
  (void)conn, (void)code;
  if (q == NULL) return;
  pthread_mutex_lock(&r->mu);
  r->pending--;
  pthread_mutex_unlock(&r->mu);
  json_decref(q->headers);
  free(q->body);
  free(q);
  *state = NULL;
}

int otlp_recv_start(const otlp_recv_opts *o, otlp_recv **out) {
  *out = NULL;
  otlp_recv *r = calloc(1, sizeof *r);
  if (r == NULL) return -1;
  if (o) r->o = *o;
  if (r->o.max_body == 0) r->o.max_body = OTLP_RECV_MAX_BODY_DEFAULT;
  r->statuses = calloc(r->o.n_statuses + 1, sizeof(int));
  if (r->o.n_statuses) memcpy(r->statuses, o->statuses, r->o.n_statuses * sizeof(int));
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  r->log = json_array();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(r->o.port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
    fprintf(stderr, "otlp_recv: cannot listen on 127.0.0.1:%u: %s\n", r->o.port, strerror(errno));
    if (fd >= 0) close(fd);
    otlp_recv_stop(r);
    return -1;
  }
  r->port = ntohs(a.sin_port);
  if (r->o.dir) {
    char probe[64];
    snprintf(probe, sizeof probe, ".probe");
    write_file(r->o.dir, probe, "", 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/.probe", r->o.dir);
    if (unlink(path) != 0) {
      fprintf(stderr, "otlp_recv: directory %s is not writable\n", r->o.dir);
      close(fd);
      otlp_recv_stop(r);
      return -1;
    }
  }
  r->mhd =
      MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                           MHD_USE_POLL | MHD_USE_ERROR_LOG,
                       0, NULL, NULL, on_request, r, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, r,
                       MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
                       (unsigned)256, MHD_OPTION_NOTIFY_COMPLETED, on_completed, r, MHD_OPTION_END);
  if (r->mhd == NULL) {
    /* fd not closed: MHD may have closed it already (see core/gateway) */
    fprintf(stderr, "otlp_recv: MHD_start_daemon failed\n");
    otlp_recv_stop(r);
    return -1;
  }
  *out = r;
  return 0;
}

uint16_t otlp_recv_port(const otlp_recv *r) { return r->port; }

json_t *otlp_recv_requests(otlp_recv *r) {
  pthread_mutex_lock(&r->mu);
  json_t *copy = json_deep_copy(r->log);
  pthread_mutex_unlock(&r->mu);
  return copy;
}

json_t *otlp_recv_bodies(otlp_recv *r, otlp_signal sig) {
  json_t *out = json_array();
  size_t i;
  json_t *rec;
  pthread_mutex_lock(&r->mu);
  json_array_foreach(r->log, i, rec) {
    const json_t *b = json_object_get(rec, "body");
    if (b && json_integer_value(json_object_get(rec, "status")) == 200 &&
        strcmp(json_string_value(json_object_get(rec, "signal")), otlp_signal_name(sig)) == 0)
      json_array_append_new(out, json_deep_copy(b));
  }
  pthread_mutex_unlock(&r->mu);
  return out;
}

size_t otlp_recv_violations(otlp_recv *r, char *buf, size_t cap) {
  pthread_mutex_lock(&r->mu);
  size_t n = r->n_violations;
  if (buf && cap) snprintf(buf, cap, "%s", r->violations);
  pthread_mutex_unlock(&r->mu);
  return n;
}

size_t otlp_recv_pending(otlp_recv *r) {
  pthread_mutex_lock(&r->mu);
  size_t n = r->pending;
  pthread_mutex_unlock(&r->mu);
  return n;
}

void otlp_recv_stop(otlp_recv *r) {
  if (r == NULL) return;
  pthread_mutex_lock(&r->mu);
  r->stopping = 1;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  if (r->mhd) MHD_stop_daemon(r->mhd);
  json_decref(r->log);
  free(r->statuses);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  free(r);
}
