/*
 * hmac.c - HMAC-SHA256 (RFC 2104), constant-time compare. Key material
 * is erased with core/util's vbx__wipe.
 */
#include <string.h>

#include "util/wipe.h"
#include "voidbox/protocol/crypto.h"

int vbx_proto_ct_equal(const void *a, const void *b, size_t n) {
  const volatile uint8_t *x = a, *y = b;
  uint8_t diff = 0;
  size_t i;

  for (i = 0; i < n; i++)
    diff |= (uint8_t)(x[i] ^ y[i]);
  return (int)(1 & ((diff - 1u) >> 8));
}

void vbx_proto_hmac_sha256_init(struct vbx_hmac_sha256 *c, const void *key, size_t key_len) {
  uint8_t k[VBX_SHA256_BLOCK_SIZE];
  uint8_t ipad[VBX_SHA256_BLOCK_SIZE];
  size_t i;

  memset(k, 0, sizeof(k));
  if (key_len > VBX_SHA256_BLOCK_SIZE)
    vbx_proto_sha256(key, key_len, k);
  else if (key_len)
    memcpy(k, key, key_len);
  for (i = 0; i < VBX_SHA256_BLOCK_SIZE; i++) {
    ipad[i] = k[i] ^ 0x36;
    c->opad_key[i] = k[i] ^ 0x5c;
  }
  vbx_proto_sha256_init(&c->inner);
  vbx_proto_sha256_update(&c->inner, ipad, sizeof(ipad));
  vbx__wipe(k, sizeof(k));
  vbx__wipe(ipad, sizeof(ipad));
}

void vbx_proto_hmac_sha256_update(struct vbx_hmac_sha256 *c, const void *data, size_t len) {
  vbx_proto_sha256_update(&c->inner, data, len);
}

void vbx_proto_hmac_sha256_final(struct vbx_hmac_sha256 *c, uint8_t out[VBX_SHA256_DIGEST_SIZE]) {
  uint8_t ih[VBX_SHA256_DIGEST_SIZE];
  struct vbx_sha256 outer;

  vbx_proto_sha256_final(&c->inner, ih);
  vbx_proto_sha256_init(&outer);
  vbx_proto_sha256_update(&outer, c->opad_key, sizeof(c->opad_key));
  vbx_proto_sha256_update(&outer, ih, sizeof(ih));
  vbx_proto_sha256_final(&outer, out);
  vbx__wipe(ih, sizeof(ih));
  vbx__wipe(c, sizeof(*c));
}

void vbx_proto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                           uint8_t out[VBX_SHA256_DIGEST_SIZE]) {
  struct vbx_hmac_sha256 c;

  vbx_proto_hmac_sha256_init(&c, key, key_len);
  vbx_proto_hmac_sha256_update(&c, data, len);
  vbx_proto_hmac_sha256_final(&c, out);
}
