/*
 * tests/unit/netstack/nsfx.c - see nsfx.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns_msg.h"
#include "frame.h"
#include "nsfx.h"

/* ---- getrandom: the upstream DNS id ---- */

uint16_t g_next_id = 0xbeef;
unsigned g_random_calls;

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
  (void)flags;
  uint8_t *b = buf;
  g_random_calls++;
  if (len == sizeof g_next_id) {
    memcpy(b, &g_next_id, sizeof g_next_id);
    return (ssize_t)len;
  }
  for (size_t i = 0; i < len; i++)
    b[i] = (uint8_t)(0x5a ^ i ^ g_random_calls);
  return (ssize_t)len;
}

/* ---- addresses and time ---- */

const uint8_t k_guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const uint8_t k_host_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

/* ---- checksums (our own, not ns_csum) ---- */

uint32_t sum16(const uint8_t *p, size_t len, uint32_t s) {
  for (size_t i = 0; i + 1 < len; i += 2)
    s += (uint32_t)p[i] << 8 | p[i + 1];
  if (len & 1) s += (uint32_t)p[len - 1] << 8;
  return s;
}

uint16_t fold(uint32_t s) {
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)s;
}

uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
void wr32(uint8_t *p, uint32_t v) {
  wr16(p, (uint16_t)(v >> 16));
  wr16(p + 2, (uint16_t)v);
}

/* Sum of the TCP/UDP pseudo-header of the IPv4 header ip. */
uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t l4len) {
  return sum16(ip + 12, 8, 0) + proto + (uint32_t)l4len;
}

/* Assert frame f is IPv4 with a valid header checksum and a valid
 * TCP/UDP/ICMP checksum over exactly its total length. */
void check_sums(const uint8_t *f, size_t len) {
  assert_true(len >= 14 + 20);
  assert_int_equal(rd16(f + 12), 0x0800);
  const uint8_t *ip = f + 14;
  size_t hl = (size_t)(ip[0] & 15) * 4, total = rd16(ip + 2);
  assert_int_equal(ip[0] >> 4, 4);
  assert_int_equal(total, len - 14);
  assert_int_equal(fold(sum16(ip, hl, 0)), 0xffff);
  const uint8_t *l4 = ip + hl;
  size_t l4len = total - hl;
  if (ip[9] == 6) {
    assert_int_equal(fold(sum16(l4, l4len, pseudo(ip, 6, l4len))), 0xffff);
  } else if (ip[9] == 17) {
    assert_int_equal(rd16(l4 + 4), l4len);
    if (rd16(l4 + 6) != 0) assert_int_equal(fold(sum16(l4, l4len, pseudo(ip, 17, l4len))), 0xffff);
  } else if (ip[9] == 1) {
    assert_int_equal(fold(sum16(l4, l4len, 0)), 0xffff);
  }
}

/* ---- frame builders ---- */

/* Ethernet + IPv4 (src, dst host order) around l4 (checksum filled in). */
size_t ip_frame(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint8_t proto,
                uint32_t src, uint32_t dst, const uint8_t *l4, size_t l4len) {
  memcpy(f, dmac, 6);
  memcpy(f + 6, smac, 6);
  wr16(f + 12, 0x0800);
  uint8_t *ip = f + 14;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  wr16(ip + 2, (uint16_t)(20 + l4len));
  wr16(ip + 4, 0x1234);
  wr16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = proto;
  wr32(ip + 12, src);
  wr32(ip + 16, dst);
  wr16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
  uint8_t *t = ip + 20;
  memcpy(t, l4, l4len);
  if (proto == 6) {
    wr16(t + 16, 0);
    wr16(t + 16, (uint16_t)~fold(sum16(t, l4len, pseudo(ip, 6, l4len))));
  } else if (proto == 17) {
    wr16(t + 6, 0);
    uint16_t c = (uint16_t)~fold(sum16(t, l4len, pseudo(ip, 17, l4len)));
    wr16(t + 6, c == 0 ? 0xffff : c);
  } else if (proto == 1) {
    wr16(t + 2, 0);
    wr16(t + 2, (uint16_t)~fold(sum16(t, l4len, 0)));
  }
  return 14 + 20 + l4len;
}

size_t tcp_frame_dir(uint8_t *f, bool from_guest, uint32_t src, uint16_t sport, uint32_t dst,
                     uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *payload,
                     size_t plen) {
  uint8_t t[1500] = {0};
  wr16(t, sport);
  wr16(t + 2, dport);
  wr32(t + 4, seq);
  wr32(t + 8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  wr16(t + 14, 65535);
  if (plen > 0) memcpy(t + 20, payload, plen);
  return ip_frame(f, from_guest ? k_host_mac : k_guest_mac, from_guest ? k_guest_mac : k_host_mac,
                  6, src, dst, t, 20 + plen);
}

/* A TCP segment from the guest (10.0.2.15:sport). */
size_t tcp_frame(uint8_t *f, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
                 uint32_t ack, uint8_t flags, const void *payload, size_t plen) {
  return tcp_frame_dir(f, true, GUEST, sport, dst, dport, seq, ack, flags, payload, plen);
}

size_t udp_frame_src(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     const void *payload, size_t plen) {
  uint8_t u[1500] = {0};
  wr16(u, sport);
  wr16(u + 2, dport);
  wr16(u + 4, (uint16_t)(8 + plen));
  if (plen > 0) memcpy(u + 8, payload, plen);
  return ip_frame(f, k_host_mac, k_guest_mac, 17, src, dst, u, 8 + plen);
}

size_t udp_frame(uint8_t *f, uint16_t sport, uint32_t dst, uint16_t dport, const void *payload,
                 size_t plen) {
  return udp_frame_src(f, GUEST, sport, dst, dport, payload, plen);
}

/* ---- the fixture: ns, a fake sink, a log pipe, an upstream resolver ---- */

static void rec_add(rec *r, const uint8_t *f, size_t len) {
  assert_true(r->n < REC_MAX);
  assert_true(len <= sizeof r->frame[0]);
  memcpy(r->frame[r->n], f, len);
  r->len[r->n++] = len;
}

static void sink_slirp(void *user, const uint8_t *f, size_t len) {
  rec_add(&((fx *)user)->slirp, f, len);
}
static void sink_guest(void *user, const uint8_t *f, size_t len) {
  rec_add(&((fx *)user)->guest, f, len);
}

int upstream_socket(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t sl = sizeof sa;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
  *port = ntohs(sa.sin_port);
  return fd;
}

/* n_up upstream resolvers (0..2) in ns_config.dns, trusted or not. */
fx *fx_open(const char *policy, uint16_t gateway_port, int n_up, bool trusted) {
  fx *x = calloc(1, sizeof *x);
  assert_non_null(x);
  x->n = calloc(1, sizeof *x->n);
  assert_non_null(x->n);
  char err[300] = "";
  int rc = vbx_netpolicy_from_json(policy, &x->pol, err, sizeof err);
  if (rc != 0) print_error("%s\n", err);
  assert_int_equal(rc, 0);
  assert_int_equal(pipe2(x->log, O_NONBLOCK | O_CLOEXEC), 0);
  ns_config cfg = {.policy = &x->pol, .gateway_port = gateway_port, .log_fd = x->log[1]};
  x->up[0] = x->up[1] = -1;
  for (int i = 0; i < n_up; i++) {
    uint16_t port;
    x->up[i] = upstream_socket(&port);
    vbx_np_from_v4(htonl(0x7f000001u), cfg.dns[i].addr);
    cfg.dns[i].port = port;
  }
  cfg.n_dns = (size_t)n_up;
  cfg.dns_trusted = trusted;
  ns_sink sink = {sink_slirp, sink_guest, x};
  assert_int_equal(ns_init(x->n, &cfg, &sink, T0, err, sizeof err), 0);
  return x;
}

void fx_close(fx *x) {
  ns_fini(x->n);
  vbx_netpolicy_free(&x->pol);
  close(x->log[0]);
  close(x->log[1]);
  for (int i = 0; i < 2; i++)
    if (x->up[i] >= 0) close(x->up[i]);
  free(x->n);
  free(x);
}

/* Everything logged so far (accumulated). */
const char *fx_log(fx *x) {
  for (;;) {
    ssize_t r = read(x->log[0], x->logbuf + x->loglen, sizeof x->logbuf - 1 - x->loglen);
    if (r <= 0) break;
    x->loglen += (size_t)r;
  }
  x->logbuf[x->loglen] = '\0';
  return x->logbuf;
}

void fx_reset(fx *x) {
  x->slirp.n = 0;
  x->guest.n = 0;
}

void send_guest(fx *x, uint8_t *f, size_t len, uint64_t now) { ns_from_guest(x->n, f, len, now); }

/* ---- checks of frames ns made ---- */

/* f is IPv4 from src to dst (host order) with protocol proto, MACs swapped
 * back to the guest. */
void check_to_guest(const uint8_t *f, size_t len, uint8_t proto, uint32_t src, uint32_t dst) {
  check_sums(f, len);
  assert_memory_equal(f, k_guest_mac, 6);
  assert_memory_equal(f + 6, k_host_mac, 6);
  assert_int_equal(f[14 + 9], proto);
  assert_int_equal(rd32(f + 14 + 12), src);
  assert_int_equal(rd32(f + 14 + 16), dst);
}

/* The one RST the guest got for a segment from sport to dst:dport. */
void check_rst(const uint8_t *f, size_t len, uint32_t dst, uint16_t dport, uint16_t sport,
               uint32_t seq, uint32_t ack, uint8_t flags) {
  assert_int_equal(len, 14 + 20 + 20);
  check_to_guest(f, len, 6, dst, GUEST);
  const uint8_t *t = f + 34;
  assert_int_equal(rd16(t), dport);
  assert_int_equal(rd16(t + 2), sport);
  assert_int_equal(rd32(t + 4), seq);
  assert_int_equal(rd32(t + 8), ack);
  assert_int_equal(t[12] >> 4, 5);
  assert_int_equal(t[13], flags);
}
