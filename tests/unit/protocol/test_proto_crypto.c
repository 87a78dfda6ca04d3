/*
 * test_proto_crypto.c - SHA-256 (FIPS 180-4 examples), HMAC-SHA256
 * (RFC 4231 test cases 1-7), constant-time compare, and the handshake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voidbox/protocol/protocol.h"

static void hex(const uint8_t *d, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_sha(const void *msg, size_t len, const char *want) {
  uint8_t d[32];
  char h[65];

  vbx_proto_sha256(msg, len, d);
  hex(d, 32, h);
  assert_string_equal(h, want);
}

static void test_sha256_fips180_4(void **state) {
  (void)state;
  check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  check_sha(
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a_streaming(void **state) {
  struct vbx_sha256 c;
  uint8_t chunk[997], d[32];
  char h[65];
  size_t left = 1000000, k;

  (void)state;
  memset(chunk, 'a', sizeof(chunk));
  vbx_proto_sha256_init(&c);
  while (left) { /* odd chunk size crosses block boundaries everywhere */
    k = left < sizeof(chunk) ? left : sizeof(chunk);
    vbx_proto_sha256_update(&c, chunk, k);
    left -= k;
  }
  vbx_proto_sha256_final(&c, d);
  hex(d, 32, h);
  assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_byte_at_a_time(void **state) {
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  struct vbx_sha256 c;
  uint8_t d[32], e[32];
  size_t i;

  (void)state;
  vbx_proto_sha256_init(&c);
  for (i = 0; m[i]; i++)
    vbx_proto_sha256_update(&c, m + i, 1);
  vbx_proto_sha256_update(&c, NULL, 0);
  vbx_proto_sha256_final(&c, d);
  vbx_proto_sha256(m, strlen(m), e);
  assert_memory_equal(d, e, 32);
}

static void run_hmac(const uint8_t *key, size_t kl, const void *data, size_t dl, const char *want,
                     size_t want_bytes) {
  uint8_t mac[32];
  char h[65];

  vbx_proto_hmac_sha256(key, kl, data, dl, mac);
  hex(mac, want_bytes, h);
  assert_string_equal(h, want);
}

static void test_hmac_rfc4231(void **state) {
  uint8_t key[131], data[50];
  size_t i;
  static const char tc7[] =
      "This is a test using a larger than block-size key and a larger than "
      "block-size data. The key needs to be hashed before being used by the "
      "HMAC algorithm.";

  (void)state;
  /* Test case 1 */
  memset(key, 0x0b, 20);
  run_hmac(key, 20, "Hi There", 8,
           "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32);
  /* Test case 2 */
  run_hmac((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
           "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32);
  /* Test case 3 */
  memset(key, 0xaa, 20);
  memset(data, 0xdd, 50);
  run_hmac(key, 20, data, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
           32);
  /* Test case 4 */
  for (i = 0; i < 25; i++)
    key[i] = (uint8_t)(i + 1);
  memset(data, 0xcd, 50);
  run_hmac(key, 25, data, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
           32);
  /* Test case 5 (truncated to 128 bits) */
  memset(key, 0x0c, 20);
  run_hmac(key, 20, "Test With Truncation", 20, "a3b6167473100ee06e0c796c2955552b", 16);
  /* Test case 6 */
  memset(key, 0xaa, 131);
  run_hmac(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
           "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32);
  /* Test case 7 */
  run_hmac(key, 131, tc7, strlen(tc7),
           "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32);
}

static void test_hmac_streaming_matches_oneshot(void **state) {
  struct vbx_hmac_sha256 c;
  uint8_t a[32], b[32];
  const char *msg = "what do ya want for nothing?";

  (void)state;
  vbx_proto_hmac_sha256_init(&c, "Jefe", 4);
  vbx_proto_hmac_sha256_update(&c, msg, 10);
  vbx_proto_hmac_sha256_update(&c, msg + 10, strlen(msg) - 10);
  vbx_proto_hmac_sha256_final(&c, a);
  vbx_proto_hmac_sha256("Jefe", 4, msg, strlen(msg), b);
  assert_memory_equal(a, b, 32);
}

static void test_ct_equal(void **state) {
  uint8_t x[32], y[32];
  size_t i;

  (void)state;
  memset(x, 7, sizeof(x));
  memcpy(y, x, sizeof(y));
  assert_int_equal(vbx_proto_ct_equal(x, y, 32), 1);
  assert_int_equal(vbx_proto_ct_equal(x, y, 0), 1);
  for (i = 0; i < 32; i++) {
    y[i] ^= 0x80;
    assert_int_equal(vbx_proto_ct_equal(x, y, 32), 0);
    y[i] ^= 0x80;
    y[i] ^= 0x01;
    assert_int_equal(vbx_proto_ct_equal(x, y, 32), 0);
    y[i] ^= 0x01;
  }
}

static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";

static void test_handshake_full(void **state) {
  struct vbx_proto_challenge ch = {1, 1, VBX_PROTO_FEAT_ALL_V1, {0}};
  struct vbx_proto_hello hello = {1, 3, VBX_PROTO_FEAT_FILES | (1u << 20), {0}, {0}};
  struct vbx_proto_hello_ok ok;
  uint8_t want[32];
  const char *label = "voidbox-v1";
  uint8_t msg[42];

  (void)state;
  memset(ch.nonce, 0x11, 32);
  memset(hello.host_nonce, 0x22, 32);
  vbx_proto_host_proof(secret, sizeof(secret), ch.nonce, hello.proof);
  /* proof is HMAC(secret, nonce || "voidbox-v1") exactly */
  memcpy(msg, ch.nonce, 32);
  memcpy(msg + 32, label, 10);
  vbx_proto_hmac_sha256(secret, sizeof(secret), msg, sizeof(msg), want);
  assert_memory_equal(want, hello.proof, 32);

  assert_int_equal(vbx_proto_guest_check_hello(secret, sizeof(secret), &ch, &hello, &ok), 0);
  assert_int_equal(ok.version, 1);
  assert_int_equal(ok.features, VBX_PROTO_FEAT_FILES);
  assert_int_equal(vbx_proto_host_check_hello_ok(secret, sizeof(secret), &hello, &ok), 0);

  /* a guest proof over a different host nonce is refused */
  hello.host_nonce[5] ^= 1;
  assert_int_equal(vbx_proto_host_check_hello_ok(secret, sizeof(secret), &hello, &ok),
                   VBX_PROTO_E_AUTH);
  hello.host_nonce[5] ^= 1;
  /* features outside the host's offer are refused */
  ok.features |= VBX_PROTO_FEAT_TELEMETRY;
  assert_int_equal(vbx_proto_host_check_hello_ok(secret, sizeof(secret), &hello, &ok),
                   VBX_PROTO_E_PROTOCOL);
}

static void test_handshake_wrong_secret_and_replay(void **state) {
  struct vbx_proto_challenge ch = {1, 1, 0, {0}};
  struct vbx_proto_hello hello = {1, 1, 0, {0}, {0}};
  struct vbx_proto_hello_ok ok;
  uint8_t other[32];

  (void)state;
  memset(ch.nonce, 0x33, 32);
  memcpy(other, secret, 32);
  other[0] ^= 1;
  vbx_proto_host_proof(other, 32, ch.nonce, hello.proof);
  assert_int_equal(vbx_proto_guest_check_hello(secret, 32, &ch, &hello, &ok), VBX_PROTO_E_AUTH);
  assert_int_equal(ok.version, 0);
  /* a proof for an old nonce (replay) fails against a fresh nonce */
  vbx_proto_host_proof(secret, 32, ch.nonce, hello.proof);
  ch.nonce[31] ^= 0xff;
  assert_int_equal(vbx_proto_guest_check_hello(secret, 32, &ch, &hello, &ok), VBX_PROTO_E_AUTH);
  /* the host proof is not a valid guest proof for the same nonce */
  vbx_proto_guest_proof(secret, 32, ch.nonce, other);
  vbx_proto_host_proof(secret, 32, ch.nonce, hello.proof);
  assert_int_equal(vbx_proto_ct_equal(other, hello.proof, 32), 0);
}

static void test_handshake_version(void **state) {
  struct vbx_proto_challenge ch = {1, 1, 0, {0}};
  struct vbx_proto_hello hello = {2, 4, 0, {0}, {0}};
  struct vbx_proto_hello_ok ok;
  uint16_t v;

  (void)state;
  vbx_proto_host_proof(secret, 32, ch.nonce, hello.proof);
  assert_int_equal(vbx_proto_guest_check_hello(secret, 32, &ch, &hello, &ok), VBX_PROTO_E_VERSION);
  assert_int_equal(vbx_proto_negotiate(1, 3, 2, 5, &v), 0);
  assert_int_equal(v, 3);
  assert_int_equal(vbx_proto_negotiate(2, 5, 1, 3, &v), 0);
  assert_int_equal(v, 3);
  assert_int_equal(vbx_proto_negotiate(4, 5, 1, 3, &v), VBX_PROTO_E_VERSION);
  assert_int_equal(vbx_proto_negotiate(0, 5, 1, 3, &v), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(vbx_proto_negotiate(1, 5, 3, 2, &v), VBX_PROTO_E_PROTOCOL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_fips180_4),
      cmocka_unit_test(test_sha256_million_a_streaming),
      cmocka_unit_test(test_sha256_byte_at_a_time),
      cmocka_unit_test(test_hmac_rfc4231),
      cmocka_unit_test(test_hmac_streaming_matches_oneshot),
      cmocka_unit_test(test_ct_equal),
      cmocka_unit_test(test_handshake_full),
      cmocka_unit_test(test_handshake_wrong_secret_and_replay),
      cmocka_unit_test(test_handshake_version),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
