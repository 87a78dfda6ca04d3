/*
 * netstack/dns_msg.c - DNS message parsing and building (dns_msg.h).
 */
#include "dns_msg.h"

#include <string.h>

#include "be.h"

#include "netstack/policy.h"

int ns_dns_parse_query(const uint8_t *m, size_t len, ns_dns_query *q) {
  memset(q, 0, sizeof *q);
  if (len < 12 || len > NS_DNS_MAX) return -1;
  uint16_t flags = ns_rd16(m + 2);
  if ((flags & 0x8000) || ((flags >> 11) & 0xf) != 0) return -1; /* a response, or not QUERY */
  if (ns_rd16(m + 4) != 1) return -1;
  q->id = ns_rd16(m);
  size_t off = 12, out = 0;
  for (;;) {
    if (off >= len) return -1;
    size_t l = m[off++];
    if (l == 0) break;
    /* No pointers; 253 characters at most (255 octets on the wire). */
    if (l > 63 || off + l > len || out + (out > 0) + l > VBX_NP_HOST_MAX) return -1;
    if (out > 0) q->name[out++] = '.';
    for (size_t i = 0; i < l; i++) {
      uint8_t ch = m[off + i];
      if (ch == '.' || ch == 0) return -1; /* cannot be told apart once dotted */
      q->name[out++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    off += l;
  }
  q->name[out] = '\0';
  if (off + 4 > len) return -1;
  q->qtype = ns_rd16(m + off);
  q->qclass = ns_rd16(m + off + 2);
  q->question_end = off + 4;
  return 0;
}

size_t ns_dns_answer_empty(const uint8_t *m, const ns_dns_query *q, unsigned rcode, uint8_t *out,
                           size_t cap) {
  size_t n = q->question_end;
  if (cap < n) return 0;
  memcpy(out, m, n);
  uint16_t flags = ns_rd16(m + 2);
  /* QR, the query's opcode and RD, RA, rcode. */
  ns_wr16(out + 2, (uint16_t)(0x8000 | (flags & 0x0100) | 0x0080 | (rcode & 0xf)));
  ns_wr16(out + 4, 1);
  ns_wr16(out + 6, 0);
  ns_wr16(out + 8, 0);
  ns_wr16(out + 10, 0);
  return n;
}

/* Skip a possibly compressed name at *off, following its pointers to check
 * where they lead: each strictly backwards, at most 16. 0 or -1. */
static int skip_name(const uint8_t *m, size_t len, size_t *off) {
  size_t o = *off, end = 0;
  int jumps = 0;
  for (int labels = 0; labels < 128;) {
    if (o >= len) return -1;
    uint8_t l = m[o];
    if (l == 0) {
      *off = end != 0 ? end : o + 1;
      return 0;
    }
    if ((l & 0xc0) == 0xc0) { /* a pointer ends the name here */
      if (o + 2 > len) return -1;
      size_t to = (size_t)(l & 0x3f) << 8 | m[o + 1];
      if (to >= o || ++jumps > 16) return -1;
      if (end == 0) end = o + 2;
      o = to;
      continue;
    }
    if (l & 0xc0) return -1;
    o += 1 + l;
    labels++;
  }
  return -1;
}

int ns_dns_scan_answer(uint8_t *m, size_t len, uint16_t want_id, uint32_t loopback_alias,
                       ns_dns_addr_fn fn, void *user) {
  if (len < 12 || len > NS_DNS_MAX || ns_rd16(m) != want_id || !(ns_rd16(m + 2) & 0x8000))
    return -1;
  if (ns_rd16(m + 4) != 1) return -1;
  size_t off = 12;
  if (skip_name(m, len, &off) != 0 || off + 4 > len) return -1;
  off += 4;
  unsigned an = ns_rd16(m + 6);
  for (unsigned i = 0; i < an; i++) {
    if (skip_name(m, len, &off) != 0 || off + 10 > len) return -1;
    uint16_t type = ns_rd16(m + off), klass = ns_rd16(m + off + 2), rdlen = ns_rd16(m + off + 8);
    off += 10;
    if (off + rdlen > len) return -1;
    uint8_t a[16];
    if (klass == 1 && type == NS_DNS_TYPE_A && rdlen == 4) {
      uint32_t v4;
      memcpy(&v4, m + off, 4);
      if (m[off] == 127) {
        /* The guest reaches the host's loopback (127.0.0.1) through the
         * alias; the decision is made on what it reaches. */
        memcpy(m + off, &loopback_alias, 4);
        static const uint8_t lo[4] = {127, 0, 0, 1};
        memcpy(&v4, lo, 4);
      }
      vbx_np_from_v4(v4, a);
      fn(user, a);
    } else if (klass == 1 && type == NS_DNS_TYPE_AAAA && rdlen == 16) {
      memcpy(a, m + off, 16);
      fn(user, a);
    }
    off += rdlen;
  }
  return 0;
}
