/*
 * fuzz_policy_parse.c - libFuzzer target for the guest agent's policy file
 * reader (protocol/src/policy.c): the agent parses bytes the host wrote,
 * but a policy file in an image or a pipe is input all the same.
 *
 * 1. Any bytes: the parser returns 0 or a policy error code, its message
 *    is NUL-terminated within its buffer, and the counts stay within the
 *    limits.
 * 2. A policy that parses is written back (vbx_proto_policy_write), which
 *    must succeed, and the text must parse again to the same policy.
 * Invariants are checked with __builtin_trap so libFuzzer reports them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "voidbox/protocol/policy.h"
#include "voidbox/protocol/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                \
  do {                          \
    if (!(c)) __builtin_trap(); \
  } while (0)

static int same(const struct vbx_proto_policy *a, const struct vbx_proto_policy *b) {
  if (a->allow_all != b->allow_all || a->n_allow != b->n_allow || a->n_writable != b->n_writable ||
      a->have_uid != b->have_uid || a->have_gid != b->have_gid || a->uid != b->uid ||
      a->gid != b->gid || a->max_procs != b->max_procs || a->max_execs != b->max_execs ||
      a->max_output != b->max_output || a->n_rlimits != b->n_rlimits)
    return 0;
  for (size_t i = 0; i < a->n_allow; i++)
    if (strcmp(a->allow[i], b->allow[i]) != 0) return 0;
  for (size_t i = 0; i < a->n_writable; i++)
    if (strcmp(a->writable[i], b->writable[i]) != 0) return 0;
  for (size_t i = 0; i < a->n_rlimits; i++)
    if (a->rlimits[i].resource != b->rlimits[i].resource ||
        a->rlimits[i].soft != b->rlimits[i].soft || a->rlimits[i].hard != b->rlimits[i].hard)
      return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct vbx_proto_policy p, q;
  static char text[VBX_PROTO_POLICY_MAX_BYTES + 1];
  char err[200];
  size_t len = 0;

  memset(err, 'x', sizeof err);
  vbx_proto_policy_init(&p);
  int rc = vbx_proto_policy_parse((const char *)data, size, &p, err, sizeof err);
  CHECK(rc == 0 || rc == VBX_PROTO_E_PROTOCOL || rc == VBX_PROTO_E_TOOBIG);
  CHECK(p.n_allow <= VBX_PROTO_POLICY_MAX_ENTRIES);
  CHECK(p.n_writable <= VBX_PROTO_POLICY_MAX_ENTRIES);
  CHECK(p.n_rlimits <= VBX_PROTO_POLICY_MAX_RLIMITS);
  if (rc != 0) {
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    return 0;
  }
  rc = vbx_proto_policy_write(&p, "fuzz", text, sizeof text, &len);
  CHECK(rc == 0);
  CHECK(len == strlen(text));
  vbx_proto_policy_init(&q);
  CHECK(vbx_proto_policy_parse(text, len, &q, err, sizeof err) == 0);
  CHECK(same(&p, &q));
  return 0;
}
