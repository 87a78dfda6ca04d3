/*
 * tests/integration/otlp/otlp_check_int.h - the validator's machinery,
 * shared by otlp_check.c (fields, common messages) and
 * otlp_check_signals.c (the three export requests).
 *
 * A message is a table of fields; ck_msg checks an object against it
 * (unknown keys, required fields, JSON types, ranges) and recurses into
 * nested messages through each field's checker. Paths are built in the
 * ck as it descends, so a failure names where it is.
 */
#ifndef VBX_TEST_OTLP_CHECK_INT_H
#define VBX_TEST_OTLP_CHECK_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct ck {
  char path[512];
  size_t len;
  char *why;
  size_t cap;
} ck;

typedef int (*ck_fn)(ck *c, const json_t *v);

typedef enum ck_type {
  F_STR,     /* any string */
  F_NESTR,   /* a non-empty string */
  F_U64S,    /* uint64 as a decimal string */
  F_I64S,    /* int64 as a decimal string */
  F_INT,     /* a JSON integer in [lo, hi] (enums, 32-bit fields) */
  F_DOUBLE,  /* a JSON number */
  F_BOOL,    /* true or false */
  F_TRACEID, /* 32 lower-case hex digits, not all zero */
  F_SPANID,  /* 16 lower-case hex digits, not all zero */
  F_OPTTID,  /* "" or an F_TRACEID */
  F_OPTSID,  /* "" or an F_SPANID */
  F_ATTRS,   /* [KeyValue] with unique keys */
  F_ANY,     /* AnyValue */
  F_OBJ,     /* an object checked by fn */
  F_ARR,     /* an array, each element checked by fn */
  F_NEARR,   /* a non-empty F_ARR */
  F_U64SARR, /* an array of F_U64S */
  F_DBLARR   /* an array of F_DOUBLE */
} ck_type;

typedef struct ck_field {
  const char *name;
  ck_type type;
  int required;
  long long lo, hi; /* F_INT */
  ck_fn fn;         /* F_OBJ, F_ARR, F_NEARR: the object's / element's checker */
} ck_field;

/* ck_fail - record "PATH: msg" as the violation; returns -1. */
int ck_fail(ck *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ck_push_key / ck_push_idx - descend into member key / element i;
 * return the length to restore with ck_pop. */
size_t ck_push_key(ck *c, const char *key);
size_t ck_push_idx(ck *c, size_t i);
/* ck_pop - back to the path length saved by a push. */
void ck_pop(ck *c, size_t saved);
/* ck_msg - check obj (at the current path) against fields, a table ended
 * by a NULL name. Returns 0 or -1 (ck_fail). */
int ck_msg(ck *c, const json_t *obj, const ck_field *fields);
/* ck_u64 - the value of a string that passed F_U64S (0 when absent). */
uint64_t ck_u64(const json_t *obj, const char *key);
/* ck_resource / ck_scope - Resource and InstrumentationScope messages. */
int ck_resource(ck *c, const json_t *v);
int ck_scope(ck *c, const json_t *v);
/* ck_times - start <= end for two F_U64S members of obj (absent: 0);
 * end_required: end must also be non-zero. */
int ck_times(ck *c, const json_t *obj, const char *start, const char *end, int end_required);

#endif
