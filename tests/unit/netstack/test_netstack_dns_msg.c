/*
 * test_netstack_dns_msg - DNS messages as netstack reads and writes them
 * (dns_msg.h): a query's question with its refusals, locally made answers,
 * and the answer scan with its bounds on names, pointers and record
 * lengths. Every message sits in an exactly sized heap buffer so a
 * sanitizer build sees any read past it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns_msg.h"
#include "netstack/policy.h"

static void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* ---- DNS messages ---- */

/* A message under construction. */
typedef struct msg {
  uint8_t b[2048];
  size_t len;
} msg;

static void put(msg *m, const void *p, size_t n) {
  assert_true(m->len + n <= sizeof m->b);
  memcpy(m->b + m->len, p, n);
  m->len += n;
}
static void put8(msg *m, uint8_t v) { put(m, &v, 1); }
static void put16(msg *m, uint16_t v) {
  uint8_t b[2];
  wr16(b, v);
  put(m, b, 2);
}
static void put32(msg *m, uint32_t v) {
  put16(m, (uint16_t)(v >> 16));
  put16(m, (uint16_t)v);
}
/* A name in labels, uncompressed. */
static void put_name(msg *m, const char *name) {
  while (*name) {
    const char *dot = strchr(name, '.');
    size_t l = dot ? (size_t)(dot - name) : strlen(name);
    put8(m, (uint8_t)l);
    put(m, name, l);
    name += l + (dot ? 1 : 0);
  }
  put8(m, 0);
}
static void header(msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an) {
  m->len = 0;
  put16(m, id);
  put16(m, flags);
  put16(m, qd);
  put16(m, an);
  put16(m, 0);
  put16(m, 0);
}
static void question(msg *m, const char *name, uint16_t type) {
  put_name(m, name);
  put16(m, type);
  put16(m, 1);
}
/* A record's fixed part after its name. */
static void rr(msg *m, uint16_t type, uint16_t klass, uint16_t rdlen) {
  put16(m, type);
  put16(m, klass);
  put32(m, 300);
  put16(m, rdlen);
}

/* Copies of m in an exactly sized heap buffer. */
static uint8_t *exact(const msg *m) {
  uint8_t *p = malloc(m->len ? m->len : 1);
  assert_non_null(p);
  memcpy(p, m->b, m->len);
  return p;
}

static int parse_query(const msg *m, ns_dns_query *q) {
  uint8_t *p = exact(m);
  int rc = ns_dns_parse_query(p, m->len, q);
  free(p);
  return rc;
}

static void test_dns_parse_query(void **state) {
  (void)state;
  msg m;
  ns_dns_query q;
  header(&m, 0xbeef, 0x0100, 1, 0);
  question(&m, "WWW.Example.COM", 28);
  assert_int_equal(parse_query(&m, &q), 0);
  assert_int_equal(q.id, 0xbeef);
  assert_string_equal(q.name, "www.example.com");
  assert_int_equal(q.qtype, 28);
  assert_int_equal(q.qclass, 1);
  assert_int_equal(q.question_end, 12 + 17 + 4);
  assert_int_equal(q.question_end, m.len);
  /* Trailing additional data (an OPT record) after the question is fine. */
  put8(&m, 0);
  rr(&m, 41, 4096, 0);
  assert_int_equal(parse_query(&m, &q), 0);
  assert_int_equal(q.question_end, 12 + 17 + 4);
  /* The root. */
  header(&m, 1, 0, 1, 0);
  question(&m, "", 2);
  assert_int_equal(parse_query(&m, &q), 0);
  assert_string_equal(q.name, "");
  assert_int_equal(q.question_end, 17);

  /* A compression pointer in the question. */
  header(&m, 1, 0x0100, 1, 0);
  put8(&m, 3), put(&m, "www", 3), put8(&m, 0xc0), put8(&m, 12);
  put16(&m, 1), put16(&m, 1);
  assert_int_equal(parse_query(&m, &q), -1);
  header(&m, 1, 0x0100, 1, 0);
  put8(&m, 0xc0), put8(&m, 12), put16(&m, 1), put16(&m, 1);
  assert_int_equal(parse_query(&m, &q), -1);
  /* The other label types (0x40, 0x80) too. */
  header(&m, 1, 0x0100, 1, 0);
  put8(&m, 0x41), put(&m, "a", 1), put8(&m, 0), put16(&m, 1), put16(&m, 1);
  assert_int_equal(parse_query(&m, &q), -1);

  /* Names: 253 characters is the most (255 octets on the wire). */
  char name[300];
  memset(name, 'a', 253);
  for (size_t i = 63; i < 253; i += 64)
    name[i] = '.';
  name[253] = '\0';
  header(&m, 1, 0x0100, 1, 0);
  question(&m, name, 1);
  assert_int_equal(parse_query(&m, &q), 0);
  assert_string_equal(q.name, name);
  memset(name, 'a', 254);
  for (size_t i = 63; i < 254; i += 64)
    name[i] = '.';
  name[254] = '\0';
  header(&m, 1, 0x0100, 1, 0);
  question(&m, name, 1);
  assert_int_equal(parse_query(&m, &q), -1);
  memset(name, 'a', 255);
  for (size_t i = 63; i < 255; i += 64)
    name[i] = '.';
  name[255] = '\0';
  header(&m, 1, 0x0100, 1, 0);
  question(&m, name, 1);
  assert_int_equal(parse_query(&m, &q), -1);
  /* A label of 64. */
  memset(name, 'b', 64);
  memcpy(name + 64, ".com", 5);
  header(&m, 1, 0x0100, 1, 0);
  question(&m, name, 1);
  assert_int_equal(parse_query(&m, &q), -1);

  /* A dot or a NUL inside a label. */
  header(&m, 1, 0x0100, 1, 0);
  put8(&m, 3), put(&m, "a.b", 3), put8(&m, 3), put(&m, "com", 3), put8(&m, 0);
  put16(&m, 1), put16(&m, 1);
  assert_int_equal(parse_query(&m, &q), -1);
  header(&m, 1, 0x0100, 1, 0);
  put8(&m, 3), put(&m, "a\0b", 3), put8(&m, 0), put16(&m, 1), put16(&m, 1);
  assert_int_equal(parse_query(&m, &q), -1);

  /* Not a standard query: a response, another opcode; not one question. */
  header(&m, 1, 0x8100, 1, 0);
  question(&m, "a.com", 1);
  assert_int_equal(parse_query(&m, &q), -1);
  header(&m, 1, 0x2000, 1, 0); /* opcode 4, NOTIFY */
  question(&m, "a.com", 1);
  assert_int_equal(parse_query(&m, &q), -1);
  header(&m, 1, 0x0800, 1, 0); /* opcode 1, IQUERY */
  question(&m, "a.com", 1);
  assert_int_equal(parse_query(&m, &q), -1);
  header(&m, 1, 0x0100, 2, 0);
  question(&m, "a.com", 1);
  question(&m, "b.com", 1);
  assert_int_equal(parse_query(&m, &q), -1);
  header(&m, 1, 0x0100, 0, 0);
  assert_int_equal(parse_query(&m, &q), -1);

  /* Truncated anywhere. */
  header(&m, 1, 0x0100, 1, 0);
  question(&m, "www.example.com", 1);
  size_t full = m.len;
  for (size_t cut = 0; cut < full; cut++) {
    m.len = cut;
    assert_int_equal(parse_query(&m, &q), -1);
  }
  /* Longer than NS_DNS_MAX. */
  header(&m, 1, 0x0100, 1, 0);
  question(&m, "a.com", 1);
  m.len = NS_DNS_MAX + 1;
  assert_int_equal(parse_query(&m, &q), -1);
}

static void test_dns_answer_empty(void **state) {
  (void)state;
  msg m;
  ns_dns_query q;
  header(&m, 0x4242, 0x0100, 1, 0);
  question(&m, "a.example.com", 1);
  put8(&m, 0);
  rr(&m, 41, 4096, 0); /* an OPT record: not echoed */
  wr16(m.b + 10, 1);
  uint8_t *p = exact(&m);
  assert_int_equal(ns_dns_parse_query(p, m.len, &q), 0);
  uint8_t out[600];
  size_t n = ns_dns_answer_empty(p, &q, NS_DNS_RCODE_NXDOMAIN, out, sizeof out);
  assert_int_equal(n, q.question_end);
  assert_int_equal(rd16(out), 0x4242);
  assert_int_equal(rd16(out + 2), 0x8183);
  assert_int_equal(rd16(out + 4), 1);
  assert_int_equal(rd16(out + 6), 0);
  assert_int_equal(rd16(out + 8), 0);
  assert_int_equal(rd16(out + 10), 0);
  assert_memory_equal(out + 12, p + 12, n - 12);
  /* RD not set: not set in the answer either. */
  p[2] = 0;
  n = ns_dns_answer_empty(p, &q, NS_DNS_RCODE_REFUSED, out, sizeof out);
  assert_int_equal(rd16(out + 2), 0x8085);
  assert_int_equal(ns_dns_answer_empty(p, &q, 0, out, q.question_end - 1), 0);
  assert_int_equal(ns_dns_answer_empty(p, &q, 0, out, q.question_end), q.question_end);
  free(p);
}

/* Records seen by the scan. */
typedef struct seen {
  size_t n;
  uint8_t addr[8][16];
} seen;

static void on_addr(void *user, const uint8_t addr[16]) {
  seen *s = user;
  assert_true(s->n < 8);
  memcpy(s->addr[s->n++], addr, 16);
}

static int scan(msg *m, uint16_t id, seen *s) {
  uint8_t *p = exact(m);
  memset(s, 0, sizeof *s);
  int rc = ns_dns_scan_answer(p, m->len, id, htonl(0x0a000202u), on_addr, s);
  memcpy(m->b, p, m->len); /* what the scan rewrote */
  free(p);
  return rc;
}

static void v4(const char *text, uint8_t out[16]) {
  assert_int_equal(vbx_np_addr_parse(text, out), 0);
}

/* A response to "svc.test" A with id 7; the answer section follows. */
static void response(msg *m, uint16_t an) {
  header(m, 7, 0x8180, 1, an);
  question(m, "svc.test", 1);
}

static void test_dns_scan_answer(void **state) {
  (void)state;
  msg m;
  seen s;
  uint8_t want[16];
  /* A, a 127/8 A (rewritten), AAAA, a CNAME, an A of class CH, an A of
   * the wrong length: three addresses seen. */
  response(&m, 6);
  size_t q_end = m.len;
  put8(&m, 0xc0), put8(&m, 12);
  rr(&m, 1, 1, 4);
  put(&m, "\x5d\xb8\xd8\x22", 4);
  put8(&m, 0xc0), put8(&m, 12);
  rr(&m, 1, 1, 4);
  size_t lo_at = m.len;
  put(&m, "\x7f\x05\x06\x07", 4);
  put_name(&m, "svc.test");
  rr(&m, 28, 1, 16);
  put(&m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  put8(&m, 0xc0), put8(&m, 12);
  rr(&m, 5, 1, 4);
  put8(&m, 1), put8(&m, 'x'), put8(&m, 0xc0), put8(&m, 16);
  put8(&m, 0xc0), put8(&m, 12);
  rr(&m, 1, 3, 4);
  put(&m, "\x01\x02\x03\x04", 4);
  put8(&m, 0xc0), put8(&m, (uint8_t)q_end);
  rr(&m, 1, 1, 5);
  put(&m, "\x01\x02\x03\x04\x05", 5);
  assert_int_equal(scan(&m, 7, &s), 0);
  assert_int_equal(s.n, 3);
  v4("93.184.216.34", want);
  assert_memory_equal(s.addr[0], want, 16);
  v4("127.0.0.1", want); /* decided as what the guest reaches */
  assert_memory_equal(s.addr[1], want, 16);
  assert_memory_equal(m.b + lo_at, "\x0a\x00\x02\x02", 4);
  v4("2001:db8::1", want);
  assert_memory_equal(s.addr[2], want, 16);
  size_t good_len = m.len;
  msg good = m;

  /* Not the response wanted. */
  assert_int_equal(scan(&m, 8, &s), -1);
  m.b[2] &= 0x7f;
  assert_int_equal(scan(&m, 7, &s), -1);
  m = good;
  wr16(m.b + 4, 2);
  assert_int_equal(scan(&m, 7, &s), -1);
  m = good;
  m.len = 11;
  assert_int_equal(scan(&m, 7, &s), -1);
  m.len = NS_DNS_MAX + 1;
  assert_int_equal(scan(&m, 7, &s), -1);
  /* Cut anywhere inside: never well formed, never read past. */
  for (size_t cut = 12; cut < good_len; cut++) {
    m = good;
    m.len = cut;
    assert_int_equal(scan(&m, 7, &s), -1);
  }
  /* More answers claimed than there are. */
  m = good;
  wr16(m.b + 6, 7);
  assert_int_equal(scan(&m, 7, &s), -1);
  /* An rdlength past the end. */
  response(&m, 1);
  put8(&m, 0xc0), put8(&m, 12);
  rr(&m, 1, 1, 5);
  put(&m, "\x01\x02\x03\x04", 4);
  assert_int_equal(scan(&m, 7, &s), -1);
  assert_int_equal(s.n, 0);
  response(&m, 1);
  put8(&m, 0xc0), put8(&m, 12);
  rr(&m, 16, 1, 0xffff);
  put(&m, "\x03txt", 4);
  assert_int_equal(scan(&m, 7, &s), -1);
}

/* Compression pointers: only backwards, at most 16 deep, never outside. */
static void test_dns_scan_pointers(void **state) {
  (void)state;
  msg m;
  seen s;
  /* A pointer to itself. */
  response(&m, 1);
  size_t at = m.len;
  put8(&m, 0xc0), put8(&m, (uint8_t)at);
  rr(&m, 1, 1, 4);
  put(&m, "\x01\x02\x03\x04", 4);
  assert_int_equal(scan(&m, 7, &s), -1);
  assert_int_equal(s.n, 0);
  /* A loop: a label, then a pointer back to it. */
  response(&m, 1);
  at = m.len;
  put8(&m, 1), put8(&m, 'a'), put8(&m, 0xc0), put8(&m, (uint8_t)at);
  rr(&m, 1, 1, 4);
  put(&m, "\x01\x02\x03\x04", 4);
  assert_int_equal(scan(&m, 7, &s), -1);
  /* Two pointers pointing at each other (the first forwards). */
  response(&m, 2);
  at = m.len;
  put8(&m, 0xc0), put8(&m, (uint8_t)(at + 16));
  rr(&m, 1, 1, 4);
  put(&m, "\x01\x02\x03\x04", 4);
  put8(&m, 0xc0), put8(&m, (uint8_t)at);
  rr(&m, 1, 1, 4);
  put(&m, "\x01\x02\x03\x04", 4);
  assert_int_equal(scan(&m, 7, &s), -1);
  /* Past the end of the message, far past, and into the header. */
  static const uint16_t targets[] = {0x00ff, 0x3fff, 0x0003};
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    response(&m, 1);
    put8(&m, (uint8_t)(0xc0 | targets[i] >> 8)), put8(&m, (uint8_t)targets[i]);
    rr(&m, 1, 1, 4);
    put(&m, "\x01\x02\x03\x04", 4);
    assert_int_equal(scan(&m, 7, &s), -1);
  }
  /* A pointer cut in half at the end. */
  response(&m, 1);
  put8(&m, 0xc0);
  assert_int_equal(scan(&m, 7, &s), -1);
  /* A pointer in the question. */
  header(&m, 7, 0x8180, 1, 0);
  put8(&m, 0xc0), put8(&m, 12), put16(&m, 1), put16(&m, 1);
  assert_int_equal(scan(&m, 7, &s), -1);

  /* A chain: a record whose rdata holds k pointers, each to the one
   * before, the first to the question name; a second record named by a
   * pointer to the last. Its name is k + 1 pointers deep. */
  for (int k = 14; k <= 16; k++) {
    response(&m, 2);
    put8(&m, 0xc0), put8(&m, 12);
    rr(&m, 99, 1, (uint16_t)(2 * k));
    size_t first = m.len;
    put8(&m, 0xc0), put8(&m, 12);
    for (int i = 1; i < k; i++)
      put8(&m, 0xc0), put8(&m, (uint8_t)(first + 2 * (size_t)(i - 1)));
    size_t last = m.len - 2;
    put8(&m, 0xc0), put8(&m, (uint8_t)last);
    rr(&m, 1, 1, 4);
    put(&m, "\x5d\xb8\xd8\x22", 4);
    int want = k + 1 <= 16 ? 0 : -1;
    if (scan(&m, 7, &s) != want) print_error("chain of %d pointers\n", k + 1);
    assert_int_equal(scan(&m, 7, &s), want);
    assert_int_equal(s.n, want == 0 ? 1 : 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dns_parse_query),
      cmocka_unit_test(test_dns_answer_empty),
      cmocka_unit_test(test_dns_scan_answer),
      cmocka_unit_test(test_dns_scan_pointers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
