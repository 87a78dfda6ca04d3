/*
 * test_proto_messages.c - every message type: round trip through the typed
 * encoders, the frame parser and vbx_proto_decode_msg, canonical re-encoding,
 * and the decoders' refusals (truncation, lengths past the end, limits,
 * embedded NULs, reserved fields, id rules).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voidbox/protocol/protocol.h"

/* ---- a tiny payload writer for hand-crafted (often invalid) payloads ---- */
struct pw {
  uint8_t b[8192];
  size_t n;
};
static void pw_u8(struct pw *w, uint8_t v) { w->b[w->n++] = v; }
static void pw_u32(struct pw *w, uint32_t v) {
  int i;
  for (i = 0; i < 4; i++)
    pw_u8(w, (uint8_t)(v >> (8 * i)));
}
static void pw_u64(struct pw *w, uint64_t v) {
  pw_u32(w, (uint32_t)v);
  pw_u32(w, (uint32_t)(v >> 32));
}
static void pw_bytes(struct pw *w, const void *p, size_t n) {
  memcpy(w->b + w->n, p, n);
  w->n += n;
}
static void pw_str(struct pw *w, const char *s, uint32_t n) {
  pw_u32(w, n);
  pw_bytes(w, s, n);
}

/* Decode p[0..n) from an exact-size heap copy so ASan sees any overread. */
static int decode_exact(unsigned type, uint32_t id, const uint8_t *p, size_t n) {
  struct vbx_proto_frame f;
  struct vbx_proto_msg m;
  uint8_t *copy = malloc(n ? n : 1);
  int rc;

  assert_non_null(copy);
  if (n) memcpy(copy, p, n);
  f.hdr.version = 1;
  f.hdr.type = (uint8_t)type;
  f.hdr.flags = 0;
  f.hdr.id = id;
  f.hdr.length = (uint32_t)n;
  f.payload = n ? copy : NULL;
  rc = vbx_proto_decode_msg(&f, &m);
  free(copy);
  return rc;
}

/* ---- the sample of every message type ---- */
static const char *const argv_s[] = {"/bin/sh", "-c", "echo hi; exit 3", ""};
static const char *const env_s[] = {"PATH=/usr/bin:/bin", "EMPTY=", "A==b"};
static const uint8_t blob[5] = {0, 1, 0xff, 0, 7};

static void fill_exec(struct vbx_proto_exec_start *e) {
  memset(e, 0, sizeof(*e));
  e->p.flags = VBX_PROTO_EXEC_F_STDERR_TO_STDOUT;
  e->p.uid = 1000;
  e->p.gid = 1001;
  e->p.timeout_ms = 30000;
  e->p.stdin_mode = VBX_PROTO_STDIN_PIPE;
  e->p.nrlimits = 2;
  e->p.rlimits[0] = (struct vbx_proto_rlimit){7, 1024, 4096};
  e->p.rlimits[1] = (struct vbx_proto_rlimit){9, 1ull << 30, VBX_PROTO_RLIM_INFINITY};
  e->argc = 4;
  e->argv = argv_s;
  e->envc = 3;
  e->envp = env_s;
  e->cwd = "/work";
}

#define TUN_ID 0x80000007u /* a guest-allocated id */

static void build_all(struct vbx_proto_buf *b) {
  struct vbx_proto_challenge ch = {1, 2, VBX_PROTO_FEAT_ALL_V1, {0}};
  struct vbx_proto_hello he = {1, 1, 3, {0}, {0}};
  struct vbx_proto_hello_ok ok = {1, 3, {0}};
  struct vbx_proto_error er = {-24, {"auth failed", 11}};
  struct vbx_proto_exec_start ex;
  struct vbx_proto_data d = {123456789012ull, blob, sizeof(blob)};
  struct vbx_proto_exit xt = {VBX_PROTO_EXIT_SIGNALED, 9, 1500000000ull, 12, 34, 5678};
  struct vbx_proto_file_put_begin pb = {0644, 1ull << 33, {"/tmp/a b", 8}};
  struct vbx_proto_file_end fe = {0, 5, {0}};
  struct vbx_proto_file_get fg = {1 << 20, {"etc/hosts", 9}};
  struct vbx_proto_mkdir mk = {0755, VBX_PROTO_MKDIR_F_PARENTS, {"/a/b/c", 6}};
  struct vbx_proto_stat st = {VBX_PROTO_STAT_F_NOFOLLOW, {"/x", 2}};
  struct vbx_proto_stat_result sr = {VBX_PROTO_FT_DIR, 01777, 4096, -5};
  struct vbx_proto_telemetry_sample ts = {1, 2, 3, 4, 5, 0, 0, 0, 0};
  struct vbx_proto_telemetry_sample tx = {1, 2, 3, 4, 5, 1, 6, 7, 8};

  memset(ch.nonce, 0xa5, 32);
  memset(he.proof, 0x5a, 32);
  memset(he.host_nonce, 0x3c, 32);
  memset(ok.proof, 0xc3, 32);
  vbx_proto_sha256(blob, sizeof(blob), fe.sha256);
  fill_exec(&ex);

  assert_int_equal(vbx_proto_encode_challenge(b, &ch), 0);
  assert_int_equal(vbx_proto_encode_hello(b, &he), 0);
  assert_int_equal(vbx_proto_encode_hello_ok(b, &ok), 0);
  assert_int_equal(vbx_proto_encode_error(b, 5, &er), 0);
  assert_int_equal(vbx_proto_encode_empty(b, VBX_PROTO_T_OK, 5), 0);
  assert_int_equal(vbx_proto_encode_ping(b, VBX_PROTO_T_PING, 0, 99), 0);
  assert_int_equal(vbx_proto_encode_ping(b, VBX_PROTO_T_PONG, 0, 99), 0);
  assert_int_equal(vbx_proto_encode_shutdown(b, 2500), 0);
  assert_int_equal(vbx_proto_encode_exec_start(b, 1, &ex), 0);
  assert_int_equal(vbx_proto_encode_data(b, VBX_PROTO_T_STDIN_DATA, 1, &d), 0);
  assert_int_equal(vbx_proto_encode_empty(b, VBX_PROTO_T_STDIN_CLOSE, 1), 0);
  assert_int_equal(vbx_proto_encode_data(b, VBX_PROTO_T_STDOUT_DATA, 1, &d), 0);
  assert_int_equal(vbx_proto_encode_data(b, VBX_PROTO_T_STDERR_DATA, 1, &d), 0);
  assert_int_equal(vbx_proto_encode_window_update(b, 1, 65536), 0);
  assert_int_equal(vbx_proto_encode_exit(b, 1, &xt), 0);
  assert_int_equal(vbx_proto_encode_signal(b, 1, 15), 0);
  assert_int_equal(vbx_proto_encode_file_put_begin(b, 2, &pb), 0);
  assert_int_equal(vbx_proto_encode_data(b, VBX_PROTO_T_FILE_DATA, 2, &d), 0);
  assert_int_equal(vbx_proto_encode_file_end(b, 2, &fe), 0);
  assert_int_equal(vbx_proto_encode_file_get(b, 3, &fg), 0);
  assert_int_equal(vbx_proto_encode_mkdir(b, 4, &mk), 0);
  assert_int_equal(vbx_proto_encode_stat(b, 6, &st), 0);
  assert_int_equal(vbx_proto_encode_stat_result(b, 6, &sr), 0);
  assert_int_equal(vbx_proto_encode_telemetry_subscribe(b, 8, 1000), 0);
  assert_int_equal(vbx_proto_encode_telemetry_sample(b, 8, &ts), 0);
  assert_int_equal(vbx_proto_encode_telemetry_sample(b, 8, &tx), 0);
  assert_int_equal(vbx_proto_encode_tunnel_open(b, TUN_ID, VBX_PROTO_TUNNEL_LLM_GATEWAY), 0);
  assert_int_equal(vbx_proto_encode_empty(b, VBX_PROTO_T_TUNNEL_OPENED, TUN_ID), 0);
  assert_int_equal(vbx_proto_encode_data(b, VBX_PROTO_T_TUNNEL_DATA, TUN_ID, &d), 0);
  assert_int_equal(vbx_proto_encode_window_update(b, TUN_ID, 65536), 0);
  assert_int_equal(vbx_proto_encode_tunnel_eof(b, TUN_ID, 123456789017ull), 0);
  assert_int_equal(vbx_proto_encode_tunnel_close(b, TUN_ID, VBX_PROTO_TUNNEL_CLOSE_F_RESET), 0);
}

#define NSAMPLES 32

static int str_eq(struct vbx_proto_str s, const char *c) {
  return s.len == strlen(c) && memcmp(s.ptr, c, s.len) == 0;
}

static void check_msg(const struct vbx_proto_msg *m) {
  struct vbx_proto_str s;
  char *vec[8], arena[128];
  uint32_t i;

  switch (m->type) {
  case VBX_PROTO_T_CHALLENGE:
    assert_int_equal(m->u.challenge.min_version, 1);
    assert_int_equal(m->u.challenge.max_version, 2);
    assert_int_equal(m->u.challenge.nonce[31], 0xa5);
    break;
  case VBX_PROTO_T_HELLO:
    assert_int_equal(m->u.hello.features, 3);
    assert_int_equal(m->u.hello.proof[0], 0x5a);
    assert_int_equal(m->u.hello.host_nonce[31], 0x3c);
    break;
  case VBX_PROTO_T_HELLO_OK:
    assert_int_equal(m->u.hello_ok.version, 1);
    assert_int_equal(m->u.hello_ok.proof[7], 0xc3);
    break;
  case VBX_PROTO_T_ERROR:
    assert_int_equal(m->u.error.code, -24);
    assert_true(str_eq(m->u.error.message, "auth failed"));
    break;
  case VBX_PROTO_T_PING:
  case VBX_PROTO_T_PONG: assert_int_equal(m->u.cookie, 99); break;
  case VBX_PROTO_T_SHUTDOWN: assert_int_equal(m->u.grace_ms, 2500); break;
  case VBX_PROTO_T_EXEC_START:
    assert_int_equal(m->u.exec.p.uid, 1000);
    assert_int_equal(m->u.exec.p.gid, 1001);
    assert_int_equal(m->u.exec.p.timeout_ms, 30000);
    assert_int_equal(m->u.exec.p.stdin_mode, VBX_PROTO_STDIN_PIPE);
    assert_int_equal(m->u.exec.p.flags, VBX_PROTO_EXEC_F_STDERR_TO_STDOUT);
    assert_int_equal(m->u.exec.p.nrlimits, 2);
    assert_int_equal(m->u.exec.p.rlimits[1].hard, VBX_PROTO_RLIM_INFINITY);
    assert_int_equal(m->u.exec.argv.count, 4);
    for (i = 0; i < 4; i++) {
      assert_int_equal(vbx_proto_strlist_get(&m->u.exec.argv, i, &s), 0);
      assert_true(str_eq(s, argv_s[i]));
    }
    assert_int_equal(vbx_proto_strlist_get(&m->u.exec.argv, 4, &s), VBX_PROTO_E_INVAL);
    assert_int_equal(vbx_proto_strlist_copy(&m->u.exec.env, vec, 8, arena, sizeof(arena)), 0);
    for (i = 0; i < 3; i++)
      assert_string_equal(vec[i], env_s[i]);
    assert_null(vec[3]);
    assert_true(str_eq(m->u.exec.cwd, "/work"));
    break;
  case VBX_PROTO_T_STDIN_DATA:
  case VBX_PROTO_T_STDOUT_DATA:
  case VBX_PROTO_T_STDERR_DATA:
  case VBX_PROTO_T_FILE_DATA:
  case VBX_PROTO_T_TUNNEL_DATA:
    assert_int_equal(m->u.data.offset, 123456789012ull);
    assert_int_equal(m->u.data.len, sizeof(blob));
    assert_memory_equal(m->u.data.data, blob, sizeof(blob));
    break;
  case VBX_PROTO_T_WINDOW_UPDATE: assert_int_equal(m->u.increment, 65536); break;
  case VBX_PROTO_T_EXIT:
    assert_int_equal(m->u.exit.reason, VBX_PROTO_EXIT_SIGNALED);
    assert_int_equal(m->u.exit.code, 9);
    assert_int_equal(m->u.exit.duration_ns, 1500000000ull);
    assert_int_equal(m->u.exit.user_usec, 12);
    assert_int_equal(m->u.exit.sys_usec, 34);
    assert_int_equal(m->u.exit.max_rss_kib, 5678);
    break;
  case VBX_PROTO_T_SIGNAL: assert_int_equal(m->u.signo, 15); break;
  case VBX_PROTO_T_FILE_PUT_BEGIN:
    assert_int_equal(m->u.put.mode, 0644);
    assert_int_equal(m->u.put.size, 1ull << 33);
    assert_true(str_eq(m->u.put.path, "/tmp/a b"));
    break;
  case VBX_PROTO_T_FILE_END: {
    uint8_t dg[32];
    vbx_proto_sha256(blob, sizeof(blob), dg);
    assert_int_equal(m->u.end.size, 5);
    assert_memory_equal(m->u.end.sha256, dg, 32);
    break;
  }
  case VBX_PROTO_T_FILE_GET:
    assert_int_equal(m->u.get.max_size, 1 << 20);
    assert_true(str_eq(m->u.get.path, "etc/hosts"));
    break;
  case VBX_PROTO_T_MKDIR:
    assert_int_equal(m->u.mkdir.mode, 0755);
    assert_int_equal(m->u.mkdir.flags, VBX_PROTO_MKDIR_F_PARENTS);
    assert_true(str_eq(m->u.mkdir.path, "/a/b/c"));
    break;
  case VBX_PROTO_T_STAT:
    assert_int_equal(m->u.stat.flags, VBX_PROTO_STAT_F_NOFOLLOW);
    assert_true(str_eq(m->u.stat.path, "/x"));
    break;
  case VBX_PROTO_T_STAT_RESULT:
    assert_int_equal(m->u.stat_result.type, VBX_PROTO_FT_DIR);
    assert_int_equal(m->u.stat_result.mode, 01777);
    assert_int_equal(m->u.stat_result.size, 4096);
    assert_int_equal(m->u.stat_result.mtime_ns, -5);
    break;
  case VBX_PROTO_T_TELEMETRY_SUBSCRIBE: assert_int_equal(m->u.interval_ms, 1000); break;
  case VBX_PROTO_T_TELEMETRY_SAMPLE:
    assert_int_equal(m->u.sample.uptime_ns, 1);
    assert_int_equal(m->u.sample.cpu_usec, 2);
    assert_int_equal(m->u.sample.mem_used_kib, 3);
    assert_int_equal(m->u.sample.mem_total_kib, 4);
    assert_int_equal(m->u.sample.procs, 5);
    if (m->u.sample.ext) { /* the extended form (FEAT_TELEMETRY_EXT) */
      assert_int_equal(m->u.sample.ext, 1);
      assert_int_equal(m->u.sample.net_rx_bytes, 6);
      assert_int_equal(m->u.sample.net_tx_bytes, 7);
      assert_int_equal(m->u.sample.open_fds, 8);
    } else {
      assert_int_equal(m->u.sample.net_rx_bytes, 0);
      assert_int_equal(m->u.sample.net_tx_bytes, 0);
      assert_int_equal(m->u.sample.open_fds, 0);
    }
    break;
  case VBX_PROTO_T_TUNNEL_OPEN:
    assert_int_equal(m->id, TUN_ID);
    assert_int_equal(m->u.service, VBX_PROTO_TUNNEL_LLM_GATEWAY);
    break;
  case VBX_PROTO_T_TUNNEL_EOF: assert_int_equal(m->u.size, 123456789017ull); break;
  case VBX_PROTO_T_TUNNEL_CLOSE:
    assert_int_equal(m->u.close_flags, VBX_PROTO_TUNNEL_CLOSE_F_RESET);
    break;
  case VBX_PROTO_T_OK:
  case VBX_PROTO_T_STDIN_CLOSE:
  case VBX_PROTO_T_TUNNEL_OPENED: break;
  default: fail_msg("unexpected type %u", m->type);
  }
}

static void test_roundtrip_every_type(void **state) {
  struct vbx_proto_buf b, re;
  struct vbx_proto_frame f;
  struct vbx_proto_msg m;
  size_t off = 0, flen;
  unsigned seen[256] = {0};
  int count = 0;

  (void)state;
  vbx_proto_buf_init_growable(&b, 1u << 20);
  vbx_proto_buf_init_growable(&re, 0);
  build_all(&b);
  while (off < b.len) {
    assert_int_equal(vbx_proto_frame_parse(b.data + off, b.len - off, 0, &f, &flen), 0);
    assert_int_equal(vbx_proto_decode_msg(&f, &m), 0);
    check_msg(&m);
    seen[m.type]++;
    /* canonical: re-encoding the decoded message gives the same bytes */
    vbx_proto_buf_reset(&re);
    assert_int_equal(vbx_proto_encode_msg(&re, &m), 0);
    assert_int_equal(re.len, flen);
    assert_memory_equal(re.data, b.data + off, flen);
    off += flen;
    count++;
  }
  assert_int_equal(count, NSAMPLES);
  for (unsigned t = 0; t < 256; t++)
    if (vbx_proto_type_name(t)) assert_true(seen[t] > 0);
  vbx_proto_buf_fini(&b);
  vbx_proto_buf_fini(&re);
}

static int is_data(unsigned t) {
  return t == VBX_PROTO_T_STDIN_DATA || t == VBX_PROTO_T_STDOUT_DATA ||
         t == VBX_PROTO_T_STDERR_DATA || t == VBX_PROTO_T_FILE_DATA || t == VBX_PROTO_T_TUNNEL_DATA;
}

/* Every strict prefix of every payload is refused (data frames: prefixes
 * shorter than offset + 1 byte; the extended TELEMETRY_SAMPLE: but for its
 * first 40 bytes, the v1 form), and so is every payload with a byte added. */
static void test_truncated_and_trailing(void **state) {
  struct vbx_proto_buf b;
  struct vbx_proto_frame f;
  size_t off = 0, flen, n, minlen;
  uint8_t tmp[4096];

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  build_all(&b);
  while (off < b.len) {
    assert_int_equal(vbx_proto_frame_parse(b.data + off, b.len - off, 0, &f, &flen), 0);
    minlen = is_data(f.hdr.type) ? 9 : f.hdr.length;
    for (n = 0; n < minlen; n++)
      if (!(f.hdr.type == VBX_PROTO_T_TELEMETRY_SAMPLE && n == VBX_PROTO_TELEMETRY_SAMPLE_SIZE))
        assert_int_not_equal(decode_exact(f.hdr.type, f.hdr.id, f.payload, n), 0);
    assert_int_equal(decode_exact(f.hdr.type, f.hdr.id, f.payload, f.hdr.length), 0);
    if (!is_data(f.hdr.type)) {
      assert_true(f.hdr.length + 1 <= sizeof(tmp));
      if (f.hdr.length) memcpy(tmp, f.payload, f.hdr.length);
      tmp[f.hdr.length] = 0;
      assert_int_equal(decode_exact(f.hdr.type, f.hdr.id, tmp, f.hdr.length + 1),
                       VBX_PROTO_E_PROTOCOL);
    }
    off += flen;
  }
  vbx_proto_buf_fini(&b);
}

/* An EXEC_START payload builder with knobs for each way to break it. */
struct exec_knobs {
  uint32_t flags;
  uint8_t stdin_mode;
  uint8_t reserved;
  uint32_t argc;      /* declared count */
  uint32_t real_argc; /* entries actually written */
  const char *arg;    /* every argv entry */
  uint32_t arg_len;
  uint32_t envc;
  const char *env;
  uint32_t env_len;
  uint32_t nrl;
  uint64_t soft, hard;
  uint32_t res_step;
};

static void default_knobs(struct exec_knobs *k) {
  memset(k, 0, sizeof(*k));
  k->argc = k->real_argc = 2;
  k->arg = "ls";
  k->arg_len = 2;
  k->envc = 1;
  k->env = "A=1";
  k->env_len = 3;
  k->nrl = 1;
  k->soft = 1;
  k->hard = 2;
  k->res_step = 1;
}

static int exec_payload(const struct exec_knobs *k) {
  static struct pw w;
  uint32_t i;

  w.n = 0;
  pw_u32(&w, k->flags);
  pw_u32(&w, 0);
  pw_u32(&w, 0);
  pw_u32(&w, 0);
  pw_u8(&w, k->stdin_mode);
  pw_u8(&w, k->reserved);
  pw_u8(&w, 0);
  pw_u8(&w, 0);
  pw_u32(&w, k->argc);
  for (i = 0; i < k->real_argc; i++)
    pw_str(&w, k->arg, k->arg_len);
  pw_u32(&w, k->envc);
  for (i = 0; i < k->envc; i++)
    pw_str(&w, k->env, k->env_len);
  pw_str(&w, "", 0);
  pw_u32(&w, k->nrl);
  for (i = 0; i < k->nrl && i < 20; i++) {
    pw_u32(&w, i * k->res_step);
    pw_u64(&w, k->soft);
    pw_u64(&w, k->hard);
  }
  return decode_exact(VBX_PROTO_T_EXEC_START, 1, w.b, w.n);
}

static void test_exec_start_rejects(void **state) {
  struct exec_knobs k;

  (void)state;
  default_knobs(&k);
  assert_int_equal(exec_payload(&k), 0);

  /* too many argv entries: refused on the count, before any entry */
  default_knobs(&k);
  k.argc = VBX_PROTO_MAX_ARGC + 1;
  k.real_argc = 0;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_TOOBIG);
  default_knobs(&k);
  k.argc = 0xffffffffu;
  k.real_argc = 0;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_TOOBIG);
  /* declared count larger than the entries present */
  default_knobs(&k);
  k.argc = 3; /* the rest is misread as entries */
  assert_int_not_equal(exec_payload(&k), 0);
  /* no argv at all; empty argv[0] */
  default_knobs(&k);
  k.argc = k.real_argc = 0;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.arg = "";
  k.arg_len = 0;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  /* embedded NUL in argv and env */
  default_knobs(&k);
  k.arg = "l\0s";
  k.arg_len = 3;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.env = "A=\0";
  k.env_len = 3;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  /* env entry without NAME= */
  default_knobs(&k);
  k.env = "=x";
  k.env_len = 2;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.env = "AB";
  k.env_len = 2;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.envc = VBX_PROTO_MAX_ENVC + 1;
  k.env_len = 0;
  k.env = "";
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_TOOBIG);
  /* string length past the end of the payload; above the per-field max */
  default_knobs(&k);
  k.arg_len = 1000;
  k.real_argc = 1;
  k.argc = 1;
  {
    struct pw w = {.n = 0};
    pw_u32(&w, 0);
    pw_u32(&w, 0);
    pw_u32(&w, 0);
    pw_u32(&w, 0);
    pw_u32(&w, 0);
    pw_u32(&w, 1);
    pw_u32(&w, 1000);
    pw_bytes(&w, "abc", 3);
    assert_int_equal(decode_exact(VBX_PROTO_T_EXEC_START, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
    w.n = 24;
    pw_u32(&w, VBX_PROTO_MAX_ARG_LEN + 1);
    assert_int_equal(decode_exact(VBX_PROTO_T_EXEC_START, 1, w.b, w.n), VBX_PROTO_E_TOOBIG);
  }
  /* rlimits: too many, soft > hard, duplicate, resource out of range */
  default_knobs(&k);
  k.nrl = VBX_PROTO_MAX_RLIMITS + 1;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_TOOBIG);
  default_knobs(&k);
  k.soft = 3;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.nrl = 2;
  k.res_step = 0;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.nrl = 2;
  k.res_step = 64;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  /* unknown flags, bad stdin mode, reserved byte */
  default_knobs(&k);
  k.flags = 1u << 7;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.stdin_mode = 2;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
  default_knobs(&k);
  k.reserved = 1;
  assert_int_equal(exec_payload(&k), VBX_PROTO_E_PROTOCOL);
}

static void test_exec_start_encoder_checks(void **state) {
  struct vbx_proto_exec_start e;
  struct vbx_proto_buf b;
  static const char *many[VBX_PROTO_MAX_ARGC + 1];
  static const char *const bad_env[] = {"NOEQUALS"};
  static const char *const empty0[] = {""};
  uint32_t i;

  (void)state;
  for (i = 0; i <= VBX_PROTO_MAX_ARGC; i++)
    many[i] = "x";
  vbx_proto_buf_init_growable(&b, 0);
  fill_exec(&e);
  assert_int_equal(vbx_proto_encode_exec_start(&b, 0, &e), VBX_PROTO_E_INVAL); /* id 0 */
  e.argc = VBX_PROTO_MAX_ARGC + 1;
  e.argv = many;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), VBX_PROTO_E_TOOBIG);
  e.argc = VBX_PROTO_MAX_ARGC;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), 0);
  fill_exec(&e);
  e.argc = 0;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), VBX_PROTO_E_INVAL);
  fill_exec(&e);
  e.argv = empty0;
  e.argc = 1;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), VBX_PROTO_E_INVAL);
  fill_exec(&e);
  e.envp = bad_env;
  e.envc = 1;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), VBX_PROTO_E_INVAL);
  fill_exec(&e);
  e.p.rlimits[1].resource = 7;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), VBX_PROTO_E_INVAL);
  fill_exec(&e);
  e.p.nrlimits = VBX_PROTO_MAX_RLIMITS + 1;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), VBX_PROTO_E_TOOBIG);
  fill_exec(&e);
  e.p.stdin_mode = 5;
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), VBX_PROTO_E_INVAL);
  vbx_proto_buf_fini(&b);
}

static void test_paths_and_strings(void **state) {
  struct vbx_proto_buf b;
  struct vbx_proto_stat st = {0, {"a\0b", 3}};
  struct vbx_proto_mkdir mk = {0755, 0, {"", 0}};
  struct vbx_proto_error er = {-1, {"x\0y", 3}};
  static char longpath[VBX_PROTO_MAX_PATH_LEN + 2];
  struct pw w = {.n = 0};
  char out[4];

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_stat(&b, 1, &st), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_mkdir(&b, 1, &mk), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_error(&b, 1, &er), VBX_PROTO_E_INVAL);
  er.message.len = 1;
  er.code = 0; /* ERROR codes are negative */
  assert_int_equal(vbx_proto_encode_error(&b, 1, &er), VBX_PROTO_E_INVAL);
  memset(longpath, 'p', VBX_PROTO_MAX_PATH_LEN + 1);
  st.path = vbx_proto_str_c(longpath);
  assert_int_equal(vbx_proto_encode_stat(&b, 1, &st), VBX_PROTO_E_TOOBIG);
  longpath[VBX_PROTO_MAX_PATH_LEN] = 0;
  st.path = vbx_proto_str_c(longpath);
  assert_int_equal(vbx_proto_encode_stat(&b, 1, &st), 0);
  assert_int_equal(b.len, 16 + 4 + 4 + VBX_PROTO_MAX_PATH_LEN);
  vbx_proto_buf_fini(&b);

  /* decoder: NUL in path, empty path, path over the max, length past end */
  pw_u32(&w, 0);
  pw_str(&w, "a\0b", 3);
  assert_int_equal(decode_exact(VBX_PROTO_T_STAT, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.n = 0;
  pw_u32(&w, 0);
  pw_str(&w, "", 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_STAT, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.n = 0;
  pw_u32(&w, 0);
  pw_u32(&w, VBX_PROTO_MAX_PATH_LEN + 1);
  assert_int_equal(decode_exact(VBX_PROTO_T_STAT, 1, w.b, w.n), VBX_PROTO_E_TOOBIG);
  w.n = 0;
  pw_u32(&w, 0);
  pw_u32(&w, 5);
  pw_bytes(&w, "abcd", 4);
  assert_int_equal(decode_exact(VBX_PROTO_T_STAT, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.n = 0;
  pw_u32(&w, 0);
  pw_u32(&w, 0xffffffffu);
  pw_bytes(&w, "abcd", 4);
  assert_int_equal(decode_exact(VBX_PROTO_T_STAT, 1, w.b, w.n), VBX_PROTO_E_TOOBIG);
  w.n = 0;
  pw_u32(&w, (uint32_t)-3);
  pw_str(&w, "e\0rr", 4);
  assert_int_equal(decode_exact(VBX_PROTO_T_ERROR, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  /* unknown flag bits are refused */
  w.n = 0;
  pw_u32(&w, 2);
  pw_str(&w, "/", 1);
  assert_int_equal(decode_exact(VBX_PROTO_T_STAT, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);

  /* NUL-terminated copies */
  assert_int_equal(vbx_proto_str_copy(vbx_proto_str_c("abc"), out, 4), 0);
  assert_string_equal(out, "abc");
  assert_int_equal(vbx_proto_str_copy(vbx_proto_str_c("abcd"), out, 4), VBX_PROTO_E_TOOBIG);
  assert_string_equal(out, "");
}

static void test_strlist_copy_bounds(void **state) {
  struct vbx_proto_buf b;
  struct vbx_proto_exec_start e;
  struct vbx_proto_frame f;
  struct vbx_proto_msg m;
  char *vec[5];
  char arena[64];
  size_t flen;

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  fill_exec(&e);
  assert_int_equal(vbx_proto_encode_exec_start(&b, 1, &e), 0);
  assert_int_equal(vbx_proto_frame_parse(b.data, b.len, 0, &f, &flen), 0);
  assert_int_equal(vbx_proto_decode_msg(&f, &m), 0);
  /* 4 args need 5 slots and 8+3+16+1 = 28 arena bytes */
  assert_int_equal(vbx_proto_strlist_copy(&m.u.exec.argv, vec, 4, arena, 64), VBX_PROTO_E_TOOBIG);
  assert_int_equal(vbx_proto_strlist_copy(&m.u.exec.argv, vec, 5, arena, 27), VBX_PROTO_E_TOOBIG);
  assert_int_equal(vbx_proto_strlist_copy(&m.u.exec.argv, vec, 5, arena, 28), 0);
  assert_string_equal(vec[0], "/bin/sh");
  assert_string_equal(vec[2], "echo hi; exit 3");
  assert_string_equal(vec[3], "");
  assert_null(vec[4]);
  vbx_proto_buf_fini(&b);
}

static void test_id_rules(void **state) {
  struct vbx_proto_buf b;
  struct pw w = {.n = 0};

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_signal(&b, 0, 9), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_window_update(&b, 0, 9), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_ping(&b, VBX_PROTO_T_PING, 0, 1), 0);
  assert_int_equal(vbx_proto_encode_ping(&b, VBX_PROTO_T_EXIT, 1, 1), VBX_PROTO_E_INVAL);
  vbx_proto_buf_fini(&b);
  pw_u32(&w, 9);
  assert_int_equal(decode_exact(VBX_PROTO_T_SIGNAL, 0, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(decode_exact(VBX_PROTO_T_SIGNAL, 3, w.b, w.n), 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_SHUTDOWN, 3, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(decode_exact(VBX_PROTO_T_SHUTDOWN, 0, w.b, w.n), 0);
}

/* The TUNNEL_* messages: guest ids only (bit 31), one service, reserved
 * fields and unknown CLOSE flags refused both ways, data bounded like any
 * data frame, and the header parser knows the types. */
static void test_tunnel_messages(void **state) {
  struct vbx_proto_buf b;
  struct pw w = {.n = 0};
  uint8_t big[1];
  struct vbx_proto_data d = {0, big, VBX_PROTO_MAX_DATA + 1};
  uint8_t hdr[VBX_PROTO_DATA_HEADER_SIZE];

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  /* host-range ids (and 0) are refused by every encoder and decoder */
  assert_int_equal(vbx_proto_encode_tunnel_open(&b, 7, 1), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_tunnel_open(&b, 0, 1), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_empty(&b, VBX_PROTO_T_TUNNEL_OPENED, 7), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_tunnel_eof(&b, 0x7fffffffu, 1), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_tunnel_close(&b, 1, 0), VBX_PROTO_E_INVAL);
  big[0] = 'x';
  d.len = 1;
  assert_int_equal(vbx_proto_encode_data(&b, VBX_PROTO_T_TUNNEL_DATA, 5, &d), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_data_header(hdr, VBX_PROTO_T_TUNNEL_DATA, 5, 0, 1), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_data_header(hdr, VBX_PROTO_T_TUNNEL_DATA, TUN_ID, 0, 1), 0);
  /* values */
  assert_int_equal(vbx_proto_encode_tunnel_open(&b, TUN_ID, 0), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_tunnel_open(&b, TUN_ID, 2), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_tunnel_close(&b, TUN_ID, 2), VBX_PROTO_E_INVAL);
  d.len = VBX_PROTO_MAX_DATA + 1;
  assert_int_equal(vbx_proto_encode_data(&b, VBX_PROTO_T_TUNNEL_DATA, TUN_ID, &d),
                   VBX_PROTO_E_TOOBIG);
  assert_int_equal(b.len, 0);
  vbx_proto_buf_fini(&b);

  pw_u32(&w, VBX_PROTO_TUNNEL_LLM_GATEWAY);
  pw_u32(&w, 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPEN, TUN_ID, w.b, w.n), 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPEN, 9, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPEN, 0, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.b[4] = 1; /* reserved */
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPEN, TUN_ID, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.b[4] = 0;
  w.b[0] = 2; /* an unknown service: the guest never names anything else */
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPEN, TUN_ID, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.b[0] = 0;
  w.b[3] = 0x80; /* a "port" in the high bits is no service either */
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPEN, TUN_ID, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  /* CLOSE: RESET is the only flag */
  w.n = 0;
  pw_u32(&w, 0);
  pw_u32(&w, 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_CLOSE, TUN_ID, w.b, w.n), 0);
  w.b[0] = 3;
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_CLOSE, TUN_ID, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.b[0] = 0;
  w.b[7] = 1;
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_CLOSE, TUN_ID, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_EOF, TUN_ID, w.b, w.n), 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_EOF, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  /* OPENED is empty */
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPENED, TUN_ID, w.b, 0), 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_OPENED, TUN_ID, w.b, 1), VBX_PROTO_E_PROTOCOL);
  /* WINDOW_UPDATE on a tunnel id is an ordinary WINDOW_UPDATE */
  w.n = 0;
  pw_u32(&w, 4096);
  assert_int_equal(decode_exact(VBX_PROTO_T_WINDOW_UPDATE, TUN_ID, w.b, w.n), 0);
  /* an oversize TUNNEL_DATA payload is TOOBIG, a frame header over the
   * limit is refused before its payload */
  {
    size_t n = VBX_PROTO_MAX_PAYLOAD + 1;
    uint8_t *p = calloc(1, n);
    assert_non_null(p);
    assert_int_equal(decode_exact(VBX_PROTO_T_TUNNEL_DATA, TUN_ID, p, n), VBX_PROTO_E_TOOBIG);
    free(p);
    struct vbx_proto_header h = {1, VBX_PROTO_T_TUNNEL_DATA, 0, TUN_ID, VBX_PROTO_MAX_PAYLOAD + 1};
    struct vbx_proto_header out;
    uint8_t raw[VBX_PROTO_HEADER_SIZE];
    vbx_proto_header_pack(&h, raw);
    assert_int_equal(vbx_proto_header_parse(raw, 0, &out), VBX_PROTO_E_TOOBIG);
    h.length = 8;
    h.type = 0x45; /* past the last tunnel type */
    vbx_proto_header_pack(&h, raw);
    assert_int_equal(vbx_proto_header_parse(raw, 0, &out), VBX_PROTO_E_PROTOCOL);
  }
  assert_string_equal(vbx_proto_type_name(VBX_PROTO_T_TUNNEL_CLOSE), "TUNNEL_CLOSE");
}

static void test_value_checks(void **state) {
  struct vbx_proto_buf b;
  struct vbx_proto_exit x = {VBX_PROTO_EXIT_EXITED, 256, 0, 0, 0, 0};
  struct vbx_proto_stat_result sr = {0, 0644, 0, 0};
  struct vbx_proto_telemetry_sample ts = {0, 0, 5, 4, 0, 0, 0, 0, 0};
  struct vbx_proto_challenge ch = {2, 1, 0, {0}};
  struct vbx_proto_file_end fe = {2, 0, {0}};
  struct vbx_proto_data d = {UINT64_MAX - 2, blob, 5};
  struct pw w = {.n = 0};

  (void)state;
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_exit(&b, 1, &x), VBX_PROTO_E_INVAL);
  x.code = -1;
  assert_int_equal(vbx_proto_encode_exit(&b, 1, &x), VBX_PROTO_E_INVAL);
  x.reason = VBX_PROTO_EXIT_TIMEOUT;
  x.code = 65;
  assert_int_equal(vbx_proto_encode_exit(&b, 1, &x), VBX_PROTO_E_INVAL);
  x.code = 9;
  assert_int_equal(vbx_proto_encode_exit(&b, 1, &x), 0);
  assert_int_equal(vbx_proto_encode_stat_result(&b, 1, &sr), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 1, &ts), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_telemetry_subscribe(&b, 1, 50), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_telemetry_subscribe(&b, 1, 0), 0);
  assert_int_equal(vbx_proto_encode_challenge(&b, &ch), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_file_end(&b, 1, &fe), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_signal(&b, 1, 65), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_data(&b, VBX_PROTO_T_STDOUT_DATA, 1, &d), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_encode_window_update(&b, 1, 0x80000000u), VBX_PROTO_E_INVAL);
  vbx_proto_buf_fini(&b);

  /* EXIT: reason 3, reserved byte set */
  pw_u8(&w, 3);
  pw_u8(&w, 0);
  pw_u8(&w, 0);
  pw_u8(&w, 0);
  pw_u32(&w, 0);
  pw_u64(&w, 0);
  pw_u64(&w, 0);
  pw_u64(&w, 0);
  pw_u64(&w, 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_EXIT, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  w.b[0] = 0;
  assert_int_equal(decode_exact(VBX_PROTO_T_EXIT, 1, w.b, w.n), 0);
  w.b[2] = 1;
  assert_int_equal(decode_exact(VBX_PROTO_T_EXIT, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  /* data: offset + len overflows u64 */
  w.n = 0;
  pw_u64(&w, UINT64_MAX);
  pw_u8(&w, 1);
  assert_int_equal(decode_exact(VBX_PROTO_T_STDOUT_DATA, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  /* WINDOW_UPDATE 0 */
  w.n = 0;
  pw_u32(&w, 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_WINDOW_UPDATE, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
  /* ERROR with a non-negative code */
  w.n = 0;
  pw_u32(&w, 0);
  pw_str(&w, "", 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_ERROR, 1, w.b, w.n), VBX_PROTO_E_PROTOCOL);
}

/* A v1 TELEMETRY_SAMPLE payload (40 bytes) by hand, then, with ext, the
 * 24 bytes FEAT_TELEMETRY_EXT appends (reserved_ext: its last u32). */
static void sample_payload(struct pw *w, int ext, uint32_t reserved_ext) {
  w->n = 0;
  pw_u64(w, 11); /* uptime_ns */
  pw_u64(w, 22); /* cpu_usec */
  pw_u64(w, 33); /* mem_used_kib */
  pw_u64(w, 44); /* mem_total_kib */
  pw_u32(w, 5);  /* procs */
  pw_u32(w, 0);
  if (!ext) return;
  pw_u64(w, 0x0102030405060708ull); /* net_rx_bytes */
  pw_u64(w, 1ull << 40);            /* net_tx_bytes */
  pw_u32(w, 4096);                  /* open_fds */
  pw_u32(w, reserved_ext);
}

/* TELEMETRY_SAMPLE's two forms: an old agent's 40-byte payload decodes with
 * the appended fields 0 and re-encodes to the same 40 bytes; the 64-byte
 * one carries them; other sizes and a set reserved field are refused; the
 * encoder refuses appended figures it cannot send in the v1 form. */
static void test_telemetry_sample_forms(void **state) {
  struct vbx_proto_telemetry_sample s;
  struct vbx_proto_buf b;
  struct pw w;

  (void)state;
  sample_payload(&w, 0, 0);
  assert_int_equal(w.n, VBX_PROTO_TELEMETRY_SAMPLE_SIZE);
  memset(&s, 0xee, sizeof(s)); /* the decoder clears what the payload lacks */
  assert_int_equal(vbx_proto_decode_telemetry_sample(w.b, w.n, &s), 0);
  assert_int_equal(s.uptime_ns, 11);
  assert_int_equal(s.cpu_usec, 22);
  assert_int_equal(s.mem_used_kib, 33);
  assert_int_equal(s.mem_total_kib, 44);
  assert_int_equal(s.procs, 5);
  assert_int_equal(s.ext, 0);
  assert_int_equal(s.net_rx_bytes, 0);
  assert_int_equal(s.net_tx_bytes, 0);
  assert_int_equal(s.open_fds, 0);
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 9, &s), 0);
  assert_int_equal(b.len, VBX_PROTO_HEADER_SIZE + VBX_PROTO_TELEMETRY_SAMPLE_SIZE);
  assert_memory_equal(b.data + VBX_PROTO_HEADER_SIZE, w.b, w.n);

  sample_payload(&w, 1, 0);
  assert_int_equal(w.n, VBX_PROTO_TELEMETRY_SAMPLE_EXT_SIZE);
  assert_int_equal(vbx_proto_decode_telemetry_sample(w.b, w.n, &s), 0);
  assert_int_equal(s.ext, 1);
  assert_int_equal(s.procs, 5);
  assert_int_equal(s.net_rx_bytes, 0x0102030405060708ull);
  assert_int_equal(s.net_tx_bytes, 1ull << 40);
  assert_int_equal(s.open_fds, 4096);
  vbx_proto_buf_reset(&b);
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 9, &s), 0);
  assert_int_equal(b.len, VBX_PROTO_HEADER_SIZE + VBX_PROTO_TELEMETRY_SAMPLE_EXT_SIZE);
  assert_memory_equal(b.data + VBX_PROTO_HEADER_SIZE, w.b, w.n);
  /* through the generic decoder too */
  assert_int_equal(decode_exact(VBX_PROTO_T_TELEMETRY_SAMPLE, 9, w.b, w.n), 0);

  /* the extended form's reserved field must be 0; sizes between and past
   * the two forms are refused */
  sample_payload(&w, 1, 1);
  assert_int_equal(vbx_proto_decode_telemetry_sample(w.b, w.n, &s), VBX_PROTO_E_PROTOCOL);
  sample_payload(&w, 1, 0);
  for (size_t n = VBX_PROTO_TELEMETRY_SAMPLE_SIZE + 1; n < VBX_PROTO_TELEMETRY_SAMPLE_EXT_SIZE; n++)
    assert_int_equal(decode_exact(VBX_PROTO_T_TELEMETRY_SAMPLE, 9, w.b, n), VBX_PROTO_E_PROTOCOL);
  pw_u8(&w, 0);
  assert_int_equal(decode_exact(VBX_PROTO_T_TELEMETRY_SAMPLE, 9, w.b, w.n), VBX_PROTO_E_PROTOCOL);

  /* the encoder: figures the v1 form cannot carry, an unknown form */
  struct vbx_proto_telemetry_sample bad = {1, 2, 3, 4, 5, 0, 0, 0, 1};
  vbx_proto_buf_reset(&b);
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 9, &bad), VBX_PROTO_E_INVAL);
  bad.open_fds = 0;
  bad.net_rx_bytes = 1;
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 9, &bad), VBX_PROTO_E_INVAL);
  bad.ext = 2;
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 9, &bad), VBX_PROTO_E_INVAL);
  assert_int_equal(b.len, 0); /* a failed encode leaves the buffer unchanged */
  bad.ext = 1;
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 9, &bad), 0);
  vbx_proto_buf_fini(&b);
}

/* Hand-built views are re-validated by the view encoder and encode_msg. */
static void test_view_encoder_revalidates(void **state) {
  static const uint8_t good[] = {2, 0, 0, 0, 'l', 's'};
  static const uint8_t nul[] = {2, 0, 0, 0, 'l', 0};
  static const uint8_t past[] = {9, 0, 0, 0, 'l', 's'};
  struct vbx_proto_exec_start_view v;
  struct vbx_proto_msg m;
  struct vbx_proto_buf b;

  (void)state;
  memset(&v, 0, sizeof(v));
  vbx_proto_buf_init_growable(&b, 0);
  v.argv.count = 1;
  v.argv.enc = good;
  v.argv.enc_len = sizeof(good);
  assert_int_equal(vbx_proto_encode_exec_start_view(&b, 1, &v), 0);
  assert_int_equal(b.len, 16 + 20 + 4 + 6 + 4 + 4 + 4);
  v.argv.enc = nul;
  assert_int_equal(vbx_proto_encode_exec_start_view(&b, 1, &v), VBX_PROTO_E_INVAL);
  v.argv.enc = past;
  assert_int_equal(vbx_proto_encode_exec_start_view(&b, 1, &v), VBX_PROTO_E_INVAL);
  v.argv.enc = good;
  v.argv.count = 2;
  assert_int_equal(vbx_proto_encode_exec_start_view(&b, 1, &v), VBX_PROTO_E_INVAL);
  v.argv.count = 0;
  assert_int_equal(vbx_proto_encode_exec_start_view(&b, 1, &v), VBX_PROTO_E_INVAL);
  assert_int_equal(b.len, 16 + 20 + 4 + 6 + 4 + 4 + 4);

  memset(&m, 0, sizeof(m));
  m.type = VBX_PROTO_T_SHUTDOWN;
  m.id = 4; /* SHUTDOWN is connection-level: id must be 0 */
  assert_int_equal(vbx_proto_encode_msg(&b, &m), VBX_PROTO_E_INVAL);
  m.type = 0x7e;
  assert_int_equal(vbx_proto_encode_msg(&b, &m), VBX_PROTO_E_INVAL);
  vbx_proto_buf_fini(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_every_type),
      cmocka_unit_test(test_truncated_and_trailing),
      cmocka_unit_test(test_exec_start_rejects),
      cmocka_unit_test(test_exec_start_encoder_checks),
      cmocka_unit_test(test_paths_and_strings),
      cmocka_unit_test(test_strlist_copy_bounds),
      cmocka_unit_test(test_id_rules),
      cmocka_unit_test(test_tunnel_messages),
      cmocka_unit_test(test_value_checks),
      cmocka_unit_test(test_telemetry_sample_forms),
      cmocka_unit_test(test_view_encoder_revalidates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
