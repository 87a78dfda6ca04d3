/*
 * sha256.c - SHA-256 per FIPS 180-4, portable C, no tables beyond K. On
 * x86-64 CPUs with the SHA extensions (SHA-NI) the blocks go through them
 * instead, about ten times faster: file put/get hash every byte on both
 * sides. The CPU is asked once (the only state kept across calls).
 */
#include <string.h>

#include "util/wipe.h"
#include "voidbox/protocol/crypto.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t blk[64]) {
  uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
  unsigned i;

  for (i = 0; i < 16; i++)
    w[i] = ((uint32_t)blk[4 * i] << 24) | ((uint32_t)blk[4 * i + 1] << 16) |
           ((uint32_t)blk[4 * i + 2] << 8) | blk[4 * i + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = h[0];
  b = h[1];
  c = h[2];
  d = h[3];
  e = h[4];
  f = h[5];
  g = h[6];
  k = h[7];
  for (i = 0; i < 64; i++) {
    t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define SHA_NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Four rounds (j: 0..15) on the message words in m[j % 4], scheduling the
 * words of the rounds ahead as Intel's SHA extensions reference does. */
#define QROUND(j)                                                                          \
  do {                                                                                     \
    __m128i x_ = _mm_add_epi32(m[(j) % 4], _mm_loadu_si128((const __m128i *)&K[4 * (j)])); \
    s1 = _mm_sha256rnds2_epu32(s1, s0, x_);                                                \
    if ((j) >= 3 && (j) <= 14) {                                                           \
      __m128i t_ = _mm_alignr_epi8(m[(j) % 4], m[((j) + 3) % 4], 4);                       \
      m[((j) + 1) % 4] = _mm_add_epi32(m[((j) + 1) % 4], t_);                              \
      m[((j) + 1) % 4] = _mm_sha256msg2_epu32(m[((j) + 1) % 4], m[(j) % 4]);               \
    }                                                                                      \
    x_ = _mm_shuffle_epi32(x_, 0x0e);                                                      \
    s0 = _mm_sha256rnds2_epu32(s0, s1, x_);                                                \
    if ((j) >= 1 && (j) <= 12)                                                             \
      m[((j) + 3) % 4] = _mm_sha256msg1_epu32(m[((j) + 3) % 4], m[(j) % 4]);               \
  } while (0)

/* n blocks at p through the SHA extensions. */
SHA_NI_TARGET static void blocks_ni(uint32_t h[8], const uint8_t *p, size_t n) {
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
  __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xb1);  /* CDAB */
  __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1b); /* EFGH */
  __m128i s0 = _mm_alignr_epi8(t, s1, 8);                                        /* ABEF */
  s1 = _mm_blend_epi16(s1, t, 0xf0);                                             /* CDGH */
  for (; n > 0; n--, p += VBX_SHA256_BLOCK_SIZE) {
    __m128i abef = s0, cdgh = s1, m[4];
    for (int i = 0; i < 4; i++)
      m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
    QROUND(0);
    QROUND(1);
    QROUND(2);
    QROUND(3);
    QROUND(4);
    QROUND(5);
    QROUND(6);
    QROUND(7);
    QROUND(8);
    QROUND(9);
    QROUND(10);
    QROUND(11);
    QROUND(12);
    QROUND(13);
    QROUND(14);
    QROUND(15);
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
  }
  t = _mm_shuffle_epi32(s0, 0x1b);                                  /* FEBA */
  s1 = _mm_shuffle_epi32(s1, 0xb1);                                 /* DCHG */
  _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, s1, 0xf0)); /* DCBA */
  _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(s1, t, 8));    /* HGFE */
}

/* 1 when the CPU has the SHA extensions (and the SSSE3/SSE4.1 the code
 * above also uses); asked once. */
static int have_sha_ni(void) {
  static int known; /* 0 not asked, 1 no, 2 yes; a race only asks twice */
  int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
  if (k == 0) {
    unsigned a, b, c, d, ok = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
        __get_cpuid_count(7, 0, &a, &b, &c, &d))
      ok = (b >> 29) & 1; /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
    k = ok ? 2 : 1;
    __atomic_store_n(&known, k, __ATOMIC_RELAXED);
  }
  return k == 2;
}
#endif

/* n consecutive blocks at p. */
static void blocks(uint32_t h[8], const uint8_t *p, size_t n) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (have_sha_ni()) {
    blocks_ni(h, p, n);
    return;
  }
#endif
  for (; n > 0; n--, p += VBX_SHA256_BLOCK_SIZE)
    compress(h, p);
}

void vbx_proto_sha256_init(struct vbx_sha256 *c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof(iv));
  c->total = 0;
  c->used = 0;
}

void vbx_proto_sha256_update(struct vbx_sha256 *c, const void *data, size_t len) {
  const uint8_t *p = data;
  size_t k;

  c->total += len;
  while (len) {
    if (c->used == 0 && len >= VBX_SHA256_BLOCK_SIZE) {
      size_t n = len / VBX_SHA256_BLOCK_SIZE;
      blocks(c->h, p, n);
      p += n * VBX_SHA256_BLOCK_SIZE;
      len -= n * VBX_SHA256_BLOCK_SIZE;
      continue;
    }
    k = VBX_SHA256_BLOCK_SIZE - c->used;
    if (k > len) k = len;
    memcpy(c->block + c->used, p, k);
    c->used += k;
    p += k;
    len -= k;
    if (c->used == VBX_SHA256_BLOCK_SIZE) {
      blocks(c->h, c->block, 1);
      c->used = 0;
    }
  }
}

void vbx_proto_sha256_final(struct vbx_sha256 *c, uint8_t out[VBX_SHA256_DIGEST_SIZE]) {
  uint64_t bits = c->total * 8;
  unsigned i;

  c->block[c->used++] = 0x80;
  if (c->used > 56) {
    memset(c->block + c->used, 0, VBX_SHA256_BLOCK_SIZE - c->used);
    blocks(c->h, c->block, 1);
    c->used = 0;
  }
  memset(c->block + c->used, 0, 56 - c->used);
  for (i = 0; i < 8; i++)
    c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  blocks(c->h, c->block, 1);
  for (i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->h[i];
  }
  vbx__wipe(c, sizeof(*c));
}

void vbx_proto_sha256(const void *data, size_t len, uint8_t out[VBX_SHA256_DIGEST_SIZE]) {
  struct vbx_sha256 c;

  vbx_proto_sha256_init(&c);
  vbx_proto_sha256_update(&c, data, len);
  vbx_proto_sha256_final(&c, out);
}
