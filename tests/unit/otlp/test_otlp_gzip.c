/*
 * test_otlp_gzip - request bodies through ox_gzip come back whole
 * through zlib's gzip decoder: empty, small, large and incompressible
 * inputs; the output is one gzip member (magic 1f 8b, deflate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "gzip.h"
#include "voidbox/errors.h"

/* Inflate a gzip member; the output (malloc'd) and its length. */
static unsigned char *gunzip(const unsigned char *in, size_t n, size_t *out_len) {
  z_stream zs = {0};
  assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
  size_t cap = 1024, len = 0;
  unsigned char *out = malloc(cap);
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)n;
  int rc;
  do {
    if (len == cap) out = realloc(out, cap *= 2);
    zs.next_out = out + len;
    zs.avail_out = (uInt)(cap - len);
    rc = inflate(&zs, Z_NO_FLUSH);
    len = cap - zs.avail_out;
  } while (rc == Z_OK);
  assert_int_equal(rc, Z_STREAM_END);
  assert_int_equal(zs.avail_in, 0); /* nothing after the member */
  inflateEnd(&zs);
  *out_len = len;
  return out;
}

static void round_trip(const unsigned char *data, size_t n) {
  unsigned char *gz = NULL;
  size_t gz_len = 0, back_len = 0;
  assert_int_equal(ox_gzip(data, n, &gz, &gz_len), 0);
  assert_true(gz_len >= 18); /* header and trailer */
  assert_int_equal(gz[0], 0x1f);
  assert_int_equal(gz[1], 0x8b);
  assert_int_equal(gz[2], 8); /* deflate */
  unsigned char *back = gunzip(gz, gz_len, &back_len);
  assert_int_equal(back_len, n);
  if (n) assert_memory_equal(back, data, n);
  free(back);
  free(gz);
}

static void test_round_trips(void **state) {
  (void)state;
  round_trip((const unsigned char *)"", 0);
  const char *json = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},\"scopeSpans\":[]}]}";
  round_trip((const unsigned char *)json, strlen(json));
  size_t n = (size_t)3 << 20;
  unsigned char *big = malloc(n);
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; i++) { /* half repetitive, half noise */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    big[i] = i < n / 2 ? (unsigned char)"spans"[i % 5] : (unsigned char)x;
  }
  round_trip(big, n);
  free(big);
}

static void test_compresses(void **state) {
  (void)state;
  size_t n = 100000;
  char *text = malloc(n);
  for (size_t i = 0; i < n; i++)
    text[i] = "{\"key\":\"service.name\"}"[i % 23];
  unsigned char *gz = NULL;
  size_t gz_len = 0;
  assert_int_equal(ox_gzip(text, n, &gz, &gz_len), 0);
  assert_true(gz_len < n / 20);
  free(gz);
  free(text);
}

static void test_too_big(void **state) {
  (void)state;
  unsigned char *gz = (unsigned char *)1;
  size_t len = 1;
  /* refused before a byte is read */
  assert_int_equal(ox_gzip("", OX_GZIP_MAX_IN + 1, &gz, &len), VBX_E_TOOBIG);
  assert_null(gz);
  assert_int_equal(len, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_compresses),
      cmocka_unit_test(test_too_big),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
