/*
 * llm-common/retry.h - the retry policy of the LLM providers.
 *
 * A request is retried on HTTP 408, 409, 429 and 5xx and on transport
 * errors (VBX_E_HTTP, VBX_E_TIMEOUT), at most max_retries times, never
 * after streamed output was delivered to the caller and never once the
 * call is cancelled or past its deadline. The wait before retry n (1-based)
 * is the server's Retry-After when present (seconds or an HTTP date,
 * capped at VBX_RETRY_AFTER_CAP_MS), otherwise exponential backoff with full
 * jitter: uniform in [base/2, min(cap, base * 2^(n-1))].
 *
 * Pure functions; thread-safe (the jitter state is the caller's).
 */
#ifndef VBX_LLM_RETRY_H
#define VBX_LLM_RETRY_H

#include <stdint.h>

#define VBX_RETRY_DEFAULT_MAX 3
#define VBX_RETRY_BASE_MS 500u
#define VBX_RETRY_CAP_MS 20000u
#define VBX_RETRY_AFTER_CAP_MS 60000u

/* Non-zero when an HTTP status is worth retrying. */
int vbx_retry_status(long status);
/* Non-zero when a transport error code is worth retrying. */
int vbx_retry_transport(int code);
/* Parse a Retry-After value: delta-seconds ("3") or an IMF-fixdate ("Wed,
 * 21 Oct 2015 07:28:00 GMT"), relative to now_s (Unix seconds). Dates in
 * the past give 0. The result is capped at VBX_RETRY_AFTER_CAP_MS. Returns 0
 * and *out_ms, or VBX_E_INVAL when the value is neither form. */
int vbx_retry_after_parse(const char *value, int64_t now_s, uint64_t *out_ms);
/* Backoff before retry `attempt` (1-based) with jitter from *rng (any
 * seed; updated). */
uint64_t vbx_retry_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms, uint64_t *rng);

#endif
