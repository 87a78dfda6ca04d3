/*
 * tests/fuzz/fuzz_guest_client.c - libFuzzer target for the host's reader
 * of a guest agent's connection (plugins/guest-session/client.c): the
 * bytes a guest sends after an honest handshake, over a socketpair. A
 * fake guest thread answers the handshake with the right secret, writes
 * the input in pieces whose sizes the input's first byte chooses (so
 * frames arrive split anywhere, and large ones through the direct read),
 * then closes. The host side holds three requests (ids 1-3, the ids a
 * guest would answer) and drains them until the connection dies. What it
 * catches: a length used before it is bounded, a frame routed to freed or
 * wrong state, a leak or a hang (libFuzzer's -timeout) in the reader.
 */
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "voidbox/errors.h"
#include "voidbox/protocol/handshake.h"
#include "voidbox/protocol/messages.h"

static const char secret[] = "0123456789abcdef0123456789abcdef";

struct guest {
  int fd;
  const uint8_t *data;
  size_t len;
};

static int write_all(int fd, const void *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL); /* the host may have closed on bad input */
    if (w <= 0) return -1;
    p = (const char *)p + w, n -= (size_t)w;
  }
  return 0;
}

/* One whole frame from fd into m (the handshake's HELLO). */
static int read_msg(int fd, struct vbx_proto_msg *m, uint8_t *buf, size_t cap) {
  struct vbx_proto_decoder d;
  vbx_proto_decoder_init(&d, cap, NULL, 0);
  struct vbx_proto_frame f;
  int rc = VBX_PROTO_E_AGAIN;
  while (rc == VBX_PROTO_E_AGAIN) {
    ssize_t n = read(fd, buf, 1); /* one byte at a time: nothing read past the frame */
    if (n <= 0) break;
    size_t used = 0;
    rc = vbx_proto_decoder_feed(&d, buf, 1, &used, &f);
  }
  if (rc == 0) rc = vbx_proto_decode_msg(&f, m);
  vbx_proto_decoder_fini(&d);
  return rc;
}

static void *guest_main(void *arg) {
  struct guest *g = arg;
  uint8_t mem[512], in[512];
  struct vbx_proto_buf b;
  struct vbx_proto_challenge ch = {
      VBX_PROTO_VERSION_MIN, VBX_PROTO_VERSION_MAX, VBX_PROTO_FEAT_ALL_V1, {0}};
  memset(ch.nonce, 7, sizeof ch.nonce);
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  struct vbx_proto_msg m;
  struct vbx_proto_hello_ok ok;
  if (vbx_proto_encode_challenge(&b, &ch) != 0 || write_all(g->fd, b.data, b.len) != 0 ||
      read_msg(g->fd, &m, in, sizeof in) != 0 || m.type != VBX_PROTO_T_HELLO ||
      vbx_proto_guest_check_hello(secret, sizeof secret - 1, &ch, &m.u.hello, &ok) != 0)
    goto out;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  if (vbx_proto_encode_hello_ok(&b, &ok) != 0 || write_all(g->fd, b.data, b.len) != 0) goto out;
  /* the input, in pieces of 1..256 * (first byte + 1) bytes */
  size_t piece = g->len > 0 ? ((size_t)g->data[0] + 1) * 61 : 1;
  for (size_t off = g->len > 0 ? 1 : 0; off < g->len;) {
    size_t n = g->len - off < piece ? g->len - off : piece;
    if (write_all(g->fd, g->data + off, n) != 0) break;
    off += n;
  }
out:
  shutdown(g->fd, SHUT_WR);
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 0;
  struct guest g = {sv[1], data, size};
  pthread_t t;
  if (pthread_create(&t, NULL, guest_main, &g) != 0) {
    close(sv[0]), close(sv[1]);
    return 0;
  }
  gc_conn *c = NULL;
  char err[256];
  if (gc_connect_fd(sv[0], secret, sizeof secret - 1, 5000, &c, err, sizeof err) == 0) {
    gc_req *r[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++)
      if (gc_req_new(c, 1u << 20, &r[i]) != 0) r[i] = NULL;
    /* Drain the requests in turn until each reports the connection dead
     * (EOF after the input): the reader may wait for room in any one of
     * them (their queues are bounded), so none is waited on alone. */
    int live = 3;
    for (int round = 0; live > 0 && round < 20000; round++) {
      live = 0;
      for (int i = 0; i < 3; i++) {
        if (r[i] == NULL) continue;
        gc_item *it = NULL;
        int rc = gc_req_next(r[i], 1, &it);
        if (rc == VBX_E_AGAIN) {
          live++;
          continue;
        }
        if (rc != 0) {
          gc_req_free(r[i]);
          r[i] = NULL;
          continue;
        }
        live++;
        if (it->type == VBX_PROTO_T_STDOUT_DATA || it->type == VBX_PROTO_T_STDERR_DATA) {
          struct vbx_proto_data d;
          if (vbx_proto_decode_data(it->payload, it->len, &d) == 0) gc_req_consumed(r[i], d.len);
        }
        gc_item_release(c, it);
      }
    }
    for (int i = 0; i < 3; i++)
      if (r[i] != NULL) gc_req_free(r[i]);
    gc_close(c);
  }
  pthread_join(t, NULL);
  close(sv[1]);
  return 0;
}
