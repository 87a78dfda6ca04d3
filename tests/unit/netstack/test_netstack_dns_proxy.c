/*
 * test_netstack_dns_proxy - policy-aware DNS at 10.0.2.3 (dns_proxy.c),
 * through the fixture of nsfx.h: NXDOMAIN for names outside the list,
 * empty AAAA, forwarding to a real UDP upstream on 127.0.0.1 with the id
 * getrandom gave (not the guest's), the answer rewritten to 10.0.2.2 and
 * what it lets the box reach, malformed answers dropped, SERVFAIL and
 * retry on a silent upstream, the forwarding budget, and the log cap.
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
