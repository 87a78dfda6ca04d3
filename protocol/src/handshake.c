/*
 * handshake.c - proofs and version/feature negotiation of the v1 handshake.
 */
#include <string.h>

#include "util/wipe.h"
#include "voidbox/protocol/crypto.h"
#include "voidbox/protocol/handshake.h"

static void proof(const void *secret, size_t secret_len, const uint8_t nonce[VBX_PROTO_NONCE_SIZE],
                  const char *label, uint8_t out[VBX_PROTO_PROOF_SIZE]) {
  struct vbx_hmac_sha256 c;

  vbx_proto_hmac_sha256_init(&c, secret, secret_len);
  vbx_proto_hmac_sha256_update(&c, nonce, VBX_PROTO_NONCE_SIZE);
  vbx_proto_hmac_sha256_update(&c, label, strlen(label));
  vbx_proto_hmac_sha256_final(&c, out);
}

void vbx_proto_host_proof(const void *secret, size_t secret_len,
                          const uint8_t gnonce[VBX_PROTO_NONCE_SIZE],
                          uint8_t out[VBX_PROTO_PROOF_SIZE]) {
  proof(secret, secret_len, gnonce, VBX_PROTO_HOST_LABEL, out);
}

void vbx_proto_guest_proof(const void *secret, size_t secret_len,
                           const uint8_t hnonce[VBX_PROTO_NONCE_SIZE],
                           uint8_t out[VBX_PROTO_PROOF_SIZE]) {
  proof(secret, secret_len, hnonce, VBX_PROTO_GUEST_LABEL, out);
}

int vbx_proto_negotiate(uint16_t local_min, uint16_t local_max, uint16_t peer_min,
                        uint16_t peer_max, uint16_t *chosen) {
  uint16_t hi;

  *chosen = 0;
  if (local_min == 0 || local_min > local_max || peer_min == 0 || peer_min > peer_max)
    return VBX_PROTO_E_PROTOCOL;
  hi = local_max < peer_max ? local_max : peer_max;
  if (hi < local_min || hi < peer_min) return VBX_PROTO_E_VERSION;
  *chosen = hi;
  return 0;
}

int vbx_proto_guest_check_hello(const void *secret, size_t secret_len,
                                const struct vbx_proto_challenge *mine,
                                const struct vbx_proto_hello *hello,
                                struct vbx_proto_hello_ok *ok) {
  uint8_t expect[VBX_PROTO_PROOF_SIZE];
  int rc;

  memset(ok, 0, sizeof(*ok));
  vbx_proto_host_proof(secret, secret_len, mine->nonce, expect);
  rc = vbx_proto_ct_equal(expect, hello->proof, sizeof(expect)) ? 0 : VBX_PROTO_E_AUTH;
  if (!rc)
    rc = vbx_proto_negotiate(mine->min_version, mine->max_version, hello->min_version,
                             hello->max_version, &ok->version);
  if (!rc) {
    ok->features = mine->features & hello->features;
    vbx_proto_guest_proof(secret, secret_len, hello->host_nonce, ok->proof);
  } else {
    memset(ok, 0, sizeof(*ok));
  }
  vbx__wipe(expect, sizeof(expect));
  return rc;
}

int vbx_proto_host_check_hello_ok(const void *secret, size_t secret_len,
                                  const struct vbx_proto_hello *mine,
                                  const struct vbx_proto_hello_ok *ok) {
  uint8_t expect[VBX_PROTO_PROOF_SIZE];
  int rc;

  vbx_proto_guest_proof(secret, secret_len, mine->host_nonce, expect);
  rc = vbx_proto_ct_equal(expect, ok->proof, sizeof(expect)) ? 0 : VBX_PROTO_E_AUTH;
  if (!rc && (ok->version < mine->min_version || ok->version > mine->max_version))
    rc = VBX_PROTO_E_VERSION;
  if (!rc && (ok->features & ~mine->features)) rc = VBX_PROTO_E_PROTOCOL;
  vbx__wipe(expect, sizeof(expect));
  return rc;
}
