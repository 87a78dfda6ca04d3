/*
 * netstack/policy.c - the egress decision for one destination and the
 * name check behind policy-aware DNS (policy.h, docs/network.md).
 */
#include <string.h>
#include <strings.h>

#include "netstack/policy.h"

/* A built-in protected range, in the 16-byte form. */
typedef struct range {
  uint8_t addr[16];
  unsigned prefix;
  vbx_np_reason reason;
} range;

#define V4(a, b, c, d) \
  { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d }

/* Most specific first: the first match names the reason. */
static const range k_protected[] = {
    {V4(169, 254, 169, 254), 128, VBX_NP_R_METADATA},
    {{0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}, 128, VBX_NP_R_METADATA},
    {V4(127, 0, 0, 0), 104, VBX_NP_R_LOOPBACK},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, VBX_NP_R_LOOPBACK},
    {V4(10, 0, 0, 0), 104, VBX_NP_R_PRIVATE},
    {V4(172, 16, 0, 0), 108, VBX_NP_R_PRIVATE},
    {V4(192, 168, 0, 0), 112, VBX_NP_R_PRIVATE},
    {{0xfc, 0}, 7, VBX_NP_R_PRIVATE},
    {V4(100, 64, 0, 0), 106, VBX_NP_R_CGNAT},
    {V4(169, 254, 0, 0), 112, VBX_NP_R_LINK_LOCAL},
    {{0xfe, 0x80}, 10, VBX_NP_R_LINK_LOCAL},
    {V4(0, 0, 0, 0), 104, VBX_NP_R_RESERVED},    /* "this network" */
    {V4(192, 0, 0, 0), 120, VBX_NP_R_RESERVED},  /* IETF protocol assignments */
    {V4(198, 18, 0, 0), 111, VBX_NP_R_RESERVED}, /* benchmarking */
    {V4(224, 0, 0, 0), 100, VBX_NP_R_RESERVED},  /* multicast */
    {V4(240, 0, 0, 0), 100, VBX_NP_R_RESERVED},  /* reserved, broadcast */
    {{0xff, 0}, 8, VBX_NP_R_RESERVED},           /* IPv6 multicast */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 96, VBX_NP_R_RESERVED}, /* ::/96 */
    {{0, 0x64, 0xff, 0x9b}, 96, VBX_NP_R_RESERVED}, /* NAT64: could reach anything */
    {{0x20, 0x02}, 16, VBX_NP_R_RESERVED},          /* 6to4 */
};

static bool in_prefix(const uint8_t a[16], const uint8_t net[16], unsigned prefix) {
  unsigned full = prefix / 8, rest = prefix % 8;
  if (memcmp(a, net, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = (uint8_t)(0xff00u >> rest);
  return (a[full] & mask) == (net[full] & mask);
}

static bool port_match(const vbx_np_entry *e, uint16_t port) {
  if (e->port_lo == 0) return true;
  return port >= e->port_lo && port <= e->port_hi;
}

/* Does name (lowercase, no trailing dot) match a host entry? */
static bool name_match(const vbx_np_entry *e, const char *name) {
  if (!e->is_host) return false;
  if (!e->wildcard) return strcmp(name, e->host) == 0;
  size_t n = strlen(name), h = strlen(e->host);
  return n > h + 1 && name[n - h - 1] == '.' && strcmp(name + n - h, e->host) == 0;
}

static int cidr_match(const vbx_np_entry *list, size_t n, const uint8_t a[16], uint16_t port) {
  for (size_t i = 0; i < n; i++)
    if (!list[i].is_host && in_prefix(a, list[i].addr, list[i].prefix) &&
        port_match(&list[i], port))
      return (int)i;
  return -1;
}

/* The protected range a is in, into *out (a host address is a range of
 * one); false when a is in none. */
static bool protected_range(const vbx_np_host_addrs *host, const uint8_t a[16], range *out) {
  for (size_t i = 0; i < sizeof k_protected / sizeof k_protected[0]; i++)
    if (in_prefix(a, k_protected[i].addr, k_protected[i].prefix)) {
      *out = k_protected[i];
      return true;
    }
  for (size_t i = 0; host != NULL && i < host->n && i < VBX_NP_MAX_HOST_ADDRS; i++)
    if (memcmp(a, host->addr[i], 16) == 0) {
      memcpy(out->addr, a, 16);
      out->prefix = 128;
      out->reason = VBX_NP_R_HOST_ADDRESS;
      return true;
    }
  return false;
}

/* The first allow CIDR entry for (a, port) that may open it: one inside the
 * protected range a is in, when it is in one (so "127.0.0.1:8080" or
 * "10.0.0.0/8" open what they name, but "0.0.0.0/0" does not open the
 * metadata service). -1 when none. */
static int allow_cidr(const vbx_netpolicy *p, const uint8_t a[16], uint16_t port,
                      const range *prot) {
  for (size_t i = 0; i < p->n_allow; i++) {
    const vbx_np_entry *e = &p->allow[i];
    if (e->is_host || !in_prefix(a, e->addr, e->prefix) || !port_match(e, port)) continue;
    if (prot == NULL || (e->prefix >= prot->prefix && in_prefix(e->addr, prot->addr, prot->prefix)))
      return (int)i;
  }
  return -1;
}

static vbx_np_decision decision(vbx_np_verdict v, vbx_np_reason r, int entry) {
  return (vbx_np_decision){v, r, entry};
}

vbx_np_decision vbx_netpolicy_decide(const vbx_netpolicy *p, const vbx_np_host_addrs *host,
                                     const uint8_t addr[16], uint16_t port,
                                     const vbx_np_by_name *by_name) {
  int i = cidr_match(p->deny, p->n_deny, addr, port);
  if (i >= 0) return decision(VBX_NP_DENY, VBX_NP_R_DENY_ENTRY, i);
  range prot = {{0}, 0, VBX_NP_R_RESERVED};
  bool is_protected = protected_range(host, addr, &prot);
  i = allow_cidr(p, addr, port, is_protected ? &prot : NULL);
  if (i >= 0) return decision(VBX_NP_ALLOW, VBX_NP_R_ALLOW_ENTRY, i);
  int named_entry = -1;
  for (size_t k = 0; by_name != NULL && by_name->name != NULL && k < p->n_allow; k++)
    if (name_match(&p->allow[k], by_name->name) && port_match(&p->allow[k], port)) {
      named_entry = (int)k;
      break;
    }
  bool named = named_entry >= 0;
  vbx_np_reason why = prot.reason;
  if (is_protected) {
    /* A resolver the policy names may answer with internal addresses; the
     * metadata service, link-local and reserved space never come by name. */
    bool internal = why == VBX_NP_R_PRIVATE || why == VBX_NP_R_LOOPBACK || why == VBX_NP_R_CGNAT ||
                    why == VBX_NP_R_HOST_ADDRESS;
    if (named && by_name->trusted_resolver && internal)
      return decision(VBX_NP_ALLOW, VBX_NP_R_ALLOW_NAME, named_entry);
    if (named) return decision(VBX_NP_DENY, VBX_NP_R_NAME_PROTECTED, named_entry);
    return decision(VBX_NP_DENY, why, -1);
  }
  if (named) return decision(VBX_NP_ALLOW, VBX_NP_R_ALLOW_NAME, named_entry);
  if (p->allow_list) return decision(VBX_NP_DENY, VBX_NP_R_NOT_ALLOWED, -1);
  return decision(VBX_NP_ALLOW, VBX_NP_R_OPEN, -1);
}

int vbx_netpolicy_name(const vbx_netpolicy *p, const char *name, int *deny_entry) {
  char low[VBX_NP_HOST_MAX + 2];
  size_t n = strlen(name);
  *deny_entry = -1;
  if (n > 0 && name[n - 1] == '.') n--;
  if (n == 0 || n > VBX_NP_HOST_MAX) return -1;
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    low[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  low[n] = '\0';
  for (size_t i = 0; i < p->n_deny; i++)
    if (name_match(&p->deny[i], low)) {
      *deny_entry = (int)i;
      return -1;
    }
  for (size_t i = 0; i < p->n_allow; i++)
    if (name_match(&p->allow[i], low)) return (int)i;
  return p->allow_list ? -1 : VBX_NP_NAME_OPEN;
}

const char *vbx_np_reason_text(vbx_np_reason r) {
  switch (r) {
  case VBX_NP_R_DENY_ENTRY: return "a deny entry";
  case VBX_NP_R_ALLOW_ENTRY: return "an allow entry";
  case VBX_NP_R_ALLOW_NAME: return "an allowed name resolved to it";
  case VBX_NP_R_OPEN: return "no allow list";
  case VBX_NP_R_LOOPBACK: return "host loopback (denied by default)";
  case VBX_NP_R_PRIVATE: return "private range (RFC 1918 / ULA, denied by default)";
  case VBX_NP_R_CGNAT: return "shared address space 100.64.0.0/10 (denied by default)";
  case VBX_NP_R_METADATA: return "cloud metadata service (denied by default)";
  case VBX_NP_R_LINK_LOCAL: return "link-local range (denied by default)";
  case VBX_NP_R_HOST_ADDRESS: return "one of the host's own addresses (denied by default)";
  case VBX_NP_R_RESERVED: return "reserved, multicast or broadcast address";
  case VBX_NP_R_NOT_ALLOWED: return "not in the allow list";
  case VBX_NP_R_NAME_PROTECTED:
    return "an allowed name resolved into a protected range through a resolver the policy "
           "does not list";
  }
  return "?";
}
