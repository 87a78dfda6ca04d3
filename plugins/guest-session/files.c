/*
 * guest-session/files.c - file_write and file_read of a guest session over
 * the guest protocol: FILE_PUT under the guest's credit with a sha256 the
 * guest checks, FILE_GET into a capture whose sha256 the host checks;
 * cancellation is polled every 50 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

/* Wait for the terminal reply (OK / ERROR) of a simple request. */
static int wait_reply(guest_session *b, gc_req *r, vbx_call *call, const char *what, int want) {
  for (;;) {
    gc_item *it;
    int rc = gc_req_next(r, GUEST_POLL_MS, &it);
    if (rc == VBX_E_SANDBOX) return guest_dead_error(b, call, what);
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
             ? guest_error_reply(b, it, call, what)
             : b->host->set_error(call, VBX_E_PROTOCOL, NULL, "%s: unexpected %s", what,
                                  vbx_proto_type_name(it->type));
    free(it);
    return rc;
  }
}

static int mkdir_p(guest_session *b, const char *dir, vbx_call *call) {
  gc_req *r;
  if (gc_req_new(b->conn, 0, &r) != 0) return guest_dead_error(b, call, "mkdir");
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_MKDIR, .id = gc_req_id(r)};
  m.u.mkdir.mode = 0755;
  m.u.mkdir.flags = VBX_PROTO_MKDIR_F_PARENTS;
  m.u.mkdir.path = vbx_proto_str_c(dir);
  int rc = gc_send_msg(b->conn, &m);
  rc = rc == 0          ? wait_reply(b, r, call, dir, VBX_PROTO_T_OK)
       : rc == VBX_E_IO ? guest_dead_error(b, call, "mkdir")
                        : b->host->set_error(call, VBX_E_INVAL, NULL, "bad path %s", dir);
  gc_req_free(r);
  return rc;
}

int guest_file_write(guest_session *b, const char *path, const void *data, size_t len,
                     uint32_t mode, vbx_call *call) {
  const vbx_host_services *h = b->host;
  char pb[VBX_PROTO_MAX_PATH_LEN + 2];
  int rc = guest_check_box(b, call);
  if (rc != 0) return rc;
  if (path == NULL || path[0] == '\0' || strlen(path) + sizeof GUEST_WORKSPACE + 1 > sizeof pb)
    return h->set_error(call, VBX_E_INVAL, NULL, "file_write: bad path");
  const char *p = guest_abs_path(path, pb, sizeof pb);
  char dir[VBX_PROTO_MAX_PATH_LEN + 2];
  snprintf(dir, sizeof dir, "%s", p);
  char *slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    if ((rc = mkdir_p(b, dir, call)) != 0) return rc;
  }
  gc_req *r;
  if (gc_req_new(b->conn, 0, &r) != 0) return guest_dead_error(b, call, "file_write");
  uint32_t id = gc_req_id(r);
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_FILE_PUT_BEGIN, .id = id};
  m.u.put.mode = mode & 07777;
  m.u.put.size = len;
  m.u.put.path = vbx_proto_str_c(p);
  struct vbx_sha256 sha;
  vbx_proto_sha256_init(&sha);
  size_t off = 0;
  if (gc_send_msg(b->conn, &m) != 0) {
    rc = guest_dead_error(b, call, "file_write");
    goto out;
  }
  while (off < len) {
    uint32_t cr = gc_req_wait_credit(r, GUEST_POLL_MS);
    gc_item *it;
    if (gc_req_next(r, 0, &it) == 0) { /* early ERROR from the guest */
      rc = it->type == VBX_PROTO_T_ERROR
               ? guest_error_reply(b, it, call, p)
               : h->set_error(call, VBX_E_PROTOCOL, NULL, "%s: unexpected %s", p,
                              vbx_proto_type_name(it->type));
      free(it);
      struct vbx_proto_msg e = {.type = VBX_PROTO_T_FILE_END, .id = id};
      e.u.end.flags = VBX_PROTO_FILE_END_F_ABORT;
      gc_send_msg(b->conn, &e);
      goto out;
    }
    if (gc_dead(b->conn, NULL, 0)) {
      rc = guest_dead_error(b, call, "file_write");
      goto out;
    }
    if (h->is_cancelled(call)) {
      rc = h->set_error(call, VBX_E_CANCELLED, NULL, "file_write %s: cancelled", p);
      goto out;
    }
    size_t n = len - off;
    if (n > cr) n = cr;
    if (n > VBX_PROTO_MAX_DATA) n = VBX_PROTO_MAX_DATA;
    if (n == 0) continue;
    gc_req_consume_credit(r, (uint32_t)n);
    vbx_proto_sha256_update(&sha, (const uint8_t *)data + off, n);
    if (gc_send_data(b->conn, VBX_PROTO_T_FILE_DATA, id, off, (const uint8_t *)data + off,
                     (uint32_t)n) != 0) {
      rc = guest_dead_error(b, call, "file_write");
      goto out;
    }
    off += n;
  }
  struct vbx_proto_msg e = {.type = VBX_PROTO_T_FILE_END, .id = id};
  e.u.end.size = len;
  vbx_proto_sha256_final(&sha, e.u.end.sha256);
  if (gc_send_msg(b->conn, &e) != 0) {
    rc = guest_dead_error(b, call, "file_write");
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
  int rc = guest_check_box(b, call);
  if (rc != 0) return rc;
  if (path == NULL || path[0] == '\0' || strlen(path) + sizeof GUEST_WORKSPACE + 1 > sizeof pb)
    return h->set_error(call, VBX_E_INVAL, NULL, "file_read: bad path");
  const char *p = guest_abs_path(path, pb, sizeof pb);
  gc_req *r;
  if (gc_req_new(b->conn, GUEST_EXEC_WINDOW, &r) != 0)
    return guest_dead_error(b, call, "file_read");
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_FILE_GET, .id = gc_req_id(r)};
  m.u.get.max_size = max_len;
  m.u.get.path = vbx_proto_str_c(p);
  guest_capture cap = {.limit = max_len};
  struct vbx_sha256 sha;
  vbx_proto_sha256_init(&sha);
  if (gc_send_msg(b->conn, &m) != 0) {
    rc = guest_dead_error(b, call, "file_read");
    goto out;
  }
  for (;;) {
    gc_item *it;
    rc = gc_req_next(r, GUEST_POLL_MS, &it);
    if (rc == VBX_E_SANDBOX) {
      rc = guest_dead_error(b, call, "file_read");
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
      if (vbx_proto_decode_data(it->payload, it->len, &d) != 0 || d.offset != cap.sb.len ||
          cap.sb.len + d.len > max_len) {
        free(it);
        rc = h->set_error(call, VBX_E_PROTOCOL, NULL, "file_read %s: bad FILE_DATA", p);
        goto out;
      }
      vbx_proto_sha256_update(&sha, d.data, d.len);
      rc = guest_capture_add(&cap, d.data, d.len);
      uint32_t n = d.len;
      gc_item_release(b->conn, it);
      if (rc != 0 || gc_req_consumed(r, n) != 0) {
        rc = rc ? h->set_error(call, rc, NULL, "out of memory")
                : guest_dead_error(b, call, "file_read");
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
      if (bad || e.size != cap.sb.len || !vbx_proto_ct_equal(dig, e.sha256, 32)) {
        rc = h->set_error(call, VBX_E_IO, NULL, "file_read %s: size or sha256 mismatch", p);
        goto out;
      }
      int t;
      rc = guest_capture_finish(h, &cap, out, out_len, &t);
      if (rc != 0) rc = h->set_error(call, rc, NULL, "out of memory");
      goto out;
    }
    rc = it->type == VBX_PROTO_T_ERROR
             ? guest_error_reply(b, it, call, p)
             : h->set_error(call, VBX_E_PROTOCOL, NULL, "%s: unexpected %s", p,
                            vbx_proto_type_name(it->type));
    free(it);
    goto out;
  }
out:
  guest_capture_free(&cap);
  gc_req_free(r);
  return rc;
}
