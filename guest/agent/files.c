/*
 * guest/agent/files.c - FILE_PUT (temp file + rename after a matching
 * size and SHA-256), FILE_GET (its own worker, under the host's credit),
 * MKDIR (-p) and STAT, all resolved inside the jail (jail.c) and, for
 * writes, inside the policy's writable paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

#define GET_CHUNK 262144u
#define PUT_WINDOW (1024u * 1024u)

/* Resolve a request path; on refusal sends ERROR(id) and returns -1. */
static int rel_or_error(struct vbx__conn *c, uint32_t id, struct vbx_proto_str path, int write,
                        char *rel, size_t cap) {
  char p[VBX_PROTO_MAX_PATH_LEN + 1];
  if (vbx_proto_str_copy(path, p, sizeof p) != 0) {
    vbx__conn_send_error(c, id, VBX_E_TOOBIG, "path too long");
    return -1;
  }
  int rc = vbx__jail_relpath(c->agent->root, p, rel, cap);
  if (rc != 0) {
    vbx__conn_send_error(c, id, rc == -1 ? VBX_E_PERM : VBX_E_INVAL,
                         rc == -1 ? "%s: outside the sandbox root %s" : "%s: invalid path%s", p,
                         rc == -1 ? c->agent->root : "");
    return -1;
  }
  if (write && !vbx__policy_writable(&c->agent->policy, rel)) {
    vbx__conn_send_error(c, id, VBX_E_PERM, "%s: not under a writable path of the policy", p);
    return -1;
  }
  return 0;
}

static int send_errno(struct vbx__conn *c, uint32_t id, const char *rel, int err) {
  const char *why = err == EXDEV   ? "path escapes the sandbox root"
                    : err == ELOOP ? "path contains a symlink (refused)"
                                   : strerror(err);
  return vbx__conn_send_error(c, id, vbx__errno_code(err), "%s: %s", rel, why);
}

static void own(struct vbx__conn *c, int dirfd, const char *name, int fd) {
  const struct vbx__policy *p = &c->agent->policy;
  if (!p->have_uid && !p->have_gid)
    return;
  uid_t u = p->have_uid ? p->uid : (uid_t)-1;
  gid_t g = p->have_gid ? p->gid : (gid_t)-1;
  int r = 0;
  if (fd >= 0)
    r = fchown(fd, u, g);
  else if (name != NULL)
    r = fchownat(dirfd, name, u, g, AT_SYMLINK_NOFOLLOW);
  (void)r;
}

/* ---- put ---------------------------------------------------------------- */

struct put {
  uint32_t id;
  int failed;       /* ERROR already sent; discard until FILE_END */
  int dirfd, fd;
  char tmp[64];
  char leaf[256];
  uint32_t mode;
  uint64_t size, got;
  struct vbx_sha256 sha;
  struct vbx_proto_window win;
};

static void put_cleanup(struct put *p) {
  if (p->fd >= 0) {
    close(p->fd);
    unlinkat(p->dirfd, p->tmp, 0);
  }
  if (p->dirfd >= 0)
    close(p->dirfd);
  free(p);
}

int vbx__file_put_begin(struct vbx__conn *c, uint32_t id, const struct vbx_proto_file_put_begin *m) {
  struct put *p = calloc(1, sizeof *p);
  if (p == NULL)
    return -1;
  p->dirfd = p->fd = -1;
  p->id = id;
  p->mode = m->mode;
  p->size = m->size;
  vbx_proto_sha256_init(&p->sha);
  vbx_proto_window_init(&p->win, PUT_WINDOW);
  char rel[VBX_PROTO_MAX_PATH_LEN + 1];
  const char *leaf;
  if (rel_or_error(c, id, m->path, 1, rel, sizeof rel) != 0) {
    p->failed = 1;
  } else if ((p->dirfd = vbx__jail_open_parent(c->agent->rootfd, rel, &leaf)) < 0) {
    send_errno(c, id, rel, -p->dirfd);
    p->failed = 1;
  } else if (strlen(leaf) >= sizeof p->leaf) {
    vbx__conn_send_error(c, id, VBX_E_TOOBIG, "%s: name too long", rel);
    p->failed = 1;
  } else {
    strcpy(p->leaf, leaf);
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
      r = (uint32_t)id;
    snprintf(p->tmp, sizeof p->tmp, ".vbx-put-%u-%08x", id, r);
    p->fd = openat(p->dirfd, p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (p->fd < 0) {
      send_errno(c, id, rel, errno);
      p->failed = 1;
    }
  }
  if (vbx__conn_req_add(c, id, VBX__REQ_PUT, p) != 0) {
    put_cleanup(p);
    return -1;
  }
  return 0;
}

int vbx__file_put_data(struct vbx__conn *c, void *pv, const struct vbx_proto_data *d) {
  struct put *p = pv;
  if (d->offset != p->got || vbx_proto_window_on_data(&p->win, d->len) != 0 ||
      p->got + d->len > p->size)
    return -1; /* lost data, credit overrun or more than declared: protocol error */
  p->got += d->len;
  vbx_proto_window_on_consumed(&p->win, d->len);
  if (!p->failed) {
    vbx_proto_sha256_update(&p->sha, d->data, d->len);
    size_t off = 0;
    while (off < d->len) {
      ssize_t w = write(p->fd, d->data + off, d->len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0) {
        p->failed = 1;
        send_errno(c, p->id, p->leaf, errno);
        break;
      }
      off += (size_t)w;
    }
  }
  uint32_t inc = vbx_proto_window_grant(&p->win);
  if (inc && vbx__conn_send_window(c, p->id, inc) != 0)
    return -1;
  return 0;
}

int vbx__file_put_end(struct vbx__conn *c, uint32_t id, void *pv, const struct vbx_proto_file_end *m) {
  struct put *p = pv;
  int rc = 0;
  vbx__conn_req_del(c, id);
  if (p->failed || (m->flags & VBX_PROTO_FILE_END_F_ABORT))
    goto out;
  uint8_t dig[32];
  vbx_proto_sha256_final(&p->sha, dig);
  if (m->size != p->got || p->got != p->size || !vbx_proto_ct_equal(dig, m->sha256, 32)) {
    rc = vbx__conn_send_error(c, id, VBX_E_IO, "%s: size or sha256 mismatch (got %llu bytes)",
                              p->leaf, (unsigned long long)p->got);
    goto out;
  }
  fchmod(p->fd, p->mode & 07777);
  own(c, -1, NULL, p->fd);
  if (renameat(p->dirfd, p->tmp, p->dirfd, p->leaf) != 0) {
    rc = send_errno(c, id, p->leaf, errno);
    goto out;
  }
  close(p->fd);
  p->fd = -1;
  {
    uint8_t mem[64];
    struct vbx_proto_buf b;
    vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
    vbx_proto_encode_empty(&b, VBX_PROTO_T_OK, id);
    rc = vbx__conn_send(c, &b);
  }
out:
  put_cleanup(p);
  return rc < 0 ? -1 : 0;
}

void vbx__file_put_abandon(void *pv) { put_cleanup(pv); }

/* ---- get ---------------------------------------------------------------- */

struct get {
  struct vbx__conn *c;
  uint32_t id;
  int fd;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  struct vbx_proto_credit credit;
  int abandoned;
};

static void *get_worker(void *arg) {
  struct get *g = arg;
  uint8_t *buf = malloc(GET_CHUNK);
  struct vbx_sha256 sha;
  uint64_t off = 0;
  vbx_proto_sha256_init(&sha);
  int ok = buf != NULL;
  while (ok) {
    pthread_mutex_lock(&g->lock);
    while (!g->abandoned && vbx_proto_credit_available(&g->credit) == 0)
      pthread_cond_wait(&g->cond, &g->lock);
    uint32_t avail = vbx_proto_credit_available(&g->credit);
    int ab = g->abandoned;
    pthread_mutex_unlock(&g->lock);
    if (ab) {
      ok = 0;
      break;
    }
    ssize_t n = read(g->fd, buf, avail < GET_CHUNK ? avail : GET_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      vbx__conn_send_error(g->c, g->id, VBX_E_IO, "read: %s", strerror(errno));
      ok = 0;
      break;
    }
    if (n == 0)
      break;
    pthread_mutex_lock(&g->lock);
    vbx_proto_credit_consume(&g->credit, (uint32_t)n);
    pthread_mutex_unlock(&g->lock);
    vbx_proto_sha256_update(&sha, buf, (size_t)n);
    if (vbx__conn_send_data(g->c, VBX_PROTO_T_FILE_DATA, g->id, off, buf, (uint32_t)n) != 0)
      ok = 0;
    off += (uint64_t)n;
  }
  if (ok) {
    struct vbx_proto_file_end e;
    memset(&e, 0, sizeof e);
    e.size = off;
    vbx_proto_sha256_final(&sha, e.sha256);
    uint8_t mem[128];
    struct vbx_proto_buf b;
    vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
    if (vbx_proto_encode_file_end(&b, g->id, &e) == 0)
      vbx__conn_send(g->c, &b);
  }
  free(buf);
  close(g->fd);
  struct vbx__conn *c = g->c;
  vbx__conn_req_del(c, g->id);
  pthread_cond_destroy(&g->cond);
  pthread_mutex_destroy(&g->lock);
  free(g);
  vbx__conn_put(c);
  return NULL;
}

int vbx__file_get(struct vbx__conn *c, uint32_t id, const struct vbx_proto_file_get *m) {
  char rel[VBX_PROTO_MAX_PATH_LEN + 1];
  if (rel_or_error(c, id, m->path, 0, rel, sizeof rel) != 0)
    return 0;
  int fd = vbx__jail_open(c->agent->rootfd, rel, O_RDONLY, 0);
  if (fd < 0)
    return send_errno(c, id, rel, -fd) < 0 ? -1 : 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return vbx__conn_send_error(c, id, VBX_E_INVAL, "%s: not a regular file", rel) < 0 ? -1 : 0;
  }
  if ((uint64_t)st.st_size > m->max_size) {
    close(fd);
    return vbx__conn_send_error(c, id, VBX_E_TOOBIG, "%s: %lld bytes, more than the %llu allowed",
                                rel, (long long)st.st_size, (unsigned long long)m->max_size) < 0
               ? -1 : 0;
  }
  struct get *g = calloc(1, sizeof *g);
  if (g == NULL) {
    close(fd);
    return -1;
  }
  g->c = c, g->id = id, g->fd = fd;
  pthread_mutex_init(&g->lock, NULL);
  pthread_cond_init(&g->cond, NULL);
  vbx_proto_credit_init(&g->credit);
  vbx__conn_get(c);
  if (vbx__conn_req_add(c, id, VBX__REQ_GET, g) != 0) {
    vbx__conn_put(c);
    close(fd);
    free(g);
    return -1;
  }
  pthread_t t;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&at, 256 * 1024);
  if (pthread_create(&t, &at, get_worker, g) != 0) {
    g->abandoned = 1;
    get_worker(g); /* runs to cleanup at once */
  }
  pthread_attr_destroy(&at);
  return 0;
}

int vbx__file_get_window(void *gv, uint32_t inc) {
  struct get *g = gv;
  pthread_mutex_lock(&g->lock);
  int rc = vbx_proto_credit_grant(&g->credit, inc);
  pthread_cond_signal(&g->cond);
  pthread_mutex_unlock(&g->lock);
  return rc == 0 ? 0 : -1;
}

void vbx__file_get_abandon(void *gv) {
  struct get *g = gv;
  pthread_mutex_lock(&g->lock);
  g->abandoned = 1;
  pthread_cond_signal(&g->cond);
  pthread_mutex_unlock(&g->lock);
}

/* ---- mkdir / stat ------------------------------------------------------- */

static int reply_ok(struct vbx__conn *c, uint32_t id) {
  uint8_t mem[64];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  vbx_proto_encode_empty(&b, VBX_PROTO_T_OK, id);
  return vbx__conn_send(c, &b) < 0 ? -1 : 0;
}

int vbx__file_mkdir(struct vbx__conn *c, uint32_t id, const struct vbx_proto_mkdir *m) {
  char rel[VBX_PROTO_MAX_PATH_LEN + 1];
  if (rel_or_error(c, id, m->path, 1, rel, sizeof rel) != 0)
    return 0;
  mode_t mode = m->mode & 07777;
  if (!(m->flags & VBX_PROTO_MKDIR_F_PARENTS)) {
    const char *leaf;
    int d = vbx__jail_open_parent(c->agent->rootfd, rel, &leaf);
    if (d < 0)
      return send_errno(c, id, rel, -d) < 0 ? -1 : 0;
    int r = mkdirat(d, leaf, mode);
    int err = errno;
    if (r == 0)
      own(c, d, leaf, -1);
    close(d);
    return r == 0 ? reply_ok(c, id) : (send_errno(c, id, rel, err) < 0 ? -1 : 0);
  }
  int d = vbx__jail_open(c->agent->rootfd, ".", O_PATH | O_DIRECTORY, 0);
  char *save = NULL, *comp;
  for (comp = strtok_r(rel, "/", &save); d >= 0 && comp != NULL; comp = strtok_r(NULL, "/", &save)) {
    if (strcmp(comp, ".") == 0)
      continue;
    if (strcmp(comp, "..") == 0) {
      close(d);
      d = -EXDEV;
      break;
    }
    if (mkdirat(d, comp, mode) == 0)
      own(c, d, comp, -1);
    else if (errno != EEXIST) {
      int err = errno;
      close(d);
      d = -err;
      break;
    }
    int nd = vbx__jail_open(d, comp, O_PATH | O_DIRECTORY, 0);
    close(d);
    d = nd;
  }
  if (d < 0)
    return send_errno(c, id, rel, -d) < 0 ? -1 : 0;
  close(d);
  return reply_ok(c, id);
}

int vbx__file_stat(struct vbx__conn *c, uint32_t id, const struct vbx_proto_stat *m) {
  char rel[VBX_PROTO_MAX_PATH_LEN + 1];
  if (rel_or_error(c, id, m->path, 0, rel, sizeof rel) != 0)
    return 0;
  struct stat st;
  int r, err = 0;
  if ((m->flags & VBX_PROTO_STAT_F_NOFOLLOW) && strcmp(rel, ".") != 0) {
    const char *leaf;
    int d = vbx__jail_open_parent(c->agent->rootfd, rel, &leaf);
    if (d < 0)
      return send_errno(c, id, rel, -d) < 0 ? -1 : 0;
    r = fstatat(d, leaf, &st, AT_SYMLINK_NOFOLLOW);
    err = errno;
    close(d);
  } else {
    int fd = vbx__jail_open(c->agent->rootfd, rel, O_PATH, 0);
    if (fd < 0)
      return send_errno(c, id, rel, -fd) < 0 ? -1 : 0;
    r = fstat(fd, &st);
    err = errno;
    close(fd);
  }
  if (r != 0)
    return send_errno(c, id, rel, err) < 0 ? -1 : 0;
  struct vbx_proto_stat_result res;
  memset(&res, 0, sizeof res);
  res.type = S_ISREG(st.st_mode) ? VBX_PROTO_FT_REGULAR
             : S_ISDIR(st.st_mode) ? VBX_PROTO_FT_DIR
             : S_ISLNK(st.st_mode) ? VBX_PROTO_FT_SYMLINK : VBX_PROTO_FT_OTHER;
  res.mode = st.st_mode & 07777;
  res.size = (uint64_t)st.st_size;
  res.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  uint8_t mem[64];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  vbx_proto_encode_stat_result(&b, id, &res);
  return vbx__conn_send(c, &b) < 0 ? -1 : 0;
}
