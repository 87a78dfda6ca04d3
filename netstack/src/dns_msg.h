/*
 * netstack/dns_msg.h - the parts of DNS messages (RFC 1035) policy-aware
 * DNS needs: a query's one question, a locally made answer (NXDOMAIN,
 * REFUSED, SERVFAIL, or no data), and the IPv4 and IPv6 addresses of an
 * upstream answer, with host-loopback answers rewritten to the address
 * under which the guest reaches the host. Every offset is bounded by the
 * message's length; compression pointers are followed at most 16 deep and
 * only backwards.
 */
#ifndef NETSTACK_DNS_MSG_H
#define NETSTACK_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_DNS_MAX 1500 /* the largest query or answer netstack handles */
#define NS_DNS_RCODE_SERVFAIL 2
#define NS_DNS_RCODE_NXDOMAIN 3
#define NS_DNS_RCODE_REFUSED 5
#define NS_DNS_TYPE_A 1
#define NS_DNS_TYPE_AAAA 28

typedef struct ns_dns_query {
  uint16_t id;
  uint16_t qtype, qclass;
  char name[256];      /* lowercase, dotted, no trailing dot ("" for the root) */
  size_t question_end; /* offset just past the question */
} ns_dns_query;

/* Parse a query: a standard query (QR 0, opcode 0) with exactly one
 * question and no compression in it. 0 or -1. */
int ns_dns_parse_query(const uint8_t *msg, size_t len, ns_dns_query *q);

/* An answer to q (msg is the query) with rcode and no records, into out.
 * Returns its length or 0 when cap is short. */
size_t ns_dns_answer_empty(const uint8_t *msg, const ns_dns_query *q, unsigned rcode, uint8_t *out,
                           size_t cap);

/* Called for each A/AAAA record of an answer: addr in the 16-byte form. */
typedef void (*ns_dns_addr_fn)(void *user, const uint8_t addr[16]);

/* Walk the answer section of msg (an upstream response to a query with
 * id want_id and one question): call fn for every IN A and IN AAAA record,
 * and rewrite A records in 127.0.0.0/8 to loopback_alias (network order)
 * in place. Returns 0, or -1 when msg is not a well-formed response to
 * that query (then nothing may be passed on). */
int ns_dns_scan_answer(uint8_t *msg, size_t len, uint16_t want_id, uint32_t loopback_alias,
                       ns_dns_addr_fn fn, void *user);

#endif
