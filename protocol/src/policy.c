/*
 * policy.c - reading the guest agent's policy file (see
 * voidbox/protocol/policy.h): one key at a time, then the whole text.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "policy_names.h"
#include "voidbox/protocol/policy.h"
#include "voidbox/protocol/wire.h"

void vbx_proto_policy_init(struct vbx_proto_policy *p) { memset(p, 0, sizeof *p); }

static int parse_u64(const char *s, uint64_t *out) {
  if (strcmp(s, "unlimited") == 0 || strcmp(s, "infinity") == 0) {
    *out = UINT64_MAX;
    return 0;
  }
  if (*s < '0' || *s > '9') return -1;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s) return -1;
  uint64_t mul = 1;
  if (*end == 'k' || *end == 'K')
    mul = 1024ull, end++;
  else if (*end == 'm' || *end == 'M')
    mul = 1024ull * 1024, end++;
  else if (*end == 'g' || *end == 'G')
    mul = 1024ull * 1024 * 1024, end++;
  if (*end != '\0' || v > UINT64_MAX / mul) return -1;
  *out = v * mul;
  return 0;
}

static int parse_u32(const char *s, uint32_t *out) {
  uint64_t v;
  if (parse_u64(s, &v) != 0 || v > UINT32_MAX) return -1;
  *out = (uint32_t)v;
  return 0;
}

/* "/a/b/" -> "a/b"; "/" -> "" (the whole root). Entries must be absolute. */
static int norm_writable(const char *v, char *out, size_t cap) {
  if (v[0] != '/') return -1;
  while (*v == '/')
    v++;
  size_t n = strlen(v);
  while (n > 0 && v[n - 1] == '/')
    n--;
  if (n + 1 > cap) return -1;
  memcpy(out, v, n);
  out[n] = '\0';
  return strstr(out, "..") != NULL ? -1 : 0;
}

#define REFUSE(...) (snprintf(why, whycap, __VA_ARGS__), VBX_PROTO_E_PROTOCOL)

static int set_rlimit(struct vbx_proto_policy *p, const char *name, const char *val, char *why,
                      size_t whycap) {
  int res = vbx__policy_rlimit_resource(name);
  if (res < 0)
    return REFUSE(
        "unknown resource (as core cpu data fsize nofile nproc stack memlock "
        "msgqueue)");
  char soft[64], *colon;
  if (strlen(val) >= sizeof soft) return REFUSE("value too long");
  strcpy(soft, val);
  colon = strchr(soft, ':');
  uint64_t s, h;
  if (colon != NULL) *colon = '\0';
  if (parse_u64(soft, &s) != 0 || parse_u64(colon ? colon + 1 : soft, &h) != 0 || s > h)
    return REFUSE("needs SOFT[:HARD] with SOFT <= HARD");
  for (size_t j = 0; j < p->n_rlimits; j++)
    if (p->rlimits[j].resource == res) return REFUSE("given twice");
  if (p->n_rlimits >= VBX_PROTO_POLICY_MAX_RLIMITS) return REFUSE("too many rlimits");
  p->rlimits[p->n_rlimits].resource = res;
  p->rlimits[p->n_rlimits].soft = s;
  p->rlimits[p->n_rlimits].hard = h;
  p->n_rlimits++;
  return 0;
}

static int set_number(struct vbx_proto_policy *p, const char *key, const char *val, char *why,
                      size_t whycap) {
  uint32_t v;
  if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
    if (parse_u32(val, &v) != 0 || v == UINT32_MAX) return REFUSE("needs a numeric id");
    if (key[0] == 'u')
      p->uid = v, p->have_uid = 1;
    else
      p->gid = v, p->have_gid = 1;
    return 0;
  }
  if (strcmp(key, "max_procs") == 0 || strcmp(key, "max_execs") == 0) {
    if (parse_u32(val, &v) != 0 || v == 0) return REFUSE("needs a positive number");
    if (key[4] == 'p')
      p->max_procs = v;
    else
      p->max_execs = v;
    return 0;
  }
  uint64_t u;
  if (parse_u64(val, &u) != 0) return REFUSE("needs a byte count (suffix k, m, g allowed)");
  p->max_output = u;
  return 0;
}

int vbx_proto_policy_set(struct vbx_proto_policy *p, const char *key, const char *val, char *why,
                         size_t whycap) {
  if (strcmp(key, "allow") == 0) {
    if (strcmp(val, "*") == 0) {
      p->allow_all = 1;
      return 0;
    }
    if (p->n_allow >= VBX_PROTO_POLICY_MAX_ENTRIES || strlen(val) >= VBX_PROTO_POLICY_ENTRY_SIZE)
      return REFUSE("too many entries or entry too long");
    strcpy(p->allow[p->n_allow++], val);
    return 0;
  }
  if (strcmp(key, "writable") == 0) {
    if (p->n_writable >= VBX_PROTO_POLICY_MAX_ENTRIES ||
        norm_writable(val, p->writable[p->n_writable], VBX_PROTO_POLICY_ENTRY_SIZE) != 0)
      return REFUSE("needs an absolute path without '..' (at most %d)",
                    VBX_PROTO_POLICY_MAX_ENTRIES);
    p->n_writable++;
    return 0;
  }
  if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0 || strcmp(key, "max_procs") == 0 ||
      strcmp(key, "max_execs") == 0 || strcmp(key, "max_output_bytes") == 0)
    return set_number(p, key, val, why, whycap);
  if (strncmp(key, "rlimit.", 7) == 0) return set_rlimit(p, key + 7, val, why, whycap);
  if (strcmp(key, "llm_gateway_port") == 0) {
    uint32_t port;
    if (parse_u32(val, &port) != 0 || port == 0 || port > 65535 || strpbrk(val, "kKmMgG"))
      return REFUSE("needs a TCP port, 1..65535");
    p->llm_gateway_port = port;
    return 0;
  }
  return REFUSE("unknown key");
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

/* One line (NUL-terminated, at most VBX_PROTO_POLICY_MAX_LINE bytes). */
static int parse_line(struct vbx_proto_policy *p, char *line, int lineno, char *err,
                      size_t errcap) {
  char *hash = strchr(line, '#');
  if (hash != NULL) *hash = '\0';
  char *s = trim(line);
  if (*s == '\0') return 0;
  char *eq = strchr(s, '=');
  if (eq == NULL) {
    snprintf(err, errcap, "policy line %d: expected 'key = value'", lineno);
    return VBX_PROTO_E_PROTOCOL;
  }
  *eq = '\0';
  char *key = trim(s), *val = trim(eq + 1);
  char why[160];
  if (*val == '\0') {
    snprintf(err, errcap, "policy line %d: key '%s' has no value", lineno, key);
    return VBX_PROTO_E_PROTOCOL;
  }
  int rc = vbx_proto_policy_set(p, key, val, why, sizeof why);
  if (rc != 0) snprintf(err, errcap, "policy line %d: key '%s': %s", lineno, key, why);
  return rc;
}

int vbx_proto_policy_parse(const char *text, size_t len, struct vbx_proto_policy *p, char *err,
                           size_t errcap) {
  char line[VBX_PROTO_POLICY_MAX_LINE + 1];
  size_t pos = 0;
  int lineno = 0;
  if (len > VBX_PROTO_POLICY_MAX_BYTES) {
    snprintf(err, errcap, "policy: larger than %d bytes", VBX_PROTO_POLICY_MAX_BYTES);
    return VBX_PROTO_E_TOOBIG;
  }
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t n = (nl ? (size_t)(nl - text) : len) - pos;
    lineno++;
    if (n >= sizeof line) {
      snprintf(err, errcap, "policy line %d: longer than %zu bytes", lineno, sizeof line - 1);
      return VBX_PROTO_E_TOOBIG;
    }
    if (memchr(text + pos, '\0', n) != NULL) {
      snprintf(err, errcap, "policy line %d: NUL byte", lineno);
      return VBX_PROTO_E_PROTOCOL;
    }
    memcpy(line, text + pos, n);
    line[n] = '\0';
    pos += n + 1;
    int rc = parse_line(p, line, lineno, err, errcap);
    if (rc != 0) return rc;
  }
  return 0;
}
