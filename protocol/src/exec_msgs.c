/*
 * exec_msgs.c - EXEC_START, SIGNAL and EXIT payloads.
 */
#include <string.h>

#include "internal.h"

/* ---- validation shared by encoder and decoder ---- */

static int rlimits_ok(const struct vbx_proto_exec_params *p) {
  uint32_t i, j;

  if (p->nrlimits > VBX_PROTO_MAX_RLIMITS) return VBX_PROTO_E_TOOBIG;
  for (i = 0; i < p->nrlimits; i++) {
    const struct vbx_proto_rlimit *a = &p->rlimits[i];
    if (a->resource > VBX_PROTO_MAX_RLIMIT_RES || a->soft > a->hard) return VBX_PROTO_E_PROTOCOL;
    for (j = 0; j < i; j++)
      if (p->rlimits[j].resource == a->resource) return VBX_PROTO_E_PROTOCOL;
  }
  return 0;
}

static int params_ok(const struct vbx_proto_exec_params *p) {
  if (p->flags & ~VBX_PROTO_EXEC_F_ALL) return VBX_PROTO_E_PROTOCOL;
  if (p->stdin_mode != VBX_PROTO_STDIN_NONE && p->stdin_mode != VBX_PROTO_STDIN_PIPE)
    return VBX_PROTO_E_PROTOCOL;
  return rlimits_ok(p);
}

/* An environment entry is NAME=value with a non-empty NAME. */
static int env_entry_ok(const char *s, size_t n) {
  const char *eq = n ? memchr(s, '=', n) : NULL;
  return eq && eq != s;
}

/* ---- EXEC_START ---- */

static int list_check(const char *const *v, uint32_t n, uint32_t max_count, int is_env) {
  uint32_t i;
  size_t len;
  int rc;

  if (n > max_count) return VBX_PROTO_E_TOOBIG;
  if (n && !v) return VBX_PROTO_E_INVAL;
  for (i = 0; i < n; i++) {
    if (!v[i]) return VBX_PROTO_E_INVAL;
    len = strlen(v[i]);
    rc = vbx__str_ok(v[i], len, (!is_env && i == 0) ? 1 : 0, VBX_PROTO_MAX_ARG_LEN);
    if (rc) return rc;
    if (is_env && !env_entry_ok(v[i], len)) return VBX_PROTO_E_INVAL;
  }
  return 0;
}

static void list_put(struct vbx_proto_buf *b, const char *const *v, uint32_t n) {
  uint32_t i;

  vbx__put_u32(b, n);
  for (i = 0; i < n; i++)
    vbx__put_str(b, v[i], (uint32_t)strlen(v[i]));
}

int vbx_proto_encode_exec_start(struct vbx_proto_buf *b, uint32_t id,
                                const struct vbx_proto_exec_start *m) {
  size_t start, cwd_len;
  uint32_t i;
  int rc;

  if (!m || m->argc == 0) return VBX_PROTO_E_INVAL;
  rc = params_ok(&m->p);
  if (rc) return rc == VBX_PROTO_E_PROTOCOL ? VBX_PROTO_E_INVAL : rc;
  rc = list_check(m->argv, m->argc, VBX_PROTO_MAX_ARGC, 0);
  if (!rc) rc = list_check(m->envp, m->envc, VBX_PROTO_MAX_ENVC, 1);
  cwd_len = m->cwd ? strlen(m->cwd) : 0;
  if (!rc) rc = vbx__str_ok(m->cwd, cwd_len, 0, VBX_PROTO_MAX_PATH_LEN);
  if (!rc) rc = vbx__frame_begin(b, VBX_PROTO_T_EXEC_START, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, m->p.flags);
  vbx__put_u32(b, m->p.uid);
  vbx__put_u32(b, m->p.gid);
  vbx__put_u32(b, m->p.timeout_ms);
  vbx__put_u8(b, m->p.stdin_mode);
  vbx__put_zero(b, 3);
  list_put(b, m->argv, m->argc);
  list_put(b, m->envp, m->envc);
  vbx__put_str(b, m->cwd, (uint32_t)cwd_len);
  vbx__put_u32(b, m->p.nrlimits);
  for (i = 0; i < m->p.nrlimits; i++) {
    vbx__put_u32(b, m->p.rlimits[i].resource);
    vbx__put_u64(b, m->p.rlimits[i].soft);
    vbx__put_u64(b, m->p.rlimits[i].hard);
  }
  return vbx__frame_end(b, start);
}

/* read_entries - n strings (already bounded by the caller); argv[0] must be
 * non-empty, env entries must be NAME=value. */
static void read_entries(struct vbx__rd *r, uint32_t n, int is_env) {
  struct vbx_proto_str s;
  uint32_t i;

  for (i = 0; i < n && !r->err; i++) {
    if (vbx__rd_str(r, (!is_env && i == 0) ? 1 : 0, VBX_PROTO_MAX_ARG_LEN, &s)) return;
    if (is_env && !env_entry_ok(s.ptr, s.len)) vbx__rd_fail(r, VBX_PROTO_E_PROTOCOL);
  }
}

/* read_list - a u32 count (min_count..max_count) of strings. The count is
 * checked before any entry is looked at. */
static void read_list(struct vbx__rd *r, uint32_t min_count, uint32_t max_count, int is_env,
                      struct vbx_proto_strlist *out) {
  uint32_t n = vbx__rd_u32(r);

  out->count = 0;
  out->enc = r->p;
  out->enc_len = 0;
  if (r->err) return;
  if (n > max_count) {
    vbx__rd_fail(r, VBX_PROTO_E_TOOBIG);
    return;
  }
  if (n < min_count) {
    vbx__rd_fail(r, VBX_PROTO_E_PROTOCOL);
    return;
  }
  read_entries(r, n, is_env);
  if (r->err) return;
  out->count = n;
  out->enc_len = (size_t)(r->p - out->enc);
}

/* view_list_ok - re-validate a strlist given to the view encoder. */
static int view_list_ok(const struct vbx_proto_strlist *l, uint32_t min_count, uint32_t max_count,
                        int is_env) {
  struct vbx__rd r;

  if (l->count > max_count) return VBX_PROTO_E_TOOBIG;
  if (l->count < min_count) return VBX_PROTO_E_INVAL;
  vbx__rd_init(&r, l->enc, l->enc_len);
  read_entries(&r, l->count, is_env);
  return vbx__rd_done(&r) ? VBX_PROTO_E_INVAL : 0;
}

int vbx_proto_encode_exec_start_view(struct vbx_proto_buf *b, uint32_t id,
                                     const struct vbx_proto_exec_start_view *m) {
  size_t start;
  uint32_t i;
  int rc;

  if (!m) return VBX_PROTO_E_INVAL;
  rc = params_ok(&m->p);
  if (rc) return rc == VBX_PROTO_E_PROTOCOL ? VBX_PROTO_E_INVAL : rc;
  rc = view_list_ok(&m->argv, 1, VBX_PROTO_MAX_ARGC, 0);
  if (!rc) rc = view_list_ok(&m->env, 0, VBX_PROTO_MAX_ENVC, 1);
  if (!rc) rc = vbx__str_ok(m->cwd.ptr, m->cwd.len, 0, VBX_PROTO_MAX_PATH_LEN);
  if (!rc) rc = vbx__frame_begin(b, VBX_PROTO_T_EXEC_START, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, m->p.flags);
  vbx__put_u32(b, m->p.uid);
  vbx__put_u32(b, m->p.gid);
  vbx__put_u32(b, m->p.timeout_ms);
  vbx__put_u8(b, m->p.stdin_mode);
  vbx__put_zero(b, 3);
  vbx__put_u32(b, m->argv.count);
  vbx__put(b, m->argv.enc, m->argv.enc_len);
  vbx__put_u32(b, m->env.count);
  vbx__put(b, m->env.enc, m->env.enc_len);
  vbx__put_str(b, m->cwd.ptr, m->cwd.len);
  vbx__put_u32(b, m->p.nrlimits);
  for (i = 0; i < m->p.nrlimits; i++) {
    vbx__put_u32(b, m->p.rlimits[i].resource);
    vbx__put_u64(b, m->p.rlimits[i].soft);
    vbx__put_u64(b, m->p.rlimits[i].hard);
  }
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_exec_start(const uint8_t *p, size_t len, struct vbx_proto_exec_start_view *m) {
  struct vbx__rd r;
  uint32_t i;

  memset(m, 0, sizeof(*m));
  vbx__rd_init(&r, p, len);
  m->p.flags = vbx__rd_u32(&r);
  m->p.uid = vbx__rd_u32(&r);
  m->p.gid = vbx__rd_u32(&r);
  m->p.timeout_ms = vbx__rd_u32(&r);
  m->p.stdin_mode = vbx__rd_u8(&r);
  vbx__rd_zero(&r, 3);
  read_list(&r, 1, VBX_PROTO_MAX_ARGC, 0, &m->argv);
  read_list(&r, 0, VBX_PROTO_MAX_ENVC, 1, &m->env);
  vbx__rd_str(&r, 0, VBX_PROTO_MAX_PATH_LEN, &m->cwd);
  m->p.nrlimits = vbx__rd_u32(&r);
  if (!r.err && m->p.nrlimits > VBX_PROTO_MAX_RLIMITS) vbx__rd_fail(&r, VBX_PROTO_E_TOOBIG);
  for (i = 0; !r.err && i < m->p.nrlimits; i++) {
    m->p.rlimits[i].resource = vbx__rd_u32(&r);
    m->p.rlimits[i].soft = vbx__rd_u64(&r);
    m->p.rlimits[i].hard = vbx__rd_u64(&r);
  }
  if (!r.err) vbx__rd_fail(&r, params_ok(&m->p));
  return vbx__rd_done(&r);
}

/* ---- SIGNAL: signo u32 (1..64) ---- */

int vbx_proto_encode_signal(struct vbx_proto_buf *b, uint32_t id, uint32_t signo) {
  size_t start;
  int rc;

  if (signo == 0 || signo > VBX_PROTO_MAX_SIGNAL) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_SIGNAL, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, signo);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_signal(const uint8_t *p, size_t len, uint32_t *signo) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *signo = vbx__rd_u32(&r);
  if (!r.err && (*signo == 0 || *signo > VBX_PROTO_MAX_SIGNAL))
    vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}

/* ---- EXIT: reason u8, reserved[3], code i32, duration_ns u64, user_usec
 * u64, sys_usec u64, max_rss_kib u64 = 40 bytes ---- */

static int exit_ok(const struct vbx_proto_exit *m) {
  switch (m->reason) {
  case VBX_PROTO_EXIT_EXITED: return m->code >= 0 && m->code <= 255;
  case VBX_PROTO_EXIT_SIGNALED:
  case VBX_PROTO_EXIT_TIMEOUT: return m->code >= 1 && m->code <= (int32_t)VBX_PROTO_MAX_SIGNAL;
  default: return 0;
  }
}

int vbx_proto_encode_exit(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_exit *m) {
  size_t start;
  int rc;

  if (!m || !exit_ok(m)) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_EXIT, id, &start);
  if (rc) return rc;
  vbx__put_u8(b, m->reason);
  vbx__put_zero(b, 3);
  vbx__put_u32(b, (uint32_t)m->code);
  vbx__put_u64(b, m->duration_ns);
  vbx__put_u64(b, m->user_usec);
  vbx__put_u64(b, m->sys_usec);
  vbx__put_u64(b, m->max_rss_kib);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_exit(const uint8_t *p, size_t len, struct vbx_proto_exit *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->reason = vbx__rd_u8(&r);
  vbx__rd_zero(&r, 3);
  m->code = (int32_t)vbx__rd_u32(&r);
  m->duration_ns = vbx__rd_u64(&r);
  m->user_usec = vbx__rd_u64(&r);
  m->sys_usec = vbx__rd_u64(&r);
  m->max_rss_kib = vbx__rd_u64(&r);
  if (!r.err && !exit_ok(m)) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}
