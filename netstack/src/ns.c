/*
 * netstack/ns.c - the per-frame policy between the guest and libslirp
 * (ns.h).
 */
#include "ns.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"

#define NS_SEC 1000000000ull

static void vlog(ns *n, const char *fmt, va_list ap) {
  if (n->cfg.log_fd < 0) return;
  char line[512];
  int len = vsnprintf(line, sizeof line - 1, fmt, ap);
  if (len < 0) return;
  if ((size_t)len > sizeof line - 2) len = (int)sizeof line - 2;
  line[len++] = '\n';
  ssize_t w = write(n->cfg.log_fd, line, (size_t)len);
  (void)w;
}

static void log_always(ns *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_always(ns *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(n, fmt, ap);
  va_end(ap);
}

void ns_log(ns *n, const char *fmt, ...) {
  if (n->log_lines >= NS_LOG_MAX) {
    n->c.log_suppressed++;
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vlog(n, fmt, ap);
  va_end(ap);
  if (++n->log_lines == NS_LOG_MAX)
    log_always(n, "log: %d lines written; further lines are only counted", NS_LOG_MAX);
}

void ns_log_counters(ns *n) {
  const ns_counters *c = &n->c;
  log_always(n,
             "counters: tcp_flows=%llu udp_flows=%llu gateway_flows=%llu denied=%llu "
             "denied_by_cap=%llu dns_queries=%llu dns_refused=%llu dns_failed=%llu "
             "dns_rate_limited=%llu log_suppressed=%llu bytes_out=%llu "
             "bytes_in=%llu dropped=%llu rate_drops=%llu deny_lines_suppressed=%llu",
             (unsigned long long)c->tcp_flows, (unsigned long long)c->udp_flows,
             (unsigned long long)c->gateway_flows, (unsigned long long)c->denied,
             (unsigned long long)c->denied_cap, (unsigned long long)c->dns_queries,
             (unsigned long long)c->dns_refused, (unsigned long long)c->dns_failed,
             (unsigned long long)c->dns_rate_limited, (unsigned long long)c->log_suppressed,
             (unsigned long long)c->bytes_out, (unsigned long long)c->bytes_in,
             (unsigned long long)c->dropped,
             (unsigned long long)(n->egress.dropped + n->ingress.dropped),
             (unsigned long long)c->deny_log_suppressed);
}

static void emit_slirp(void *user, const uint8_t *f, size_t len) {
  ns *n = user;
  n->sink.to_slirp(n->sink.user, f, len);
}

static void emit_guest(void *user, const uint8_t *f, size_t len) {
  ns *n = user;
  n->c.frames_out++;
  n->sink.to_guest(n->sink.user, f, len);
}

int ns_init(ns *n, const ns_config *cfg, const ns_sink *sink, uint64_t now_ns, char *err,
            size_t errcap) {
  memset(n, 0, sizeof *n);
  n->cfg = *cfg;
  n->sink = *sink;
  ns_flows_init(&n->flows);
  ns_shaper_init(&n->egress, cfg->policy->rate_limit_kbps, now_ns);
  ns_shaper_init(&n->ingress, cfg->policy->rate_limit_kbps, now_ns);
  for (size_t i = 0; i < VBX_NP_MAX_DNS; i++)
    n->dns_fd[i] = -1;
  n->next_expire_ns = now_ns + NS_SEC;
  n->dns_tokens = NS_DNS_BURST;
  n->dns_last_ns = now_ns;
  (void)err, (void)errcap;
  return 0;
}

void ns_fini(ns *n) {
  for (size_t i = 0; i < VBX_NP_MAX_DNS; i++)
    if (n->dns_fd[i] >= 0) close(n->dns_fd[i]), n->dns_fd[i] = -1;
  ns_shaper_clear(&n->egress);
  ns_shaper_clear(&n->ingress);
}

vbx_np_decision ns_decide(const ns *n, const uint8_t addr[16], uint16_t port) {
  const vbx_netpolicy *p = n->cfg.policy;
  vbx_np_decision d = vbx_netpolicy_decide(p, n->cfg.host, addr, port, NULL);
  if (d.verdict == VBX_NP_ALLOW || d.reason == VBX_NP_R_DENY_ENTRY) return d;
  vbx_np_decision named = d;
  bool any = false;
  for (size_t i = 0; i < n->n_resolved; i++) {
    const ns_resolved *r = &n->resolved[i];
    if (memcmp(r->addr, addr, 16) != 0) continue;
    vbx_np_by_name by = {r->name, r->trusted};
    vbx_np_decision e = vbx_netpolicy_decide(p, n->cfg.host, addr, port, &by);
    if (e.verdict == VBX_NP_ALLOW) return e;
    if (!any && e.reason == VBX_NP_R_NAME_PROTECTED) named = e, any = true;
  }
  return named;
}

/* The destination as the host sees it: 10.0.2.2 is the host's loopback. */
static void host_view(uint32_t daddr_be, uint8_t out[16]) {
  if (ntohl(daddr_be) == NS_HOST) daddr_be = htonl(0x7f000001u);
  vbx_np_from_v4(daddr_be, out);
}

static const char *proto_name(uint8_t proto) {
  return proto == NS_IPPROTO_TCP ? "tcp" : proto == NS_IPPROTO_UDP ? "udp" : "icmp";
}

bool ns_deny_counted(ns *n) {
  n->c.denied++;
  if (n->deny_logged >= NS_DENY_LOG_MAX) {
    n->c.deny_log_suppressed++;
    return false;
  }
  if (++n->deny_logged == NS_DENY_LOG_MAX)
    ns_log(n, "deny: %d lines logged; further denies are only counted", NS_DENY_LOG_MAX);
  return true;
}

static void log_deny(ns *n, const ns_pkt *p, const char *why) {
  if (!ns_deny_counted(n)) return;
  char a[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &p->dst, a, sizeof a);
  if (p->l4_ok)
    ns_log(n, "deny %s %s:%u: %s", proto_name(p->proto), a, p->dport, why);
  else
    ns_log(n, "deny %s %s: %s", proto_name(p->proto), a, why);
}

/* Refuse the guest's packet p fast: RST for TCP, ICMP for the rest. */
static void refuse(ns *n, const uint8_t *f, const ns_pkt *p) {
  uint8_t out[NS_ETH_HLEN + 20 + 8 + 60 + 8];
  size_t len = p->proto == NS_IPPROTO_TCP ? ns_build_tcp_rst(f, p, out, sizeof out)
                                          : ns_build_icmp_unreach(f, p, 13, out, sizeof out);
  if (len > 0) emit_guest(n, out, len);
}

static const char *decision_text(const ns *n, vbx_np_decision d, char *buf, size_t cap) {
  const vbx_netpolicy *p = n->cfg.policy;
  const char *what = vbx_np_reason_text(d.reason);
  if (d.reason == VBX_NP_R_DENY_ENTRY && d.entry >= 0 && (size_t)d.entry < p->n_deny)
    snprintf(buf, cap, "%s (deny[%d])", what, d.entry);
  else if (d.reason == VBX_NP_R_NAME_PROTECTED && d.entry >= 0)
    snprintf(buf, cap, "%s (allow[%d] %s%.253s)", what, d.entry,
             p->allow[d.entry].wildcard ? "*." : "", p->allow[d.entry].host);
  else
    snprintf(buf, cap, "%s", what);
  return buf;
}

/* A new flow for the guest's packet, or NULL (refused and logged). */
static ns_flow *open_flow(ns *n, const ns_pkt *p, uint64_t now_ns) {
  bool gw = ntohl(p->dst) == NS_HOST && p->dport == NS_GATEWAY_PORT && n->cfg.gateway_port != 0 &&
            p->proto == NS_IPPROTO_TCP;
  char why[512];
  if (gw) {
    if (n->flows.n_gateway >= NS_GATEWAY_MAX_FLOWS) {
      snprintf(why, sizeof why, "LLM gateway connection cap (%d) reached", NS_GATEWAY_MAX_FLOWS);
      log_deny(n, p, why);
      n->c.denied_cap++;
      return NULL;
    }
  } else {
    uint8_t a[16];
    host_view(p->dst, a);
    uint32_t host = ntohl(p->dst);
    vbx_np_decision d;
    if ((host & 0xffffff00u) == NS_NET && host != NS_HOST) {
      log_deny(n, p, "an address of the virtual network with no service");
      return NULL;
    }
    d = ns_decide(n, a, p->dport);
    if (d.verdict != VBX_NP_ALLOW) {
      log_deny(n, p, decision_text(n, d, why, sizeof why));
      return NULL;
    }
    if (n->flows.n_open - n->flows.n_gateway >= n->cfg.policy->max_connections) {
      snprintf(why, sizeof why, "connection cap (max_connections %u) reached",
               n->cfg.policy->max_connections);
      log_deny(n, p, why);
      n->c.denied_cap++;
      return NULL;
    }
  }
  ns_flow *fl = ns_flows_add(&n->flows, p->proto, p->sport, p->dst, p->dport, gw, now_ns);
  if (fl == NULL) {
    log_deny(n, p, "the flow table is full");
    n->c.denied_cap++;
    return NULL;
  }
  if (p->proto == NS_IPPROTO_TCP)
    n->c.tcp_flows++;
  else
    n->c.udp_flows++;
  if (gw) n->c.gateway_flows++;
  return fl;
}

static bool is_dhcp(const ns_pkt *p) {
  return p->proto == NS_IPPROTO_UDP && p->sport == 68 && p->dport == 67;
}

void ns_from_guest(ns *n, uint8_t *f, size_t len, uint64_t now_ns) {
  ns_pkt p;
  n->c.frames_in++;
  if (ns_pkt_parse(f, len, &p) != 0) {
    n->c.dropped++;
    return;
  }
  if (p.ethertype == NS_ETH_P_ARP) {
    n->sink.to_slirp(n->sink.user, f, len);
    return;
  }
  if (p.ethertype != NS_ETH_P_IP || !p.ip_ok || p.fragment) {
    n->c.dropped++; /* IPv6 (off), malformed IPv4, fragments (ports unknown) */
    return;
  }
  if (p.proto == NS_IPPROTO_ICMP) {
    uint8_t a[16];
    host_view(p.dst, a);
    uint32_t host = ntohl(p.dst);
    bool local = host == NS_HOST || host == NS_DNS;
    if (local || ns_decide(n, a, 0).verdict == VBX_NP_ALLOW) {
      ns_shaper_push(&n->egress, f, len, now_ns, emit_slirp, n);
    } else {
      log_deny(n, &p, "ICMP to a destination the policy does not allow");
    }
    return;
  }
  if (!p.l4_ok) {
    n->c.dropped++;
    return;
  }
  if (is_dhcp(&p)) {
    n->sink.to_slirp(n->sink.user, f, len);
    return;
  }
  if (ntohl(p.dst) == NS_DNS) {
    if (p.proto == NS_IPPROTO_UDP && p.dport == 53) {
      ns_dns_handle(n, f, &p, now_ns);
    } else {
      log_deny(n, &p, "the DNS proxy answers UDP port 53 only");
      refuse(n, f, &p);
    }
    return;
  }
  ns_flow *fl = ns_flows_find(&n->flows, p.proto, p.sport, p.dst, p.dport);
  if (fl != NULL && fl->closing && p.proto == NS_IPPROTO_TCP && (p.tcp_flags & NS_TCP_SYN) &&
      !(p.tcp_flags & NS_TCP_ACK)) {
    /* A new connection reusing a closed one's ports: decide again. */
    ns_flows_remove(&n->flows, fl);
    fl = NULL;
  }
  if (fl == NULL) {
    if (p.proto == NS_IPPROTO_TCP && (p.tcp_flags & NS_TCP_RST)) return; /* nothing to reset */
    fl = open_flow(n, &p, now_ns);
    if (fl == NULL) {
      refuse(n, f, &p);
      return;
    }
  }
  fl->last_ns = now_ns;
  fl->bytes_out += p.ip_len;
  n->c.bytes_out += p.ip_len;
  if (p.proto == NS_IPPROTO_TCP) {
    if (p.tcp_flags & NS_TCP_RST) ns_flows_close(&n->flows, fl);
    if (p.tcp_flags & NS_TCP_FIN) fl->fins |= 1;
    if (fl->fins == 3) ns_flows_close(&n->flows, fl);
  }
  if (fl->gateway) ns_pkt_set_port(f, &p, p.l4_off + 2, n->cfg.gateway_port);
  ns_shaper_push(&n->egress, f, len, now_ns, emit_slirp, n);
}

void ns_from_slirp(ns *n, const uint8_t *f, size_t len, uint64_t now_ns) {
  ns_pkt p;
  if (ns_pkt_parse(f, len, &p) == 0 && p.l4_ok) {
    ns_flow *fl = ns_flows_find(&n->flows, p.proto, p.dport, p.src, p.sport);
    if (fl == NULL && ntohl(p.src) == NS_HOST && p.sport == n->cfg.gateway_port &&
        n->cfg.gateway_port != 0) {
      fl = ns_flows_find(&n->flows, p.proto, p.dport, p.src, NS_GATEWAY_PORT);
      if (fl != NULL && fl->gateway) {
        /* the gateway's port back to 4000, in a copy (slirp's frame is its own) */
        memcpy(n->rewrite, f, len);
        ns_pkt_set_port(n->rewrite, &p, p.l4_off, NS_GATEWAY_PORT);
        f = n->rewrite;
      } else {
        fl = NULL;
      }
    }
    if (fl != NULL) {
      fl->last_ns = now_ns;
      fl->bytes_in += p.ip_len;
      n->c.bytes_in += p.ip_len;
      if (p.proto == NS_IPPROTO_TCP) {
        if (p.tcp_flags & NS_TCP_RST) ns_flows_close(&n->flows, fl);
        if (p.tcp_flags & NS_TCP_FIN) fl->fins |= 2;
        if (fl->fins == 3) ns_flows_close(&n->flows, fl);
      }
      ns_shaper_push(&n->ingress, f, len, now_ns, emit_guest, n);
      return;
    }
  }
  emit_guest(n, f, len); /* ARP, DHCP, ICMP: not shaped */
}

int ns_tick(ns *n, uint64_t now_ns) {
  uint64_t a = ns_shaper_run(&n->egress, now_ns, emit_slirp, n);
  uint64_t b = ns_shaper_run(&n->ingress, now_ns, emit_guest, n);
  ns_dns_tick(n, now_ns);
  if (now_ns >= n->next_expire_ns) {
    ns_flows_expire(&n->flows, now_ns);
    n->next_expire_ns = now_ns + NS_SEC;
  }
  uint64_t wait = 1000 * 1000000ull;
  if (a != 0 && a < wait) wait = a;
  if (b != 0 && b < wait) wait = b;
  for (size_t i = 0; i < NS_DNS_PENDING; i++)
    if (n->pending[i].used && wait > 100 * 1000000ull) wait = 100 * 1000000ull;
  return (int)((wait + 999999) / 1000000);
}
