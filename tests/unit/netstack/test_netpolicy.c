/*
 * test_netpolicy - the egress policy (netstack/policy.h) by table: the
 * decision (verdict, reason, deciding entry) for rows of policy JSON,
 * destination, port and what DNS told the box; the name check behind
 * policy-aware DNS; the text forms of entries and DNS servers with the
 * exact error messages; the JSON document's keys, bounds and defaults.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netstack/policy.h"

#define ALLOW VBX_NP_ALLOW
#define DENY VBX_NP_DENY

/* One decision row: policy, destination and by-name, and what must come out. */
typedef struct decide_row {
  const char *policy;
  const char *dst;
  uint16_t port;
  const char *name; /* by_name->name, NULL: no by_name */
  bool trusted;
  vbx_np_verdict verdict;
  vbx_np_reason reason;
  int entry;
} decide_row;

#define OPEN "{}"
/* An allow list by address: a CIDR with a port, one with a range, and one
 * opening a single port of the host loopback. */
#define AL "{\"allow\":[\"93.184.216.0/24:443\",\"198.51.100.0/24:8000-8100\",\"127.0.0.1:8080\"]}"
/* Overlapping allow and deny: deny is decided first. */
#define OV "{\"allow\":[\"1.2.3.4\",\"10.1.0.0/16\"],\"deny\":[\"1.2.3.0/24\",\"10.0.0.0/8\"]}"
#define PD "{\"allow\":[\"1.2.3.4\"],\"deny\":[\"1.2.3.4:22\"]}"
/* A wide allow CIDR opens no protected range; one inside a range opens it. */
#define WIDE "{\"allow\":[\"0.0.0.0/0:443\",\"::/0\",\"169.254.0.0/16\",\"10.0.0.0/8\"]}"
#define META "{\"allow\":[\"169.254.169.254:80\"]}"
/* Names. */
#define NM \
  "{\"allow\":[\"api.example.org\",\"*.example.com\",\"svc.test:8080\",\"*.corp.test:443-444\"]}"
#define NMD "{\"allow\":[\"*.example.com\"],\"deny\":[\"93.184.216.34\"]}"

static const decide_row k_decide[] = {
    /* The defaults: protected ranges, each with its reason. */
    {OPEN, "127.0.0.1", 80, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {OPEN, "127.9.9.9", 80, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {OPEN, "::1", 80, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {OPEN, "10.0.0.1", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "10.255.255.255", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "11.0.0.1", 80, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "172.16.0.1", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "172.31.255.254", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "172.32.0.1", 80, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "172.15.255.255", 80, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "192.168.0.1", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "192.168.255.255", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "192.169.0.1", 80, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "100.64.0.1", 80, NULL, false, DENY, VBX_NP_R_CGNAT, -1},
    {OPEN, "100.127.255.255", 80, NULL, false, DENY, VBX_NP_R_CGNAT, -1},
    {OPEN, "100.128.0.1", 80, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "100.63.255.255", 80, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "169.254.1.1", 80, NULL, false, DENY, VBX_NP_R_LINK_LOCAL, -1},
    {OPEN, "169.254.169.254", 80, NULL, false, DENY, VBX_NP_R_METADATA, -1},
    {OPEN, "169.254.169.253", 80, NULL, false, DENY, VBX_NP_R_LINK_LOCAL, -1},
    {OPEN, "fd00:ec2::254", 80, NULL, false, DENY, VBX_NP_R_METADATA, -1},
    {OPEN, "fe80::1", 80, NULL, false, DENY, VBX_NP_R_LINK_LOCAL, -1},
    {OPEN, "febf:ffff::1", 80, NULL, false, DENY, VBX_NP_R_LINK_LOCAL, -1},
    {OPEN, "fc00::1", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "fdff:ffff::1", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "0.0.0.0", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "0.1.2.3", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "224.0.0.251", 5353, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "239.255.255.250", 1900, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "240.0.0.1", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "255.255.255.255", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "ff02::1", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "::", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "64:ff9b::a00:1", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "2002:a00:1::1", 80, NULL, false, DENY, VBX_NP_R_RESERVED, -1},
    {OPEN, "93.184.216.34", 443, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "2606:4700:4700::1111", 443, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "93.184.216.34", 0, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    /* The host's own addresses (host_addrs below). */
    {OPEN, "203.0.113.7", 22, NULL, false, DENY, VBX_NP_R_HOST_ADDRESS, -1},
    {OPEN, "2001:db8::7", 22, NULL, false, DENY, VBX_NP_R_HOST_ADDRESS, -1},
    {OPEN, "203.0.113.8", 22, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    /* IPv4-mapped IPv6 is the IPv4 address. */
    {OPEN, "::ffff:10.1.2.3", 80, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {OPEN, "::ffff:127.0.0.1", 80, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {OPEN, "::ffff:169.254.169.254", 80, NULL, false, DENY, VBX_NP_R_METADATA, -1},
    {"{\"deny\":[\"1.2.3.4\"]}", "::ffff:1.2.3.4", 80, NULL, false, DENY, VBX_NP_R_DENY_ENTRY, 0},
    {"{\"deny\":[\"1.2.3.4\"]}", "1.2.3.4", 80, NULL, false, DENY, VBX_NP_R_DENY_ENTRY, 0},
    {"{\"deny\":[\"1.2.3.4\"]}", "1.2.3.5", 80, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    {"{\"deny\":[\"::ffff:1.2.3.4\"]}", "1.2.3.4", 80, NULL, false, DENY, VBX_NP_R_DENY_ENTRY, 0},
    {"{\"allow\":[\"::ffff:10.0.0.0/104\"]}", "10.9.8.7", 80, NULL, false, ALLOW,
     VBX_NP_R_ALLOW_ENTRY, 0},
    {"{\"allow\":[\"::ffff:10.0.0.0/104\"]}", "11.0.0.1", 80, NULL, false, DENY,
     VBX_NP_R_NOT_ALLOWED, -1},
    /* An IPv4 /0 is ::ffff:0:0/96: all of IPv4 and no IPv6. */
    {"{\"deny\":[\"0.0.0.0/0\"]}", "93.184.216.34", 443, NULL, false, DENY, VBX_NP_R_DENY_ENTRY, 0},
    {"{\"deny\":[\"0.0.0.0/0\"]}", "2606:4700::1", 443, NULL, false, ALLOW, VBX_NP_R_OPEN, -1},
    /* An allow list: default deny, CIDRs with a port and a port range. */
    {"{\"allow\":[]}", "93.184.216.34", 443, NULL, false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {"{\"allow\":[]}", "127.0.0.1", 443, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {AL, "93.184.216.34", 443, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 0},
    {AL, "93.184.216.255", 443, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 0},
    {AL, "93.184.216.34", 80, NULL, false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {AL, "93.184.217.1", 443, NULL, false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {AL, "198.51.100.9", 8000, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 1},
    {AL, "198.51.100.9", 8100, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 1},
    {AL, "198.51.100.9", 7999, NULL, false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {AL, "198.51.100.9", 8101, NULL, false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    /* An explicit allow CIDR opens a protected range, on its port only. */
    {AL, "127.0.0.1", 8080, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 2},
    {AL, "127.0.0.1", 8081, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {AL, "127.0.0.2", 8080, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    /* Overlaps: deny first, whatever the allow list says. */
    {OV, "1.2.3.4", 80, NULL, false, DENY, VBX_NP_R_DENY_ENTRY, 0},
    {OV, "10.1.2.3", 80, NULL, false, DENY, VBX_NP_R_DENY_ENTRY, 1},
    {OV, "1.2.4.1", 80, NULL, false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {PD, "1.2.3.4", 22, NULL, false, DENY, VBX_NP_R_DENY_ENTRY, 0},
    {PD, "1.2.3.4", 80, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 0},
    {WIDE, "93.184.216.34", 443, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 0},
    {WIDE, "169.254.169.254", 443, NULL, false, DENY, VBX_NP_R_METADATA, -1},
    {WIDE, "127.0.0.1", 443, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {WIDE, "::ffff:127.0.0.1", 443, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {WIDE, "192.168.1.1", 443, NULL, false, DENY, VBX_NP_R_PRIVATE, -1},
    {WIDE, "::1", 22, NULL, false, DENY, VBX_NP_R_LOOPBACK, -1},
    {WIDE, "169.254.1.1", 80, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 2},
    {WIDE, "10.9.8.7", 22, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 3},
    {META, "169.254.169.254", 80, NULL, false, ALLOW, VBX_NP_R_ALLOW_ENTRY, 0},
    {META, "169.254.169.254", 443, NULL, false, DENY, VBX_NP_R_METADATA, -1},
    /* Names, through what DNS told the box. */
    {NM, "93.184.216.34", 443, "api.example.org", false, ALLOW, VBX_NP_R_ALLOW_NAME, 0},
    {NM, "93.184.216.34", 443, NULL, false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 443, "other.example.org", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 443, "x.api.example.org", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 443, "a.example.com", false, ALLOW, VBX_NP_R_ALLOW_NAME, 1},
    {NM, "93.184.216.34", 443, "a.b.example.com", false, ALLOW, VBX_NP_R_ALLOW_NAME, 1},
    {NM, "93.184.216.34", 443, "example.com", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 443, "badexample.com", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 443, "a.example.com.evil.net", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 8080, "svc.test", false, ALLOW, VBX_NP_R_ALLOW_NAME, 2},
    {NM, "93.184.216.34", 8081, "svc.test", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 443, "x.corp.test", false, ALLOW, VBX_NP_R_ALLOW_NAME, 3},
    {NM, "93.184.216.34", 444, "x.corp.test", false, ALLOW, VBX_NP_R_ALLOW_NAME, 3},
    {NM, "93.184.216.34", 445, "x.corp.test", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    {NM, "93.184.216.34", 443, "corp.test", false, DENY, VBX_NP_R_NOT_ALLOWED, -1},
    /* A name into a protected range: only a listed resolver, only internal. */
    {NM, "127.0.0.1", 8080, "svc.test", false, DENY, VBX_NP_R_NAME_PROTECTED, 2},
    {NM, "127.0.0.1", 8080, "svc.test", true, ALLOW, VBX_NP_R_ALLOW_NAME, 2},
    {NM, "127.0.0.1", 8081, "svc.test", true, DENY, VBX_NP_R_LOOPBACK, -1},
    {NM, "10.1.2.3", 443, "a.example.com", false, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    {NM, "10.1.2.3", 443, "a.example.com", true, ALLOW, VBX_NP_R_ALLOW_NAME, 1},
    {NM, "fd12::1", 443, "a.example.com", true, ALLOW, VBX_NP_R_ALLOW_NAME, 1},
    {NM, "100.64.1.1", 443, "a.example.com", true, ALLOW, VBX_NP_R_ALLOW_NAME, 1},
    {NM, "203.0.113.7", 443, "a.example.com", true, ALLOW, VBX_NP_R_ALLOW_NAME, 1},
    {NM, "203.0.113.7", 443, "a.example.com", false, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    {NM, "169.254.169.254", 443, "a.example.com", true, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    {NM, "169.254.169.254", 443, "a.example.com", false, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    {NM, "169.254.1.1", 443, "a.example.com", true, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    {NM, "fe80::1", 443, "a.example.com", true, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    {NM, "0.0.0.0", 443, "a.example.com", true, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    {NM, "255.255.255.255", 443, "a.example.com", true, DENY, VBX_NP_R_NAME_PROTECTED, 1},
    /* A deny entry beats an allowed name. */
    {NMD, "93.184.216.34", 443, "www.example.com", false, DENY, VBX_NP_R_DENY_ENTRY, 0},
    {NMD, "93.184.216.35", 443, "www.example.com", false, ALLOW, VBX_NP_R_ALLOW_NAME, 0},
    /* Name entries are case-insensitive (stored lowercase). */
    {"{\"allow\":[\"*.EXAMPLE.Com\",\"API.Example.ORG.\"]}", "93.184.216.34", 443,
     "www.example.com", false, ALLOW, VBX_NP_R_ALLOW_NAME, 0},
    {"{\"allow\":[\"*.EXAMPLE.Com\",\"API.Example.ORG.\"]}", "93.184.216.34", 443,
     "api.example.org", false, ALLOW, VBX_NP_R_ALLOW_NAME, 1},
    /* A name with no allow list: nothing changes for an open policy. */
    {OPEN, "93.184.216.34", 443, "a.example.com", false, ALLOW, VBX_NP_R_OPEN, -1},
    {OPEN, "127.0.0.1", 443, "a.example.com", true, DENY, VBX_NP_R_LOOPBACK, -1},
};

static const char *reason_name(vbx_np_reason r) {
  static const char *const names[] = {"DENY_ENTRY",    "ALLOW_ENTRY",  "ALLOW_NAME", "OPEN",
                                      "LOOPBACK",      "PRIVATE",      "CGNAT",      "METADATA",
                                      "LINK_LOCAL",    "HOST_ADDRESS", "RESERVED",   "NOT_ALLOWED",
                                      "NAME_PROTECTED"};
  return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

static void load(const char *json, vbx_netpolicy *p) {
  char err[300] = "";
  int rc = vbx_netpolicy_from_json(json, p, err, sizeof err);
  if (rc != 0) print_error("policy %s: %s\n", json, err);
  assert_int_equal(rc, 0);
}

static void addr(const char *text, uint8_t out[16]) {
  if (vbx_np_addr_parse(text, out) != 0) print_error("bad address %s\n", text);
  assert_int_equal(vbx_np_addr_parse(text, out), 0);
}

static void test_decide_table(void **state) {
  (void)state;
  vbx_np_host_addrs host = {0};
  addr("203.0.113.7", host.addr[0]);
  addr("2001:db8::7", host.addr[1]);
  host.n = 2;
  int bad = 0;
  for (size_t i = 0; i < sizeof k_decide / sizeof k_decide[0]; i++) {
    const decide_row *r = &k_decide[i];
    vbx_netpolicy p;
    uint8_t a[16];
    load(r->policy, &p);
    addr(r->dst, a);
    vbx_np_by_name by = {r->name, r->trusted};
    vbx_np_decision d = vbx_netpolicy_decide(&p, &host, a, r->port, r->name ? &by : NULL);
    if (d.verdict != r->verdict || d.reason != r->reason || d.entry != r->entry) {
      print_error("row %zu: %s %s:%u name=%s trusted=%d: got %s %s entry %d, want %s %s entry %d\n",
                  i, r->policy, r->dst, r->port, r->name ? r->name : "-", r->trusted,
                  d.verdict == ALLOW ? "ALLOW" : "DENY", reason_name(d.reason), d.entry,
                  r->verdict == ALLOW ? "ALLOW" : "DENY", reason_name(r->reason), r->entry);
      bad++;
    }
    vbx_netpolicy_free(&p);
  }
  assert_int_equal(bad, 0);
}

/* Without host addresses (NULL) a host's address is just public. */
static void test_decide_no_host(void **state) {
  (void)state;
  vbx_netpolicy p;
  uint8_t a[16];
  load(OPEN, &p);
  addr("203.0.113.7", a);
  vbx_np_decision d = vbx_netpolicy_decide(&p, NULL, a, 22, NULL);
  assert_int_equal(d.verdict, ALLOW);
  assert_int_equal(d.reason, VBX_NP_R_OPEN);
  vbx_np_host_addrs host = {0};
  memcpy(host.addr[0], a, 16);
  host.n = 1;
  d = vbx_netpolicy_decide(&p, &host, a, 22, NULL);
  assert_int_equal(d.verdict, DENY);
  assert_int_equal(d.reason, VBX_NP_R_HOST_ADDRESS);
  assert_int_equal(d.entry, -1);
  vbx_netpolicy_free(&p);
}

/* vbx_netpolicy_name: may the guest resolve this name? */
typedef struct name_row {
  const char *policy, *name;
  int want, deny_entry;
} name_row;

#define NL                                                                \
  "{\"allow\":[\"api.example.org\",\"*.example.com\",\"svc.test:8080\"]," \
  "\"deny\":[\"bad.example.com\",\"*.evil.example.com\",\"10.0.0.0/8\"]}"
#define LONG_NAME_254                                                \
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa." \
  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb." \
  "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc." \
  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.com"

static const name_row k_names[] = {
    {NL, "api.example.org", 0, -1},
    {NL, "api.example.org.", 0, -1},
    {NL, "API.EXAMPLE.ORG", 0, -1},
    {NL, "Www.Example.Com.", 1, -1},
    {NL, "a.b.example.com", 1, -1},
    {NL, "svc.test", 2, -1}, /* the port is for connections, not for the name */
    {NL, "bad.example.com", -1, 0},
    {NL, "BAD.Example.com.", -1, 0},
    {NL, "x.evil.example.com", -1, 1},
    {NL, "evil.example.com", 1, -1}, /* "*.evil" does not deny evil.example.com itself */
    {NL, "example.com", -1, -1},
    {NL, "badexample.com", -1, -1},
    {NL, "other.org", -1, -1},
    {NL, "", -1, -1},
    {NL, ".", -1, -1},
    {"{\"allow\":[]}", "api.example.org", -1, -1},
    {"{\"allow\":[\"*.long.test\"]}", LONG_NAME_254, -1, -1},
    {OPEN, "anything.example.net", VBX_NP_NAME_OPEN, -1},
    {OPEN, "localhost", VBX_NP_NAME_OPEN, -1},
    {"{\"deny\":[\"bad.example.com\"]}", "good.example.com", VBX_NP_NAME_OPEN, -1},
    {"{\"deny\":[\"bad.example.com\"]}", "Bad.Example.Com.", -1, 0},
};

static void test_name_table(void **state) {
  (void)state;
  assert_int_equal(strlen(LONG_NAME_254), 254);
  int bad = 0;
  for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
    const name_row *r = &k_names[i];
    vbx_netpolicy p;
    load(r->policy, &p);
    int deny = 12345;
    int got = vbx_netpolicy_name(&p, r->name, &deny);
    if (got != r->want || deny != r->deny_entry) {
      print_error("row %zu: %s '%s': got %d deny %d, want %d deny %d\n", i, r->policy, r->name, got,
                  deny, r->want, r->deny_entry);
      bad++;
    }
    vbx_netpolicy_free(&p);
  }
  assert_int_equal(bad, 0);
}

/* Entries that parse, and what they hold. */
typedef struct good_entry {
  const char *text;
  bool is_host, wildcard;
  const char *what; /* host, or the network address */
  unsigned prefix;
  uint16_t lo, hi;
} good_entry;

static const good_entry k_good[] = {
    {"1.2.3.4", false, false, "1.2.3.4", 128, 0, 0},
    {"1.2.3.4:80", false, false, "1.2.3.4", 128, 80, 80},
    {"1.2.3.4:65535", false, false, "1.2.3.4", 128, 65535, 65535},
    {"1.2.3.4:1-65535", false, false, "1.2.3.4", 128, 1, 65535},
    {"10.0.0.0/8", false, false, "10.0.0.0", 104, 0, 0},
    {"10.1.2.3/8", false, false, "10.0.0.0", 104, 0, 0},
    {"172.20.1.1/12", false, false, "172.16.0.0", 108, 0, 0},
    {"10.0.0.0/8:443", false, false, "10.0.0.0", 104, 443, 443},
    {"10.0.0.0/8:8000-8100", false, false, "10.0.0.0", 104, 8000, 8100},
    {"0.0.0.0/0", false, false, "0.0.0.0", 96, 0, 0},
    {"1.2.3.4/32", false, false, "1.2.3.4", 128, 0, 0},
    {"::1", false, false, "::1", 128, 0, 0},
    {"[::1]:8080", false, false, "::1", 128, 8080, 8080},
    {"2001:db8::/32", false, false, "2001:db8::", 32, 0, 0},
    {"2001:db8:ffff::1/33", false, false, "2001:db8:8000::", 33, 0, 0},
    {"[2001:db8::1/64]:443-444", false, false, "2001:db8::", 64, 443, 444},
    {"::ffff:10.0.0.0/104", false, false, "10.0.0.0", 104, 0, 0},
    {"::ffff:10.1.2.3/104", false, false, "10.0.0.0", 104, 0, 0},
    {"::/0", false, false, "::", 0, 0, 0},
    {"example.com", true, false, "example.com", 0, 0, 0},
    {"Example.COM", true, false, "example.com", 0, 0, 0},
    {"example.com.", true, false, "example.com", 0, 0, 0},
    {"api.example.com:443", true, false, "api.example.com", 0, 443, 443},
    {"*.example.com", true, true, "example.com", 0, 0, 0},
    {"*.Example.com:443-444", true, true, "example.com", 0, 443, 444},
    {"a_b.example-1.com:1-65535", true, false, "a_b.example-1.com", 0, 1, 65535},
    {"123.com", true, false, "123.com", 0, 0, 0},
    {"svc.test", true, false, "svc.test", 0, 0, 0},
};

#define LABEL63 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"
#define LABEL64 LABEL63 "l"

static void test_entry_good(void **state) {
  (void)state;
  assert_int_equal(strlen(LABEL63), 63);
  for (size_t i = 0; i < sizeof k_good / sizeof k_good[0]; i++) {
    const good_entry *g = &k_good[i];
    vbx_np_entry e;
    char err[300] = "";
    int rc = vbx_np_entry_parse(g->text, &e, err, sizeof err);
    if (rc != 0) print_error("'%s': %s\n", g->text, err);
    assert_int_equal(rc, 0);
    assert_int_equal(e.is_host, g->is_host);
    assert_int_equal(e.wildcard, g->wildcard);
    assert_int_equal(e.port_lo, g->lo);
    assert_int_equal(e.port_hi, g->hi);
    if (g->is_host) {
      assert_string_equal(e.host, g->what);
    } else {
      uint8_t want[16];
      addr(g->what, want);
      if (memcmp(e.addr, want, 16) != 0) {
        char buf[64];
        print_error("'%s': network %s\n", g->text, vbx_np_addr_format(e.addr, buf, sizeof buf));
      }
      assert_memory_equal(e.addr, want, 16);
      assert_int_equal(e.prefix, g->prefix);
    }
  }
  /* A 63-character label and a 253-character name are the limits. */
  vbx_np_entry e;
  char err[300];
  assert_int_equal(vbx_np_entry_parse(LABEL63 ".com", &e, err, sizeof err), 0);
  char name[254];
  memset(name, 'a', 253);
  for (size_t i = 63; i < 253; i += 64)
    name[i] = '.';
  name[253] = '\0';
  assert_int_equal(vbx_np_entry_parse(name, &e, err, sizeof err), 0);
  assert_string_equal(e.host, name);
  /* The IPv4 form and the mapped IPv6 form are the same rule. */
  vbx_np_entry a, b;
  assert_int_equal(vbx_np_entry_parse("10.0.0.0/8", &a, err, sizeof err), 0);
  assert_int_equal(vbx_np_entry_parse("::ffff:10.0.0.0/104", &b, err, sizeof err), 0);
  assert_memory_equal(&a, &b, sizeof a);
}

/* Entries that do not parse, with the message. */
typedef struct bad_entry {
  const char *text, *needle;
} bad_entry;

#define NEITHER                                                                      \
  "' is neither an address, a CIDR nor a host name (labels of letters, digits, '-' " \
  "and '_', at least two of them)"
#define PORT_MSG "' must be a number from 1 to 65535 or a range LOW-HIGH"

static const bad_entry k_bad[] = {
    {"", "an empty entry"},
    {"10.0.0.0/33", "prefix length '/33' must be a number from 0 to 32"},
    {"10.0.0.0/", "prefix length '/' must be a number from 0 to 32"},
    {"10.0.0.0/-1", "prefix length '/-1' must be a number from 0 to 32"},
    {"10.0.0.0/8x", "prefix length '/8x' must be a number from 0 to 32"},
    {"::1/129", "prefix length '/129' must be a number from 0 to 128"},
    {"::ffff:10.0.0.0/129", "prefix length '/129' must be a number from 0 to 128"},
    {"*.a.*", "'*.a.*': a wildcard may only be a leading \"*.\" (as in *.example.com)"},
    {"a.*.com", "'a.*.com': a wildcard may only be a leading \"*.\" (as in *.example.com)"},
    {"*", "'*': a wildcard may only be a leading \"*.\" (as in *.example.com)"},
    {"1.2.3.4:0", "'1.2.3.4:0': port '0" PORT_MSG},
    {"1.2.3.4:65536", "'1.2.3.4:65536': port '65536" PORT_MSG},
    {"a.com:80-79", "'a.com:80-79': port '80-79" PORT_MSG},
    {"a.com:80-65536", "'a.com:80-65536': port '80-65536" PORT_MSG},
    {"a.com:", "'a.com:': port '" PORT_MSG},
    {"a.com:80-", "'a.com:80-': port '80-" PORT_MSG},
    {"a.com:8a", "'a.com:8a': port '8a" PORT_MSG},
    {"a.com:-80", "'a.com:-80': port '-80" PORT_MSG},
    {"[::1", "'[::1': '[' without ']'"},
    {"[::1]x", "'[::1]x': expected ':PORT' after ']'"},
    {"[::1]:0", "'[::1]:0': port '0" PORT_MSG},
    {"1.2.3", "'1.2.3' is not an IPv4 or IPv6 address"},
    {"1.2.3.256", "'1.2.3.256' is not an IPv4 or IPv6 address"},
    {"010.1.2.3", "'010.1.2.3' is not an IPv4 or IPv6 address"},
    {"1:2:3", "'1:2:3' is not an IPv4 or IPv6 address"},
    {"-a.com", "'-a.com" NEITHER},
    {"a-.com", "'a-.com" NEITHER},
    {"a..com", "'a..com" NEITHER},
    {".a.com", "'.a.com" NEITHER},
    {"a.123", "'a.123" NEITHER},
    {"*.com", "'*.com" NEITHER},
    {"exa mple.com", "'exa mple.com" NEITHER},
    {"ex!ample.com", "'ex!ample.com" NEITHER},
    {"localhost", "'localhost" NEITHER},
    {LABEL64 ".com", "'" LABEL64 ".com" NEITHER},
};

static void check_bad(const char *text, const char *needle) {
  vbx_np_entry e;
  char err[300] = "";
  int rc = vbx_np_entry_parse(text, &e, err, sizeof err);
  if (rc != -1 || strstr(err, needle) == NULL)
    print_error("'%.80s': rc %d err '%s', want '%s'\n", text, rc, err, needle);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(err, needle));
}

static void test_entry_bad(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++)
    check_bad(k_bad[i].text, k_bad[i].needle);
  /* A name of 254 characters (fits the buffer, over the DNS limit). */
  char name[300];
  memset(name, 'a', 254);
  for (size_t i = 63; i < 254; i += 64)
    name[i] = '.';
  name[254] = '\0';
  char want[400];
  snprintf(want, sizeof want, "'%.80s' is neither an address", name);
  check_bad(name, want);
  /* A name of 299 characters: too long for the entry buffer at all. */
  memset(name, 'a', 299);
  for (size_t i = 63; i < 299; i += 64)
    name[i] = '.';
  name[299] = '\0';
  snprintf(want, sizeof want, "entry '%.60s...' is too long", name);
  check_bad(name, want);
}

static void test_list_entry(void **state) {
  (void)state;
  vbx_np_entry e;
  char err[300] = "";
  assert_int_equal(vbx_np_list_entry_parse("a.com:80", true, &e, err, sizeof err), -1);
  assert_string_equal(err,
                      "'a.com:80': a denied name cannot have a port (a denied name does not "
                      "resolve at all)");
  assert_int_equal(vbx_np_list_entry_parse("*.a.com:1-2", true, &e, err, sizeof err), -1);
  assert_non_null(strstr(err, "a denied name cannot have a port"));
  assert_int_equal(vbx_np_list_entry_parse("a.com:80", false, &e, err, sizeof err), 0);
  assert_int_equal(e.port_lo, 80);
  assert_int_equal(vbx_np_list_entry_parse("1.2.3.4:80", true, &e, err, sizeof err), 0);
  assert_int_equal(e.port_lo, 80);
  assert_int_equal(vbx_np_list_entry_parse("*.a.com", true, &e, err, sizeof err), 0);
  assert_true(e.wildcard);
  /* The entry's own error comes through unchanged. */
  assert_int_equal(vbx_np_list_entry_parse("1.2.3", true, &e, err, sizeof err), -1);
  assert_string_equal(err, "'1.2.3' is not an IPv4 or IPv6 address");
}

static void test_dns_parse(void **state) {
  (void)state;
  vbx_np_dns d;
  uint8_t want[16];
  char err[300] = "";
  assert_int_equal(vbx_np_dns_parse("1.1.1.1", &d, err, sizeof err), 0);
  addr("1.1.1.1", want);
  assert_memory_equal(d.addr, want, 16);
  assert_int_equal(d.port, 53);
  assert_int_equal(vbx_np_dns_parse("1.1.1.1:5353", &d, err, sizeof err), 0);
  assert_memory_equal(d.addr, want, 16);
  assert_int_equal(d.port, 5353);
  assert_int_equal(vbx_np_dns_parse("[::1]:5353", &d, err, sizeof err), 0);
  addr("::1", want);
  assert_memory_equal(d.addr, want, 16);
  assert_int_equal(d.port, 5353);
  assert_int_equal(vbx_np_dns_parse("2606:4700:4700::1111", &d, err, sizeof err), 0);
  assert_int_equal(d.port, 53);
  static const char *const refused[] = {"dns.google", "10.0.0.0/8", "1.1.1.1:53-54", "*.dns.test"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    char msg[200];
    snprintf(msg, sizeof msg, "DNS server '%s' must be an address with an optional :PORT",
             refused[i]);
    memset(&d, 0xaa, sizeof d);
    assert_int_equal(vbx_np_dns_parse(refused[i], &d, err, sizeof err), -1);
    assert_string_equal(err, msg);
  }
  /* An entry error comes through as it is. */
  assert_int_equal(vbx_np_dns_parse("[::1", &d, err, sizeof err), -1);
  assert_string_equal(err, "'[::1': '[' without ']'");
  assert_int_equal(vbx_np_dns_parse("1.1.1.1:0", &d, err, sizeof err), -1);
  assert_non_null(strstr(err, "port '0' must be a number from 1 to 65535"));
}

/* vbx_netpolicy_from_json: documents refused, with the message. */
typedef struct bad_json {
  const char *json, *needle;
} bad_json;

static const bad_json k_bad_json[] = {
    {"{\"alow\":[]}", "network policy: unknown key 'alow'"},
    {"{\"allow\":[],\"rate_limit\":1}", "network policy: unknown key 'rate_limit'"},
    {"{\"allow\":[],\"allow\":[]}", "duplicate object key"},
    {"[]", "network policy: expected a JSON object"},
    {"{", "network policy: bad JSON at line 1"},
    {"\"{}\"", "network policy: bad JSON at line 1"},
    {"{\"allow\":\"a.com\"}", "allow: expected a list of at most 1024 entries"},
    {"{\"deny\":{}}", "deny: expected a list of at most 1024 entries"},
    {"{\"allow\":[1]}", "allow[0]: expected a string"},
    {"{\"allow\":[\"a.com\",\"1.2.3\"]}", "allow[1]: '1.2.3' is not an IPv4 or IPv6 address"},
    {"{\"deny\":[\"a.com:80\"]}", "deny[0]: 'a.com:80': a denied name cannot have a port"},
    {"{\"allow\":[\"a.com:80\"],\"deny\":[\"b.com\",\"*.x\"]}", "deny[1]: '*.x' is neither"},
    {"{\"dns\":\"1.1.1.1\"}", "dns: expected a list of at most 4 servers"},
    {"{\"dns\":[\"1.1.1.1\",\"1.0.0.1\",\"8.8.8.8\",\"8.8.4.4\",\"9.9.9.9\"]}",
     "dns: expected a list of at most 4 servers"},
    {"{\"dns\":[\"dns.google\"]}",
     "dns[0]: DNS server 'dns.google' must be an address with an optional :PORT"},
    {"{\"dns\":[\"1.1.1.1\",5]}", "dns[1]: expected a string"},
    {"{\"max_connections\":0}", "max_connections: expected an integer from 1 to 4096"},
    {"{\"max_connections\":4097}", "max_connections: expected an integer from 1 to 4096"},
    {"{\"max_connections\":-1}", "max_connections: expected an integer from 1 to 4096"},
    {"{\"max_connections\":\"5\"}", "max_connections: expected an integer from 1 to 4096"},
    {"{\"max_connections\":2.0}", "max_connections: expected an integer from 1 to 4096"},
    {"{\"rate_limit_kbps\":-1}", "rate_limit_kbps: expected an integer from 0 to 10000000"},
    {"{\"rate_limit_kbps\":10000001}", "rate_limit_kbps: expected an integer from 0 to 10000000"},
    {"{\"rate_limit_kbps\":1.5}", "rate_limit_kbps: expected an integer from 0 to 10000000"},
    {"{\"rate_limit_kbps\":null}", "rate_limit_kbps: expected an integer from 0 to 10000000"},
};

static void test_json_bad(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof k_bad_json / sizeof k_bad_json[0]; i++) {
    vbx_netpolicy p;
    char err[300] = "";
    memset(&p, 0x55, sizeof p);
    int rc = vbx_netpolicy_from_json(k_bad_json[i].json, &p, err, sizeof err);
    if (rc != -1 || strstr(err, k_bad_json[i].needle) == NULL)
      print_error("%s: rc %d err '%s', want '%s'\n", k_bad_json[i].json, rc, err,
                  k_bad_json[i].needle);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, k_bad_json[i].needle));
    /* Nothing is left allocated on failure. */
    assert_null(p.allow);
    assert_null(p.deny);
    assert_int_equal(p.n_allow, 0);
    assert_int_equal(p.n_deny, 0);
  }
}

/* A JSON list of n entries "10.0.X.Y". */
static char *many_entries(const char *key, size_t n) {
  size_t cap = 32 + n * 16;
  char *s = malloc(cap);
  assert_non_null(s);
  size_t len = (size_t)snprintf(s, cap, "{\"%s\":[", key);
  for (size_t i = 0; i < n; i++)
    len +=
        (size_t)snprintf(s + len, cap - len, "%s\"10.0.%zu.%zu\"", i ? "," : "", i / 256, i % 256);
  snprintf(s + len, cap - len, "]}");
  return s;
}

static void test_json_limits(void **state) {
  (void)state;
  vbx_netpolicy p;
  char err[300] = "";
  char *s = many_entries("allow", VBX_NP_MAX_ENTRIES);
  assert_int_equal(vbx_netpolicy_from_json(s, &p, err, sizeof err), 0);
  assert_int_equal(p.n_allow, VBX_NP_MAX_ENTRIES);
  vbx_netpolicy_free(&p);
  free(s);
  s = many_entries("deny", VBX_NP_MAX_ENTRIES + 1);
  assert_int_equal(vbx_netpolicy_from_json(s, &p, err, sizeof err), -1);
  assert_string_equal(err, "deny: expected a list of at most 1024 entries");
  free(s);
  s = many_entries("allow", VBX_NP_MAX_ENTRIES + 1);
  assert_int_equal(vbx_netpolicy_from_json(s, &p, err, sizeof err), -1);
  assert_string_equal(err, "allow: expected a list of at most 1024 entries");
  free(s);
  static const struct {
    const char *json;
    uint32_t max_conn, rate;
  } ok[] = {
      {"{\"max_connections\":1}", 1, 0},
      {"{\"max_connections\":4096}", 4096, 0},
      {"{\"rate_limit_kbps\":0}", 256, 0},
      {"{\"rate_limit_kbps\":10000000}", 256, 10000000},
      {"{\"max_connections\":2,\"rate_limit_kbps\":100}", 2, 100},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    assert_int_equal(vbx_netpolicy_from_json(ok[i].json, &p, err, sizeof err), 0);
    assert_int_equal(p.max_connections, ok[i].max_conn);
    assert_int_equal(p.rate_limit_kbps, ok[i].rate);
    vbx_netpolicy_free(&p);
  }
}

static void test_json_defaults(void **state) {
  (void)state;
  vbx_netpolicy p;
  char err[300] = "";
  assert_int_equal(vbx_netpolicy_from_json("{}", &p, err, sizeof err), 0);
  assert_false(p.allow_list);
  assert_int_equal(p.n_allow, 0);
  assert_int_equal(p.n_deny, 0);
  assert_int_equal(p.n_dns, 0);
  assert_int_equal(p.max_connections, 256);
  assert_int_equal(p.rate_limit_kbps, 0);
  vbx_netpolicy_free(&p);
  vbx_netpolicy_free(&p); /* twice: safe */
  assert_int_equal(vbx_netpolicy_from_json(NULL, &p, err, sizeof err), 0);
  assert_false(p.allow_list);
  assert_int_equal(p.max_connections, VBX_NP_DEFAULT_MAX_CONNECTIONS);
  vbx_netpolicy_free(&p);
  assert_int_equal(vbx_netpolicy_from_json("{\"allow\":[]}", &p, err, sizeof err), 0);
  assert_true(p.allow_list);
  assert_int_equal(p.n_allow, 0);
  vbx_netpolicy_free(&p);
  assert_int_equal(vbx_netpolicy_from_json("{\"deny\":[]}", &p, err, sizeof err), 0);
  assert_false(p.allow_list);
  vbx_netpolicy_free(&p);
  /* Every key. */
  assert_int_equal(vbx_netpolicy_from_json(
                       "{\"allow\":[\"*.example.com:443\",\"10.0.0.0/8\"],\"deny\":[\"x.test\"],"
                       "\"dns\":[\"1.1.1.1\",\"[::1]:5353\"],\"max_connections\":7,"
                       "\"rate_limit_kbps\":64}",
                       &p, err, sizeof err),
                   0);
  assert_true(p.allow_list);
  assert_int_equal(p.n_allow, 2);
  assert_true(p.allow[0].is_host && p.allow[0].wildcard);
  assert_string_equal(p.allow[0].host, "example.com");
  assert_int_equal(p.allow[0].port_lo, 443);
  assert_false(p.allow[1].is_host);
  assert_int_equal(p.allow[1].prefix, 104);
  assert_int_equal(p.n_deny, 1);
  assert_string_equal(p.deny[0].host, "x.test");
  assert_int_equal(p.n_dns, 2);
  assert_int_equal(p.dns[0].port, 53);
  assert_int_equal(p.dns[1].port, 5353);
  uint8_t want[16];
  addr("::1", want);
  assert_memory_equal(p.dns[1].addr, want, 16);
  assert_int_equal(p.max_connections, 7);
  assert_int_equal(p.rate_limit_kbps, 64);
  vbx_netpolicy_free(&p);
  assert_null(p.allow);
  assert_null(p.deny);
}

static void test_text_forms(void **state) {
  (void)state;
  uint8_t a[16];
  char buf[64];
  addr("10.0.2.2", a);
  assert_true(vbx_np_is_v4(a));
  assert_string_equal(vbx_np_addr_format(a, buf, sizeof buf), "10.0.2.2");
  addr("::ffff:1.2.3.4", a);
  assert_string_equal(vbx_np_addr_format(a, buf, sizeof buf), "1.2.3.4");
  addr("2001:db8::1", a);
  assert_false(vbx_np_is_v4(a));
  assert_string_equal(vbx_np_addr_format(a, buf, sizeof buf), "2001:db8::1");
  uint8_t b[16];
  vbx_np_from_v4(htonl(0x7f000001u), b);
  addr("127.0.0.1", a);
  assert_memory_equal(a, b, 16);
  assert_int_equal(vbx_np_addr_parse("1.2.3", a), -1);
  assert_int_equal(vbx_np_addr_parse("", a), -1);
  assert_int_equal(vbx_np_addr_parse("::g", a), -1);
  assert_string_equal(vbx_np_reason_text(VBX_NP_R_LOOPBACK), "host loopback (denied by default)");
  assert_string_equal(vbx_np_reason_text(VBX_NP_R_NOT_ALLOWED), "not in the allow list");
  assert_string_equal(vbx_np_reason_text(VBX_NP_R_METADATA),
                      "cloud metadata service (denied by default)");
  /* Every reason has its own text. */
  for (int i = VBX_NP_R_DENY_ENTRY; i <= VBX_NP_R_NAME_PROTECTED; i++)
    for (int j = VBX_NP_R_DENY_ENTRY; j < i; j++)
      assert_string_not_equal(vbx_np_reason_text((vbx_np_reason)i),
                              vbx_np_reason_text((vbx_np_reason)j));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decide_table), cmocka_unit_test(test_decide_no_host),
      cmocka_unit_test(test_name_table),   cmocka_unit_test(test_entry_good),
      cmocka_unit_test(test_entry_bad),    cmocka_unit_test(test_list_entry),
      cmocka_unit_test(test_dns_parse),    cmocka_unit_test(test_json_bad),
      cmocka_unit_test(test_json_limits),  cmocka_unit_test(test_json_defaults),
      cmocka_unit_test(test_text_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
