/*
 * netstack/frame.c - header parsing and the frames netstack writes itself
 * (frame.h).
 */
#include "frame.h"

#include <string.h>

#include "be.h"

int ns_pkt_parse(const uint8_t *f, size_t len, ns_pkt *p) {
  memset(p, 0, sizeof *p);
  if (len < NS_ETH_HLEN) return -1;
  p->ethertype = ns_rd16(f + 12);
  if (p->ethertype != NS_ETH_P_IP || len < NS_ETH_HLEN + 20) return 0;
  const uint8_t *ip = f + NS_ETH_HLEN;
  size_t hl = (size_t)(ip[0] & 0x0f) * 4, total = ns_rd16(ip + 2);
  if ((ip[0] >> 4) != 4 || hl < 20 || total < hl || NS_ETH_HLEN + total > len) return 0;
  p->ip_ok = true;
  p->ip_off = NS_ETH_HLEN;
  p->ip_hlen = hl;
  p->ip_len = total;
  p->ttl = ip[8];
  p->proto = ip[9];
  memcpy(&p->src, ip + 12, 4);
  memcpy(&p->dst, ip + 16, 4);
  uint16_t frag = ns_rd16(ip + 6);
  p->fragment = (frag & 0x2000) != 0 || (frag & 0x1fff) != 0;
  if (p->fragment) return 0;
  size_t l4 = NS_ETH_HLEN + hl, l4len = total - hl;
  if (p->proto == NS_IPPROTO_TCP && l4len >= 20) {
    size_t th = (size_t)(f[l4 + 12] >> 4) * 4;
    if (th < 20 || th > l4len) return 0;
    p->l4_hlen = th;
    p->tcp_seq = ns_rd32(f + l4 + 4);
    p->tcp_ack = ns_rd32(f + l4 + 8);
    p->tcp_flags = f[l4 + 13];
  } else if (p->proto == NS_IPPROTO_UDP && l4len >= 8) {
    size_t ulen = ns_rd16(f + l4 + 4);
    if (ulen < 8 || ulen > l4len) return 0;
    p->l4_hlen = 8;
    l4len = ulen;
  } else {
    return 0;
  }
  p->l4_ok = true;
  p->l4_off = l4;
  p->sport = ns_rd16(f + l4);
  p->dport = ns_rd16(f + l4 + 2);
  p->payload_off = l4 + p->l4_hlen;
  p->payload_len = l4len - p->l4_hlen;
  return 0;
}

uint16_t ns_csum(const void *data, size_t len, uint32_t sum) {
  const uint8_t *b = data;
  while (len > 1) {
    sum += (uint32_t)(b[0] << 8 | b[1]);
    b += 2;
    len -= 2;
  }
  if (len) sum += (uint32_t)b[0] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

void ns_pkt_set_port(uint8_t *f, const ns_pkt *p, size_t off, uint16_t v) {
  uint16_t old = ns_rd16(f + off);
  ns_wr16(f + off, v);
  size_t csum_off = p->l4_off + (p->proto == NS_IPPROTO_TCP ? 16 : 6);
  uint16_t c = ns_rd16(f + csum_off);
  if (p->proto == NS_IPPROTO_UDP && c == 0) return; /* no UDP checksum */
  /* RFC 1624: HC' = ~(~HC + ~m + m') */
  uint32_t sum = (uint16_t)~c + (uint16_t)~old + v;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  uint16_t nc = (uint16_t)~sum;
  if (p->proto == NS_IPPROTO_UDP && nc == 0) nc = 0xffff;
  ns_wr16(f + csum_off, nc);
}

/* Ethernet and IPv4 headers of a reply to p (swapped), payload length
 * l4len after them; returns the IPv4 header offset. */
static size_t reply_headers(const uint8_t *f, const ns_pkt *p, uint8_t proto, size_t l4len,
                            uint8_t *out) {
  memcpy(out, f + 6, 6); /* to the guest's MAC */
  memcpy(out + 6, f, 6); /* from the address it sent to */
  ns_wr16(out + 12, NS_ETH_P_IP);
  uint8_t *ip = out + NS_ETH_HLEN;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  ns_wr16(ip + 2, (uint16_t)(20 + l4len));
  ns_wr16(ip + 6, 0x4000); /* DF */
  ip[8] = 64;
  ip[9] = proto;
  memcpy(ip + 12, &p->dst, 4);
  memcpy(ip + 16, &p->src, 4);
  ns_wr16(ip + 10, ns_csum(ip, 20, 0));
  return NS_ETH_HLEN;
}

/* The pseudo-header sum of a TCP/UDP segment of out. */
static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, size_t l4len) {
  uint32_t s = 0;
  for (int i = 12; i < 20; i += 2)
    s += ns_rd16(ip + i);
  return s + proto + (uint32_t)l4len;
}

size_t ns_build_tcp_rst(const uint8_t *f, const ns_pkt *p, uint8_t *out, size_t cap) {
  size_t n = NS_ETH_HLEN + 20 + 20;
  if (!p->l4_ok || p->proto != NS_IPPROTO_TCP || (p->tcp_flags & NS_TCP_RST) || cap < n) return 0;
  size_t ipo = reply_headers(f, p, NS_IPPROTO_TCP, 20, out);
  uint8_t *t = out + ipo + 20;
  memset(t, 0, 20);
  ns_wr16(t, p->dport);
  ns_wr16(t + 2, p->sport);
  /* RFC 9293 3.10.7.1: to a segment with ACK, RST with seq = its ack;
   * otherwise seq 0 and ack = its seq + its length (SYN and FIN count). */
  uint32_t seg_len = (uint32_t)p->payload_len + ((p->tcp_flags & NS_TCP_SYN) ? 1u : 0u) +
                     ((p->tcp_flags & NS_TCP_FIN) ? 1u : 0u);
  if (p->tcp_flags & NS_TCP_ACK) {
    ns_wr32(t + 4, p->tcp_ack);
    t[13] = NS_TCP_RST;
  } else {
    ns_wr32(t + 8, p->tcp_seq + seg_len);
    t[13] = NS_TCP_RST | NS_TCP_ACK;
  }
  t[12] = 5 << 4;
  ns_wr16(t + 16, ns_csum(t, 20, pseudo_sum(out + ipo, NS_IPPROTO_TCP, 20)));
  return n;
}

size_t ns_build_icmp_unreach(const uint8_t *f, const ns_pkt *p, uint8_t code, uint8_t *out,
                             size_t cap) {
  if (!p->ip_ok) return 0;
  size_t quote = p->ip_hlen + 8 <= p->ip_len ? p->ip_hlen + 8 : p->ip_len;
  size_t l4len = 8 + quote, n = NS_ETH_HLEN + 20 + l4len;
  if (cap < n) return 0;
  size_t ipo = reply_headers(f, p, NS_IPPROTO_ICMP, l4len, out);
  uint8_t *ic = out + ipo + 20;
  memset(ic, 0, 8);
  ic[0] = 3; /* destination unreachable */
  ic[1] = code;
  memcpy(ic + 8, f + p->ip_off, quote);
  ns_wr16(ic + 2, ns_csum(ic, l4len, 0));
  return n;
}

size_t ns_build_udp_reply(const uint8_t *f, const ns_pkt *p, const uint8_t *payload, size_t plen,
                          uint8_t *out, size_t cap) {
  size_t l4len = 8 + plen, n = NS_ETH_HLEN + 20 + l4len;
  if (!p->l4_ok || cap < n || l4len > 0xffff - 20) return 0;
  size_t ipo = reply_headers(f, p, NS_IPPROTO_UDP, l4len, out);
  uint8_t *u = out + ipo + 20;
  ns_wr16(u, p->dport);
  ns_wr16(u + 2, p->sport);
  ns_wr16(u + 4, (uint16_t)l4len);
  ns_wr16(u + 6, 0);
  memcpy(u + 8, payload, plen);
  uint16_t c = ns_csum(u, l4len, pseudo_sum(out + ipo, NS_IPPROTO_UDP, l4len));
  ns_wr16(u + 6, c == 0 ? 0xffff : c);
  return n;
}
