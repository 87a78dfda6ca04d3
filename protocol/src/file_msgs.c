/*
 * file_msgs.c - FILE_PUT_BEGIN, FILE_END, FILE_GET, MKDIR, STAT and
 * STAT_RESULT payloads (FILE_DATA is in stream_msgs.c).
 */
#include <string.h>

#include "internal.h"

#define MODE_MAX 07777u

static int path_ok(struct vbx_proto_str s) {
  return vbx__str_ok(s.ptr, s.len, 1, VBX_PROTO_MAX_PATH_LEN);
}

static void read_path(struct vbx__rd *r, struct vbx_proto_str *out) {
  vbx__rd_str(r, 1, VBX_PROTO_MAX_PATH_LEN, out);
}

static void check(struct vbx__rd *r, int ok) {
  if (!r->err && !ok) vbx__rd_fail(r, VBX_PROTO_E_PROTOCOL);
}

/* FILE_PUT_BEGIN: mode u32, reserved u32, size u64, path. */
int vbx_proto_encode_file_put_begin(struct vbx_proto_buf *b, uint32_t id,
                                    const struct vbx_proto_file_put_begin *m) {
  size_t start;
  int rc;

  if (!m || m->mode > MODE_MAX) return VBX_PROTO_E_INVAL;
  rc = path_ok(m->path);
  if (!rc) rc = vbx__frame_begin(b, VBX_PROTO_T_FILE_PUT_BEGIN, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, m->mode);
  vbx__put_u32(b, 0);
  vbx__put_u64(b, m->size);
  vbx__put_str(b, m->path.ptr, m->path.len);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_file_put_begin(const uint8_t *p, size_t len,
                                    struct vbx_proto_file_put_begin *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->mode = vbx__rd_u32(&r);
  vbx__rd_zero(&r, 4);
  m->size = vbx__rd_u64(&r);
  read_path(&r, &m->path);
  check(&r, m->mode <= MODE_MAX);
  return vbx__rd_done(&r);
}

/* FILE_END: flags u32, reserved u32, size u64, sha256[32] = 48 bytes. */
int vbx_proto_encode_file_end(struct vbx_proto_buf *b, uint32_t id,
                              const struct vbx_proto_file_end *m) {
  size_t start;
  int rc;

  if (!m || (m->flags & ~VBX_PROTO_FILE_END_F_ABORT)) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_FILE_END, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, m->flags);
  vbx__put_u32(b, 0);
  vbx__put_u64(b, m->size);
  vbx__put(b, m->sha256, sizeof(m->sha256));
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_file_end(const uint8_t *p, size_t len, struct vbx_proto_file_end *m) {
  struct vbx__rd r;
  const uint8_t *d;

  vbx__rd_init(&r, p, len);
  m->flags = vbx__rd_u32(&r);
  vbx__rd_zero(&r, 4);
  m->size = vbx__rd_u64(&r);
  d = vbx__rd_take(&r, sizeof(m->sha256));
  if (d) memcpy(m->sha256, d, sizeof(m->sha256));
  check(&r, !(m->flags & ~VBX_PROTO_FILE_END_F_ABORT));
  return vbx__rd_done(&r);
}

/* FILE_GET: max_size u64, path. */
int vbx_proto_encode_file_get(struct vbx_proto_buf *b, uint32_t id,
                              const struct vbx_proto_file_get *m) {
  size_t start;
  int rc;

  if (!m) return VBX_PROTO_E_INVAL;
  rc = path_ok(m->path);
  if (!rc) rc = vbx__frame_begin(b, VBX_PROTO_T_FILE_GET, id, &start);
  if (rc) return rc;
  vbx__put_u64(b, m->max_size);
  vbx__put_str(b, m->path.ptr, m->path.len);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_file_get(const uint8_t *p, size_t len, struct vbx_proto_file_get *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->max_size = vbx__rd_u64(&r);
  read_path(&r, &m->path);
  return vbx__rd_done(&r);
}

/* MKDIR: mode u32, flags u32, path. */
int vbx_proto_encode_mkdir(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_mkdir *m) {
  size_t start;
  int rc;

  if (!m || m->mode > MODE_MAX || (m->flags & ~VBX_PROTO_MKDIR_F_PARENTS)) return VBX_PROTO_E_INVAL;
  rc = path_ok(m->path);
  if (!rc) rc = vbx__frame_begin(b, VBX_PROTO_T_MKDIR, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, m->mode);
  vbx__put_u32(b, m->flags);
  vbx__put_str(b, m->path.ptr, m->path.len);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_mkdir(const uint8_t *p, size_t len, struct vbx_proto_mkdir *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->mode = vbx__rd_u32(&r);
  m->flags = vbx__rd_u32(&r);
  read_path(&r, &m->path);
  check(&r, m->mode <= MODE_MAX && !(m->flags & ~VBX_PROTO_MKDIR_F_PARENTS));
  return vbx__rd_done(&r);
}

/* STAT: flags u32, path. */
int vbx_proto_encode_stat(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_stat *m) {
  size_t start;
  int rc;

  if (!m || (m->flags & ~VBX_PROTO_STAT_F_NOFOLLOW)) return VBX_PROTO_E_INVAL;
  rc = path_ok(m->path);
  if (!rc) rc = vbx__frame_begin(b, VBX_PROTO_T_STAT, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, m->flags);
  vbx__put_str(b, m->path.ptr, m->path.len);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_stat(const uint8_t *p, size_t len, struct vbx_proto_stat *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->flags = vbx__rd_u32(&r);
  read_path(&r, &m->path);
  check(&r, !(m->flags & ~VBX_PROTO_STAT_F_NOFOLLOW));
  return vbx__rd_done(&r);
}

/* STAT_RESULT: type u8, reserved[3], mode u32, size u64, mtime_ns i64 = 24. */
static int stat_result_ok(const struct vbx_proto_stat_result *m) {
  return m->type >= VBX_PROTO_FT_REGULAR && m->type <= VBX_PROTO_FT_OTHER && m->mode <= MODE_MAX;
}

int vbx_proto_encode_stat_result(struct vbx_proto_buf *b, uint32_t id,
                                 const struct vbx_proto_stat_result *m) {
  size_t start;
  int rc;

  if (!m || !stat_result_ok(m)) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_STAT_RESULT, id, &start);
  if (rc) return rc;
  vbx__put_u8(b, m->type);
  vbx__put_zero(b, 3);
  vbx__put_u32(b, m->mode);
  vbx__put_u64(b, m->size);
  vbx__put_u64(b, (uint64_t)m->mtime_ns);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_stat_result(const uint8_t *p, size_t len, struct vbx_proto_stat_result *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->type = vbx__rd_u8(&r);
  vbx__rd_zero(&r, 3);
  m->mode = vbx__rd_u32(&r);
  m->size = vbx__rd_u64(&r);
  m->mtime_ns = (int64_t)vbx__rd_u64(&r);
  check(&r, stat_result_ok(m));
  return vbx__rd_done(&r);
}
