/*
 * guest-session/ops.c - exec, file_write and file_read of a guest session over
 * the guest protocol: output is handed to on_output as it arrives and
 * credit is returned only after that, so host memory stays bounded by the
 * window plus the capture cap; cancellation and deadlines are polled every
 * 50 ms and turn into a SIGKILL of the exec's process group.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define POLL_MS 50
#define KILL_WAIT_NS 5000000000ull
#define STDIN_CHUNK (256u * 1024u)

static int dead_error(guest_session *b, vbx_call *call, const char *what) {
  char st[900]; /* why_dead may add a console tail; a call message holds 1 KiB */
  b->why_dead(b->why_ctx, st, sizeof st);
  return b->host->set_error(call, VBX_E_SANDBOX_LOST, NULL, "box %s: %s failed: %s", b->name, what,
                            st);
}

static int guest_error(guest_session *b, const gc_item *it, vbx_call *call, const char *what) {
  struct vbx_proto_error e;
  if (vbx_proto_decode_error(it->payload, it->len, &e) != 0)
    return b->host->set_error(call, VBX_E_PROTOCOL, NULL, "box %s: malformed ERROR", b->name);
  /* The guest reports failures of one request; only the host decides that
   * the sandbox itself is lost. */
  int code = e.code < 0 && e.code >= -64 && e.code != VBX_E_SANDBOX_LOST ? e.code : VBX_E_SANDBOX;
  return b->host->set_error(call, code, NULL, "box %s: %s: %.*s", b->name, what,
                            (int)e.message.len, e.message.ptr);
}

static int check_box(guest_session *b, vbx_call *call) {
  if (b->conn == NULL || gc_dead(b->conn, NULL, 0))
    return dead_error(b, call, "request");
  if (b->expires_ns && b->host->monotonic_ns() >= b->expires_ns)
    return b->host->set_error(call, VBX_E_TIMEOUT, NULL,
                              "box %s: sandbox lifetime (timeout_secs) is over", b->name);
  return 0;
}

/* Relative paths are relative to the workspace (the commands' cwd). */
static const char *abs_path(const char *path, char *buf, size_t cap) {
  if (path[0] == '/')
    return path;
  snprintf(buf, cap, "%s/%s", GUEST_WORKSPACE, path);
  return buf;
}

typedef struct capture {
  char *data;
  size_t len, cap;
  int truncated;
} capture;

static int cap_add(const vbx_host_services *h, capture *c, size_t limit, const uint8_t *d,
                   size_t n) {
  if (c->len + n > limit) {
    c->truncated = 1;
    n = limit - c->len;
  }
  if (n == 0)
    return 0;
  if (c->len + n + 1 > c->cap) {
    size_t nc = c->cap ? c->cap : 4096;
    while (nc < c->len + n + 1)
      nc *= 2;
    if (nc > limit + 1)
      nc = limit + 1;
    char *p = h->realloc(c->data, nc);
    if (p == NULL)
      return VBX_E_NOMEM;
    c->data = p, c->cap = nc;
  }
  memcpy(c->data + c->len, d, n);
  c->len += n;
  c->data[c->len] = '\0';
  return 0;
}

static int finish_capture(const vbx_host_services *h, capture *c, char **out, size_t *len,
                          int *trunc) {
  if (c->data == NULL && (c->data = h->alloc(1)) == NULL)
    return VBX_E_NOMEM;
  *out = c->data, *len = c->len, *trunc = c->truncated;
  c->data = NULL;
  return 0;
}

static int build_env(guest_session *b, const vbx_exec_request *req, const char ***out, uint32_t *n) {
  size_t cnt = 0;
  for (char **e = b->env; e && *e; e++)
    cnt++;
  for (const char *const *e = req->env; e && *e; e++)
    cnt++;
  if (cnt > VBX_PROTO_MAX_ENVC)
    return VBX_E_TOOBIG;
  const char **v = calloc(cnt + 1, sizeof *v);
  if (v == NULL)
    return VBX_E_NOMEM;
  size_t i = 0;
  for (char **e = b->env; e && *e; e++)
    v[i++] = *e;
  for (const char *const *e = req->env; e && *e; e++)
    v[i++] = *e;
  *out = v;
  *n = (uint32_t)i;
  return 0;
}

static int send_signal(guest_session *b, uint32_t id, int sig) {
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_SIGNAL, .id = id, .u.signo = (uint32_t)sig};
  return gc_send_msg(b->conn, &m);
}

int guest_exec(guest_session *b, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call) {
    const vbx_host_services *h = b->host;
  gc_req *r = NULL;
  const char **env = NULL;
  capture out = {0}, err = {0};
  int rc = check_box(b, call);
  if (rc != 0)
    return rc;
  if (req->argv == NULL || req->argv[0] == NULL)
    return h->set_error(call, VBX_E_INVAL, NULL, "exec: empty argv");
  size_t limit = req->max_output_bytes ? req->max_output_bytes : GUEST_DEFAULT_OUTPUT_CAP;
  uint64_t start = h->monotonic_ns();
  struct vbx_proto_exec_start es;
  memset(&es, 0, sizeof es);
  es.p.flags = VBX_PROTO_EXEC_F_NEW_SESSION;
  es.p.uid = b->uid, es.p.gid = b->gid;
  es.p.timeout_ms = req->timeout_ms;
  es.p.stdin_mode = req->stdin_data ? VBX_PROTO_STDIN_PIPE : VBX_PROTO_STDIN_NONE;
  while (req->argv[es.argc] != NULL && es.argc <= VBX_PROTO_MAX_ARGC)
    es.argc++;
  es.argv = req->argv;
  es.cwd = req->cwd;
  if ((rc = build_env(b, req, &env, &es.envc)) != 0) {
    rc = h->set_error(call, rc, NULL, "exec: too many environment entries");
    goto out;
  }
  es.envp = env;
  if ((rc = gc_req_new(b->conn, GUEST_EXEC_WINDOW, &r)) != 0) {
    rc = dead_error(b, call, "exec");
    goto out;
  }
  uint32_t id = gc_req_id(r);
  {
    struct vbx_proto_buf eb;
    vbx_proto_buf_init_growable(&eb, 0);
    rc = vbx_proto_encode_exec_start(&eb, id, &es);
    if (rc == 0)
      rc = gc_send_buf(b->conn, &eb) == 0 ? 0 : VBX_E_IO;
    vbx_proto_buf_fini(&eb);
    if (rc != 0) {
      rc = rc == VBX_E_IO ? dead_error(b, call, "exec")
                          : h->set_error(call, rc, NULL, "exec: arguments exceed protocol limits");
      goto out;
    }
  }
  size_t in_off = 0;
  int in_closed = req->stdin_data == NULL, killed = 0, stop_rc = 0, cb_rc = 0;
  uint64_t kill_at = 0, off_out = 0, off_err = 0;
  uint64_t dl = h->deadline_ns ? h->deadline_ns(call) : 0;
  for (;;) {
    while (!in_closed && !killed) { /* stdin under the guest's credit */
      uint32_t cr = gc_req_credit(r);
      size_t n = req->stdin_len - in_off;
      if (n == 0) {
        struct vbx_proto_msg m = {.type = VBX_PROTO_T_STDIN_CLOSE, .id = id};
        gc_send_msg(b->conn, &m);
        in_closed = 1;
        break;
      }
      if (cr == 0)
        break;
      if (n > cr)
        n = cr;
      if (n > STDIN_CHUNK)
        n = STDIN_CHUNK;
      gc_req_consume_credit(r, (uint32_t)n);
      if (gc_send_data(b->conn, VBX_PROTO_T_STDIN_DATA, id, in_off, req->stdin_data + in_off,
                       (uint32_t)n) != 0)
        break;
      in_off += n;
    }
    gc_item *it = NULL;
    rc = gc_req_next(r, POLL_MS, &it);
    if (rc == VBX_E_SANDBOX) {
      rc = dead_error(b, call, "exec");
      goto out;
    }
    uint64_t now = h->monotonic_ns();
    if (!killed && (h->is_cancelled(call) || (dl && now >= dl) || cb_rc != 0)) {
      stop_rc = cb_rc ? cb_rc : (dl && now >= dl) ? VBX_E_TIMEOUT : VBX_E_CANCELLED;
      send_signal(b, id, SIGKILL);
      killed = 1;
      kill_at = now;
    }
    if (killed && now - kill_at > KILL_WAIT_NS) {
      rc = h->set_error(call, stop_rc, NULL, "exec %s: stopped, but the guest did not confirm "
                        "the kill within 5 s", req->argv[0]);
      goto out;
    }
    if (rc == VBX_E_AGAIN)
      continue;
    if (it->type == VBX_PROTO_T_STDOUT_DATA || it->type == VBX_PROTO_T_STDERR_DATA) {
      struct vbx_proto_data d;
      int is_out = it->type == VBX_PROTO_T_STDOUT_DATA;
      uint64_t *off = is_out ? &off_out : &off_err;
      if (vbx_proto_decode_data(it->payload, it->len, &d) != 0 || d.offset != *off) {
        free(it);
        rc = h->set_error(call, VBX_E_PROTOCOL, NULL, "exec: guest sent output out of order");
        goto out;
      }
      *off += d.len;
      if (req->on_output && cb_rc == 0 && !killed)
        cb_rc = req->on_output(req->user, is_out ? VBX_STREAM_STDOUT : VBX_STREAM_STDERR,
                               (const char *)d.data, d.len);
      if (cap_add(h, is_out ? &out : &err, limit, d.data, d.len) != 0) {
        free(it);
        rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
        goto out;
      }
      uint32_t n = d.len;
      free(it);
      if (gc_req_consumed(r, n) != 0) {
        rc = dead_error(b, call, "exec");
        goto out;
      }
      continue;
    }
    if (it->type == VBX_PROTO_T_EXIT) {
      struct vbx_proto_exit x;
      int bad = vbx_proto_decode_exit(it->payload, it->len, &x);
      free(it);
      if (bad) {
        rc = h->set_error(call, VBX_E_PROTOCOL, NULL, "exec: malformed EXIT");
        goto out;
      }
      if (stop_rc != 0) {
        rc = h->set_error(call, stop_rc, NULL, "exec %s: %s", req->argv[0],
                          stop_rc == VBX_E_CANCELLED ? "cancelled"
                          : stop_rc == VBX_E_TIMEOUT ? "call deadline passed"
                                                     : "stopped by the output callback");
        goto out;
      }
      res->exit_code = x.reason == VBX_PROTO_EXIT_EXITED ? x.code : 128 + x.code;
      res->term_signal = x.reason == VBX_PROTO_EXIT_EXITED ? 0 : x.code;
      res->timed_out = x.reason == VBX_PROTO_EXIT_TIMEOUT;
      res->duration_ns = h->monotonic_ns() - start;
      if ((rc = finish_capture(h, &out, &res->stdout_data, &res->stdout_len,
                               &res->stdout_truncated)) != 0 ||
          (rc = finish_capture(h, &err, &res->stderr_data, &res->stderr_len,
                               &res->stderr_truncated)) != 0) {
        rc = h->set_error(call, rc, NULL, "out of memory");
        goto out;
      }
      rc = 0;
      goto out;
    }
    if (it->type == VBX_PROTO_T_ERROR) {
      rc = guest_error(b, it, call, req->argv[0]);
      free(it);
      goto out;
    }
    free(it); /* anything else on an exec id is ignored */
  }
out:
  h->free(out.data);
  h->free(err.data);
  gc_req_free(r);
  free(env);
  return rc;
}

/* Wait for the terminal reply (OK / ERROR) of a simple request. */
static int wait_reply(guest_session *b, gc_req *r, vbx_call *call, const char *what, int want) {
  for (;;) {
    gc_item *it;
    int rc = gc_req_next(r, POLL_MS, &it);
    if (rc == VBX_E_SANDBOX)
      return dead_error(b, call, what);
    if (rc == VBX_E_AGAIN) {
      if (b->host->is_cancelled(call))
        return b->host->set_error(call, VBX_E_CANCELLED, NULL, "%s: cancelled", what);
      continue;
    }
    if (it->type == want) {
      free(it);
      return 0;
    }
    rc = it->type == VBX_PROTO_T_ERROR
             ? guest_error(b, it, call, what)
             : b->host->set_error(call, VBX_E_PROTOCOL, NULL, "%s: unexpected %s", what,
                                  vbx_proto_type_name(it->type));
    free(it);
    return rc;
  }
}

static int mkdir_p(guest_session *b, const char *dir, vbx_call *call) {
  gc_req *r;
  if (gc_req_new(b->conn, 0, &r) != 0)
    return dead_error(b, call, "mkdir");
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_MKDIR, .id = gc_req_id(r)};
  m.u.mkdir.mode = 0755;
  m.u.mkdir.flags = VBX_PROTO_MKDIR_F_PARENTS;
  m.u.mkdir.path = vbx_proto_str_c(dir);
  int rc = gc_send_msg(b->conn, &m);
  rc = rc == 0 ? wait_reply(b, r, call, dir, VBX_PROTO_T_OK)
               : rc == VBX_E_IO ? dead_error(b, call, "mkdir")
                                : b->host->set_error(call, VBX_E_INVAL, NULL, "bad path %s", dir);
  gc_req_free(r);
  return rc;
}

int guest_file_write(guest_session *b, const char *path, const void *data, size_t len,
                     uint32_t mode, vbx_call *call) {
    const vbx_host_services *h = b->host;
  char pb[VBX_PROTO_MAX_PATH_LEN + 2];
  int rc = check_box(b, call);
  if (rc != 0)
    return rc;
  if (path == NULL || path[0] == '\0' || strlen(path) + sizeof GUEST_WORKSPACE + 1 > sizeof pb)
    return h->set_error(call, VBX_E_INVAL, NULL, "file_write: bad path");
  const char *p = abs_path(path, pb, sizeof pb);
  char dir[VBX_PROTO_MAX_PATH_LEN + 2];
  snprintf(dir, sizeof dir, "%s", p);
  char *slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    if ((rc = mkdir_p(b, dir, call)) != 0)
      return rc;
  }
  gc_req *r;
  if (gc_req_new(b->conn, 0, &r) != 0)
    return dead_error(b, call, "file_write");
  uint32_t id = gc_req_id(r);
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_FILE_PUT_BEGIN, .id = id};
  m.u.put.mode = mode & 07777;
  m.u.put.size = len;
  m.u.put.path = vbx_proto_str_c(p);
  struct vbx_sha256 sha;
  vbx_proto_sha256_init(&sha);
  size_t off = 0;
  if (gc_send_msg(b->conn, &m) != 0) {
    rc = dead_error(b, call, "file_write");
    goto out;
  }
  while (off < len) {
    uint32_t cr = gc_req_wait_credit(r, POLL_MS);
    gc_item *it;
    if (gc_req_next(r, 0, &it) == 0) { /* early ERROR from the guest */
      rc = it->type == VBX_PROTO_T_ERROR ? guest_error(b, it, call, p)
                                         : h->set_error(call, VBX_E_PROTOCOL, NULL, "%s: unexpected %s",
                                                        p, vbx_proto_type_name(it->type));
      free(it);
      struct vbx_proto_msg e = {.type = VBX_PROTO_T_FILE_END, .id = id};
      e.u.end.flags = VBX_PROTO_FILE_END_F_ABORT;
      gc_send_msg(b->conn, &e);
      goto out;
    }
    if (gc_dead(b->conn, NULL, 0)) {
      rc = dead_error(b, call, "file_write");
      goto out;
    }
    if (h->is_cancelled(call)) {
      rc = h->set_error(call, VBX_E_CANCELLED, NULL, "file_write %s: cancelled", p);
      goto out;
    }
    size_t n = len - off;
    if (n > cr)
      n = cr;
    if (n > VBX_PROTO_MAX_DATA)
      n = VBX_PROTO_MAX_DATA;
    if (n == 0)
      continue;
    gc_req_consume_credit(r, (uint32_t)n);
    vbx_proto_sha256_update(&sha, (const uint8_t *)data + off, n);
    if (gc_send_data(b->conn, VBX_PROTO_T_FILE_DATA, id, off, (const uint8_t *)data + off,
                     (uint32_t)n) != 0) {
      rc = dead_error(b, call, "file_write");
      goto out;
    }
    off += n;
  }
  struct vbx_proto_msg e = {.type = VBX_PROTO_T_FILE_END, .id = id};
  e.u.end.size = len;
  vbx_proto_sha256_final(&sha, e.u.end.sha256);
  if (gc_send_msg(b->conn, &e) != 0) {
    rc = dead_error(b, call, "file_write");
    goto out;
  }
  rc = wait_reply(b, r, call, p, VBX_PROTO_T_OK);
out:
  gc_req_free(r);
  return rc;
}

int guest_file_read(guest_session *b, const char *path, size_t max_len, char **out, size_t *out_len,
                    vbx_call *call) {
    const vbx_host_services *h = b->host;
  char pb[VBX_PROTO_MAX_PATH_LEN + 2];
  *out = NULL;
  *out_len = 0;
  int rc = check_box(b, call);
  if (rc != 0)
    return rc;
  if (path == NULL || path[0] == '\0' || strlen(path) + sizeof GUEST_WORKSPACE + 1 > sizeof pb)
    return h->set_error(call, VBX_E_INVAL, NULL, "file_read: bad path");
  const char *p = abs_path(path, pb, sizeof pb);
  gc_req *r;
  if (gc_req_new(b->conn, GUEST_EXEC_WINDOW, &r) != 0)
    return dead_error(b, call, "file_read");
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_FILE_GET, .id = gc_req_id(r)};
  m.u.get.max_size = max_len;
  m.u.get.path = vbx_proto_str_c(p);
  capture cap = {0};
  struct vbx_sha256 sha;
  vbx_proto_sha256_init(&sha);
  if (gc_send_msg(b->conn, &m) != 0) {
    rc = dead_error(b, call, "file_read");
    goto out;
  }
  for (;;) {
    gc_item *it;
    rc = gc_req_next(r, POLL_MS, &it);
    if (rc == VBX_E_SANDBOX) {
      rc = dead_error(b, call, "file_read");
      goto out;
    }
    if (rc == VBX_E_AGAIN) {
      if (h->is_cancelled(call)) {
        rc = h->set_error(call, VBX_E_CANCELLED, NULL, "file_read %s: cancelled", p);
        goto out;
      }
      continue;
    }
    if (it->type == VBX_PROTO_T_FILE_DATA) {
      struct vbx_proto_data d;
      if (vbx_proto_decode_data(it->payload, it->len, &d) != 0 || d.offset != cap.len ||
          cap.len + d.len > max_len) {
        free(it);
        rc = h->set_error(call, VBX_E_PROTOCOL, NULL, "file_read %s: bad FILE_DATA", p);
        goto out;
      }
      vbx_proto_sha256_update(&sha, d.data, d.len);
      rc = cap_add(h, &cap, max_len, d.data, d.len);
      uint32_t n = d.len;
      free(it);
      if (rc != 0 || gc_req_consumed(r, n) != 0) {
        rc = rc ? h->set_error(call, rc, NULL, "out of memory") : dead_error(b, call, "file_read");
        goto out;
      }
      continue;
    }
    if (it->type == VBX_PROTO_T_FILE_END) {
      struct vbx_proto_file_end e;
      uint8_t dig[32];
      int bad = vbx_proto_decode_file_end(it->payload, it->len, &e);
      free(it);
      vbx_proto_sha256_final(&sha, dig);
      if (bad || e.size != cap.len || !vbx_proto_ct_equal(dig, e.sha256, 32)) {
        rc = h->set_error(call, VBX_E_IO, NULL, "file_read %s: size or sha256 mismatch", p);
        goto out;
      }
      size_t n = cap.len;
      int t;
      rc = finish_capture(h, &cap, out, out_len, &t);
      if (rc != 0)
        rc = h->set_error(call, rc, NULL, "out of memory");
      (void)n;
      goto out;
    }
    rc = it->type == VBX_PROTO_T_ERROR ? guest_error(b, it, call, p)
                                       : h->set_error(call, VBX_E_PROTOCOL, NULL, "%s: unexpected %s",
                                                      p, vbx_proto_type_name(it->type));
    free(it);
    goto out;
  }
out:
  h->free(cap.data);
  gc_req_free(r);
  return rc;
}
