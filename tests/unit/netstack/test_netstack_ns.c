/*
 * test_netstack_ns - the per-frame policy in front of libslirp (ns.h),
 * driven without libslirp through the fixture of nsfx.h. Covers: a denied
 * SYN makes nothing for slirp (so no host socket) and one RST back,
 * counted and logged; allowed flows pass unchanged; UDP refused with ICMP
 * 3/13; IPv6, fragments and bad headers dropped; ARP and DHCP pass; the
 * connection cap; the LLM gateway port mapping both ways. Policy-aware DNS
 * is test_netstack_dns_proxy.
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_syn_denied),     cmocka_unit_test(test_deny_entry_logged),
      cmocka_unit_test(test_syn_allowed),    cmocka_unit_test(test_udp_denied_icmp),
      cmocka_unit_test(test_dropped),        cmocka_unit_test(test_arp_dhcp_pass),
      cmocka_unit_test(test_connection_cap), cmocka_unit_test(test_gateway),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
