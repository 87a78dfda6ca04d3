/*
 * tests/unit/netstack/nsfx.h - the fixture of the ns tests
 * (test_netstack_ns, test_netstack_dns_proxy): ns driven without libslirp
 * through a fake sink that records the frames for slirp and for the guest,
 * a log pipe, upstream resolvers on 127.0.0.1, crafted guest frames with
 * their checksums, and checks of the frames ns makes with a checksum
 * routine of our own. getrandom is replaced (nsfx.c) so the upstream DNS
 * id is known: it returns g_next_id. Single-threaded.
 */
#ifndef VBX_TEST_NSFX_H
#define VBX_TEST_NSFX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ns.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define GUEST IP(10, 0, 2, 15)
#define HOST IP(10, 0, 2, 2)
#define DNS IP(10, 0, 2, 3)
#define PUBLIC IP(93, 184, 216, 34)
#define SEC 1000000000ull
#define T0 (100 * SEC)
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

/* The guest's MAC and the one it sends to (libslirp's gateway). */
extern const uint8_t k_guest_mac[6];
extern const uint8_t k_host_mac[6];

/* The id the next getrandom of two bytes returns; calls so far. */
extern uint16_t g_next_id;
extern unsigned g_random_calls;

/* Checksums of our own (not ns_csum) and big-endian fields. */
uint32_t sum16(const uint8_t *p, size_t len, uint32_t s);
uint16_t fold(uint32_t s);
uint16_t rd16(const uint8_t *p);
uint32_t rd32(const uint8_t *p);
void wr16(uint8_t *p, uint16_t v);
void wr32(uint8_t *p, uint32_t v);
/* The TCP/UDP pseudo-header sum; assert every checksum of frame f. */
uint32_t pseudo(const uint8_t *ip, uint8_t proto, size_t l4len);
void check_sums(const uint8_t *f, size_t len);
/* Frame builders (guest MAC to the gateway's unless from_guest is false);
 * each returns the frame's length, checksums set. */
size_t ip_frame(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint8_t proto,
                uint32_t src, uint32_t dst, const uint8_t *l4, size_t l4len);
size_t tcp_frame_dir(uint8_t *f, bool from_guest, uint32_t src, uint16_t sport, uint32_t dst,
                     uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *payload,
                     size_t plen);
size_t tcp_frame(uint8_t *f, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
                 uint32_t ack, uint8_t flags, const void *payload, size_t plen);
size_t udp_frame_src(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                     const void *payload, size_t plen);
size_t udp_frame(uint8_t *f, uint16_t sport, uint32_t dst, uint16_t dport, const void *payload,
                 size_t plen);
/* A UDP socket on 127.0.0.1 (its port in *port) to play a resolver. */
int upstream_socket(uint16_t *port);
/* A fixture: ns for policy (JSON), gateway_port, n_up upstream resolvers
 * (trusted: as if listed in the policy), started at T0; fx_close frees it;
 * fx_log returns what was logged so far (accumulated in logbuf); fx_reset
 * forgets the recorded frames; send_guest hands ns a guest frame. */
fx *fx_open(const char *policy, uint16_t gateway_port, int n_up, bool trusted);
void fx_close(fx *x);
const char *fx_log(fx *x);
void fx_reset(fx *x);
void send_guest(fx *x, uint8_t *f, size_t len, uint64_t now);
/* Assert a frame ns sent the guest: its protocol, addresses and checksums;
 * check_rst also its ports, sequence, acknowledgement and flags. */
void check_to_guest(const uint8_t *f, size_t len, uint8_t proto, uint32_t src, uint32_t dst);
void check_rst(const uint8_t *f, size_t len, uint32_t dst, uint16_t dport, uint16_t sport,
               uint32_t seq, uint32_t ack, uint8_t flags);

#endif
