/*
 * otlp-common/otlp_int.h - internals shared by the files of otlp-common:
 * the bounds kept on copied records, JSON value builders (UTF-8-safe
 * strings, 64-bit integers as decimal strings, lower-case hex ids,
 * KeyValue attributes) and the resource/scope objects.
 *
 * Threads: pure functions over their arguments.
 */
#ifndef VBX_OTLP_INT_H
#define VBX_OTLP_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "otlp_json.h"

/* Bounds on what vbx_otlp_span_dup / vbx_otlp_log_dup keep of a record:
 * longer strings are cut at a UTF-8 boundary, further attributes dropped. */
#define VBX__OTLP_MAX_NAME 4096   /* name, plugin, box, origin */
#define VBX__OTLP_MAX_VALUE 65536 /* attribute values, status message, log body */
#define VBX__OTLP_MAX_ATTRS 256   /* key/value pairs */
#define VBX__OTLP_SCOPE_PREFIX "voidbox.plugin."

/* The length of s[0..n) cut to at most max bytes without splitting a UTF-8
 * sequence. */
size_t vbx__otlp_utf8_cut(const char *s, size_t n, size_t max);
/* A JSON string of s[0..n) (s may hold any bytes: invalid UTF-8 becomes
 * U+FFFD). New reference, NULL on OOM. vbx__otlp_str takes a C string; NULL
 * gives "". */
json_t *vbx__otlp_strn(const char *s, size_t n);
json_t *vbx__otlp_str(const char *s);
/* A decimal string of v ("1700000000000000000"). New reference or NULL. */
json_t *vbx__otlp_u64(uint64_t v);
/* 16 lower-case hex digits of v into out[17]. */
void vbx__otlp_hex64(uint64_t v, char out[17]);
/* {"key": key, "value": {"stringValue": value}}. New reference or NULL. */
json_t *vbx__otlp_kv_str(const char *key, const char *value);
/* Append the pairs of attrs (key, value, ..., NULL; may be NULL) to the
 * KeyValue array arr, stopping at a NULL key or value. Keys stay unique
 * (a repeated key keeps its last value) and non-empty (a pair with an
 * empty key is left out), as OTLP wants. 0 or -1 on OOM. */
int vbx__otlp_attrs_append(json_t *arr, const char *const *attrs);
/* The same with a type letter per pair (vbx_span_data.attr_types: 's',
 * 'i', 'd', 'b'; NULL or short: strings). */
int vbx__otlp_attrs_append_typed(json_t *arr, const char *const *attrs, const char *types);
/* Non-zero when attrs (key, value, ..., NULL; may be NULL) holds key. */
int vbx__otlp_attrs_has(const char *const *attrs, const char *key);
/* The OTLP Resource object of res: {"attributes": [...]}. New reference or
 * NULL on OOM. */
json_t *vbx__otlp_resource(const vbx_otlp_resource *res);
/* The scope name of a reporting plugin: "voidbox" for NULL/""/"voidbox",
 * else "voidbox.plugin.NAME", into buf (cut to n). Returns buf. */
const char *vbx__otlp_scope_name(const char *plugin, char *buf, size_t n);
/* Find or append, in the array `scopes` of Scope{Spans,Logs,Metrics}
 * objects, the one whose scope is named `name`; its `list_key` array
 * ("spans", "logRecords", "metrics") is returned (borrowed), NULL on OOM.
 * version may be NULL. */
json_t *vbx__otlp_scope_list(json_t *scopes, const char *name, const char *version,
                             const char *list_key);
/* {"resourceX": [{"resource": ..., "scopeX": scopes}]} with the names
 * given; steals `scopes` (also on failure). New reference or NULL. */
json_t *vbx__otlp_request(const vbx_otlp_resource *res, const char *resource_key,
                          const char *scopes_key, json_t *scopes);

#endif
