/*
 * guest/agent/policy.c - the agent's policy file: command allowlist,
 * identity, rlimits, process and output caps, writable paths. Read once
 * before the first connection is accepted (docs/guest-agent.md).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent.h"

void vbx__policy_defaults(struct vbx__policy *p) { memset(p, 0, sizeof *p); }

static const struct {
  const char *name;
  int res;
} rl_names[] = {
    {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},   {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE}, {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},   {"stack", RLIMIT_STACK}, {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
};

static int parse_u64(const char *s, uint64_t *out) {
  if (strcmp(s, "unlimited") == 0 || strcmp(s, "infinity") == 0) {
    *out = UINT64_MAX;
    return 0;
  }
  if (*s < '0' || *s > '9')
    return -1;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s)
    return -1;
  uint64_t mul = 1;
  if (*end == 'k' || *end == 'K')
    mul = 1024ull, end++;
  else if (*end == 'm' || *end == 'M')
    mul = 1024ull * 1024, end++;
  else if (*end == 'g' || *end == 'G')
    mul = 1024ull * 1024 * 1024, end++;
  if (*end != '\0' || v > UINT64_MAX / mul)
    return -1;
  *out = v * mul;
  return 0;
}

static int parse_u32(const char *s, uint32_t *out) {
  uint64_t v;
  if (parse_u64(s, &v) != 0 || v > UINT32_MAX)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

/* "/a/b/" -> "a/b"; "/" -> "" (the whole root). Entries must be absolute. */
static int norm_writable(const char *v, char *out, size_t cap) {
  if (v[0] != '/')
    return -1;
  while (*v == '/')
    v++;
  size_t n = strlen(v);
  while (n > 0 && v[n - 1] == '/')
    n--;
  if (n + 1 > cap)
    return -1;
  memcpy(out, v, n);
  out[n] = '\0';
  return strstr(out, "..") != NULL ? -1 : 0;
}

static int apply(struct vbx__policy *p, const char *key, const char *val, char *why,
                 size_t whycap) {
  if (strcmp(key, "allow") == 0) {
    if (strcmp(val, "*") == 0) {
      p->allow_all = 1;
      return 0;
    }
    if (p->n_allow >= VBX__POLICY_MAX_ENTRIES || strlen(val) >= sizeof p->allow[0])
      return snprintf(why, whycap, "too many entries or entry too long"), -1;
    strcpy(p->allow[p->n_allow++], val);
    return 0;
  }
  if (strcmp(key, "writable") == 0) {
    if (p->n_writable >= VBX__POLICY_MAX_ENTRIES ||
        norm_writable(val, p->writable[p->n_writable], sizeof p->writable[0]) != 0)
      return snprintf(why, whycap, "needs an absolute path without '..' (at most %d)",
                      VBX__POLICY_MAX_ENTRIES), -1;
    p->n_writable++;
    return 0;
  }
  if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
    uint32_t v;
    if (parse_u32(val, &v) != 0 || v == UINT32_MAX)
      return snprintf(why, whycap, "needs a numeric id"), -1;
    if (key[0] == 'u')
      p->uid = v, p->have_uid = 1;
    else
      p->gid = v, p->have_gid = 1;
    return 0;
  }
  if (strcmp(key, "max_procs") == 0 || strcmp(key, "max_execs") == 0) {
    uint32_t v;
    if (parse_u32(val, &v) != 0 || v == 0)
      return snprintf(why, whycap, "needs a positive number"), -1;
    if (key[4] == 'p')
      p->max_procs = v;
    else
      p->max_execs = v;
    return 0;
  }
  if (strcmp(key, "max_output_bytes") == 0) {
    if (parse_u64(val, &p->max_output) != 0)
      return snprintf(why, whycap, "needs a byte count (suffix k, m, g allowed)"), -1;
    return 0;
  }
  if (strncmp(key, "rlimit.", 7) == 0) {
    const char *rn = key + 7;
    for (size_t i = 0; i < sizeof rl_names / sizeof rl_names[0]; i++) {
      if (strcmp(rn, rl_names[i].name) != 0)
        continue;
      char soft[64], *colon;
      if (strlen(val) >= sizeof soft)
        return snprintf(why, whycap, "value too long"), -1;
      strcpy(soft, val);
      colon = strchr(soft, ':');
      uint64_t s, h;
      if (colon != NULL)
        *colon = '\0';
      if (parse_u64(soft, &s) != 0 || parse_u64(colon ? colon + 1 : soft, &h) != 0 || s > h)
        return snprintf(why, whycap, "needs SOFT[:HARD] with SOFT <= HARD"), -1;
      for (size_t j = 0; j < p->n_rlimits; j++)
        if (p->rlimits[j].resource == rl_names[i].res)
          return snprintf(why, whycap, "given twice"), -1;
      if (p->n_rlimits >= VBX__POLICY_MAX_RLIMITS)
        return snprintf(why, whycap, "too many rlimits"), -1;
      p->rlimits[p->n_rlimits].resource = rl_names[i].res;
      p->rlimits[p->n_rlimits].soft = s;
      p->rlimits[p->n_rlimits].hard = h;
      p->n_rlimits++;
      return 0;
    }
    return snprintf(why, whycap, "unknown resource (as core cpu data fsize nofile nproc "
                                 "stack memlock msgqueue)"), -1;
  }
  return snprintf(why, whycap, "unknown key"), -1;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

int vbx__policy_parse(const char *text, size_t len, struct vbx__policy *p, char *err,
                      size_t errcap) {
  char line[1024];
  size_t pos = 0;
  int lineno = 0;
  while (pos < len) {
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    lineno++;
    size_t n = end - pos;
    if (n >= sizeof line) {
      snprintf(err, errcap, "policy line %d: longer than %zu bytes", lineno, sizeof line - 1);
      return -1;
    }
    memcpy(line, text + pos, n);
    line[n] = '\0';
    pos = end + 1;
    if (memchr(line, '\0', n) != NULL) {
      snprintf(err, errcap, "policy line %d: NUL byte", lineno);
      return -1;
    }
    char *hash = strchr(line, '#');
    if (hash != NULL)
      *hash = '\0';
    char *s = trim(line);
    if (*s == '\0')
      continue;
    char *eq = strchr(s, '=');
    if (eq == NULL) {
      snprintf(err, errcap, "policy line %d: expected 'key = value'", lineno);
      return -1;
    }
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    char why[160];
    if (*val == '\0') {
      snprintf(err, errcap, "policy line %d: key '%s' has no value", lineno, key);
      return -1;
    }
    if (apply(p, key, val, why, sizeof why) != 0) {
      snprintf(err, errcap, "policy line %d: key '%s': %s", lineno, key, why);
      return -1;
    }
  }
  return 0;
}

int vbx__policy_load_fd(int fd, struct vbx__policy *p, char *err, size_t errcap) {
  char *buf = malloc(VBX__POLICY_MAX_BYTES + 1);
  size_t have = 0;
  int rc = -1;
  if (buf == NULL) {
    snprintf(err, errcap, "policy: out of memory");
    return -1;
  }
  for (;;) {
    ssize_t r = read(fd, buf + have, VBX__POLICY_MAX_BYTES + 1 - have);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      snprintf(err, errcap, "policy: read: %s", strerror(errno));
      goto out;
    }
    if (r == 0)
      break;
    have += (size_t)r;
    if (have > VBX__POLICY_MAX_BYTES) {
      snprintf(err, errcap, "policy: larger than %d bytes", VBX__POLICY_MAX_BYTES);
      goto out;
    }
  }
  rc = vbx__policy_parse(buf, have, p, err, errcap);
out:
  free(buf);
  return rc;
}

int vbx__policy_allows(const struct vbx__policy *p, const char *argv0) {
  if (argv0 == NULL || argv0[0] == '\0')
    return 0;
  if (p->allow_all)
    return 1;
  for (size_t i = 0; i < p->n_allow; i++)
    if (strcmp(p->allow[i], argv0) == 0)
      return 1;
  return 0;
}

int vbx__policy_writable(const struct vbx__policy *p, const char *rel) {
  if (p->n_writable == 0)
    return 1;
  if (strcmp(rel, ".") == 0)
    rel = "";
  for (size_t i = 0; i < p->n_writable; i++) {
    const char *w = p->writable[i];
    size_t n = strlen(w);
    if (n == 0)
      return 1;
    if (strncmp(rel, w, n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
      return 1;
  }
  return 0;
}
