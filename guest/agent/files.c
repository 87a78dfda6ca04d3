/*
 * guest/agent/files.c - FILE_PUT (temp file + rename after a matching
 * size and SHA-256), FILE_GET (under the host's credit, cut at max_size),
 * MKDIR (-p) and STAT. Each request runs on a worker thread of its own that
 * first takes the commands' identity (vbx__jail_become), so the model's
 * file tools have exactly the rights its commands have and what they create
 * is owned as if a command had created it. The reader thread only maps the
 * path (pure), registers the id and hands frames over: it never waits on
 * the file system, and contents are only opened as regular files on
 * ordinary file systems (vbx__jail_open_file), so nothing can block.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

#define GET_CHUNK 262144u
#define PUT_WINDOW (1024u * 1024u)
/* A put whose host sends nothing, or a get whose host grants no credit,
 * for this long is dropped with ERROR{VBX_E_TIMEOUT}: a host that gave up
 * on a request without closing the connection must not hold a worker
 * slot forever. */
#define IDLE_MS 60000
#define WORKER_STACK (256 * 1024)

/* Running file workers, all connections. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_workers;

/* What every file request's worker starts from (first member of each). */
struct job {
  struct vbx__conn *c;
  uint32_t id;
  int registered;                        /* id in c's request table */
  char path[VBX_PROTO_MAX_PATH_LEN + 1]; /* as the host sent it: for messages */
  char rel[VBX_PROTO_MAX_PATH_LEN + 1];  /* relative to the jail root */
};

/* ---- jobs: path, slot, worker, replies ---------------------------------- */

/* Copy and map the request path (reader thread, pure). Returns 0 with
 * *refused set when the request goes no further (its ERROR(id) sent), or
 * VBX_E_IO when that ERROR could not be sent (the connection must close). */
static int job_init(struct job *j, struct vbx__conn *c, uint32_t id, struct vbx_proto_str path,
                    int write, int *refused) {
  j->c = c, j->id = id;
  *refused = 1;
  if (vbx_proto_str_copy(path, j->path, sizeof j->path) != 0)
    return vbx__conn_send_error(c, id, VBX_E_TOOBIG, "path too long");
  int rc = vbx__jail_relpath(c->agent->root, j->path, j->rel, sizeof j->rel);
  if (rc != 0)
    return vbx__conn_send_error(
        c, id, rc, rc == VBX_E_PERM ? "%s: outside the sandbox root %s" : "%s: invalid path%s",
        j->path, rc == VBX_E_PERM ? c->agent->root : "");
  if (write && !vbx__policy_writable(&c->agent->policy, j->rel))
    return vbx__conn_send_error(c, id, VBX_E_PERM, "%s: not under a writable path of the policy",
                                j->path);
  *refused = 0;
  return 0;
}

/* Take a worker slot, register j's id as (kind, obj) and run fn(obj) on a
 * detached worker holding a connection reference. Reader thread. Returns 0
 * (the worker owns obj, unless *refused: then the ERROR(id) is sent and
 * the caller frees obj), or VBX_E_NOMEM / VBX_E_IO when the connection must
 * close (the caller frees obj). */
static int job_start(struct job *j, int kind, void *obj, void *(*fn)(void *), int *refused) {
  struct vbx__conn *c = j->c;
  *refused = 1;
  pthread_mutex_lock(&g_lock);
  int full = g_workers >= VBX__FILE_MAX_WORKERS;
  if (!full) g_workers++;
  pthread_mutex_unlock(&g_lock);
  if (full)
    return vbx__conn_send_error(c, j->id, VBX_E_LIMIT,
                                "%s: too many file operations in progress (at most %d)", j->path,
                                VBX__FILE_MAX_WORKERS);
  vbx__conn_get(c);
  int rc = vbx__conn_req_add(c, j->id, kind, obj);
  if (rc == 0) {
    j->registered = 1;
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, WORKER_STACK);
    int e = pthread_create(&t, &at, fn, obj);
    pthread_attr_destroy(&at);
    if (e == 0) {
      *refused = 0;
      return 0;
    }
    vbx__conn_req_del(c, j->id);
    rc = vbx__conn_send_error(c, j->id, VBX_E_LIMIT, "%s: no worker thread: %s", j->path,
                              strerror(e));
  }
  vbx__conn_put(c);
  pthread_mutex_lock(&g_lock);
  g_workers--;
  pthread_mutex_unlock(&g_lock);
  return rc;
}

/* Worker: the id is done. Called before the terminal frame (once the host
 * has that frame it may reuse the id) and again, harmlessly, at the end.
 * Afterwards the reader can no longer reach the request's object. */
static void job_unregister(struct job *j) {
  if (j->registered) vbx__conn_req_del(j->c, j->id);
  j->registered = 0;
}

/* Worker's last step, after its object is freed: the slot and the
 * connection reference go back. */
static void job_release(struct vbx__conn *c) {
  pthread_mutex_lock(&g_lock);
  g_workers--;
  pthread_mutex_unlock(&g_lock);
  vbx__conn_put(c);
}

/* Terminal ERROR naming the path and the reason: `why` (a refusal of
 * jail.c) or errno's text and name. */
static void job_fail(struct job *j, int err, const char *why) {
  job_unregister(j);
  if (why != NULL) {
    vbx__conn_send_error(j->c, j->id, err == EISDIR ? VBX_E_INVAL : VBX_E_PERM,
                         "%s %s; file operations open only regular files on ordinary file "
                         "systems",
                         j->path, why);
    return;
  }
  const char *text = err == EXDEV   ? "path escapes the sandbox root"
                     : err == ELOOP ? "path contains a symlink (refused)"
                                    : strerror(err);
  const char *name = strerrorname_np(err);
  vbx__conn_send_error(j->c, j->id, vbx__errno_code(err), "%s: %s (%s)", j->path, text,
                       name != NULL ? name : "?");
}

static void job_ok(struct job *j) {
  job_unregister(j);
  uint8_t mem[64];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  if (vbx_proto_encode_empty(&b, VBX_PROTO_T_OK, j->id) == 0) vbx__conn_send(j->c, &b);
}

/* Worker's first step. Returns 0, or VBX_E_PERM with the ERROR sent. */
static int job_become(struct job *j) {
  const struct vbx_proto_policy *p = &j->c->agent->policy;
  int rc = vbx__jail_become(p);
  if (rc == 0) return 0;
  vbx__log(0, "file request %u: cannot take the commands' identity: %s", j->id, strerror(-rc));
  job_unregister(j);
  vbx__conn_send_error(j->c, j->id, VBX_E_PERM,
                       "%s: cannot take the commands' identity "
                       "(uid %u, gid %u): %s",
                       j->path, p->uid, p->gid, strerror(-rc));
  return VBX_E_PERM;
}

/* read(2) again after EINTR: bytes, 0 at EOF, -1 with errno. */
static ssize_t read_retry(int fd, void *buf, size_t n) {
  ssize_t r;
  do
    r = read(fd, buf, n);
  while (r < 0 && errno == EINTR);
  return r;
}

/* Write all n bytes. A system-call wrapper: 0 or -errno (-EIO when
 * write(2) wrote nothing). */
static int write_all(int fd, const uint8_t *d, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, d, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? -errno : -EIO;
    d += w, n -= (size_t)w;
  }
  return 0;
}

static void deadline_in(struct timespec *ts, long ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

/* ---- put ---------------------------------------------------------------- */

struct put {
  struct job j;
  uint32_t mode;
  uint64_t size;        /* announced by FILE_PUT_BEGIN */
  pthread_mutex_t lock; /* the fields below, shared with the reader */
  pthread_cond_t cond;  /* CLOCK_MONOTONIC; signalled on data, end, abandon */
  uint8_t *ring;        /* received, not yet written: PUT_WINDOW bytes */
  size_t head, len;
  uint64_t got; /* bytes received = next expected offset */
  struct vbx_proto_window win;
  int ended, abandoned;
  struct vbx_proto_file_end end;
};

static void put_free(struct put *p) {
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->lock);
  free(p->ring);
  free(p);
}

/* Write queued data to fd (its SHA-256 into sha) until FILE_END has come
 * and everything before it is written, granting credit as the queue
 * drains. Returns 0 (ended: p->end is valid), VBX_E_CANCELLED (abandoned),
 * VBX_E_TIMEOUT (nothing from the host for IDLE_MS) or VBX_E_IO with *err
 * set to the errno of the failed write. */
static int put_drain(struct put *p, int fd, struct vbx_sha256 *sha, int *err) {
  struct timespec idle;
  deadline_in(&idle, IDLE_MS);
  pthread_mutex_lock(&p->lock);
  for (;;) {
    if (p->abandoned) break;
    if (p->len == 0) {
      if (p->ended) break;
      if (pthread_cond_timedwait(&p->cond, &p->lock, &idle) == ETIMEDOUT && p->len == 0 &&
          !p->ended && !p->abandoned) {
        pthread_mutex_unlock(&p->lock);
        return VBX_E_TIMEOUT;
      }
      continue;
    }
    /* [head, head + n) is ours until len shrinks: the reader only appends. */
    size_t n = p->len < PUT_WINDOW - p->head ? p->len : PUT_WINDOW - p->head;
    const uint8_t *src = p->ring + p->head;
    pthread_mutex_unlock(&p->lock);
    vbx_proto_sha256_update(sha, src, n);
    int wrc = write_all(fd, src, n);
    pthread_mutex_lock(&p->lock);
    if (wrc != 0) {
      pthread_mutex_unlock(&p->lock);
      *err = -wrc;
      return VBX_E_IO;
    }
    p->head = (p->head + n) % PUT_WINDOW;
    p->len -= n;
    vbx_proto_window_on_consumed(&p->win, (uint32_t)n);
    uint32_t inc = vbx_proto_window_grant(&p->win);
    if (inc != 0) {
      pthread_mutex_unlock(&p->lock);
      vbx__conn_send_window(p->j.c, p->j.id, inc);
      pthread_mutex_lock(&p->lock);
    }
    deadline_in(&idle, IDLE_MS);
  }
  int rc = p->abandoned ? VBX_E_CANCELLED : 0;
  pthread_mutex_unlock(&p->lock);
  return rc;
}

static void put_run(struct put *p) {
  struct job *j = &p->j;
  const char *leaf = NULL, *why;
  char tmp[64];
  int fd = -1;
  int dirfd = vbx__jail_open_parent(j->c->agent->rootfd, j->rel, &leaf);
  if (dirfd < 0) {
    job_fail(j, -dirfd, NULL);
    return;
  }
  if ((why = vbx__jail_special_fs(dirfd)) != NULL) {
    job_fail(j, EPERM, why);
    goto out;
  }
  if (strlen(leaf) > 255) {
    job_fail(j, ENAMETOOLONG, NULL);
    goto out;
  }
  uint32_t r = 0;
  if (getrandom(&r, sizeof r, 0) != sizeof r) r = j->id;
  snprintf(tmp, sizeof tmp, ".vbx-put-%u-%08x", j->id, r);
  /* A new name with O_EXCL: always a fresh regular file, created (and so
   * owned) with this thread's identity. */
  fd = openat(dirfd, tmp,
              O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
  if (fd < 0) {
    job_fail(j, errno, NULL);
    goto out;
  }
  struct vbx_sha256 sha;
  vbx_proto_sha256_init(&sha);
  int err = 0;
  int rc = put_drain(p, fd, &sha, &err);
  if (rc == VBX_E_CANCELLED || (rc == 0 && (p->end.flags & VBX_PROTO_FILE_END_F_ABORT)))
    goto out; /* nothing to reply */
  if (rc == VBX_E_TIMEOUT) {
    job_unregister(j);
    vbx__conn_send_error(j->c, j->id, VBX_E_TIMEOUT,
                         "%s: nothing from the host for %d s; "
                         "transfer dropped",
                         j->path, IDLE_MS / 1000);
    goto out;
  }
  if (rc != 0) {
    job_fail(j, err, NULL);
    goto out;
  }
  uint8_t dig[32];
  vbx_proto_sha256_final(&sha, dig);
  if (p->end.size != p->got || p->got != p->size || !vbx_proto_ct_equal(dig, p->end.sha256, 32)) {
    job_unregister(j);
    vbx__conn_send_error(j->c, j->id, VBX_E_IO, "%s: size or sha256 mismatch (got %llu bytes)",
                         j->path, (unsigned long long)p->got);
    goto out;
  }
  if (fchmod(fd, p->mode & 07777) != 0 || renameat(dirfd, tmp, dirfd, leaf) != 0) {
    job_fail(j, errno, NULL);
    goto out;
  }
  close(fd);
  fd = -1;
  job_ok(j);
out:
  if (fd >= 0) {
    close(fd);
    unlinkat(dirfd, tmp, 0);
  }
  close(dirfd);
}

static void *put_worker(void *arg) {
  struct put *p = arg;
  struct vbx__conn *c = p->j.c;
  if (job_become(&p->j) == 0) put_run(p);
  job_unregister(&p->j);
  put_free(p);
  job_release(c);
  return NULL;
}

int vbx__file_put_begin(struct vbx__conn *c, uint32_t id,
                        const struct vbx_proto_file_put_begin *m) {
  struct put *p = calloc(1, sizeof *p);
  if (p == NULL) return VBX_E_NOMEM;
  int refused;
  int rc = job_init(&p->j, c, id, m->path, 1, &refused);
  if (rc != 0 || refused) {
    free(p);
    return rc;
  }
  p->mode = m->mode;
  p->size = m->size;
  vbx_proto_window_init(&p->win, PUT_WINDOW);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->cond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&p->lock, NULL);
  if ((p->ring = malloc(PUT_WINDOW)) == NULL) {
    put_free(p);
    return VBX_E_NOMEM;
  }
  rc = job_start(&p->j, VBX__REQ_PUT, p, put_worker, &refused);
  if (rc != 0 || refused) put_free(p);
  return rc;
}

int vbx__file_put_data(struct vbx__conn *c, void *pv, const struct vbx_proto_data *d) {
  (void)c;
  struct put *p = pv;
  int rc = VBX_E_PROTOCOL;
  pthread_mutex_lock(&p->lock);
  /* lost data, more than announced, data after FILE_END, credit overrun */
  if (p->ended || d->offset != p->got || d->len > p->size - p->got ||
      d->len > PUT_WINDOW - p->len || vbx_proto_window_on_data(&p->win, d->len) != 0)
    goto out;
  size_t tail = (p->head + p->len) % PUT_WINDOW, first = PUT_WINDOW - tail;
  if (first > d->len) first = d->len;
  memcpy(p->ring + tail, d->data, first);
  memcpy(p->ring, d->data + first, d->len - first);
  p->len += d->len;
  p->got += d->len;
  pthread_cond_signal(&p->cond);
  rc = 0;
out:
  pthread_mutex_unlock(&p->lock);
  return rc;
}

int vbx__file_put_end(struct vbx__conn *c, uint32_t id, void *pv,
                      const struct vbx_proto_file_end *m) {
  (void)c, (void)id;
  struct put *p = pv;
  pthread_mutex_lock(&p->lock);
  int rc = p->ended ? VBX_E_PROTOCOL : 0;
  if (rc == 0) {
    p->ended = 1;
    p->end = *m;
    pthread_cond_signal(&p->cond);
  }
  pthread_mutex_unlock(&p->lock);
  return rc;
}

void vbx__file_put_abandon(void *pv) {
  struct put *p = pv;
  pthread_mutex_lock(&p->lock);
  p->abandoned = 1;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->lock);
}

/* ---- get ---------------------------------------------------------------- */

struct get {
  struct job j;
  uint64_t max;         /* max_size of the request */
  pthread_mutex_t lock; /* the fields below, shared with the reader */
  pthread_cond_t cond;  /* CLOCK_MONOTONIC; signalled on credit, abandon */
  struct vbx_proto_credit credit;
  int abandoned;
};

/* Wait for credit; returns what may be sent now, 0 once abandoned, or
 * VBX_E_TIMEOUT when no credit came for IDLE_MS. */
static int64_t get_credit(struct get *g) {
  struct timespec idle;
  deadline_in(&idle, IDLE_MS);
  int timed_out = 0;
  pthread_mutex_lock(&g->lock);
  while (!g->abandoned && vbx_proto_credit_available(&g->credit) == 0 && !timed_out)
    timed_out = pthread_cond_timedwait(&g->cond, &g->lock, &idle) == ETIMEDOUT;
  int64_t avail = g->abandoned ? 0 : vbx_proto_credit_available(&g->credit);
  pthread_mutex_unlock(&g->lock);
  return avail == 0 && timed_out ? VBX_E_TIMEOUT : avail;
}

/* Terminal ERROR{TOOBIG}: st_size over the limit, or (grew) more data
 * than the limit although st_size was within it. */
static void get_toobig(struct get *g, long long st_size, int grew) {
  job_unregister(&g->j);
  if (grew)
    vbx__conn_send_error(g->j.c, g->j.id, VBX_E_TOOBIG,
                         "%s: more than the %llu bytes allowed (its size said %lld: the file "
                         "grew while being read); cut at the limit",
                         g->j.path, (unsigned long long)g->max, st_size);
  else
    vbx__conn_send_error(g->j.c, g->j.id, VBX_E_TOOBIG,
                         "%s: %lld bytes, more than the %llu "
                         "allowed",
                         g->j.path, st_size, (unsigned long long)g->max);
}

/* Stream the file under the host's credit, never more than g->max bytes:
 * once that many are sent, one more byte read tells EOF from a file larger
 * than its st_size announced (it grew, or its size is not known ahead). */
static void get_run(struct get *g) {
  struct job *j = &g->j;
  const char *why = NULL;
  uint8_t *buf = NULL;
  int fd = vbx__jail_open_file(j->c->agent->rootfd, j->rel, O_RDONLY, &why);
  if (fd < 0) {
    job_fail(j, -fd, why);
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    job_fail(j, errno, NULL);
    goto out;
  }
  if ((uint64_t)st.st_size > g->max) {
    get_toobig(g, (long long)st.st_size, 0);
    goto out;
  }
  if ((buf = malloc(GET_CHUNK)) == NULL) {
    job_fail(j, ENOMEM, NULL);
    goto out;
  }
  struct vbx_sha256 sha;
  vbx_proto_sha256_init(&sha);
  uint64_t off = 0;
  for (;;) {
    if (off == g->max) {
      uint8_t probe;
      ssize_t n = read_retry(fd, &probe, 1);
      if (n < 0) {
        job_fail(j, errno, NULL);
        goto out;
      }
      if (n > 0) {
        get_toobig(g, (long long)st.st_size, 1);
        goto out;
      }
      break;
    }
    int64_t avail = get_credit(g);
    if (avail == 0) goto out; /* abandoned: the connection is closing */
    if (avail == VBX_E_TIMEOUT) {
      job_unregister(j);
      vbx__conn_send_error(j->c, j->id, VBX_E_TIMEOUT,
                           "%s: no credit from the host for %d s "
                           "after %llu bytes; transfer dropped",
                           j->path, IDLE_MS / 1000, (unsigned long long)off);
      goto out;
    }
    uint64_t want = g->max - off;
    if (want > (uint64_t)avail) want = (uint64_t)avail;
    if (want > GET_CHUNK) want = GET_CHUNK;
    ssize_t n = read_retry(fd, buf, (size_t)want);
    if (n < 0) {
      job_fail(j, errno, NULL);
      goto out;
    }
    if (n == 0) break;
    pthread_mutex_lock(&g->lock);
    vbx_proto_credit_consume(&g->credit, (uint32_t)n);
    pthread_mutex_unlock(&g->lock);
    vbx_proto_sha256_update(&sha, buf, (size_t)n);
    if (vbx__conn_send_data(j->c, VBX_PROTO_T_FILE_DATA, j->id, off, buf, (uint32_t)n) != 0)
      goto out; /* the connection is broken */
    off += (uint64_t)n;
  }
  struct vbx_proto_file_end e;
  memset(&e, 0, sizeof e);
  e.size = off;
  vbx_proto_sha256_final(&sha, e.sha256);
  uint8_t mem[128];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  job_unregister(j);
  if (vbx_proto_encode_file_end(&b, j->id, &e) == 0) vbx__conn_send(j->c, &b);
out:
  free(buf);
  close(fd);
}

static void *get_worker(void *arg) {
  struct get *g = arg;
  struct vbx__conn *c = g->j.c;
  if (job_become(&g->j) == 0) get_run(g);
  job_unregister(&g->j);
  pthread_cond_destroy(&g->cond);
  pthread_mutex_destroy(&g->lock);
  free(g);
  job_release(c);
  return NULL;
}

int vbx__file_get(struct vbx__conn *c, uint32_t id, const struct vbx_proto_file_get *m) {
  struct get *g = calloc(1, sizeof *g);
  if (g == NULL) return VBX_E_NOMEM;
  int refused;
  int rc = job_init(&g->j, c, id, m->path, 0, &refused);
  if (rc != 0 || refused) {
    free(g);
    return rc;
  }
  g->max = m->max_size;
  pthread_mutex_init(&g->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cond, &ca);
  pthread_condattr_destroy(&ca);
  vbx_proto_credit_init(&g->credit);
  rc = job_start(&g->j, VBX__REQ_GET, g, get_worker, &refused);
  if (rc != 0 || refused) {
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
    free(g);
  }
  return rc;
}

int vbx__file_get_window(void *gv, uint32_t inc) {
  struct get *g = gv;
  pthread_mutex_lock(&g->lock);
  int rc = vbx_proto_credit_grant(&g->credit, inc);
  pthread_cond_signal(&g->cond);
  pthread_mutex_unlock(&g->lock);
  return rc == 0 ? 0 : VBX_E_PROTOCOL;
}

void vbx__file_get_abandon(void *gv) {
  struct get *g = gv;
  pthread_mutex_lock(&g->lock);
  g->abandoned = 1;
  pthread_cond_signal(&g->cond);
  pthread_mutex_unlock(&g->lock);
}

/* ---- mkdir / stat ------------------------------------------------------- */

struct simple {
  struct job j;
  int type; /* VBX_PROTO_T_MKDIR or VBX_PROTO_T_STAT */
  uint32_t mode, flags;
};

/* mkdir -p of rel (modified in place) beneath rootfd. A system-call
 * wrapper: 0 or -errno; *why set (with -EPERM) when a directory on the way
 * lies on a kernel interface file system. */
static int mkdir_parents(int rootfd, char *rel, mode_t mode, const char **why) {
  int d = vbx__jail_open(rootfd, ".", O_PATH | O_DIRECTORY, 0);
  char *save = NULL;
  for (char *comp = strtok_r(rel, "/", &save); d >= 0 && comp != NULL;
       comp = strtok_r(NULL, "/", &save)) {
    if (strcmp(comp, ".") == 0) continue;
    int err = 0;
    if (strcmp(comp, "..") == 0)
      err = EXDEV;
    else if ((*why = vbx__jail_special_fs(d)) != NULL)
      err = EPERM;
    else if (mkdirat(d, comp, mode) != 0 && errno != EEXIST)
      err = errno;
    if (err != 0) {
      close(d);
      return -err;
    }
    int nd = vbx__jail_open(d, comp, O_PATH | O_DIRECTORY, 0);
    close(d);
    d = nd;
  }
  if (d < 0) return d;
  close(d);
  return 0;
}

static void do_mkdir(struct simple *s) {
  struct job *j = &s->j;
  int rootfd = j->c->agent->rootfd;
  mode_t mode = s->mode & 07777;
  const char *why = NULL, *leaf;
  int err = 0;
  if (s->flags & VBX_PROTO_MKDIR_F_PARENTS) {
    err = -mkdir_parents(rootfd, j->rel, mode, &why);
  } else {
    int d = vbx__jail_open_parent(rootfd, j->rel, &leaf);
    if (d < 0)
      err = -d;
    else if ((why = vbx__jail_special_fs(d)) != NULL)
      err = EPERM;
    else if (mkdirat(d, leaf, mode) != 0)
      err = errno;
    if (d >= 0) close(d);
  }
  if (err != 0)
    job_fail(j, err, why);
  else
    job_ok(j);
}

static void do_stat(struct simple *s) {
  struct job *j = &s->j;
  int rootfd = j->c->agent->rootfd;
  struct stat st;
  int r, err = 0;
  if ((s->flags & VBX_PROTO_STAT_F_NOFOLLOW) && strcmp(j->rel, ".") != 0) {
    const char *leaf;
    int d = vbx__jail_open_parent(rootfd, j->rel, &leaf);
    if (d < 0) {
      job_fail(j, -d, NULL);
      return;
    }
    r = fstatat(d, leaf, &st, AT_SYMLINK_NOFOLLOW);
    err = errno;
    close(d);
  } else {
    int fd = vbx__jail_open(rootfd, j->rel, O_PATH, 0);
    if (fd < 0) {
      job_fail(j, -fd, NULL);
      return;
    }
    r = fstat(fd, &st);
    err = errno;
    close(fd);
  }
  if (r != 0) {
    job_fail(j, err, NULL);
    return;
  }
  struct vbx_proto_stat_result res;
  memset(&res, 0, sizeof res);
  res.type = S_ISREG(st.st_mode)   ? VBX_PROTO_FT_REGULAR
             : S_ISDIR(st.st_mode) ? VBX_PROTO_FT_DIR
             : S_ISLNK(st.st_mode) ? VBX_PROTO_FT_SYMLINK
                                   : VBX_PROTO_FT_OTHER;
  res.mode = st.st_mode & 07777;
  res.size = (uint64_t)st.st_size;
  res.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  uint8_t mem[64];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  job_unregister(j);
  if (vbx_proto_encode_stat_result(&b, j->id, &res) == 0) vbx__conn_send(j->c, &b);
}

static void *simple_worker(void *arg) {
  struct simple *s = arg;
  struct vbx__conn *c = s->j.c;
  if (job_become(&s->j) == 0) {
    if (s->type == VBX_PROTO_T_MKDIR)
      do_mkdir(s);
    else
      do_stat(s);
  }
  job_unregister(&s->j);
  free(s);
  job_release(c);
  return NULL;
}

/* MKDIR or STAT (type) of path: as vbx__file_mkdir / vbx__file_stat. */
static int simple_start(struct vbx__conn *c, uint32_t id, struct vbx_proto_str path, int type,
                        uint32_t mode, uint32_t flags) {
  struct simple *s = calloc(1, sizeof *s);
  if (s == NULL) return VBX_E_NOMEM;
  int refused;
  int rc = job_init(&s->j, c, id, path, type == VBX_PROTO_T_MKDIR, &refused);
  if (rc == 0 && !refused) {
    s->type = type, s->mode = mode, s->flags = flags;
    rc = job_start(&s->j, VBX__REQ_FILE, s, simple_worker, &refused);
  }
  if (rc != 0 || refused) free(s);
  return rc;
}

int vbx__file_mkdir(struct vbx__conn *c, uint32_t id, const struct vbx_proto_mkdir *m) {
  return simple_start(c, id, m->path, VBX_PROTO_T_MKDIR, m->mode, m->flags);
}

int vbx__file_stat(struct vbx__conn *c, uint32_t id, const struct vbx_proto_stat *m) {
  return simple_start(c, id, m->path, VBX_PROTO_T_STAT, 0, m->flags);
}
