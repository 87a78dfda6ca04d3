/*
 * netstack/dns_proxy.c - policy-aware DNS at 10.0.2.3:53 (ns.h): a name
 * the policy does not allow gets NXDOMAIN without leaving the process; an
 * allowed one is forwarded to an upstream resolver, and the addresses of
 * its answer are recorded as resolved for this box (what ns_decide lets a
 * hostname entry reach). AAAA queries get an empty answer while the data
 * path is IPv4-only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "be.h"
#include "dns_msg.h"
#include "frame.h"
#include "ns.h"

#define NS_MS 1000000ull
#define DNS_TRY_NS (1500 * NS_MS) /* per upstream, before the next is asked */

void ns_resolved_add(ns *n, const uint8_t addr[16], const char *name, bool trusted) {
  for (size_t i = 0; i < n->n_resolved; i++) {
    ns_resolved *r = &n->resolved[i];
    if (memcmp(r->addr, addr, 16) == 0 && strcmp(r->name, name) == 0) {
      r->trusted = r->trusted || trusted;
      return;
    }
  }
  /* A ring once full: the oldest record makes room. */
  ns_resolved *r = &n->resolved[n->resolved_next];
  n->resolved_next = (n->resolved_next + 1) % NS_RESOLVED_MAX;
  if (n->n_resolved < NS_RESOLVED_MAX) n->n_resolved++;
  memcpy(r->addr, addr, 16);
  snprintf(r->name, sizeof r->name, "%s", name);
  r->trusted = trusted;
}

/* Send a locally made answer for the query frame f (parsed p, q). */
static void answer_local(ns *n, const uint8_t *f, const ns_pkt *p, const ns_dns_query *q,
                         unsigned rcode) {
  uint8_t msg[NS_DNS_MAX], out[NS_ETH_HLEN + 28 + NS_DNS_MAX];
  size_t mlen = ns_dns_answer_empty(f + p->payload_off, q, rcode, msg, sizeof msg);
  if (mlen == 0) return;
  size_t len = ns_build_udp_reply(f, p, msg, mlen, out, sizeof out);
  if (len > 0) {
    n->c.frames_out++;
    n->sink.to_guest(n->sink.user, out, len);
  }
}

static int open_upstream(ns *n, unsigned i) {
  if (n->dns_fd[i] >= 0) return n->dns_fd[i];
  const vbx_np_dns *d = &n->cfg.dns[i];
  struct sockaddr_storage ss = {0};
  socklen_t sl;
  int fam;
  if (vbx_np_is_v4(d->addr)) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(d->port);
    memcpy(&s4->sin_addr, d->addr + 12, 4);
    sl = sizeof *s4, fam = AF_INET;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(d->port);
    memcpy(&s6->sin6_addr, d->addr, 16);
    sl = sizeof *s6, fam = AF_INET6;
  }
  int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
    close(fd);
    return -1;
  }
  n->dns_fd[i] = fd;
  return fd;
}

/* Send pending query q to upstream q->server with its upstream id. */
static int send_upstream(ns *n, ns_dns_pending *q, uint64_t now_ns) {
  ns_pkt p;
  if (ns_pkt_parse(q->frame, q->frame_len, &p) != 0 || !p.l4_ok) return -1;
  int fd = open_upstream(n, q->server);
  if (fd < 0) return -1;
  uint8_t msg[NS_DNS_MAX];
  memcpy(msg, q->frame + p.payload_off, p.payload_len);
  ns_wr16(msg, q->up_id);
  q->sent_ns = now_ns;
  return send(fd, msg, p.payload_len, 0) == (ssize_t)p.payload_len ? 0 : -1;
}

static void fail_pending(ns *n, ns_dns_pending *q) {
  ns_pkt p;
  ns_dns_query dq;
  n->c.dns_failed++;
  if (ns_pkt_parse(q->frame, q->frame_len, &p) == 0 && p.l4_ok &&
      ns_dns_parse_query(q->frame + p.payload_off, p.payload_len, &dq) == 0)
    answer_local(n, q->frame, &p, &dq, NS_DNS_RCODE_SERVFAIL);
  ns_log(n, "dns %s: no upstream resolver answered (SERVFAIL)", q->name);
  q->used = false;
}

void ns_dns_handle(ns *n, const uint8_t *f, const ns_pkt *p, uint64_t now_ns) {
  ns_dns_query q;
  n->c.dns_queries++;
  if (ns_dns_parse_query(f + p->payload_off, p->payload_len, &q) != 0) {
    n->c.dropped++;
    return;
  }
  int deny_entry;
  int allowed = vbx_netpolicy_name(n->cfg.policy, q.name, &deny_entry);
  if (allowed == -1) {
    n->c.dns_refused++;
    if (ns_deny_counted(n)) {
      if (deny_entry >= 0)
        ns_log(n, "deny dns %s: %s (deny[%d])", q.name, vbx_np_reason_text(VBX_NP_R_DENY_ENTRY),
               deny_entry);
      else
        ns_log(n, "deny dns %s: %s", q.name, vbx_np_reason_text(VBX_NP_R_NOT_ALLOWED));
    }
    answer_local(n, f, p, &q, NS_DNS_RCODE_NXDOMAIN);
    return;
  }
  if (q.qtype == NS_DNS_TYPE_AAAA) { /* IPv4 only: no data, so clients use A at once */
    answer_local(n, f, p, &q, 0);
    return;
  }
  /* Forwarding budget: a guest cannot flood the upstream resolvers. */
  if (now_ns > n->dns_last_ns) {
    n->dns_tokens += (double)(now_ns - n->dns_last_ns) * NS_DNS_QPS / 1e9;
    if (n->dns_tokens > NS_DNS_BURST) n->dns_tokens = NS_DNS_BURST;
  }
  n->dns_last_ns = now_ns;
  if (n->dns_tokens < 1.0) {
    if (n->c.dns_rate_limited++ == 0)
      ns_log(n, "dns: over %d queries a second; refusing the excess (counted)", NS_DNS_QPS);
    answer_local(n, f, p, &q, NS_DNS_RCODE_REFUSED);
    return;
  }
  n->dns_tokens -= 1.0;
  if (n->cfg.n_dns == 0) {
    n->c.dns_failed++;
    ns_log(n, "dns %s: no upstream resolver is configured (SERVFAIL)", q.name);
    answer_local(n, f, p, &q, NS_DNS_RCODE_SERVFAIL);
    return;
  }
  ns_dns_pending *slot = NULL;
  for (size_t i = 0; i < NS_DNS_PENDING && slot == NULL; i++)
    if (!n->pending[i].used) slot = &n->pending[i];
  size_t flen = p->payload_off + p->payload_len;
  if (slot == NULL || flen > sizeof slot->frame) {
    n->c.dns_failed++;
    answer_local(n, f, p, &q, NS_DNS_RCODE_SERVFAIL);
    return;
  }
  memset(slot, 0, sizeof *slot);
  slot->used = true;
  slot->guest_id = q.id;
  if (getrandom(&slot->up_id, sizeof slot->up_id, 0) != sizeof slot->up_id)
    slot->up_id = (uint16_t)(now_ns ^ (now_ns >> 17));
  memcpy(slot->frame, f, flen);
  slot->frame_len = flen;
  snprintf(slot->name, sizeof slot->name, "%s", q.name);
  for (slot->server = 0; slot->server < n->cfg.n_dns; slot->server++)
    if (send_upstream(n, slot, now_ns) == 0) return;
  fail_pending(n, slot);
}

typedef struct record_ctx {
  ns *n;
  const char *name;
} record_ctx;

static void record(void *user, const uint8_t addr[16]) {
  record_ctx *r = user;
  ns_resolved_add(r->n, addr, r->name, r->n->cfg.dns_trusted);
}

void ns_dns_readable(ns *n, unsigned server, uint64_t now_ns) {
  uint8_t msg[NS_DNS_MAX];
  (void)now_ns;
  for (int burst = 0; burst < 64; burst++) {
    ssize_t r = recv(n->dns_fd[server], msg, sizeof msg, MSG_TRUNC);
    if (r < 0) return;
    if (r < 12 || (size_t)r > sizeof msg) continue; /* truncated past our bound: dropped */
    uint16_t id = ns_rd16(msg);
    ns_dns_pending *q = NULL;
    for (size_t i = 0; i < NS_DNS_PENDING && q == NULL; i++)
      if (n->pending[i].used && n->pending[i].up_id == id && n->pending[i].server == server)
        q = &n->pending[i];
    if (q == NULL) continue;
    record_ctx rc = {n, q->name};
    uint32_t alias = htonl(NS_HOST);
    if (ns_dns_scan_answer(msg, (size_t)r, id, alias, record, &rc) != 0) continue;
    ns_pkt p;
    if (ns_pkt_parse(q->frame, q->frame_len, &p) == 0 && p.l4_ok) {
      ns_wr16(msg, q->guest_id);
      uint8_t out[NS_ETH_HLEN + 28 + NS_DNS_MAX];
      size_t len = ns_build_udp_reply(q->frame, &p, msg, (size_t)r, out, sizeof out);
      if (len > 0) {
        n->c.frames_out++;
        n->sink.to_guest(n->sink.user, out, len);
      }
    }
    q->used = false;
  }
}

void ns_dns_tick(ns *n, uint64_t now_ns) {
  for (size_t i = 0; i < NS_DNS_PENDING; i++) {
    ns_dns_pending *q = &n->pending[i];
    if (!q->used || now_ns - q->sent_ns < DNS_TRY_NS) continue;
    bool sent = false;
    while (!sent && ++q->server < n->cfg.n_dns)
      sent = send_upstream(n, q, now_ns) == 0;
    if (!sent) fail_pending(n, q);
  }
}
