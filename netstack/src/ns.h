/*
 * netstack/ns.h - one box's network: the policy enforced on every frame
 * between the guest and libslirp (docs/network.md).
 *
 *   guest --frame--> ns_from_guest: ARP and DHCP pass; DNS to 10.0.2.3:53
 *                    is answered by the policy-aware proxy (dns_proxy.c);
 *                    TCP and UDP open a flow only when the policy allows
 *                    the destination (else a RST or ICMP unreachable goes
 *                    back, logged); IPv6, fragments and other protocols are
 *                    dropped; allowed frames go through the egress shaper
 *                    to sink.to_slirp
 *   slirp --frame--> ns_from_slirp: flows' last use and close, the gateway's
 *                    port mapped back, the ingress shaper, sink.to_guest
 *
 * The guest addresses the host as 10.0.2.2: a destination 10.0.2.2:P is
 * decided as the host's 127.0.0.1:P (libslirp connects there), except
 * 10.0.2.2:NS_GATEWAY_PORT, which goes to the LLM gateway whatever the
 * policy. Denied traffic never reaches libslirp, so no host socket is made
 * for it. Single-threaded: one ns belongs to one loop.
 */
#ifndef NETSTACK_NS_H
#define NETSTACK_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flows.h"
#include "frame.h"
#include "netstack/policy.h"
#include "shaper.h"

#define NS_NET 0x0a000200u   /* 10.0.2.0/24, host order */
#define NS_HOST 0x0a000202u  /* 10.0.2.2: the host as the guest sees it */
#define NS_DNS 0x0a000203u   /* 10.0.2.3: the DNS proxy */
#define NS_GUEST 0x0a00020fu /* 10.0.2.15: the guest (DHCP's first lease too) */
#define NS_GATEWAY_PORT 4000 /* 10.0.2.2:4000 is the LLM gateway */
#define NS_GATEWAY_MAX_FLOWS 64
#define NS_DNS_PENDING 64
#define NS_RESOLVED_MAX 1024
#define NS_DENY_LOG_MAX 1000 /* deny lines logged; past it they are only counted */
#define NS_LOG_MAX 2000      /* log lines per box in all; past it only counted */
#define NS_DNS_QPS 100       /* queries forwarded upstream per second, sustained */
#define NS_DNS_BURST 200     /* and at once */

typedef struct ns_sink {
  void (*to_slirp)(void *user, const uint8_t *frame, size_t len);
  void (*to_guest)(void *user, const uint8_t *frame, size_t len);
  void *user;
} ns_sink;

typedef struct ns_counters {
  uint64_t frames_in, frames_out; /* from / to the guest */
  uint64_t bytes_out, bytes_in;   /* IP bytes of allowed flows, guest->host / host->guest */
  uint64_t tcp_flows, udp_flows;  /* flows opened */
  uint64_t gateway_flows;
  uint64_t denied;     /* connections or datagrams refused */
  uint64_t denied_cap; /* of them by the connection cap */
  uint64_t dns_queries, dns_refused, dns_failed;
  uint64_t dns_rate_limited; /* answered REFUSED: over NS_DNS_QPS */
  uint64_t dropped;          /* malformed, IPv6, fragments, other protocols */
  uint64_t shaped_drops;     /* frames dropped by a full shaper queue */
  uint64_t deny_log_suppressed;
  uint64_t log_suppressed; /* any line past NS_LOG_MAX */
} ns_counters;

typedef struct ns_resolved {
  uint8_t addr[16];
  char name[VBX_NP_HOST_MAX + 1];
  bool trusted;
} ns_resolved;

typedef struct ns_dns_pending {
  bool used;
  uint16_t up_id, guest_id;
  unsigned server; /* index of the upstream asked last */
  uint64_t sent_ns;
  uint8_t frame[1514]; /* the guest's query frame: the reply's addresses, the retry */
  size_t frame_len;
  char name[256];
} ns_dns_pending;

typedef struct ns_config {
  const vbx_netpolicy *policy;    /* borrowed for the ns's life */
  const vbx_np_host_addrs *host;  /* may be NULL */
  uint16_t gateway_port;          /* host 127.0.0.1 port of the gateway; 0: none */
  vbx_np_dns dns[VBX_NP_MAX_DNS]; /* upstream resolvers */
  size_t n_dns;
  bool dns_trusted; /* they came from the policy's dns: list */
  int log_fd;       /* deny and summary lines; -1: none */
} ns_config;

typedef struct ns {
  ns_config cfg;
  ns_sink sink;
  ns_flows flows;
  ns_shaper egress, ingress;
  ns_counters c;
  ns_resolved resolved[NS_RESOLVED_MAX];
  size_t n_resolved, resolved_next;
  ns_dns_pending pending[NS_DNS_PENDING];
  int dns_fd[VBX_NP_MAX_DNS]; /* connected UDP sockets to the upstreams, -1 unused */
  uint64_t next_expire_ns;
  uint64_t deny_logged;
  uint64_t log_lines;
  double dns_tokens;             /* forwarding budget (NS_DNS_QPS, NS_DNS_BURST) */
  uint8_t rewrite[NS_FRAME_MAX]; /* a gateway frame with its port mapped back */
  uint64_t dns_last_ns;
} ns;

/* Set up n (caller-allocated; large: heap it) for cfg and sink (the
 * upstream DNS sockets open at the first forwarded query). 0, or -1 with
 * err. */
int ns_init(ns *n, const ns_config *cfg, const ns_sink *sink, uint64_t now_ns, char *err,
            size_t errcap);
/* Close sockets, free queues. */
void ns_fini(ns *n);

/* A frame from the guest. frame may be modified in place. */
void ns_from_guest(ns *n, uint8_t *frame, size_t len, uint64_t now_ns);
/* A frame from libslirp to the guest (len <= NS_FRAME_MAX; not modified). */
void ns_from_slirp(ns *n, const uint8_t *frame, size_t len, uint64_t now_ns);

/* Timers: release shaped frames, retry or fail DNS queries, expire flows.
 * Returns the ms until it wants to run again (at most 1000). */
int ns_tick(ns *n, uint64_t now_ns);

/* The upstream DNS sockets to poll for input (fds[i] < 0: unused);
 * ns_dns_readable when one is readable. */
void ns_dns_readable(ns *n, unsigned server, uint64_t now_ns);

/* The decision for a destination as the host sees it (addr in the 16-byte
 * form), with what DNS told this box. */
vbx_np_decision ns_decide(const ns *n, const uint8_t addr[16], uint16_t port);

/* Count a denial; true when its line may still be logged (the first
 * NS_DENY_LOG_MAX per box), false once they are only counted. */
bool ns_deny_counted(ns *n);

/* Write a line to the log (printf-like): at most NS_LOG_MAX lines per
 * box, then only counted, so a guest cannot flood the host's log. */
void ns_log(ns *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The summary line of the counters (on exit). */
void ns_log_counters(ns *n);

/* dns_proxy.c: handle the guest's DNS datagram p of frame. */
struct ns_pkt;
void ns_dns_handle(ns *n, const uint8_t *frame, const struct ns_pkt *p, uint64_t now_ns);
/* dns_proxy.c: retry or fail queries waiting past their time. */
void ns_dns_tick(ns *n, uint64_t now_ns);
/* dns_proxy.c: record that an allowed name resolved to addr. */
void ns_resolved_add(ns *n, const uint8_t addr[16], const char *name, bool trusted);

#endif
