/*
 * voidbox/protocol/crypto.h - self-contained SHA-256 (FIPS 180-4),
 * HMAC-SHA256 (RFC 2104) and a constant-time compare, so the static guest
 * agent needs no crypto library. No allocation, no global state but
 * whether the CPU has the x86 SHA extensions (asked once, thread-safe);
 * each context belongs to one thread at a time.
 */
#ifndef VOIDBOX_PROTOCOL_CRYPTO_H
#define VOIDBOX_PROTOCOL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VBX_SHA256_DIGEST_SIZE 32u
#define VBX_SHA256_BLOCK_SIZE 64u

struct vbx_sha256 {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  uint8_t block[VBX_SHA256_BLOCK_SIZE];
  size_t used; /* bytes waiting in block */
};

/* vbx_proto_sha256_init / _update / _final - streaming SHA-256. update may
 * be called any number of times (len 0 allowed, data may then be NULL).
 * final writes the digest and wipes the context; init it again to reuse. */
void vbx_proto_sha256_init(struct vbx_sha256 *c);
void vbx_proto_sha256_update(struct vbx_sha256 *c, const void *data, size_t len);
void vbx_proto_sha256_final(struct vbx_sha256 *c, uint8_t out[VBX_SHA256_DIGEST_SIZE]);
/* vbx_proto_sha256 - one-shot digest of data[0..len). */
void vbx_proto_sha256(const void *data, size_t len, uint8_t out[VBX_SHA256_DIGEST_SIZE]);

struct vbx_hmac_sha256 {
  struct vbx_sha256 inner;
  uint8_t opad_key[VBX_SHA256_BLOCK_SIZE]; /* key ^ 0x5c */
};

/* vbx_proto_hmac_sha256_init / _update / _final - streaming HMAC-SHA256.
 * Keys longer than 64 bytes are hashed first (RFC 2104). final writes the
 * MAC and wipes the context (key material included). */
void vbx_proto_hmac_sha256_init(struct vbx_hmac_sha256 *c, const void *key, size_t key_len);
void vbx_proto_hmac_sha256_update(struct vbx_hmac_sha256 *c, const void *data, size_t len);
void vbx_proto_hmac_sha256_final(struct vbx_hmac_sha256 *c, uint8_t out[VBX_SHA256_DIGEST_SIZE]);
/* vbx_proto_hmac_sha256 - one-shot MAC. */
void vbx_proto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                           uint8_t out[VBX_SHA256_DIGEST_SIZE]);

/* vbx_proto_ct_equal - 1 if a[0..n) == b[0..n), else 0, in time that
 * depends only on n (never on where the bytes differ). */
int vbx_proto_ct_equal(const void *a, const void *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_PROTOCOL_CRYPTO_H */
