/*
 * fuzz_protocol_decode.c - libFuzzer target for every protocol decoder.
 *
 * 1. The input is fed to the incremental stream decoder in chunk sizes taken
 *    from the input itself, once with decoder-allocated storage and the hard
 *    limit and once with small caller storage. Every frame is decoded with
 *    vbx_proto_decode_msg; frames that decode are re-encoded and must give
 *    back the identical bytes (the encoding is canonical), and must decode
 *    again.
 * 2. Every typed payload decoder is run on the raw input and on the input
 *    after a 16-byte header, so whole-frame seeds also seed the payload
 *    decoders.
 * 3. Every decoded frame on a guest id (TUNNEL_*, WINDOW_UPDATE) drives
 *    one tunnel end (voidbox/protocol/tunnel.h) the way an endpoint would:
 *    its ring never holds more than its window, what it asks for stays
 *    consistent, and every due control frame encodes.
 * Invariants are checked with __builtin_trap so libFuzzer reports them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "voidbox/protocol/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                \
  do {                          \
    if (!(c)) __builtin_trap(); \
  } while (0)

static void check_views(const struct vbx_proto_msg *m) {
  static char *vec[VBX_PROTO_MAX_ARGC + 1];
  static char arena[VBX_PROTO_MAX_PAYLOAD];
  struct vbx_proto_str s;

  if (m->type != VBX_PROTO_T_EXEC_START) return;
  CHECK(m->u.exec.argv.count >= 1);
  CHECK(vbx_proto_strlist_get(&m->u.exec.argv, m->u.exec.argv.count - 1, &s) == 0);
  CHECK(vbx_proto_strlist_copy(&m->u.exec.argv, vec, VBX_PROTO_MAX_ARGC + 1, arena,
                               sizeof(arena)) == 0);
  CHECK(vbx_proto_strlist_copy(&m->u.exec.env, vec, VBX_PROTO_MAX_ENVC + 1, arena, sizeof(arena)) ==
        0);
  CHECK(strlen(vec[0]) > 0);
}

static void check_frame(const struct vbx_proto_frame *f, struct vbx_proto_buf *re) {
  struct vbx_proto_msg m, m2;
  struct vbx_proto_frame f2;
  uint8_t hdr[VBX_PROTO_HEADER_SIZE];
  size_t flen;

  if (vbx_proto_decode_msg(f, &m) != 0) return;
  check_views(&m);
  vbx_proto_buf_reset(re);
  CHECK(vbx_proto_encode_msg(re, &m) == 0);
  vbx_proto_header_pack(&f->hdr, hdr);
  CHECK(re->len == VBX_PROTO_HEADER_SIZE + (size_t)f->hdr.length);
  CHECK(memcmp(re->data, hdr, VBX_PROTO_HEADER_SIZE) == 0);
  CHECK(f->hdr.length == 0 ||
        memcmp(re->data + VBX_PROTO_HEADER_SIZE, f->payload, f->hdr.length) == 0);
  CHECK(vbx_proto_frame_parse(re->data, re->len, 0, &f2, &flen) == 0);
  CHECK(flen == re->len);
  CHECK(vbx_proto_decode_msg(&f2, &m2) == 0);
  CHECK(m2.type == m.type && m2.id == m.id);
}

/* One tunnel end fed by the input's frames (part 3). */
struct tun_end {
  struct vbx_proto_tunnel t;
  int live;
};
static uint8_t tun_ring[VBX_PROTO_INITIAL_WINDOW];

static void tun_frame(struct tun_end *e, const struct vbx_proto_frame *f,
                      struct vbx_proto_buf *re) {
  struct vbx_proto_msg m;
  const uint8_t *p;
  uint32_t n;
  uint64_t off;
  unsigned w;

  if (!(f->hdr.id & VBX_PROTO_GUEST_ID_BIT) || vbx_proto_decode_msg(f, &m) != 0) return;
  if (!e->live || m.id != e->t.id) {
    CHECK(vbx_proto_tunnel_init(&e->t, m.id, tun_ring, sizeof(tun_ring)) == 0);
    e->live = 1;
  }
  if (m.type == VBX_PROTO_T_TUNNEL_OPENED)
    vbx_proto_tunnel_open(&e->t);
  else if (vbx_proto_tunnel_recv(&e->t, &m) != 0)
    e->live = 0; /* the connection would close */
  if (!e->live) return;
  CHECK(e->t.len <= e->t.cap && e->t.len <= vbx_proto_window_buffered(&e->t.rx));
  /* an endpoint's round: half the pending bytes written, some bytes sent */
  n = vbx_proto_tunnel_pending(&e->t, &p);
  CHECK(n <= e->t.len);
  if (n) vbx_proto_tunnel_written(&e->t, (n + 1) / 2);
  n = vbx_proto_tunnel_room(&e->t);
  if (n && (f->hdr.length & 1)) CHECK(vbx_proto_tunnel_sent(&e->t, n < 4096 ? n : 4096, &off) == 0);
  if (f->hdr.length % 7 == 3) vbx_proto_tunnel_read_eof(&e->t);
  w = vbx_proto_tunnel_wants(&e->t);
  if (w & VBX_PROTO_TUN_WANT_SHUTDOWN) vbx_proto_tunnel_shutdown_done(&e->t);
  if (vbx_proto_tunnel_wants(&e->t) & VBX_PROTO_TUN_WANT_CLOSE) vbx_proto_tunnel_closed(&e->t);
  vbx_proto_buf_reset(re);
  for (n = 0; n < 8 && vbx_proto_tunnel_next_frame(&e->t, re) == 1; n++)
    ;
  CHECK(n < 8 && !(vbx_proto_tunnel_wants(&e->t) & VBX_PROTO_TUN_WANT_FRAME));
  if (vbx_proto_tunnel_wants(&e->t) & VBX_PROTO_TUN_DONE) e->live = 0;
}

static void run_stream(const uint8_t *data, size_t size, uint32_t max, void *storage, size_t cap,
                       struct vbx_proto_buf *re) {
  struct tun_end tun = {.live = 0};
  struct vbx_proto_decoder d;
  struct vbx_proto_frame f;
  size_t off = 0, used, step, n;
  int rc = 0, frames = 0;

  vbx_proto_decoder_init(&d, max, storage, cap);
  step = size ? (size_t)(data[0] % 23) + 1 : 1;
  while (off < size && frames < 4096) {
    n = size - off < step ? size - off : step;
    rc = vbx_proto_decoder_feed(&d, data + off, n, &used, &f);
    CHECK(used <= n);
    off += used;
    if (rc == 0) {
      frames++;
      CHECK(f.hdr.length <= d.max_payload);
      check_frame(&f, re);
      tun_frame(&tun, &f, re);
    } else if (rc == VBX_PROTO_E_AGAIN) {
      CHECK(used == n);
    } else {
      CHECK(rc == VBX_PROTO_E_PROTOCOL || rc == VBX_PROTO_E_VERSION || rc == VBX_PROTO_E_TOOBIG);
      /* sticky */
      CHECK(vbx_proto_decoder_feed(&d, data, size, &used, &f) == rc);
      break;
    }
    CHECK(vbx_proto_decoder_pending(&d) <= VBX_PROTO_HEADER_SIZE + d.max_payload);
  }
  vbx_proto_decoder_fini(&d);
}

static void run_typed(const uint8_t *p, size_t n) {
  union {
    struct vbx_proto_challenge ch;
    struct vbx_proto_hello he;
    struct vbx_proto_hello_ok ok;
    struct vbx_proto_error er;
    struct vbx_proto_exec_start_view ex;
    struct vbx_proto_data da;
    struct vbx_proto_exit xt;
    struct vbx_proto_file_put_begin pb;
    struct vbx_proto_file_end fe;
    struct vbx_proto_file_get fg;
    struct vbx_proto_mkdir mk;
    struct vbx_proto_stat st;
    struct vbx_proto_stat_result sr;
    struct vbx_proto_telemetry_sample ts;
    uint64_t u64;
    uint32_t u32;
  } u;

  (void)vbx_proto_decode_challenge(p, n, &u.ch);
  (void)vbx_proto_decode_hello(p, n, &u.he);
  (void)vbx_proto_decode_hello_ok(p, n, &u.ok);
  if (vbx_proto_decode_error(p, n, &u.er) == 0)
    CHECK(u.er.code < 0 && u.er.message.len <= VBX_PROTO_MAX_ERRMSG_LEN);
  (void)vbx_proto_decode_empty(p, n);
  (void)vbx_proto_decode_ping(p, n, &u.u64);
  (void)vbx_proto_decode_shutdown(p, n, &u.u32);
  if (vbx_proto_decode_exec_start(p, n, &u.ex) == 0) {
    CHECK(u.ex.argv.count >= 1 && u.ex.argv.count <= VBX_PROTO_MAX_ARGC);
    CHECK(u.ex.env.count <= VBX_PROTO_MAX_ENVC);
    CHECK(u.ex.argv.enc >= p && u.ex.argv.enc + u.ex.argv.enc_len <= p + n);
  }
  if (vbx_proto_decode_data(p, n, &u.da) == 0)
    CHECK(u.da.len >= 1 && u.da.data + u.da.len == p + n);
  (void)vbx_proto_decode_window_update(p, n, &u.u32);
  (void)vbx_proto_decode_exit(p, n, &u.xt);
  (void)vbx_proto_decode_signal(p, n, &u.u32);
  if (vbx_proto_decode_file_put_begin(p, n, &u.pb) == 0)
    CHECK(u.pb.path.len >= 1 && u.pb.path.len <= VBX_PROTO_MAX_PATH_LEN);
  (void)vbx_proto_decode_file_end(p, n, &u.fe);
  (void)vbx_proto_decode_file_get(p, n, &u.fg);
  (void)vbx_proto_decode_mkdir(p, n, &u.mk);
  (void)vbx_proto_decode_stat(p, n, &u.st);
  (void)vbx_proto_decode_stat_result(p, n, &u.sr);
  (void)vbx_proto_decode_telemetry_subscribe(p, n, &u.u32);
  (void)vbx_proto_decode_telemetry_sample(p, n, &u.ts);
  if (vbx_proto_decode_tunnel_open(p, n, &u.u32) == 0)
    CHECK(n == 8 && u.u32 == VBX_PROTO_TUNNEL_LLM_GATEWAY);
  (void)vbx_proto_decode_tunnel_eof(p, n, &u.u64);
  if (vbx_proto_decode_tunnel_close(p, n, &u.u32) == 0)
    CHECK((u.u32 & ~VBX_PROTO_TUNNEL_CLOSE_F_RESET) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t small[512];
  struct vbx_proto_buf re;

  vbx_proto_buf_init_growable(&re, 0);
  run_stream(data, size, 0, NULL, 0, &re);
  run_stream(data, size, 0, small, sizeof(small), &re);
  vbx_proto_buf_fini(&re);
  run_typed(data, size);
  if (size >= VBX_PROTO_HEADER_SIZE)
    run_typed(data + VBX_PROTO_HEADER_SIZE, size - VBX_PROTO_HEADER_SIZE);
  return 0;
}
