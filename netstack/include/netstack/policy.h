/*
 * netstack/policy.h - a box's egress policy and the decision it makes for
 * one destination (docs/network.md). Pure functions over plain data: the
 * spec loader validates entries with it, the netstack helper decides with
 * it, and the unit tests drive it by table.
 *
 * Addresses are 16 bytes in IPv6 form; an IPv4 address is stored, and
 * matched, as its IPv4-mapped form ::ffff:a.b.c.d, so "10.0.0.0/8" and
 * "::ffff:10.0.0.0/104" are the same rule and a mapped destination cannot
 * slip past an IPv4 rule.
 */
#ifndef NETSTACK_POLICY_H
#define NETSTACK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VBX_NP_HOST_MAX 253     /* a DNS name's text, without the trailing dot */
#define VBX_NP_MAX_ENTRIES 1024 /* per list */
#define VBX_NP_MAX_DNS 4
#define VBX_NP_MAX_HOST_ADDRS 64
#define VBX_NP_DEFAULT_MAX_CONNECTIONS 256u
#define VBX_NP_MAX_CONNECTIONS_CAP 4096u

/* One allow or deny entry: CIDR[:PORT[-PORT]] or HOST[:PORT[-PORT]]. */
typedef struct vbx_np_entry {
  bool is_host;                   /* a hostname entry (host), else a CIDR (addr/prefix) */
  bool wildcard;                  /* host was "*.SUFFIX": matches names under SUFFIX only */
  char host[VBX_NP_HOST_MAX + 1]; /* lowercase, no trailing dot, without the "*." */
  uint8_t addr[16];               /* network address, host bits cleared */
  unsigned prefix;                /* 0..128 over the 16-byte form */
  uint16_t port_lo, port_hi;      /* 0, 0: every port */
} vbx_np_entry;

/* An upstream DNS server the helper forwards allowed queries to. */
typedef struct vbx_np_dns {
  uint8_t addr[16];
  uint16_t port;
} vbx_np_dns;

typedef struct vbx_netpolicy {
  vbx_np_entry *allow; /* malloc'd */
  size_t n_allow;
  bool allow_list;    /* an `allow:` list was given (even empty): default deny */
  vbx_np_entry *deny; /* malloc'd */
  size_t n_deny;
  vbx_np_dns dns[VBX_NP_MAX_DNS]; /* from `dns:`; none: the host's resolv.conf */
  size_t n_dns;
  uint32_t max_connections; /* concurrent TCP+UDP flows; default 256 */
  uint32_t rate_limit_kbps; /* kilobits per second each way; 0: none */
} vbx_netpolicy;

/* Addresses of the host itself (its interfaces), denied by default. */
typedef struct vbx_np_host_addrs {
  uint8_t addr[VBX_NP_MAX_HOST_ADDRS][16];
  size_t n;
} vbx_np_host_addrs;

typedef enum vbx_np_verdict { VBX_NP_DENY = 0, VBX_NP_ALLOW = 1 } vbx_np_verdict;

/* Why a decision went the way it did (vbx_np_reason_text names each). */
typedef enum vbx_np_reason {
  VBX_NP_R_DENY_ENTRY,     /* an explicit `deny` entry matched */
  VBX_NP_R_ALLOW_ENTRY,    /* an explicit `allow` CIDR entry matched */
  VBX_NP_R_ALLOW_NAME,     /* an allowed name resolved to it for this box */
  VBX_NP_R_OPEN,           /* no allow list and nothing denies it */
  VBX_NP_R_LOOPBACK,       /* 127.0.0.0/8, ::1 */
  VBX_NP_R_PRIVATE,        /* RFC 1918, fc00::/7 */
  VBX_NP_R_CGNAT,          /* 100.64.0.0/10 */
  VBX_NP_R_METADATA,       /* 169.254.169.254, fd00:ec2::254 */
  VBX_NP_R_LINK_LOCAL,     /* 169.254.0.0/16, fe80::/10 */
  VBX_NP_R_HOST_ADDRESS,   /* one of the host's own addresses */
  VBX_NP_R_RESERVED,       /* 0.0.0.0/8, multicast, broadcast, 240/4, ::, etc. */
  VBX_NP_R_NOT_ALLOWED,    /* an allow list exists and nothing in it matched */
  VBX_NP_R_NAME_PROTECTED, /* an allowed name resolved into a protected range through
                               a resolver the policy does not list */
} vbx_np_reason;

typedef struct vbx_np_decision {
  vbx_np_verdict verdict;
  vbx_np_reason reason;
  int entry; /* index in allow or deny of the deciding entry, else -1 */
} vbx_np_decision;

/* What DNS told this box about an address: the name (lowercase, no
 * trailing dot) that resolved to it, and whether the answer came from a
 * resolver the policy lists (trusted to answer with internal addresses,
 * e.g. a company DNS). NULL: no name resolved to it for this box. */
typedef struct vbx_np_by_name {
  const char *name;
  bool trusted_resolver;
} vbx_np_by_name;

/* Parse one entry. Returns 0, or -1 with a one-line reason in err (the
 * caller adds file, line and field). */
int vbx_np_entry_parse(const char *text, vbx_np_entry *out, char *err, size_t errcap);

/* Parse an entry of the `allow` (deny false) or `deny` (deny true) list:
 * vbx_np_entry_parse, and a denied name may not carry a port (a name is
 * denied by not resolving at all). 0 or -1 + err. */
int vbx_np_list_entry_parse(const char *text, bool deny, vbx_np_entry *out, char *err,
                            size_t errcap);

/* Parse one `dns:` server, "IP" or "IP:PORT" ("[V6]:PORT"). 0 or -1 + err. */
int vbx_np_dns_parse(const char *text, vbx_np_dns *out, char *err, size_t errcap);

/* Parse a textual IPv4 or IPv6 address into the 16-byte form. 0 or -1. */
int vbx_np_addr_parse(const char *text, uint8_t out[16]);

/* Format a 16-byte address: dotted IPv4 for mapped ones. buf >= 46. */
const char *vbx_np_addr_format(const uint8_t a[16], char *buf, size_t cap);

/* Build a policy from its JSON form, the normalized object the core passes
 * in vbx_sandbox_config.network_policy:
 *   {"allow":[..],"deny":[..],"dns":[..],"max_connections":N,"rate_limit_kbps":N}
 * (every key optional; "{}" is the default policy). On success *out owns
 * its lists (vbx_netpolicy_free). -1 with err on a bad document. */
int vbx_netpolicy_from_json(const char *json, vbx_netpolicy *out, char *err, size_t errcap);

/* Release what vbx_netpolicy_from_json allocated; safe on a zeroed policy. */
void vbx_netpolicy_free(vbx_netpolicy *p);

/* Decide for destination (addr, port; port 0 for portless protocols).
 * host may be NULL; by_name is NULL unless an allowed name resolved to
 * addr for this box (see vbx_np_by_name). Order: explicit deny entries,
 * explicit allow CIDR entries (one opens a protected range only when it
 * lies inside it), the protected ranges (loopback, private, CGNAT,
 * link-local, metadata, reserved, the host's own addresses), then names
 * and the allow list. Pure; thread-safe. */
vbx_np_decision vbx_netpolicy_decide(const vbx_netpolicy *p, const vbx_np_host_addrs *host,
                                     const uint8_t addr[16], uint16_t port,
                                     const vbx_np_by_name *by_name);

/* May `name` (as the guest asked for it; case-insensitive, trailing dot
 * ignored) be resolved? Returns the index of the allow entry that permits
 * it, VBX_NP_NAME_OPEN when there is no allow list and no deny entry names
 * it, or -1 (refused; *deny_entry is the deny entry's index or -1 when the
 * allow list simply has no match). */
#define VBX_NP_NAME_OPEN (-2)
int vbx_netpolicy_name(const vbx_netpolicy *p, const char *name, int *deny_entry);

/* A short English phrase for a reason ("RFC 1918 private range"). */
const char *vbx_np_reason_text(vbx_np_reason r);

/* True when addr is in the IPv4-mapped form. */
bool vbx_np_is_v4(const uint8_t a[16]);

/* Set out to the IPv4-mapped form of a network-order IPv4 address. */
void vbx_np_from_v4(uint32_t be_addr, uint8_t out[16]);

#endif
