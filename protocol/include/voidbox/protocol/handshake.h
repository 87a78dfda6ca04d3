/*
 * voidbox/protocol/handshake.h - the authenticated, versioned v1 handshake
 * (docs/protocol.md section 3):
 *
 *   guest -> host  CHALLENGE { versions, features, gnonce[32] }
 *   host  -> guest HELLO     { versions, features,
 *                              proof = HMAC(secret, gnonce || "voidbox-v1"),
 *                              hnonce[32] }
 *   guest -> host  HELLO_OK  { version, features,
 *                              proof = HMAC(secret, hnonce || "voidbox-v1-ok") }
 *               or ERROR     { VERSION or AUTH } and close.
 *
 * The secret never crosses the wire. Nonces come from the caller (getrandom):
 * this library does no I/O. Functions here are pure.
 */
#ifndef VOIDBOX_PROTOCOL_HANDSHAKE_H
#define VOIDBOX_PROTOCOL_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/protocol/messages.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VBX_PROTO_VERSION_MIN 1u /* message-set versions this build speaks */
#define VBX_PROTO_VERSION_MAX 1u
#define VBX_PROTO_SECRET_SIZE 32u /* recommended session secret length */
#define VBX_PROTO_HOST_LABEL "voidbox-v1"
#define VBX_PROTO_GUEST_LABEL "voidbox-v1-ok"

/* vbx_proto_host_proof - HMAC-SHA256(secret, gnonce || "voidbox-v1"): what
 * the host puts in HELLO.proof to show it holds the secret. */
void vbx_proto_host_proof(const void *secret, size_t secret_len,
                          const uint8_t gnonce[VBX_PROTO_NONCE_SIZE],
                          uint8_t out[VBX_PROTO_PROOF_SIZE]);

/* vbx_proto_guest_proof - HMAC-SHA256(secret, hnonce || "voidbox-v1-ok"):
 * what the guest puts in HELLO_OK.proof. The labels differ (and the two
 * messages differ in length) so neither proof can be replayed as the other. */
void vbx_proto_guest_proof(const void *secret, size_t secret_len,
                           const uint8_t hnonce[VBX_PROTO_NONCE_SIZE],
                           uint8_t out[VBX_PROTO_PROOF_SIZE]);

/* vbx_proto_negotiate - the highest version in both [local_min, local_max]
 * and [peer_min, peer_max] into *chosen. Returns 0, E_VERSION if the ranges
 * do not overlap, E_PROTOCOL if a range is empty or starts at 0. */
int vbx_proto_negotiate(uint16_t local_min, uint16_t local_max, uint16_t peer_min,
                        uint16_t peer_max, uint16_t *chosen);

/* vbx_proto_guest_check_hello - guest side: given its own CHALLENGE and the
 * host's HELLO, verify the host proof in constant time (E_AUTH), negotiate
 * the version (E_VERSION) and fill *ok with the chosen version, the feature
 * intersection and the guest proof. On error *ok is zeroed; the guest then
 * sends ERROR with the returned code and closes the connection. */
int vbx_proto_guest_check_hello(const void *secret, size_t secret_len,
                                const struct vbx_proto_challenge *mine,
                                const struct vbx_proto_hello *hello, struct vbx_proto_hello_ok *ok);

/* vbx_proto_host_check_hello_ok - host side: verify the guest proof over the
 * host nonce it sent (E_AUTH) and that the chosen version and features lie
 * within what the host offered (E_VERSION / E_PROTOCOL). */
int vbx_proto_host_check_hello_ok(const void *secret, size_t secret_len,
                                  const struct vbx_proto_hello *mine,
                                  const struct vbx_proto_hello_ok *ok);

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_PROTOCOL_HANDSHAKE_H */
