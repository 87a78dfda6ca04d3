/*
 * llm-common/retry.c - retry decisions, Retry-After parsing, backoff.
 */
#include "retry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "voidbox/errors.h"

int vbx_retry_status(long status) {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

int vbx_retry_transport(int code) { return code == VBX_E_HTTP || code == VBX_E_TIMEOUT; }

int vbx_retry_after_parse(const char *value, int64_t now_s, uint64_t *out_ms) {
  if (!value) return VBX_E_INVAL;
  while (*value == ' ' || *value == '\t')
    value++;
  size_t n = strlen(value);
  while (n > 0 && isspace((unsigned char)value[n - 1]))
    n--;
  if (n == 0 || n > 64) return VBX_E_INVAL;
  char buf[65];
  memcpy(buf, value, n);
  buf[n] = 0;
  if (isdigit((unsigned char)buf[0])) {
    uint64_t secs = 0;
    for (size_t i = 0; i < n; i++) {
      if (!isdigit((unsigned char)buf[i])) return VBX_E_INVAL;
      if (secs < 1000000) secs = secs * 10 + (uint64_t)(buf[i] - '0');
    }
    uint64_t ms = secs * 1000;
    *out_ms = ms > VBX_RETRY_AFTER_CAP_MS ? VBX_RETRY_AFTER_CAP_MS : ms;
    return 0;
  }
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  const char *end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return VBX_E_INVAL;
  time_t when = timegm(&tm);
  if (when == (time_t)-1) return VBX_E_INVAL;
  int64_t delta = (int64_t)when - now_s;
  if (delta < 0) delta = 0;
  uint64_t ms = (uint64_t)delta * 1000;
  *out_ms = ms > VBX_RETRY_AFTER_CAP_MS ? VBX_RETRY_AFTER_CAP_MS : ms;
  return 0;
}

static uint64_t next_rand(uint64_t *s) {
  /* xorshift64*; a zero state is replaced by a fixed seed */
  uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

uint64_t vbx_retry_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms, uint64_t *rng) {
  if (attempt == 0) attempt = 1;
  uint64_t hi = base_ms;
  for (unsigned i = 1; i < attempt && hi < cap_ms; i++)
    hi *= 2;
  if (hi > cap_ms) hi = cap_ms;
  uint64_t lo = base_ms / 2;
  if (lo > hi) lo = hi;
  return lo + next_rand(rng) % (hi - lo + 1);
}
