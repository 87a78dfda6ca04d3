/*
 * exporter-otlp/kvlist.h - an ordered list of string pairs (HTTP headers,
 * resource attributes) where a key set again replaces its value, and the
 * "key=value,key=value" lists of OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_RESOURCE_ATTRIBUTES (W3C Baggage style: entries trimmed of spaces
 * and tabs, values percent-decoded).
 *
 * Threads: a list is used by one thread at a time.
 */
#ifndef VBX_OTLP_KVLIST_H
#define VBX_OTLP_KVLIST_H

#include <stddef.h>

#define OX_KV_MAX 128        /* entries of one list */
#define OX_KV_KEY_MAX 256    /* bytes of a key */
#define OX_KV_VALUE_MAX 4096 /* bytes of a value */
#define OX_KV_TEXT_MAX 65536 /* bytes of one "k=v,..." text */

typedef struct ox_kv {
  char *key, *value;
} ox_kv;

typedef struct ox_kvlist {
  ox_kv *v;
  size_t n;
  int nocase; /* keys compare case-insensitively (HTTP header names) */
} ox_kvlist;

/* Set key to value (copied), replacing an existing entry. 0, VBX_E_LIMIT
 * past OX_KV_MAX entries, or VBX_E_NOMEM. */
int ox_kvlist_set(ox_kvlist *l, const char *key, const char *value);
/* The value of key, or NULL. Borrowed. */
const char *ox_kvlist_get(const ox_kvlist *l, const char *key);
/* Remove every entry. */
void ox_kvlist_free(ox_kvlist *l);
/* Set every entry of `from` into l. 0 or an ox_kvlist_set error. */
int ox_kvlist_merge(ox_kvlist *l, const ox_kvlist *from);

/* What a key of a list must be. */
#define OX_KEY_HEADER 1    /* an HTTP token (RFC 9110) */
#define OX_KEY_ATTRIBUTE 2 /* printable, no '=' or ',' */

/* Non-zero when key is acceptable as `kind` (OX_KEY_*): non-empty, at
 * most OX_KV_KEY_MAX bytes, and of the kind's characters. */
int ox_key_ok(const char *key, size_t len, int kind);
/* Non-zero when a value is acceptable: at most OX_KV_VALUE_MAX bytes,
 * no control characters but tab. */
int ox_value_ok(const char *value, size_t len);

/* Parse "k1=v1, k2=v2" into l (entries replace). Empty entries are
 * skipped. On error returns VBX_E_INVAL (VBX_E_LIMIT, VBX_E_NOMEM) with why
 * naming the entry by position and key, never its value (a header value
 * may be a secret); l may then hold the entries before the bad one. */
int ox_kvlist_parse(ox_kvlist *l, const char *text, int key_kind, char *why, size_t why_len);

#endif
