/*
 * test_netstack_parts - netstack's parts on their own: DNS messages
 * (dns_msg.h: a query's question with its refusals, locally made answers,
 * the answer scan with its bounds on names, pointers and record lengths;
 * every message in an exactly sized heap buffer so a sanitizer build sees
 * any read past it), the rate shaper on a simulated clock (shaper.h), the
 * flow table's timings and capacity (flows.h), the length-prefixed guest
 * link over a socketpair (link.h) and resolv.conf parsing (host_info.h).
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
#include "flows.h"
#include "host_info.h"
#include "link.h"
#include "shaper.h"

#define SEC 1000000000ull

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

/* ---- shaper ---- */

typedef struct sink {
  uint64_t bytes, frames;
  size_t last_len;
} sink;

static void emit(void *user, const uint8_t *f, size_t len) {
  sink *k = user;
  (void)f;
  k->bytes += len;
  k->frames++;
  k->last_len = len;
}

static void test_shaper_rate(void **state) {
  (void)state;
  /* kbps, bytes per second, bucket depth. */
  static const struct {
    uint32_t kbps;
    uint64_t rate, burst;
  } rows[] = {{100, 12500, 4 * 1514}, {1000, 125000, 6250}, {8000, 1000000, 50000}};
  uint8_t frame[1000];
  memset(frame, 0xab, sizeof frame);
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    ns_shaper s;
    sink k = {0};
    const uint64_t t0 = 5 * SEC;
    ns_shaper_init(&s, rows[r].kbps, t0);
    assert_int_equal(s.rate, rows[r].rate);
    assert_int_equal(s.burst, rows[r].burst);
    /* Offer far more than the rate: 4 frames every millisecond. */
    for (uint64_t ms = 0; ms <= 10000; ms++) {
      uint64_t now = t0 + ms * 1000000ull;
      ns_shaper_run(&s, now, emit, &k);
      for (int i = 0; i < 4; i++)
        ns_shaper_push(&s, frame, sizeof frame, now, emit, &k);
      /* The bucket never lets more through than burst + rate * t. */
      double cap = (double)rows[r].burst + (double)rows[r].rate * (double)ms / 1000.0;
      if ((double)k.bytes > cap + 1)
        print_error("%u kbps at %llu ms: %llu bytes\n", rows[r].kbps, (unsigned long long)ms,
                    (unsigned long long)k.bytes);
      assert_true((double)k.bytes <= cap + 1);
      assert_true(s.queued <= NS_SHAPER_QUEUE_BYTES);
    }
    double want = (double)rows[r].rate * 10 + (double)rows[r].burst;
    double got = (double)k.bytes;
    if (got < want * 0.98 || got > want * 1.02)
      print_error("%u kbps: %.0f bytes in 10 s, want %.0f +- 2 %%\n", rows[r].kbps, got, want);
    assert_true(got >= want * 0.98 && got <= want * 1.02);
    assert_int_equal(s.passed_bytes, k.bytes);
    assert_true(s.dropped > 0);
    /* Each frame offered was emitted, is queued, or was dropped. */
    assert_int_equal(k.frames + s.queued / sizeof frame + s.dropped, 4 * 10001);
    ns_shaper_clear(&s);
    assert_int_equal(s.queued, 0);
    assert_null(s.head);
  }
}

static void test_shaper_queue(void **state) {
  (void)state;
  ns_shaper s;
  sink k = {0};
  uint8_t frame[1000] = {0};
  ns_shaper_init(&s, 1000, 0); /* 125000 B/s, burst 6250 */
  /* At one instant: 6 frames from the bucket, 262 queued (262000 of
   * 262144 bytes), the rest dropped. */
  for (int i = 0; i < 6 + 262 + 5; i++)
    ns_shaper_push(&s, frame, sizeof frame, 0, emit, &k);
  assert_int_equal(k.frames, 6);
  assert_int_equal(s.queued, 262000);
  assert_int_equal(s.dropped, 5);
  /* The next frame may go when 750 more bytes are in the bucket: 6 ms. */
  uint64_t wait = ns_shaper_run(&s, 0, emit, &k);
  assert_true(wait >= 6000000 && wait <= 6000002);
  assert_int_equal(k.frames, 6);
  assert_int_equal(ns_shaper_run(&s, 5999999, emit, &k) > 0, 1);
  assert_int_equal(k.frames, 6);
  ns_shaper_run(&s, 6000001, emit, &k);
  assert_int_equal(k.frames, 7);
  /* A frame pushed while others wait is queued behind them (FIFO), even
   * if the bucket could take it. */
  ns_shaper_run(&s, 6000001 + 8000000, emit, &k); /* 1000 B/8 ms */
  assert_int_equal(k.frames, 8);
  uint8_t small[60] = {0};
  ns_shaper_push(&s, small, sizeof small, 6000001 + 8000000, emit, &k);
  assert_int_equal(k.frames, 8);
  assert_int_equal(k.last_len, 1000);
  /* After enough time, all of it in order, the small one last. */
  assert_true(ns_shaper_run(&s, 10 * SEC, emit, &k) > 0);
  assert_true(k.frames < 6 + 262 + 1);
  uint64_t t = 10 * SEC;
  while (s.head != NULL) {
    t += SEC;
    ns_shaper_run(&s, t, emit, &k);
  }
  assert_int_equal(k.frames, 6 + 262 + 1);
  assert_int_equal(k.last_len, 60);
  assert_int_equal(ns_shaper_run(&s, t, emit, &k), 0);
  ns_shaper_clear(&s);
}

static void test_shaper_unlimited(void **state) {
  (void)state;
  ns_shaper s;
  sink k = {0};
  uint8_t frame[1514] = {0};
  ns_shaper_init(&s, 0, 0);
  assert_int_equal(s.rate, 0);
  for (int i = 0; i < 10000; i++)
    ns_shaper_push(&s, frame, sizeof frame, 0, emit, &k);
  assert_int_equal(k.frames, 10000);
  assert_int_equal(k.bytes, 15140000);
  assert_int_equal(s.queued, 0);
  assert_int_equal(s.dropped, 0);
  assert_null(s.head);
  assert_int_equal(ns_shaper_run(&s, 0, emit, &k), 0);
  ns_shaper_clear(&s);
}

/* ---- flows ---- */

static void test_flows_timings(void **state) {
  (void)state;
  ns_flows *t = malloc(sizeof *t);
  assert_non_null(t);
  ns_flows_init(t);
  const uint64_t t0 = 1000 * SEC;
  uint32_t d = htonl(0x5db8d822u);
  ns_flow *tcp = ns_flows_add(t, 6, 40000, d, 443, false, t0);
  ns_flow *udp = ns_flows_add(t, 17, 40000, d, 443, false, t0);
  ns_flow *gw = ns_flows_add(t, 6, 40001, htonl(0x0a000202u), 4000, true, t0);
  assert_non_null(tcp);
  assert_non_null(udp);
  assert_non_null(gw);
  assert_ptr_not_equal(tcp, udp);
  assert_int_equal(t->n_open, 3);
  assert_int_equal(t->n_gateway, 1);
  assert_int_equal(t->n_used, 3);
  assert_ptr_equal(ns_flows_find(t, 6, 40000, d, 443), tcp);
  assert_ptr_equal(ns_flows_find(t, 17, 40000, d, 443), udp);
  assert_null(ns_flows_find(t, 6, 40002, d, 443));
  assert_null(ns_flows_find(t, 6, 40000, d, 444));
  assert_null(ns_flows_find(t, 6, 40000, d + 1, 443));
  assert_int_equal(tcp->last_ns, t0);
  assert_int_equal(tcp->proto, 6);
  assert_int_equal(tcp->gport, 40000);
  assert_int_equal(tcp->daddr, d);
  assert_int_equal(tcp->dport, 443);
  /* Close: not counted any more; twice is once. */
  ns_flows_close(t, tcp);
  assert_true(tcp->closing);
  assert_int_equal(t->n_open, 2);
  ns_flows_close(t, tcp);
  assert_int_equal(t->n_open, 2);
  ns_flows_close(t, gw);
  assert_int_equal(t->n_gateway, 0);
  assert_int_equal(t->n_open, 1);
  /* Closing flows go after 10 s idle, UDP after 60 s, open TCP after 2 h. */
  ns_flow *open_tcp = ns_flows_add(t, 6, 40003, d, 443, false, t0);
  assert_int_equal(ns_flows_expire(t, t0 + 10 * SEC), 0);
  assert_int_equal(ns_flows_expire(t, t0 + 10 * SEC + 1), 2);
  assert_null(ns_flows_find(t, 6, 40000, d, 443));
  assert_null(ns_flows_find(t, 6, 40001, htonl(0x0a000202u), 4000));
  assert_ptr_equal(ns_flows_find(t, 17, 40000, d, 443), udp);
  assert_int_equal(t->n_used, 2);
  assert_int_equal(t->n_open, 2);
  assert_int_equal(ns_flows_expire(t, t0 + 60 * SEC), 0);
  udp->last_ns = t0 + 30 * SEC; /* used since */
  assert_int_equal(ns_flows_expire(t, t0 + 61 * SEC), 0);
  assert_int_equal(ns_flows_expire(t, t0 + 90 * SEC + 1), 1);
  assert_null(ns_flows_find(t, 17, 40000, d, 443));
  assert_int_equal(t->n_open, 1);
  assert_ptr_equal(ns_flows_find(t, 6, 40003, d, 443), open_tcp);
  assert_int_equal(ns_flows_expire(t, t0 + 7200 * SEC), 0);
  assert_int_equal(ns_flows_expire(t, t0 + 7200 * SEC + 1), 1);
  assert_int_equal(t->n_used, 0);
  assert_int_equal(t->n_open, 0);
  free(t);
}

static void test_flows_full(void **state) {
  (void)state;
  ns_flows *t = malloc(sizeof *t);
  assert_non_null(t);
  ns_flows_init(t);
  uint32_t d = htonl(0x5db8d822u);
  /* Fill the table; every flow stays findable through its chain. */
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i++) {
    ns_flow *f = ns_flows_add(t, 6, (uint16_t)(10000 + i), d, 443, false, SEC + i);
    assert_non_null(f);
  }
  assert_int_equal(t->n_used, NS_FLOWS_MAX);
  assert_int_equal(t->n_open, NS_FLOWS_MAX);
  assert_null(ns_flows_add(t, 6, 9999, d, 443, false, 2 * SEC));
  assert_int_equal(t->n_used, NS_FLOWS_MAX);
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i++)
    assert_non_null(ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443));
  /* Full but with closing flows: the oldest closing one makes room. */
  ns_flows_close(t, ns_flows_find(t, 6, 10100, d, 443));
  ns_flows_close(t, ns_flows_find(t, 6, 10050, d, 443));
  ns_flow *f = ns_flows_add(t, 6, 9999, d, 443, false, 2 * SEC);
  assert_non_null(f);
  assert_null(ns_flows_find(t, 6, 10050, d, 443));
  assert_non_null(ns_flows_find(t, 6, 10100, d, 443));
  assert_ptr_equal(ns_flows_find(t, 6, 9999, d, 443), f);
  assert_int_equal(t->n_used, NS_FLOWS_MAX);
  assert_int_equal(t->n_open, NS_FLOWS_MAX - 1);
  /* Remove every other flow; the rest are all still found. */
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i += 2) {
    ns_flow *g = ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443);
    if (g != NULL) ns_flows_close(t, g), g->last_ns = 0;
  }
  size_t gone = ns_flows_expire(t, 11 * SEC);
  assert_int_equal(gone, NS_FLOWS_MAX / 2 - 1); /* 10050 was already gone */
  for (uint32_t i = 1; i < NS_FLOWS_MAX; i += 2) {
    ns_flow *g = ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443);
    assert_non_null(g);
    assert_int_equal(g->gport, 10000 + i);
  }
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i += 2)
    assert_null(ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443));
  assert_int_equal(t->n_used, NS_FLOWS_MAX - gone);
  /* The freed places are used again. */
  for (uint32_t i = 0; i < gone; i++)
    assert_non_null(ns_flows_add(t, 17, (uint16_t)(20000 + i), d, 53, false, 12 * SEC));
  assert_null(ns_flows_add(t, 17, 30000, d, 53, false, 12 * SEC));
  free(t);
}

/* ---- link ---- */

typedef struct got {
  size_t n;
  size_t len[8];
  uint8_t first[8][64];
} got;

static void on_frame(void *user, uint8_t *f, size_t len) {
  got *g = user;
  assert_true(g->n < 8);
  g->len[g->n] = len;
  memcpy(g->first[g->n], f, len < 64 ? len : 64);
  g->n++;
}

static ns_link *link_pair(int *peer) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ns_link *l = malloc(sizeof *l);
  assert_non_null(l);
  assert_int_equal(ns_link_init(l, sv[0]), 0);
  assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  *peer = sv[1];
  return l;
}

static void put_len(uint8_t *p, uint32_t n) {
  p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8);
  p[3] = (uint8_t)n;
}

static void test_link_read(void **state) {
  (void)state;
  int peer;
  ns_link *l = link_pair(&peer);
  got g = {0};
  uint8_t buf[256];
  for (int i = 0; i < 100; i++)
    buf[4 + i] = (uint8_t)i;
  put_len(buf, 100);
  /* Nothing there yet. */
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  /* The prefix in two writes, then half the frame, then the rest. */
  assert_int_equal(write(peer, buf, 2), 2);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 2, 2), 2);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 4, 50), 50);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 54, 49), 49); /* one byte short */
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 103, 1), 1);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.len[0], 100);
  assert_memory_equal(g.first[0], buf + 4, 64);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 1); /* once */
  /* Two frames and the first byte of a third in one write. */
  uint8_t two[4 + 3 + 4 + 1 + 1];
  put_len(two, 3);
  memcpy(two + 4, "abc", 3);
  put_len(two + 7, 1);
  two[11] = 'z';
  two[12] = 0;
  assert_int_equal(write(peer, two, sizeof two), (ssize_t)sizeof two);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 3);
  assert_int_equal(g.len[1], 3);
  assert_memory_equal(g.first[1], "abc", 3);
  assert_int_equal(g.len[2], 1);
  assert_int_equal(g.first[2][0], 'z');
  assert_int_equal(l->in_len, 1);
  /* The largest length is accepted (waits for its bytes). */
  uint8_t rest[3];
  put_len(buf, NS_FRAME_MAX);
  memcpy(rest, buf + 1, 3); /* buf[0] is 0, like the byte already there */
  assert_int_equal(buf[0], 0);
  assert_int_equal(write(peer, rest, 3), 3);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 3);
  assert_string_equal(l->why, "");
  /* The peer closes. */
  close(peer);
  assert_int_equal(ns_link_read(l, on_frame, &g), -1);
  assert_string_equal(l->why, "the guest side closed the link");
  ns_link_fini(l);
  free(l);
}

static void test_link_bad_length(void **state) {
  (void)state;
  static const uint32_t lens[] = {0, NS_FRAME_MAX + 1, 0xffffffffu};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    int peer;
    ns_link *l = link_pair(&peer);
    got g = {0};
    uint8_t buf[4 + 5 + 4];
    put_len(buf, 5);
    memcpy(buf + 4, "hello", 5);
    put_len(buf + 9, lens[i]);
    assert_int_equal(write(peer, buf, sizeof buf), (ssize_t)sizeof buf);
    assert_int_equal(ns_link_read(l, on_frame, &g), -1);
    assert_int_equal(g.n, 1); /* the frame before it was delivered */
    char want[160];
    snprintf(want, sizeof want, "the guest side sent a frame length of %u (1..65550)", lens[i]);
    assert_string_equal(l->why, want);
    close(peer);
    ns_link_fini(l);
    free(l);
  }
}

/* Read exactly n bytes from fd (blocking). */
static void read_all(int fd, uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    assert_true(r > 0);
    p += r;
    n -= (size_t)r;
  }
}

static void test_link_send(void **state) {
  (void)state;
  int peer;
  ns_link *l = link_pair(&peer);
  static uint8_t frame[65536];
  /* 15 frames of 64 KiB fit the 1 MiB buffer (4 + 65536 each), the 16th not. */
  for (int i = 0; i < 16; i++) {
    memset(frame, 'A' + i, sizeof frame);
    ns_link_send(l, frame, sizeof frame);
  }
  assert_int_equal(l->out_len, 15 * (4 + 65536));
  assert_int_equal(l->out_dropped, 1);
  ns_link_send(l, frame, 0);                /* nothing */
  ns_link_send(l, frame, NS_FRAME_MAX + 1); /* too long for the wire: dropped, counted */
  assert_int_equal(l->out_len, 15 * (4 + 65536));
  assert_int_equal(l->out_dropped, 2);
  /* Flush what the socket takes (a small send buffer), read it, flush
   * again: the frames arrive whole and in order. */
  int sndbuf = 65536;
  assert_int_equal(setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
  size_t have = 0, total = 15 * (4 + 65536);
  uint8_t *got_b = malloc(16 * (4 + 65536));
  assert_non_null(got_b);
  int rounds = 0;
  while (have < total) {
    assert_int_equal(ns_link_flush(l), 0);
    size_t sent = total - l->out_len;
    assert_true(sent > have);
    read_all(peer, got_b + have, sent - have);
    have = sent;
    if (++rounds == 1) {
      /* Part sent: a 64 KiB frame fits again once the rest moves down. */
      assert_true(l->out_len > 0 && l->out_off > 0);
      memset(frame, 'Z', sizeof frame);
      ns_link_send(l, frame, sizeof frame);
      assert_int_equal(l->out_dropped, 2);
      assert_int_equal(l->out_off, 0);
      total += 4 + 65536;
    }
    assert_true(rounds < 10000);
  }
  assert_true(rounds > 2);
  assert_int_equal(l->out_len, 0);
  for (int i = 0; i < 16; i++) {
    const uint8_t *p = got_b + (size_t)i * (4 + 65536);
    assert_memory_equal(p, "\x00\x01\x00\x00", 4);
    int want = i < 15 ? 'A' + i : 'Z';
    assert_int_equal(p[4], want);
    assert_int_equal(p[4 + 65535], want);
  }
  free(got_b);
  assert_int_equal(l->out_dropped, 2);
  /* The peer gone: the next flush ends the link. */
  close(peer);
  ns_link_send(l, frame, 10);
  assert_int_equal(ns_link_flush(l), -1);
  assert_string_equal(l->why, "write: Broken pipe");
  ns_link_fini(l);
  free(l);
}

/* ---- resolv.conf ---- */

static void test_resolv_conf(void **state) {
  (void)state;
  vbx_np_dns d[VBX_NP_MAX_DNS];
  uint8_t want[16];
  const char *text =
      "# Generated by NetworkManager\n"
      "; nameserver 9.9.9.9\n"
      "# nameserver 9.9.9.8\n"
      "search example.com\n"
      "nameserver 127.0.0.53\n"
      "options edns0 trust-ad\n"
      "nameserver not-an-address\n"
      "nameserver 1.2.3\n"
      "nameserver 1.1.1.1:53\n"
      "nameserver2.2.2.2\n"
      "nameservers 3.3.3.3\n"
      "\n"
      "nameserver\n"
      "nameserver\t1.0.0.1   # a comment after it\n"
      "nameserver fe80::1%eth0\n"
      "nameserver 8.8.8.8\n"
      "nameserver 8.8.4.4\n";
  assert_int_equal(ns_resolv_conf_parse(text, d, VBX_NP_MAX_DNS), 4);
  static const char *const wants[] = {"127.0.0.53", "1.0.0.1", "fe80::1", "8.8.8.8"};
  for (size_t i = 0; i < 4; i++) {
    v4(wants[i], want);
    if (memcmp(d[i].addr, want, 16) != 0) {
      char buf[64];
      print_error("server %zu: %s, want %s\n", i, vbx_np_addr_format(d[i].addr, buf, sizeof buf),
                  wants[i]);
    }
    assert_memory_equal(d[i].addr, want, 16);
    assert_int_equal(d[i].port, 53);
  }
  /* cap bounds it; nothing, and a last line without a newline. */
  assert_int_equal(ns_resolv_conf_parse(text, d, 1), 1);
  assert_int_equal(ns_resolv_conf_parse("", d, 4), 0);
  assert_int_equal(ns_resolv_conf_parse("nameserver ::1", d, 4), 1);
  v4("::1", want);
  assert_memory_equal(d[0].addr, want, 16);
  /* A line over the buffer is skipped whole; the next still counts. */
  char big[400];
  memset(big, ' ', sizeof big);
  memcpy(big, "# ", 2);
  snprintf(big + 300, sizeof big - 300, "\nnameserver 9.9.9.9\n");
  assert_int_equal(ns_resolv_conf_parse(big, d, 4), 1);
  v4("9.9.9.9", want);
  assert_memory_equal(d[0].addr, want, 16);
  /* Reading a file; a missing one gives none. */
  char path[] = "/tmp/test_resolv_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  assert_int_equal(ns_resolv_conf_read(path, d, VBX_NP_MAX_DNS), 4);
  unlink(path);
  assert_int_equal(ns_resolv_conf_read(path, d, VBX_NP_MAX_DNS), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dns_parse_query),  cmocka_unit_test(test_dns_answer_empty),
      cmocka_unit_test(test_dns_scan_answer),  cmocka_unit_test(test_dns_scan_pointers),
      cmocka_unit_test(test_shaper_rate),      cmocka_unit_test(test_shaper_queue),
      cmocka_unit_test(test_shaper_unlimited), cmocka_unit_test(test_flows_timings),
      cmocka_unit_test(test_flows_full),       cmocka_unit_test(test_link_read),
      cmocka_unit_test(test_link_bad_length),  cmocka_unit_test(test_link_send),
      cmocka_unit_test(test_resolv_conf),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
