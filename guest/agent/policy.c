/*
 * guest/agent/policy.c - the agent's policy: reading the file (its format is
 * the protocol's, voidbox/protocol/policy.h) and the two questions the agent
 * asks it: may this command run, may this path be written
 * (docs/guest-agent.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

int vbx__policy_load_fd(int fd, struct vbx_proto_policy *p, char *err, size_t errcap) {
  char *buf = malloc(VBX_PROTO_POLICY_MAX_BYTES + 1);
  size_t have = 0;
  int rc = 0;
  if (buf == NULL) {
    snprintf(err, errcap, "policy: out of memory");
    return VBX_E_NOMEM;
  }
  for (;;) {
    ssize_t r = read(fd, buf + have, VBX_PROTO_POLICY_MAX_BYTES + 1 - have);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(err, errcap, "policy: read: %s", strerror(errno));
      rc = VBX_E_IO;
      goto out;
    }
    if (r == 0) break;
    have += (size_t)r;
    if (have > VBX_PROTO_POLICY_MAX_BYTES) {
      snprintf(err, errcap, "policy: larger than %d bytes", VBX_PROTO_POLICY_MAX_BYTES);
      rc = VBX_E_TOOBIG;
      goto out;
    }
  }
  if (vbx_proto_policy_parse(buf, have, p, err, errcap) != 0) rc = VBX_E_SPEC;
out:
  free(buf);
  return rc;
}

int vbx__policy_allows(const struct vbx_proto_policy *p, const char *argv0) {
  if (argv0 == NULL || argv0[0] == '\0') return 0;
  if (p->allow_all) return 1;
  for (size_t i = 0; i < p->n_allow; i++)
    if (strcmp(p->allow[i], argv0) == 0) return 1;
  return 0;
}

int vbx__policy_writable(const struct vbx_proto_policy *p, const char *rel) {
  if (p->n_writable == 0) return 1;
  if (strcmp(rel, ".") == 0) rel = "";
  for (size_t i = 0; i < p->n_writable; i++) {
    const char *w = p->writable[i];
    size_t n = strlen(w);
    if (n == 0) return 1;
    if (strncmp(rel, w, n) == 0 && (rel[n] == '\0' || rel[n] == '/')) return 1;
  }
  return 0;
}
