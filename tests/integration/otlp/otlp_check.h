/*
 * tests/integration/otlp/otlp_check.h - the validator of the OTLP/JSON
 * export requests the test receiver accepts (opentelemetry-proto 1.x, the
 * OTLP/JSON encoding rules of the OTLP specification).
 *
 * What it checks, each failure named with its JSON path
 * ("resourceSpans[0].scopeSpans[1].spans[4].traceId: ..."):
 *  - every object of the request has only the fields of its message
 *    (a misspelled key is an error), its required fields (resource, scope,
 *    scope name, span/metric name, ids, times, ...) and the right JSON type
 *    for each;
 *  - traceId 32 and spanId 16 lower-case hex digits, not all zero;
 *    parentSpanId absent, "" or 16 such digits;
 *  - enums as integers in range: kind 0..5, status.code 0..2,
 *    aggregationTemporality 1..2, severityNumber 1..24;
 *  - 64-bit integers (times, asInt, intValue, count, bucketCounts) as
 *    decimal strings in range; 32-bit ones (flags, dropped counts) as
 *    integers; doubles as numbers;
 *  - times: end >= start, a data point's start <= its time;
 *  - attributes: [{key, value}] with unique non-empty keys, each value one
 *    of stringValue, intValue, doubleValue, boolValue, arrayValue,
 *    kvlistValue, bytesValue;
 *  - metrics: a valid instrument name and exactly one data kind; a sum has
 *    isMonotonic and its temporality; a histogram's bucketCounts has one
 *    more entry than explicitBounds (increasing), and the buckets sum to
 *    count; min <= max;
 *  - no empty export: resource, scope and record lists are non-empty.
 *
 * Pure functions over jansson values; thread-safe.
 */
#ifndef VBX_TEST_OTLP_CHECK_H
#define VBX_TEST_OTLP_CHECK_H

#include <stddef.h>

#include <jansson.h>

typedef enum otlp_signal { OTLP_TRACES = 0, OTLP_METRICS = 1, OTLP_LOGS = 2 } otlp_signal;

/* otlp_signal_name - "traces", "metrics" or "logs". */
const char *otlp_signal_name(otlp_signal sig);
/* otlp_signal_of_path - the signal of an OTLP/HTTP request path
 * ("/v1/traces", "/v1/metrics", "/v1/logs"), or -1 for any other path. */
int otlp_signal_of_path(const char *path);
/* otlp_check - check doc as the export request of sig. Returns 0 when it
 * is valid, -1 with the first violation in why ("PATH: what is wrong",
 * NUL-terminated, cut at cap) when it is not. */
int otlp_check(otlp_signal sig, const json_t *doc, char *why, size_t cap);
/* otlp_check_text - parse text (len bytes; duplicate keys refused) and
 * check it; a parse error is a violation too ("not JSON: ..."). */
int otlp_check_text(otlp_signal sig, const char *text, size_t len, char *why, size_t cap);

#endif
