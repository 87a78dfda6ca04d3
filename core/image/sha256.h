/*
 * image/sha256.h - SHA-256 for the image builder and doctor (cache keys,
 * file digests, manifests).
 *
 * core does not link vbx_protocol (which has its own copy for the static
 * guest agent), so this is a small self-contained FIPS 180-4 version. No
 * global state: each context belongs to one thread at a time.
 */
#ifndef VBX_IMAGE_SHA256_H
#define VBX_IMAGE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/protocol/crypto.h"

#define VBX__SHA256_LEN 32
#define VBX__SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct vbx_sha256 vbx__sha256;

/* Streaming digest: init, update any number of times (data may be NULL when
 * len is 0), final writes 32 bytes. */
void vbx__sha256_init(vbx__sha256 *c);
void vbx__sha256_update(vbx__sha256 *c, const void *data, size_t len);
void vbx__sha256_final(vbx__sha256 *c, uint8_t out[VBX__SHA256_LEN]);

/* Lower-case hex of a digest into hex[65]. */
void vbx__sha256_hex(const uint8_t d[VBX__SHA256_LEN], char hex[VBX__SHA256_HEX]);

/* One-shot digest of a buffer, as hex. */
void vbx__sha256_buf_hex(const void *data, size_t len, char hex[VBX__SHA256_HEX]);

/* Digest of the file at path, as hex; *size_out (may be NULL) gets its size.
 * Returns 0, VBX_E_NOTFOUND or VBX_E_IO. */
int vbx__sha256_file_hex(const char *path, char hex[VBX__SHA256_HEX], uint64_t *size_out);

#endif
