/*
 * trace_file.c - collecting a run's spans and writing the trace file (see
 * trace_file.h).
 */
#include "trace_file.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otlp_json.h"

struct vbx__span_sink {
  pthread_mutex_t mu;
  vbx_span_data **spans;
  size_t n, cap, max;
  uint64_t dropped;
};

vbx__span_sink *vbx__span_sink_new(size_t max) {
  vbx__span_sink *k = calloc(1, sizeof(*k));
  if (k == NULL) return NULL;
  pthread_mutex_init(&k->mu, NULL);
  k->max = max;
  return k;
}

/* Room for one more span; 0, or -1 (locked). */
static int grow(vbx__span_sink *k) {
  if (k->n < k->cap) return 0;
  size_t cap = k->cap ? k->cap * 2 : 256;
  if (cap > k->max) cap = k->max;
  vbx_span_data **p = realloc(k->spans, cap * sizeof(*p));
  if (p == NULL) return -1;
  k->spans = p;
  k->cap = cap;
  return 0;
}

void vbx__span_sink_on_span(void *user, const vbx_span_data *span) {
  vbx__span_sink *k = user;
  pthread_mutex_lock(&k->mu);
  int full = k->n >= k->max;
  pthread_mutex_unlock(&k->mu);
  /* Copied outside the lock: box threads do not wait on each other. */
  vbx_span_data *copy = full ? NULL : vbx_otlp_span_dup(span);
  pthread_mutex_lock(&k->mu);
  if (copy != NULL && k->n < k->max && grow(k) == 0) {
    k->spans[k->n++] = copy;
    copy = NULL;
  } else {
    k->dropped++;
  }
  pthread_mutex_unlock(&k->mu);
  if (copy != NULL) vbx_otlp_span_free(copy);
}

size_t vbx__span_sink_count(vbx__span_sink *k) {
  pthread_mutex_lock(&k->mu);
  size_t n = k->n;
  pthread_mutex_unlock(&k->mu);
  return n;
}

uint64_t vbx__span_sink_dropped(vbx__span_sink *k) {
  pthread_mutex_lock(&k->mu);
  uint64_t n = k->dropped;
  pthread_mutex_unlock(&k->mu);
  return n;
}

/* The request's text, one line; NULL on OOM. Locked by the caller. */
static char *encode(const vbx__span_sink *k) {
  const char *name = getenv("OTEL_SERVICE_NAME");
  vbx_otlp_resource res = {name && *name ? name : "voidbox", vbx_version(), NULL};
  json_t *doc = vbx_otlp_traces_json(&res, (const vbx_span_data *const *)k->spans, k->n);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  json_decref(doc);
  return text;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w, n -= (size_t)w;
  }
  return 0;
}

/* A new file beside `path` (".NAME.tmp.PID.N" in its directory), created
 * with the umask's permissions; its name in tmp. fd, or -1 with errno. */
static int create_beside(const char *path, char *tmp, size_t cap) {
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path + 1) : 0;
  for (unsigned n = 0; n < 100; n++) {
    int len =
        snprintf(tmp, cap, "%.*s.%s.tmp.%ld.%u", dir_len, path, path + dir_len, (long)getpid(), n);
    if (len < 0 || (size_t)len >= cap) {
      errno = ENAMETOOLONG;
      return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

int vbx__span_sink_write(vbx__span_sink *k, const char *path, char *why, size_t cap) {
  pthread_mutex_lock(&k->mu);
  char *text = encode(k);
  pthread_mutex_unlock(&k->mu);
  if (text == NULL) {
    snprintf(why, cap, "out of memory encoding the trace");
    return -1;
  }
  char tmp[4096];
  int fd = create_beside(path, tmp, sizeof(tmp)), rc = -1;
  if (fd < 0) {
    const char *slash = strrchr(path, '/');
    int dir_len = !slash ? 1 : slash == path ? 1 : (int)(slash - path);
    snprintf(why, cap, "cannot create a file in %.*s: %s", dir_len, slash ? path : ".",
             strerror(errno));
    free(text);
    return -1;
  }
  if (write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
    snprintf(why, cap, "cannot write: %s", strerror(errno));
    close(fd);
  } else if (close(fd) != 0) {
    snprintf(why, cap, "cannot write: %s", strerror(errno));
  } else if (rename(tmp, path) != 0) {
    snprintf(why, cap, "cannot replace it: %s", strerror(errno));
  } else {
    rc = 0;
  }
  if (rc != 0) unlink(tmp);
  free(text);
  return rc;
}

void vbx__span_sink_free(vbx__span_sink *k) {
  if (k == NULL) return;
  for (size_t i = 0; i < k->n; i++)
    vbx_otlp_span_free(k->spans[i]);
  free(k->spans);
  pthread_mutex_destroy(&k->mu);
  free(k);
}
