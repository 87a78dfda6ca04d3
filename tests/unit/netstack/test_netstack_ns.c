/*
 * test_netstack_ns - the per-frame policy in front of libslirp (ns.h),
 * driven without libslirp: a fake sink records what ns sends to slirp and
 * to the guest, and the test crafts the guest's Ethernet/IPv4/TCP/UDP
 * frames (with their checksums) and checks every frame ns makes with its
 * own checksum routine. Covers: a denied SYN makes nothing for slirp (so no
 * host socket) and one RST back, counted and logged; allowed flows pass
 * unchanged; UDP refused with ICMP 3/13; IPv6, fragments and bad headers
 * dropped; ARP and DHCP pass; the connection cap; the LLM gateway port
 * mapping both ways; policy-aware DNS (NXDOMAIN for names outside the
 * list, empty AAAA, forwarding to a real UDP upstream on 127.0.0.1 with its
 * own id, the answer rewritten to 10.0.2.2 and what it lets the box reach,
 * malformed answers dropped, SERVFAIL and retry on a silent upstream).
 *
 * getrandom is provided here so the upstream query id is known: ns must
 * send upstream the id getrandom gave, not the guest's.
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
#include "ns.h"

/* ---- getrandom: the upstream DNS id ---- */

static uint16_t g_next_id = 0xbeef;
static unsigned g_random_calls;

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

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define GUEST IP(10, 0, 2, 15)
#define HOST IP(10, 0, 2, 2)
#define DNS IP(10, 0, 2, 3)
#define PUBLIC IP(93, 184, 216, 34)
#define SEC 1000000000ull
#define T0 (100 * SEC)

static const uint8_t k_guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t k_host_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

/* ---- checksums (our own, not ns_csum) ---- */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s) {
  for (size_t i = 0; i + 1 < len; i += 2)
    s += (uint32_t)p[i] << 8 | p[i + 1];
  if (len & 1) s += (uint32_t)p[len - 1] << 8;
  return s;
}

static uint16_t fold(uint32_t s) {
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)s;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v) {
  wr16(p, (uint16_t)(v >> 16));
  wr16(p + 2, (uint16_t)v);
}

/* Sum of the TCP/UDP pseudo-header of the IPv4 header ip. */
static uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t l4len) {
  return sum16(ip + 12, 8, 0) + proto + (uint32_t)l4len;
}

/* Assert frame f is IPv4 with a valid header checksum and a valid
 * TCP/UDP/ICMP checksum over exactly its total length. */
static void check_sums(const uint8_t *f, size_t len) {
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
static size_t ip_frame(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint8_t proto,
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

static size_t tcp_frame_dir(uint8_t *f, bool from_guest, uint32_t src, uint16_t sport, uint32_t dst,
                            uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                            const void *payload, size_t plen) {
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
static size_t tcp_frame(uint8_t *f, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
                        uint32_t ack, uint8_t flags, const void *payload, size_t plen) {
  return tcp_frame_dir(f, true, GUEST, sport, dst, dport, seq, ack, flags, payload, plen);
}

static size_t udp_frame_src(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                            const void *payload, size_t plen) {
  uint8_t u[1500] = {0};
  wr16(u, sport);
  wr16(u + 2, dport);
  wr16(u + 4, (uint16_t)(8 + plen));
  if (plen > 0) memcpy(u + 8, payload, plen);
  return ip_frame(f, k_host_mac, k_guest_mac, 17, src, dst, u, 8 + plen);
}

static size_t udp_frame(uint8_t *f, uint16_t sport, uint32_t dst, uint16_t dport,
                        const void *payload, size_t plen) {
  return udp_frame_src(f, GUEST, sport, dst, dport, payload, plen);
}

/* ---- the fixture: ns, a fake sink, a log pipe, an upstream resolver ---- */

#define REC_MAX 16
typedef struct rec {
  size_t n;
  size_t len[REC_MAX];
  uint8_t frame[REC_MAX][2048];
} rec;

typedef struct fx {
  ns *n;
  vbx_netpolicy pol;
  rec slirp, guest;
  int log[2];
  int up[2];         /* upstream resolver sockets on 127.0.0.1, -1 unused */
  char logbuf[8192]; /* what was logged so far */
  size_t loglen;
} fx;

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

static int upstream_socket(uint16_t *port) {
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
static fx *fx_open(const char *policy, uint16_t gateway_port, int n_up, bool trusted) {
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

static void fx_close(fx *x) {
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
static const char *fx_log(fx *x) {
  for (;;) {
    ssize_t r = read(x->log[0], x->logbuf + x->loglen, sizeof x->logbuf - 1 - x->loglen);
    if (r <= 0) break;
    x->loglen += (size_t)r;
  }
  x->logbuf[x->loglen] = '\0';
  return x->logbuf;
}

static void fx_reset(fx *x) {
  x->slirp.n = 0;
  x->guest.n = 0;
}

static void send_guest(fx *x, uint8_t *f, size_t len, uint64_t now) {
  ns_from_guest(x->n, f, len, now);
}

/* ---- checks of frames ns made ---- */

/* f is IPv4 from src to dst (host order) with protocol proto, MACs swapped
 * back to the guest. */
static void check_to_guest(const uint8_t *f, size_t len, uint8_t proto, uint32_t src,
                           uint32_t dst) {
  check_sums(f, len);
  assert_memory_equal(f, k_guest_mac, 6);
  assert_memory_equal(f + 6, k_host_mac, 6);
  assert_int_equal(f[14 + 9], proto);
  assert_int_equal(rd32(f + 14 + 12), src);
  assert_int_equal(rd32(f + 14 + 16), dst);
}

/* The one RST the guest got for a segment from sport to dst:dport. */
static void check_rst(const uint8_t *f, size_t len, uint32_t dst, uint16_t dport, uint16_t sport,
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

/* ---- tests ---- */

static void test_syn_denied(void **state) {
  (void)state;
  fx *x = fx_open("{}", 0, 0, false);
  uint8_t f[2048];
  size_t len = tcp_frame(f, 40000, HOST, 8080, 1000, 0, NS_TCP_SYN, NULL, 0);
  check_sums(f, len); /* the builder itself */
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 0); /* nothing for slirp: no host socket */
  assert_int_equal(x->guest.n, 1);
  check_rst(x->guest.frame[0], x->guest.len[0], HOST, 8080, 40000, 0, 1001,
            NS_TCP_RST | NS_TCP_ACK);
  assert_int_equal(x->n->c.denied, 1);
  assert_int_equal(x->n->c.tcp_flows, 0);
  assert_int_equal(x->n->flows.n_open, 0);
  assert_int_equal(x->n->c.frames_in, 1);
  assert_int_equal(x->n->c.frames_out, 1);
  assert_string_equal(fx_log(x), "deny tcp 10.0.2.2:8080: host loopback (denied by default)\n");

  /* A segment with ACK and data: RST with seq = its ack, no ACK flag. */
  fx_reset(x);
  len = tcp_frame(f, 40001, IP(10, 1, 2, 3), 22, 5000, 0xdeadbeef, NS_TCP_ACK, "hello", 5);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 1);
  check_rst(x->guest.frame[0], x->guest.len[0], IP(10, 1, 2, 3), 22, 40001, 0xdeadbeef, 0,
            NS_TCP_RST);
  /* Data and FIN without ACK: ack = seq + data + 1. */
  fx_reset(x);
  len = tcp_frame(f, 40002, IP(169, 254, 169, 254), 80, 0xfffffffe, 0, NS_TCP_FIN, "abc", 3);
  send_guest(x, f, len, T0);
  assert_int_equal(x->guest.n, 1);
  check_rst(x->guest.frame[0], x->guest.len[0], IP(169, 254, 169, 254), 80, 40002, 0, 2,
            NS_TCP_RST | NS_TCP_ACK);
  /* A RST to a denied destination: nothing to reset, nothing sent. */
  fx_reset(x);
  len = tcp_frame(f, 40003, HOST, 8080, 1, 0, NS_TCP_RST, NULL, 0);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n + x->guest.n, 0);
  assert_int_equal(x->n->c.denied, 3);
  assert_string_equal(fx_log(x),
                      "deny tcp 10.0.2.2:8080: host loopback (denied by default)\n"
                      "deny tcp 10.1.2.3:22: private range (RFC 1918 / ULA, denied by default)\n"
                      "deny tcp 169.254.169.254:80: cloud metadata service (denied by default)\n");
  /* Another address of the virtual network, and TCP to the DNS proxy. */
  fx_reset(x);
  len = tcp_frame(f, 40004, IP(10, 0, 2, 5), 80, 7, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0);
  len = tcp_frame(f, 40005, DNS, 53, 9, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 2);
  check_rst(x->guest.frame[0], x->guest.len[0], IP(10, 0, 2, 5), 80, 40004, 0, 8,
            NS_TCP_RST | NS_TCP_ACK);
  check_rst(x->guest.frame[1], x->guest.len[1], DNS, 53, 40005, 0, 10, NS_TCP_RST | NS_TCP_ACK);
  assert_non_null(strstr(fx_log(x),
                         "deny tcp 10.0.2.5:80: an address of the virtual network "
                         "with no service\n"
                         "deny tcp 10.0.2.3:53: the DNS proxy answers UDP port 53 only\n"));
  assert_int_equal(x->n->c.denied, 5);
  fx_close(x);
}

/* A deny entry names its index in the log. */
static void test_deny_entry_logged(void **state) {
  (void)state;
  fx *x = fx_open("{\"deny\":[\"1.1.1.1\",\"93.184.216.0/24:443\"]}", 0, 0, false);
  uint8_t f[2048];
  size_t len = tcp_frame(f, 40000, PUBLIC, 443, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 1);
  assert_string_equal(fx_log(x), "deny tcp 93.184.216.34:443: a deny entry (deny[1])\n");
  len = tcp_frame(f, 40000, PUBLIC, 80, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 1);
  fx_close(x);
}

static void test_syn_allowed(void **state) {
  (void)state;
  fx *x = fx_open("{}", 0, 0, false);
  uint8_t f[2048], copy[2048];
  size_t len = tcp_frame(f, 40000, PUBLIC, 443, 1000, 0, NS_TCP_SYN, NULL, 0);
  memcpy(copy, f, len);
  send_guest(x, f, len, T0);
  assert_int_equal(x->guest.n, 0);
  assert_int_equal(x->slirp.n, 1);
  assert_int_equal(x->slirp.len[0], len);
  assert_memory_equal(x->slirp.frame[0], copy, len);
  assert_int_equal(x->n->c.tcp_flows, 1);
  assert_int_equal(x->n->c.denied, 0);
  assert_int_equal(x->n->flows.n_open, 1);
  ns_flow *fl = ns_flows_find(&x->n->flows, NS_IPPROTO_TCP, 40000, htonl(PUBLIC), 443);
  assert_non_null(fl);
  assert_false(fl->gateway);
  assert_int_equal(fl->bytes_out, 40);
  assert_string_equal(fx_log(x), "");

  /* The host's answer reaches the guest unchanged. */
  len = tcp_frame_dir(f, false, PUBLIC, 443, GUEST, 40000, 7000, 1001, NS_TCP_SYN | NS_TCP_ACK,
                      NULL, 0);
  memcpy(copy, f, len);
  ns_from_slirp(x->n, f, len, T0 + 1);
  assert_int_equal(x->guest.n, 1);
  assert_memory_equal(x->guest.frame[0], copy, len);
  assert_int_equal(fl->bytes_in, 40);
  assert_int_equal(fl->last_ns, T0 + 1);

  /* Later segments of the flow pass unchanged. */
  len = tcp_frame(f, 40000, PUBLIC, 443, 1001, 7001, NS_TCP_ACK, "GET / HTTP/1.0\r\n\r\n", 18);
  memcpy(copy, f, len);
  send_guest(x, f, len, T0 + 2);
  assert_int_equal(x->slirp.n, 2);
  assert_memory_equal(x->slirp.frame[1], copy, len);
  assert_int_equal(fl->bytes_out, 40 + 58);
  assert_int_equal(x->n->c.bytes_out, 98);
  assert_int_equal(x->n->c.tcp_flows, 1); /* still the one flow */
  /* FIN both ways closes it (no longer counted). */
  len = tcp_frame(f, 40000, PUBLIC, 443, 1019, 7001, NS_TCP_FIN | NS_TCP_ACK, NULL, 0);
  send_guest(x, f, len, T0 + 3);
  assert_int_equal(x->n->flows.n_open, 1);
  len = tcp_frame_dir(f, false, PUBLIC, 443, GUEST, 40000, 7001, 1020, NS_TCP_FIN | NS_TCP_ACK,
                      NULL, 0);
  ns_from_slirp(x->n, f, len, T0 + 4);
  assert_true(fl->closing);
  assert_int_equal(x->n->flows.n_open, 0);
  assert_int_equal(x->slirp.n, 3);
  assert_int_equal(x->guest.n, 2);
  /* UDP to a public address opens a UDP flow. */
  len = udp_frame(f, 5000, PUBLIC, 9999, "ping", 4);
  send_guest(x, f, len, T0 + 5);
  assert_int_equal(x->slirp.n, 4);
  assert_int_equal(x->n->c.udp_flows, 1);
  assert_non_null(ns_flows_find(&x->n->flows, NS_IPPROTO_UDP, 5000, htonl(PUBLIC), 9999));
  fx_close(x);
}

static void test_udp_denied_icmp(void **state) {
  (void)state;
  fx *x = fx_open("{}", 0, 0, false);
  uint8_t f[2048], copy[2048];
  size_t len = udp_frame(f, 5000, IP(10, 1, 2, 3), 9999, "hello", 5);
  memcpy(copy, f, len);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 1);
  const uint8_t *r = x->guest.frame[0];
  size_t rl = x->guest.len[0];
  assert_int_equal(rl, 14 + 20 + 8 + 28);
  check_to_guest(r, rl, 1, IP(10, 1, 2, 3), GUEST);
  assert_int_equal(r[34], 3);  /* destination unreachable */
  assert_int_equal(r[35], 13); /* administratively prohibited */
  assert_int_equal(rd32(r + 38), 0);
  assert_memory_equal(r + 42, copy + 14, 28); /* the IP header and 8 bytes of the datagram */
  assert_int_equal(x->n->c.denied, 1);
  assert_int_equal(x->n->c.udp_flows, 0);
  assert_string_equal(
      fx_log(x), "deny udp 10.1.2.3:9999: private range (RFC 1918 / ULA, denied by default)\n");
  /* ICMP to a denied address is dropped and logged, to the host passes. */
  fx_reset(x);
  uint8_t echo[12] = {8, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'};
  len = ip_frame(f, k_host_mac, k_guest_mac, 1, GUEST, IP(192, 168, 1, 1), echo, sizeof echo);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n + x->guest.n, 0);
  assert_int_equal(x->n->c.denied, 2);
  assert_non_null(strstr(
      fx_log(x), "deny icmp 192.168.1.1: ICMP to a destination the policy does not allow\n"));
  len = ip_frame(f, k_host_mac, k_guest_mac, 1, GUEST, HOST, echo, sizeof echo);
  send_guest(x, f, len, T0);
  len = ip_frame(f, k_host_mac, k_guest_mac, 1, GUEST, PUBLIC, echo, sizeof echo);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 2);
  fx_close(x);
}

static void test_dropped(void **state) {
  (void)state;
  fx *x = fx_open("{}", 0, 0, false);
  uint8_t f[2048];
  /* IPv6 */
  memcpy(f, k_host_mac, 6);
  memcpy(f + 6, k_guest_mac, 6);
  wr16(f + 12, 0x86dd);
  memset(f + 14, 0, 60);
  f[14] = 0x60;
  send_guest(x, f, 74, T0);
  assert_int_equal(x->n->c.dropped, 1);
  /* IPv4 fragments: more-fragments set, or an offset. */
  size_t len = udp_frame(f, 5000, PUBLIC, 53, "abcdefgh", 8);
  wr16(f + 14 + 6, 0x2000);
  send_guest(x, f, len, T0);
  assert_int_equal(x->n->c.dropped, 2);
  len = udp_frame(f, 5000, PUBLIC, 53, "abcdefgh", 8);
  wr16(f + 14 + 6, 0x0001);
  send_guest(x, f, len, T0);
  assert_int_equal(x->n->c.dropped, 3);
  /* A truncated IPv4 header, a total length past the frame, an IHL under 5. */
  len = tcp_frame(f, 40000, PUBLIC, 443, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, 14 + 12, T0);
  assert_int_equal(x->n->c.dropped, 4);
  send_guest(x, f, len - 1, T0);
  assert_int_equal(x->n->c.dropped, 5);
  f[14] = 0x44;
  send_guest(x, f, len, T0);
  assert_int_equal(x->n->c.dropped, 6);
  /* A frame too short for Ethernet. */
  send_guest(x, f, 10, T0);
  assert_int_equal(x->n->c.dropped, 7);
  /* A TCP header cut short, a UDP length past the datagram. */
  len = tcp_frame(f, 40000, PUBLIC, 443, 1, 0, NS_TCP_SYN, NULL, 0);
  f[14 + 20 + 12] = 0xf0; /* data offset 60 > 20 */
  send_guest(x, f, len, T0);
  assert_int_equal(x->n->c.dropped, 8);
  len = udp_frame(f, 5000, PUBLIC, 53, "abcdefgh", 8);
  wr16(f + 14 + 20 + 4, 17);
  send_guest(x, f, len, T0);
  assert_int_equal(x->n->c.dropped, 9);
  /* Another protocol (GRE). */
  uint8_t gre[8] = {0};
  len = ip_frame(f, k_host_mac, k_guest_mac, 47, GUEST, PUBLIC, gre, sizeof gre);
  send_guest(x, f, len, T0);
  assert_int_equal(x->n->c.dropped, 10);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 0);
  assert_int_equal(x->n->c.denied, 0);
  assert_int_equal(x->n->flows.n_used, 0);
  assert_int_equal(x->n->c.frames_in, 10);
  fx_close(x);
}

static void test_arp_dhcp_pass(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[]}", 0, 0, false);
  uint8_t f[2048], copy[2048];
  /* ARP who-has 10.0.2.2 */
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  memcpy(f, bcast, 6);
  memcpy(f + 6, k_guest_mac, 6);
  wr16(f + 12, 0x0806);
  uint8_t *a = f + 14;
  wr16(a, 1), wr16(a + 2, 0x0800), a[4] = 6, a[5] = 4, wr16(a + 6, 1);
  memcpy(a + 8, k_guest_mac, 6);
  wr32(a + 14, GUEST);
  memset(a + 18, 0, 6);
  wr32(a + 24, HOST);
  size_t len = 14 + 28;
  memcpy(copy, f, len);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 1);
  assert_int_equal(x->slirp.len[0], len);
  assert_memory_equal(x->slirp.frame[0], copy, len);
  /* DHCP discover 0.0.0.0:68 -> 255.255.255.255:67, with an allow list that allows nothing. */
  uint8_t dhcp[240] = {1, 1, 6, 0, 0x12, 0x34, 0x56, 0x78};
  dhcp[236] = 99, dhcp[237] = 130, dhcp[238] = 83, dhcp[239] = 99;
  len = udp_frame_src(f, 0, 68, IP(255, 255, 255, 255), 67, dhcp, sizeof dhcp);
  memcpy(f, bcast, 6);
  memcpy(copy, f, len);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 2);
  assert_int_equal(x->slirp.len[1], len);
  assert_memory_equal(x->slirp.frame[1], copy, len);
  assert_int_equal(x->n->c.udp_flows, 0);
  assert_int_equal(x->n->flows.n_used, 0);
  assert_int_equal(x->n->c.denied, 0);
  assert_int_equal(x->guest.n, 0);
  /* Not DHCP: the same broadcast from port 69 is refused. */
  len = udp_frame_src(f, GUEST, 69, IP(255, 255, 255, 255), 67, dhcp, 8);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 2);
  assert_int_equal(x->n->c.denied, 1);
  /* ARP and DHCP from slirp reach the guest unchanged. */
  len = udp_frame_src(f, HOST, 67, GUEST, 68, dhcp, sizeof dhcp);
  memcpy(copy, f, len);
  ns_from_slirp(x->n, f, len, T0);
  assert_int_equal(x->guest.n, 2); /* the ICMP for port 69, then this */
  assert_memory_equal(x->guest.frame[1], copy, len);
  fx_close(x);
}

static void test_connection_cap(void **state) {
  (void)state;
  fx *x = fx_open("{\"max_connections\":2}", 0, 0, false);
  uint8_t f[2048];
  size_t len;
  for (uint16_t p = 40001; p <= 40002; p++) {
    len = tcp_frame(f, p, PUBLIC, 443, 1, 0, NS_TCP_SYN, NULL, 0);
    send_guest(x, f, len, T0);
  }
  assert_int_equal(x->slirp.n, 2);
  assert_int_equal(x->n->flows.n_open, 2);
  len = tcp_frame(f, 40003, PUBLIC, 443, 77, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 2);
  assert_int_equal(x->guest.n, 1);
  check_rst(x->guest.frame[0], x->guest.len[0], PUBLIC, 443, 40003, 0, 78, NS_TCP_RST | NS_TCP_ACK);
  assert_int_equal(x->n->c.denied, 1);
  assert_int_equal(x->n->c.denied_cap, 1);
  assert_string_equal(fx_log(x),
                      "deny tcp 93.184.216.34:443: connection cap (max_connections 2) reached\n");
  /* UDP counts too. */
  len = udp_frame(f, 5000, PUBLIC, 53, "q", 1);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 2);
  assert_int_equal(x->n->c.denied_cap, 2);
  /* The guest resets one flow: it passes to slirp and frees a place. */
  len = tcp_frame(f, 40001, PUBLIC, 443, 2, 1, NS_TCP_RST | NS_TCP_ACK, NULL, 0);
  send_guest(x, f, len, T0 + 1);
  assert_int_equal(x->slirp.n, 3);
  assert_int_equal(x->n->flows.n_open, 1);
  len = tcp_frame(f, 40003, PUBLIC, 443, 77, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + 2);
  assert_int_equal(x->slirp.n, 4);
  assert_int_equal(x->n->flows.n_open, 2);
  assert_int_equal(x->n->c.tcp_flows, 3);
  /* A RST from the host side frees one as well. */
  len = tcp_frame_dir(f, false, PUBLIC, 443, GUEST, 40002, 5, 0, NS_TCP_RST, NULL, 0);
  ns_from_slirp(x->n, f, len, T0 + 3);
  assert_int_equal(x->n->flows.n_open, 1);
  /* A new SYN reusing the ports of the closed flow is decided again. */
  len = tcp_frame(f, 40001, PUBLIC, 443, 900, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + 4);
  assert_int_equal(x->slirp.n, 5);
  assert_int_equal(x->n->flows.n_open, 2);
  ns_flow *fl = ns_flows_find(&x->n->flows, NS_IPPROTO_TCP, 40001, htonl(PUBLIC), 443);
  assert_non_null(fl);
  assert_false(fl->closing);
  assert_int_equal(x->n->c.denied, 2);
  fx_close(x);
}

#define GW 38123

static void test_gateway(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[]}", GW, 0, false);
  uint8_t f[2048], copy[2048];
  size_t len = tcp_frame(f, 40000, HOST, 4000, 555, 0, NS_TCP_SYN, "x", 1);
  memcpy(copy, f, len);
  send_guest(x, f, len, T0);
  assert_int_equal(x->guest.n, 0);
  assert_int_equal(x->slirp.n, 1);
  const uint8_t *s = x->slirp.frame[0];
  assert_int_equal(x->slirp.len[0], len);
  check_sums(s, len);
  assert_int_equal(rd16(s + 34), 40000);
  assert_int_equal(rd16(s + 36), GW);
  /* Only the port (and the checksum) changed. */
  assert_memory_equal(s, copy, 36);
  assert_memory_equal(s + 38, copy + 38, 12);
  assert_memory_equal(s + 52, copy + 52, len - 52);
  assert_int_equal(x->n->c.gateway_flows, 1);
  assert_int_equal(x->n->c.tcp_flows, 1);
  assert_int_equal(x->n->flows.n_gateway, 1);
  assert_int_equal(x->n->c.denied, 0);
  /* The gateway's answer comes back from port 4000. */
  len =
      tcp_frame_dir(f, false, HOST, GW, GUEST, 40000, 9000, 557, NS_TCP_SYN | NS_TCP_ACK, "yz", 2);
  memcpy(copy, f, len);
  ns_from_slirp(x->n, f, len, T0 + 1);
  assert_int_equal(x->guest.n, 1);
  const uint8_t *g = x->guest.frame[0];
  check_sums(g, len);
  assert_int_equal(rd16(g + 34), 4000);
  assert_int_equal(rd16(g + 36), 40000);
  assert_memory_equal(g, copy, 34);
  assert_memory_equal(g + 36, copy + 36, 14);
  assert_memory_equal(g + 52, copy + 52, len - 52);
  /* The next segment is mapped as well. */
  len = tcp_frame(f, 40000, HOST, 4000, 557, 9003, NS_TCP_ACK, NULL, 0);
  send_guest(x, f, len, T0 + 2);
  assert_int_equal(x->slirp.n, 2);
  check_sums(x->slirp.frame[1], len);
  assert_int_equal(rd16(x->slirp.frame[1] + 36), GW);
  /* 10.0.2.2:GW itself is the host's loopback: denied. */
  len = tcp_frame(f, 40001, HOST, GW, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + 3);
  assert_int_equal(x->slirp.n, 2);
  /* UDP to 10.0.2.2:4000 is not the gateway. */
  len = udp_frame(f, 5000, HOST, 4000, "u", 1);
  send_guest(x, f, len, T0 + 3);
  assert_int_equal(x->slirp.n, 2);
  assert_int_equal(x->n->c.denied, 2);
  assert_string_equal(fx_log(x),
                      "deny tcp 10.0.2.2:38123: host loopback (denied by default)\n"
                      "deny udp 10.0.2.2:4000: host loopback (denied by default)\n");
  fx_close(x);

  /* Without a gateway port, 10.0.2.2:4000 is decided like any host port. */
  x = fx_open("{}", 0, 0, false);
  len = tcp_frame(f, 40000, HOST, 4000, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 1);
  assert_int_equal(x->n->c.gateway_flows, 0);
  assert_string_equal(fx_log(x), "deny tcp 10.0.2.2:4000: host loopback (denied by default)\n");
  fx_close(x);
}

/* ---- DNS ---- */

/* A query message for name (dotted) and qtype, RD set. */
static size_t dns_query(uint8_t *m, uint16_t id, const char *name, uint16_t qtype) {
  memset(m, 0, 12);
  wr16(m, id);
  wr16(m + 2, 0x0100);
  wr16(m + 4, 1);
  size_t off = 12;
  const char *p = name;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    m[off++] = (uint8_t)l;
    memcpy(m + off, p, l);
    off += l;
    p += l + (dot ? 1 : 0);
  }
  m[off++] = 0;
  wr16(m + off, qtype);
  wr16(m + off + 2, 1);
  return off + 4;
}

/* Send a DNS query from the guest's port sport; returns the message length. */
static size_t guest_query(fx *x, uint8_t *msg, uint16_t sport, uint16_t id, const char *name,
                          uint16_t qtype, uint64_t now) {
  uint8_t f[2048];
  size_t mlen = dns_query(msg, id, name, qtype);
  size_t len = udp_frame(f, sport, DNS, 53, msg, mlen);
  send_guest(x, f, len, now);
  return mlen;
}

/* The DNS message of a reply frame ns sent the guest (checked as UDP from
 * 10.0.2.3:53 to the guest's sport). */
static const uint8_t *dns_reply(const uint8_t *f, size_t len, uint16_t sport, size_t *mlen) {
  check_to_guest(f, len, 17, DNS, GUEST);
  assert_true(rd16(f + 34 + 6) != 0); /* a UDP checksum is there */
  assert_int_equal(rd16(f + 34), 53);
  assert_int_equal(rd16(f + 36), sport);
  *mlen = rd16(f + 38) - 8u;
  return f + 42;
}

/* Wait for fd to be readable (loopback UDP: at once). */
static void wait_readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 5000), 1);
}

static bool readable_now(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) == 1;
}

/* Read the query the upstream got; its sender in *from. */
static size_t upstream_recv(int fd, uint8_t *m, size_t cap, struct sockaddr_in *from) {
  wait_readable(fd);
  socklen_t sl = sizeof *from;
  ssize_t r = recvfrom(fd, m, cap, 0, (struct sockaddr *)from, &sl);
  assert_true(r > 0);
  return (size_t)r;
}

/* The upstream's answer to query q (qlen): an A record per addr (host
 * order), the name as a compression pointer to the question. */
static size_t upstream_answer(const uint8_t *q, size_t qlen, const uint32_t *addrs, size_t n,
                              uint8_t *out) {
  memcpy(out, q, qlen);
  wr16(out + 2, 0x8180);
  wr16(out + 6, (uint16_t)n);
  size_t off = qlen;
  for (size_t i = 0; i < n; i++) {
    out[off++] = 0xc0;
    out[off++] = 12;
    wr16(out + off, 1);
    wr16(out + off + 2, 1);
    wr32(out + off + 4, 60);
    wr16(out + off + 8, 4);
    wr32(out + off + 10, addrs[i]);
    off += 14;
  }
  return off;
}

static void upstream_send(int fd, const uint8_t *m, size_t len, const struct sockaddr_in *to) {
  assert_int_equal(sendto(fd, m, len, 0, (const struct sockaddr *)to, sizeof *to), (ssize_t)len);
}

/* Deliver what the upstream sent to ns. */
static void ns_read_upstream(fx *x, unsigned server, uint64_t now) {
  wait_readable(x->n->dns_fd[server]);
  ns_dns_readable(x->n, server, now);
}

static void test_dns_refused_name(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test:8080\"],\"deny\":[\"*.bad.test\"]}", 0, 1, true);
  uint8_t q[512];
  size_t qlen = guest_query(x, q, 33333, 0x4242, "Evil.Example", NS_DNS_TYPE_A, T0);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 1);
  size_t mlen;
  const uint8_t *m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(mlen, qlen);
  assert_int_equal(rd16(m), 0x4242);
  assert_int_equal(rd16(m + 2), 0x8183); /* QR, RD, RA, NXDOMAIN */
  assert_int_equal(m[3] & 0xf, 3);
  assert_int_equal(rd16(m + 4), 1);
  assert_int_equal(rd16(m + 6), 0);
  assert_int_equal(rd16(m + 8), 0);
  assert_int_equal(rd16(m + 10), 0);
  assert_memory_equal(m + 12, q + 12, qlen - 12); /* the question, as asked */
  assert_int_equal(x->n->c.dns_queries, 1);
  assert_int_equal(x->n->c.dns_refused, 1);
  assert_int_equal(x->n->c.denied, 1);
  /* A denied name, by its entry. */
  guest_query(x, q, 33334, 7, "x.bad.test", NS_DNS_TYPE_A, T0);
  assert_int_equal(x->guest.n, 2);
  m = dns_reply(x->guest.frame[1], x->guest.len[1], 33334, &mlen);
  assert_int_equal(m[3] & 0xf, 3);
  assert_string_equal(fx_log(x),
                      "deny dns evil.example: not in the allow list\n"
                      "deny dns x.bad.test: a deny entry (deny[0])\n");
  /* Nothing went upstream: no socket was even opened. */
  assert_int_equal(x->n->dns_fd[0], -1);
  assert_false(readable_now(x->up[0]));
  /* A malformed query (a response) is dropped without an answer. */
  uint8_t f[2048];
  size_t ml = dns_query(q, 9, "svc.test", NS_DNS_TYPE_A);
  q[2] |= 0x80;
  size_t len = udp_frame(f, 33335, DNS, 53, q, ml);
  send_guest(x, f, len, T0);
  assert_int_equal(x->guest.n, 2);
  assert_int_equal(x->n->c.dropped, 1);
  /* UDP to 10.0.2.3 on another port: ICMP. */
  len = udp_frame(f, 33336, DNS, 5353, q, ml);
  send_guest(x, f, len, T0);
  assert_int_equal(x->guest.n, 3);
  assert_int_equal(x->guest.frame[2][14 + 9], 1);
  assert_int_equal(x->slirp.n, 0);
  fx_close(x);
}

static void test_dns_aaaa_empty(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test:8080\"]}", 0, 1, true);
  uint8_t q[512];
  size_t qlen = guest_query(x, q, 33333, 0x1111, "svc.test", NS_DNS_TYPE_AAAA, T0);
  assert_int_equal(x->guest.n, 1);
  size_t mlen;
  const uint8_t *m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(mlen, qlen);
  assert_int_equal(rd16(m), 0x1111);
  assert_int_equal(rd16(m + 2), 0x8180); /* NOERROR, no data */
  assert_int_equal(rd16(m + 4), 1);
  assert_int_equal(rd16(m + 6), 0);
  assert_memory_equal(m + 12, q + 12, qlen - 12);
  assert_false(readable_now(x->up[0]));
  assert_int_equal(x->n->c.dns_refused, 0);
  assert_int_equal(x->n->c.denied, 0);
  assert_int_equal(x->slirp.n, 0);
  fx_close(x);
}

/* Forward an allowed A query to the upstream, answer 127.0.0.1; returns
 * nothing, checks everything on the way. */
static void forward_and_answer(fx *x, const char *name, uint16_t guest_id, uint16_t up_id,
                               uint32_t answer, uint32_t want_in_guest) {
  uint8_t q[512], up[512], ans[512];
  size_t before = x->guest.n;
  g_next_id = up_id;
  size_t qlen = guest_query(x, q, 33333, guest_id, name, NS_DNS_TYPE_A, T0);
  assert_int_equal(x->guest.n, before); /* nothing yet */
  struct sockaddr_in from;
  size_t ulen = upstream_recv(x->up[0], up, sizeof up, &from);
  assert_int_equal(ulen, qlen);
  assert_int_equal(rd16(up), up_id);
  assert_true(rd16(up) != guest_id);
  assert_memory_equal(up + 2, q + 2, qlen - 2); /* the rest as the guest asked */
  size_t alen = upstream_answer(up, ulen, &answer, 1, ans);
  upstream_send(x->up[0], ans, alen, &from);
  ns_read_upstream(x, 0, T0 + SEC / 10);
  assert_int_equal(x->guest.n, before + 1);
  size_t mlen;
  const uint8_t *m = dns_reply(x->guest.frame[before], x->guest.len[before], 33333, &mlen);
  assert_int_equal(mlen, alen);
  assert_int_equal(rd16(m), guest_id);
  assert_memory_equal(m + 2, ans + 2, alen - 2 - 4); /* all but the id and the address */
  assert_int_equal(rd32(m + alen - 4), want_in_guest);
}

static void test_dns_forward_trusted(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test:8080\",\"*.example.com\"]}", 0, 1, true);
  uint8_t f[2048];
  /* Before the name resolved: the host's loopback is denied. */
  size_t len = tcp_frame(f, 40000, HOST, 8080, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 1);
  fx_reset(x);
  forward_and_answer(x, "svc.test", 0x1234, 0xbeef, IP(127, 0, 0, 1), HOST);
  assert_int_equal(x->n->c.dns_queries, 1);
  assert_int_equal(x->n->n_resolved, 1);
  /* Now svc.test:8080 is reachable at 10.0.2.2:8080, and only that port. */
  len = tcp_frame(f, 40000, HOST, 8080, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + SEC);
  assert_int_equal(x->slirp.n, 1);
  assert_int_equal(x->guest.n, 1);
  len = tcp_frame(f, 40001, HOST, 8081, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + SEC);
  assert_int_equal(x->slirp.n, 1);
  assert_int_equal(x->guest.n, 2);
  /* A public address by a wildcard name: allowed on any port, its neighbour not. */
  fx_reset(x);
  forward_and_answer(x, "www.example.com", 0x0101, 0x7777, PUBLIC, PUBLIC);
  len = tcp_frame(f, 40002, PUBLIC, 443, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + SEC);
  assert_int_equal(x->slirp.n, 1);
  len = tcp_frame(f, 40003, PUBLIC + 1, 443, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + SEC);
  assert_int_equal(x->slirp.n, 1);
  assert_non_null(strstr(fx_log(x), "deny tcp 93.184.216.35:443: not in the allow list\n"));
  fx_close(x);
}

static void test_dns_forward_untrusted(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test:8080\"]}", 0, 1, false);
  uint8_t f[2048];
  /* 127.5.6.7 is rewritten too (the guest reaches the host's loopback as 10.0.2.2). */
  forward_and_answer(x, "svc.test", 0x2222, 0x3333, IP(127, 5, 6, 7), HOST);
  size_t len = tcp_frame(f, 40000, HOST, 8080, 1, 0, NS_TCP_SYN, NULL, 0);
  send_guest(x, f, len, T0 + SEC);
  assert_int_equal(x->slirp.n, 0);
  assert_int_equal(x->guest.n, 2);
  assert_string_equal(fx_log(x),
                      "deny tcp 10.0.2.2:8080: an allowed name resolved into a protected range "
                      "through a resolver the policy does not list (allow[0] svc.test)\n");
  fx_close(x);
}

static void test_dns_bad_upstream_answer(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test\"]}", 0, 1, true);
  uint8_t q[512], up[512], ans[512];
  g_next_id = 0xabcd;
  size_t qlen = guest_query(x, q, 33333, 0x0042, "svc.test", NS_DNS_TYPE_A, T0);
  struct sockaddr_in from;
  size_t ulen = upstream_recv(x->up[0], up, sizeof up, &from);
  assert_int_equal(ulen, qlen);
  uint32_t a = PUBLIC;
  size_t alen = upstream_answer(up, ulen, &a, 1, ans);
  /* Wrong id. */
  wr16(ans, 0xabcc);
  upstream_send(x->up[0], ans, alen, &from);
  ns_read_upstream(x, 0, T0);
  wr16(ans, 0xabcd);
  /* Truncated in the record, and shorter than a header. */
  upstream_send(x->up[0], ans, alen - 2, &from);
  ns_read_upstream(x, 0, T0);
  upstream_send(x->up[0], ans, 6, &from);
  ns_read_upstream(x, 0, T0);
  /* Not a response. */
  ans[2] &= 0x7f;
  upstream_send(x->up[0], ans, alen, &from);
  ns_read_upstream(x, 0, T0);
  ans[2] |= 0x80;
  /* An answer name pointing at itself, and one past the end. */
  uint8_t bad[512];
  memcpy(bad, ans, alen);
  bad[ulen] = 0xc0;
  bad[ulen + 1] = (uint8_t)ulen;
  upstream_send(x->up[0], bad, alen, &from);
  ns_read_upstream(x, 0, T0);
  bad[ulen + 1] = 0xff;
  upstream_send(x->up[0], bad, alen, &from);
  ns_read_upstream(x, 0, T0);
  assert_int_equal(x->guest.n, 0);
  assert_int_equal(x->n->n_resolved, 0);
  assert_false(readable_now(x->n->dns_fd[0])); /* each was read and dropped */
  /* The good answer still goes through, once. */
  upstream_send(x->up[0], ans, alen, &from);
  ns_read_upstream(x, 0, T0);
  assert_int_equal(x->guest.n, 1);
  size_t mlen;
  const uint8_t *m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(mlen, alen);
  assert_int_equal(rd16(m), 0x0042);
  assert_int_equal(x->n->n_resolved, 1);
  upstream_send(x->up[0], ans, alen, &from);
  ns_read_upstream(x, 0, T0);
  assert_int_equal(x->guest.n, 1);
  fx_close(x);
}

static void test_dns_servfail(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test\"]}", 0, 1, true);
  uint8_t q[512], up[512];
  g_next_id = 0x5151;
  size_t qlen = guest_query(x, q, 33333, 0x0707, "svc.test", NS_DNS_TYPE_A, T0);
  struct sockaddr_in from;
  assert_int_equal(upstream_recv(x->up[0], up, sizeof up, &from), qlen);
  /* ns wants to run again soon while a query waits. */
  int ms = ns_tick(x->n, T0 + SEC);
  assert_true(ms >= 1 && ms <= 100);
  assert_int_equal(x->guest.n, 0);
  ns_tick(x->n, T0 + 1400 * 1000000ull);
  assert_int_equal(x->guest.n, 0);
  ns_tick(x->n, T0 + 1600 * 1000000ull);
  assert_int_equal(x->guest.n, 1);
  size_t mlen;
  const uint8_t *m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(mlen, qlen);
  assert_int_equal(rd16(m), 0x0707);
  assert_int_equal(rd16(m + 2), 0x8182); /* SERVFAIL */
  assert_int_equal(rd16(m + 6), 0);
  assert_memory_equal(m + 12, q + 12, qlen - 12);
  assert_int_equal(x->n->c.dns_failed, 1);
  assert_string_equal(fx_log(x), "dns svc.test: no upstream resolver answered (SERVFAIL)\n");
  /* Once failed, a late answer is not passed on, and nothing more is sent. */
  uint8_t ans[512];
  uint32_t a = PUBLIC;
  size_t alen = upstream_answer(up, qlen, &a, 1, ans);
  upstream_send(x->up[0], ans, alen, &from);
  ns_read_upstream(x, 0, T0 + 2 * SEC);
  ns_tick(x->n, T0 + 10 * SEC);
  assert_int_equal(x->guest.n, 1);
  assert_int_equal(x->n->n_resolved, 0);
  assert_false(readable_now(x->up[0]));
  assert_int_equal(ns_tick(x->n, T0 + 11 * SEC), 1000);
  fx_close(x);

  /* No upstream at all: SERVFAIL at once. */
  x = fx_open("{\"allow\":[\"svc.test\"]}", 0, 0, false);
  guest_query(x, q, 33333, 0x0808, "svc.test", NS_DNS_TYPE_A, T0);
  assert_int_equal(x->guest.n, 1);
  m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(rd16(m + 2), 0x8182);
  assert_int_equal(x->n->c.dns_failed, 1);
  assert_string_equal(fx_log(x), "dns svc.test: no upstream resolver is configured (SERVFAIL)\n");
  fx_close(x);
}

/* The forwarding budget: 200 at once, then 100 a second; the excess is
 * answered REFUSED locally, counted, and logged once. */
static void test_dns_rate(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test\"]}", 0, 0, false);
  uint8_t q[512];
  size_t mlen;
  const uint8_t *m;
  for (int i = 0; i < 250; i++) {
    fx_reset(x);
    fx_log(x);
    x->loglen = 0; /* this query's lines only */
    guest_query(x, q, 33333, (uint16_t)i, "svc.test", NS_DNS_TYPE_A, T0);
    assert_int_equal(x->guest.n, 1);
    m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
    assert_int_equal(rd16(m), i);
    /* within the budget: on to the (absent) upstream, SERVFAIL; past it REFUSED */
    assert_int_equal(rd16(m + 2), i < NS_DNS_BURST ? 0x8182 : 0x8185);
    const char *log = fx_log(x);
    if (i == NS_DNS_BURST)
      assert_string_equal(log, "dns: over 100 queries a second; refusing the excess (counted)\n");
    else if (i > NS_DNS_BURST)
      assert_string_equal(log, ""); /* once */
  }
  assert_int_equal(x->n->c.dns_rate_limited, 50);
  assert_int_equal(x->n->c.dns_failed, NS_DNS_BURST);
  /* 10 ms later: one more token. */
  fx_reset(x);
  guest_query(x, q, 33333, 0x4242, "svc.test", NS_DNS_TYPE_A, T0 + SEC / 100);
  m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(rd16(m + 2), 0x8182);
  fx_reset(x);
  guest_query(x, q, 33333, 0x4243, "svc.test", NS_DNS_TYPE_A, T0 + SEC / 100);
  m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(rd16(m + 2), 0x8185);
  /* A refused name costs no budget: still NXDOMAIN, not REFUSED. */
  fx_reset(x);
  guest_query(x, q, 33333, 0x4244, "other.test", NS_DNS_TYPE_A, T0 + SEC / 100);
  m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(rd16(m + 2), 0x8183);
  fx_close(x);
}

/* At most NS_LOG_MAX lines per box (a notice at the cap), then counted. */
static void test_log_cap(void **state) {
  (void)state;
  fx *x = fx_open("{\"allow\":[\"svc.test\"]}", 0, 0, false);
  uint8_t q[512];
  size_t lines = 0;
  bool notice = false;
  for (int i = 0; i < NS_LOG_MAX + 100; i++) {
    fx_reset(x);
    x->loglen = 0;
    /* 10 ms apart: within the DNS budget, so each is a SERVFAIL line */
    guest_query(x, q, 33333, (uint16_t)i, "svc.test", NS_DNS_TYPE_A, T0 + (uint64_t)i * SEC / 100);
    const char *log = fx_log(x);
    for (const char *p = log; (p = strchr(p, '\n')) != NULL; p++)
      lines++;
    notice = notice || strstr(log, "log: 2000 lines written; further lines are only counted");
  }
  assert_int_equal(lines, NS_LOG_MAX + 1); /* and the notice */
  assert_true(notice);
  assert_int_equal(x->n->c.log_suppressed, 100);
  assert_int_equal(x->n->c.dns_failed, NS_LOG_MAX + 100);
  /* The counters line is always written. */
  x->loglen = 0;
  ns_log_counters(x->n);
  assert_non_null(strstr(fx_log(x), "log_suppressed=100 "));
  fx_close(x);
}

/* A silent first upstream: after 1.5 s the second is asked, with the same id. */
static void test_dns_retry_next_upstream(void **state) {
  (void)state;
  fx *x = fx_open("{}", 0, 2, false);
  uint8_t q[512], up[512], ans[512];
  g_next_id = 0x6161;
  size_t qlen = guest_query(x, q, 33333, 0x0909, "api.example.org", NS_DNS_TYPE_A, T0);
  struct sockaddr_in from0, from;
  assert_int_equal(upstream_recv(x->up[0], up, sizeof up, &from0), qlen);
  assert_false(readable_now(x->up[1]));
  ns_tick(x->n, T0 + 1501 * 1000000ull);
  assert_int_equal(x->guest.n, 0);
  size_t ulen = upstream_recv(x->up[1], up, sizeof up, &from);
  assert_int_equal(ulen, qlen);
  assert_int_equal(rd16(up), 0x6161);
  uint32_t a = PUBLIC;
  size_t alen = upstream_answer(up, ulen, &a, 1, ans);
  /* The query is now the second upstream's: an answer from the first does not count. */
  upstream_send(x->up[0], ans, alen, &from0);
  ns_read_upstream(x, 0, T0 + 1600 * 1000000ull);
  assert_int_equal(x->guest.n, 0);
  upstream_send(x->up[1], ans, alen, &from);
  ns_read_upstream(x, 1, T0 + 1600 * 1000000ull);
  assert_int_equal(x->guest.n, 1);
  size_t mlen;
  const uint8_t *m = dns_reply(x->guest.frame[0], x->guest.len[0], 33333, &mlen);
  assert_int_equal(rd16(m), 0x0909);
  assert_int_equal(rd32(m + mlen - 4), PUBLIC);
  assert_int_equal(x->n->c.dns_failed, 0);
  fx_close(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syn_denied),
      cmocka_unit_test(test_deny_entry_logged),
      cmocka_unit_test(test_syn_allowed),
      cmocka_unit_test(test_udp_denied_icmp),
      cmocka_unit_test(test_dropped),
      cmocka_unit_test(test_arp_dhcp_pass),
      cmocka_unit_test(test_connection_cap),
      cmocka_unit_test(test_gateway),
      cmocka_unit_test(test_dns_refused_name),
      cmocka_unit_test(test_dns_aaaa_empty),
      cmocka_unit_test(test_dns_forward_trusted),
      cmocka_unit_test(test_dns_forward_untrusted),
      cmocka_unit_test(test_dns_bad_upstream_answer),
      cmocka_unit_test(test_dns_servfail),
      cmocka_unit_test(test_dns_rate),
      cmocka_unit_test(test_log_cap),
      cmocka_unit_test(test_dns_retry_next_upstream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
