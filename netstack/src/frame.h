/*
 * netstack/frame.h - reading and writing the Ethernet/IPv4/TCP/UDP/ICMP
 * headers of frames the guest sends and that netstack answers with.
 * Every field is read within the frame's length: a frame is parsed only as
 * far as it is well formed.
 */
#ifndef NETSTACK_FRAME_H
#define NETSTACK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_ETH_HLEN 14
#define NS_ETH_P_IP 0x0800
#define NS_ETH_P_ARP 0x0806
#define NS_ETH_P_IPV6 0x86dd
#define NS_IPPROTO_ICMP 1
#define NS_IPPROTO_TCP 6
#define NS_IPPROTO_UDP 17
#define NS_TCP_FIN 0x01
#define NS_TCP_SYN 0x02
#define NS_TCP_RST 0x04
#define NS_TCP_ACK 0x10
#define NS_FRAME_MAX 65550 /* the largest frame either side may send (length prefix bound) */

typedef struct ns_pkt {
  uint16_t ethertype;
  /* IPv4 (ethertype NS_ETH_P_IP and ip_ok) */
  bool ip_ok;
  size_t ip_off, ip_hlen, ip_len; /* header offset/length; total length (<= frame) */
  uint8_t proto, ttl;
  uint32_t src, dst; /* network order */
  bool fragment;     /* more fragments or an offset: ports unknown */
  /* TCP/UDP (l4_ok) */
  bool l4_ok;
  size_t l4_off, l4_hlen; /* transport header offset/length */
  uint16_t sport, dport;  /* host order */
  uint8_t tcp_flags;
  uint32_t tcp_seq, tcp_ack;
  size_t payload_off, payload_len;
} ns_pkt;

/* Parse frame[0..len) into p. Returns 0 when the Ethernet header is there
 * (p says how far the rest parsed: ip_ok, l4_ok), -1 for a frame too short
 * for Ethernet. */
int ns_pkt_parse(const uint8_t *frame, size_t len, ns_pkt *p);

/* The Internet checksum of data folded with sum (0 to start). */
uint16_t ns_csum(const void *data, size_t len, uint32_t sum);

/* Replace the 16-bit field at frame+off (a port) with v, updating the TCP
 * or UDP checksum incrementally (RFC 1624); p from ns_pkt_parse of frame. */
void ns_pkt_set_port(uint8_t *frame, const ns_pkt *p, size_t off, uint16_t v);

/* A TCP RST answering the guest's segment p of frame (from its destination
 * to its source), into out. Returns the length, or 0 when cap is short or
 * p is itself a RST. */
size_t ns_build_tcp_rst(const uint8_t *frame, const ns_pkt *p, uint8_t *out, size_t cap);

/* An ICMP destination unreachable (code: 3 port, 13 administratively
 * prohibited) quoting the guest's datagram p of frame. Length or 0. */
size_t ns_build_icmp_unreach(const uint8_t *frame, const ns_pkt *p, uint8_t code, uint8_t *out,
                             size_t cap);

/* A UDP datagram answering p of frame (addresses, ports and MACs swapped)
 * carrying payload. Length or 0 when cap is short. */
size_t ns_build_udp_reply(const uint8_t *frame, const ns_pkt *p, const uint8_t *payload,
                          size_t plen, uint8_t *out, size_t cap);

#endif
