/*
 * netstack/flows.h - the box's TCP and UDP flows as the guest sees them:
 * (protocol, guest port, destination address, destination port). A flow
 * exists once the policy allowed it; its state counts it against the
 * connection cap. Fixed capacity, no allocation after ns_flows_init.
 */
#ifndef NETSTACK_FLOWS_H
#define NETSTACK_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_FLOWS_MAX 4608 /* the largest cap (4096) and closing flows */

typedef struct ns_flow {
  uint8_t proto;
  uint16_t gport; /* the guest's port */
  uint32_t daddr; /* as the guest addressed it, network order */
  uint16_t dport; /* as the guest addressed it */
  bool gateway;   /* the LLM gateway mapping: dport rewritten on the way */
  bool closing;   /* RST seen, or FIN both ways: not counted, expires soon */
  uint8_t fins;   /* 1: from the guest, 2: from the host */
  uint64_t last_ns;
  uint64_t bytes_out, bytes_in;
  int32_t next; /* hash chain / free list, internal */
} ns_flow;

typedef struct ns_flows {
  ns_flow pool[NS_FLOWS_MAX];
  int32_t buckets[1024];
  int32_t free_head;
  size_t n_open, n_gateway; /* counted (not closing) flows, of them gateway ones */
  size_t n_used;
} ns_flows;

/* Empty the table. */
void ns_flows_init(ns_flows *t);
/* The flow of that key, or NULL. */
ns_flow *ns_flows_find(ns_flows *t, uint8_t proto, uint16_t gport, uint32_t daddr, uint16_t dport);
/* A new open flow (the caller checked the cap), or NULL when the table is
 * full even after expiring closing flows. */
ns_flow *ns_flows_add(ns_flows *t, uint8_t proto, uint16_t gport, uint32_t daddr, uint16_t dport,
                      bool gateway, uint64_t now_ns);
/* Remove f from the table now. */
void ns_flows_remove(ns_flows *t, ns_flow *f);
/* Mark f closing (no longer counted). */
void ns_flows_close(ns_flows *t, ns_flow *f);
/* Remove flows idle past their timeout (closing 10 s, UDP 60 s, TCP 2 h).
 * Returns how many went. */
size_t ns_flows_expire(ns_flows *t, uint64_t now_ns);

#endif
