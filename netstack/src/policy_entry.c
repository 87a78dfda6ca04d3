/*
 * netstack/policy_entry.c - the text forms of policy entries, DNS servers
 * and addresses (policy.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/policy.h"

static int fail(char *err, size_t cap, const char *fmt, const char *text) {
  snprintf(err, cap, fmt, text);
  return -1;
}

bool vbx_np_is_v4(const uint8_t a[16]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a, mapped, 12) == 0;
}

void vbx_np_from_v4(uint32_t be_addr, uint8_t out[16]) {
  memset(out, 0, 10);
  out[10] = out[11] = 0xff;
  memcpy(out + 12, &be_addr, 4);
}

int vbx_np_addr_parse(const char *text, uint8_t out[16]) {
  struct in_addr v4;
  if (strchr(text, ':') == NULL) {
    /* inet_pton takes only the strict dotted quad (no "010.1", no "1.2.3"). */
    if (inet_pton(AF_INET, text, &v4) != 1) return -1;
    vbx_np_from_v4(v4.s_addr, out);
    return 0;
  }
  return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

const char *vbx_np_addr_format(const uint8_t a[16], char *buf, size_t cap) {
  if (vbx_np_is_v4(a)) {
    if (inet_ntop(AF_INET, a + 12, buf, (socklen_t)cap) == NULL) snprintf(buf, cap, "?");
  } else if (inet_ntop(AF_INET6, a, buf, (socklen_t)cap) == NULL) {
    snprintf(buf, cap, "?");
  }
  return buf;
}

/* "N" or "N-M", 1..65535, N <= M. */
static int parse_ports(const char *s, uint16_t *lo, uint16_t *hi) {
  char *end;
  if (!isdigit((unsigned char)s[0])) return -1;
  errno = 0;
  unsigned long a = strtoul(s, &end, 10), b = a;
  if (errno != 0 || a < 1 || a > 65535) return -1;
  if (*end == '-') {
    const char *t = end + 1;
    if (!isdigit((unsigned char)t[0])) return -1;
    b = strtoul(t, &end, 10);
    if (errno != 0 || b < a || b > 65535) return -1;
  }
  if (*end != '\0') return -1;
  *lo = (uint16_t)a;
  *hi = (uint16_t)b;
  return 0;
}

/* A DNS name: labels of 1..63 letters, digits, '-' and '_', not starting
 * or ending with '-', 253 characters in all, at least two labels, the last
 * not all digits (so "10.1.2.3" is never a name). Lowercased into out. */
static bool host_valid(const char *s, char *out) {
  size_t len = strlen(s);
  if (len == 0 || len > VBX_NP_HOST_MAX) return false;
  size_t label = 0, labels = 1;
  bool digits_only = true;
  for (size_t i = 0; i <= len; i++) {
    char ch = s[i];
    if (ch == '.' || ch == '\0') {
      if (label == 0 || s[i - 1] == '-') return false;
      if (ch == '.') {
        out[i] = '.';
        labels++, label = 0, digits_only = true;
      }
      continue;
    }
    if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_') return false;
    if (label == 0 && ch == '-') return false;
    if (!isdigit((unsigned char)ch)) digits_only = false;
    if (++label > 63) return false;
    out[i] = (char)tolower((unsigned char)ch);
  }
  out[len] = '\0';
  return labels >= 2 && !digits_only;
}

static void mask_prefix(uint8_t a[16], unsigned prefix) {
  for (unsigned i = 0; i < 16; i++) {
    unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
    if (bits >= 8) continue;
    a[i] &= (uint8_t)(0xff00u >> bits);
  }
}

/* The address part of a CIDR entry, "A", "A/N" (no port here). */
static int parse_cidr(const char *s, vbx_np_entry *e, char *err, size_t cap) {
  char buf[64];
  if (strlen(s) >= sizeof buf) return fail(err, cap, "address '%.80s' is too long", s);
  snprintf(buf, sizeof buf, "%s", s);
  char *slash = strchr(buf, '/');
  if (slash != NULL) *slash = '\0';
  if (vbx_np_addr_parse(buf, e->addr) != 0)
    return fail(err, cap, "'%.80s' is not an IPv4 or IPv6 address", buf);
  bool v4 = vbx_np_is_v4(e->addr) && strchr(buf, ':') == NULL;
  unsigned max = v4 ? 32 : 128;
  e->prefix = 128;
  if (slash != NULL) {
    char *end;
    errno = 0;
    unsigned long n = strtoul(slash + 1, &end, 10);
    if (!isdigit((unsigned char)slash[1]) || *end != '\0' || errno != 0 || n > max) {
      snprintf(err, cap, "prefix length '/%.20s' must be a number from 0 to %u", slash + 1, max);
      return -1;
    }
    e->prefix = v4 ? 96 + (unsigned)n : (unsigned)n;
  }
  mask_prefix(e->addr, e->prefix);
  return 0;
}

int vbx_np_entry_parse(const char *text, vbx_np_entry *out, char *err, size_t errcap) {
  memset(out, 0, sizeof *out);
  if (text == NULL || text[0] == '\0') return fail(err, errcap, "an empty entry%s", "");
  char buf[VBX_NP_HOST_MAX + 32];
  if (strlen(text) >= sizeof buf) return fail(err, errcap, "entry '%.60s...' is too long", text);
  snprintf(buf, sizeof buf, "%s", text);
  char *addr = buf, *port = NULL;
  if (buf[0] == '[') { /* [V6 or V6/N]:PORT */
    char *close = strchr(buf, ']');
    if (close == NULL) return fail(err, errcap, "'%.80s': '[' without ']'", text);
    *close = '\0';
    addr = buf + 1;
    if (close[1] == ':')
      port = close + 2;
    else if (close[1] != '\0')
      return fail(err, errcap, "'%.80s': expected ':PORT' after ']'", text);
  } else {
    char *colon = strchr(buf, ':');
    if (colon != NULL && strchr(colon + 1, ':') == NULL) { /* one colon: A:PORT or HOST:PORT */
      *colon = '\0';
      port = colon + 1;
    }
  }
  if (port != NULL && parse_ports(port, &out->port_lo, &out->port_hi) != 0) {
    snprintf(err, errcap,
             "'%.80s': port '%.20s' must be a number from 1 to 65535 or a range LOW-HIGH", text,
             port);
    return -1;
  }
  bool looks_ip = strchr(addr, ':') != NULL || strchr(addr, '/') != NULL ||
                  strspn(addr, "0123456789.") == strlen(addr);
  if (looks_ip) return parse_cidr(addr, out, err, errcap);
  out->is_host = true;
  const char *name = addr;
  if (strncmp(name, "*.", 2) == 0) {
    out->wildcard = true;
    name += 2;
  }
  if (strchr(name, '*') != NULL)
    return fail(err, errcap,
                "'%.80s': a wildcard may only be a leading \"*.\" (as in *.example.com)", text);
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.') buf[(size_t)(name - buf) + n - 1] = '\0'; /* "a.com." */
  if (!host_valid(name, out->host))
    return fail(err, errcap,
                "'%.80s' is neither an address, a CIDR nor a host name (labels of letters, "
                "digits, '-' and '_', at least two of them)",
                text);
  return 0;
}

int vbx_np_dns_parse(const char *text, vbx_np_dns *out, char *err, size_t errcap) {
  vbx_np_entry e;
  memset(out, 0, sizeof *out);
  if (vbx_np_entry_parse(text, &e, err, errcap) != 0) return -1;
  if (e.is_host || e.prefix != 128 || e.port_lo != e.port_hi || strchr(text, '/') != NULL)
    return fail(err, errcap, "DNS server '%.80s' must be an address with an optional :PORT", text);
  memcpy(out->addr, e.addr, 16);
  out->port = e.port_lo != 0 ? e.port_lo : 53;
  return 0;
}

int vbx_np_list_entry_parse(const char *text, bool deny, vbx_np_entry *out, char *err,
                            size_t errcap) {
  if (vbx_np_entry_parse(text, out, err, errcap) != 0) return -1;
  if (deny && out->is_host && out->port_lo != 0)
    return fail(err, errcap,
                "'%.80s': a denied name cannot have a port (a denied name does not resolve at "
                "all)",
                text);
  return 0;
}
