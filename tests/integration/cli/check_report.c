/*
 * check_report.c - validates a `voidbox run --output json` report against
 * the documented shape (docs/cli.md): every key present with its type, no
 * unknown keys (trace_id, when present, is 32 lower-case hex digits),
 * totals equal to the sum of the boxes, and (with --nonzero) non-zero
 * tokens and cost; with --error, the error document
 * `--output json` prints instead of a report (schema_version, "status":
 * "error", exit_code, error {code, message, file/line/column together or
 * not at all}). Exits 0 when valid, 1 with a message naming the JSON path
 * otherwise.
 *
 *   check_report REPORT.json [--nonzero] [--status ok]
 *   check_report DOC.json --error [--exit N]
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *path, const char *what) {
  fprintf(stderr, "check_report: %s: %s\n", path, what);
  return 1;
}

typedef struct field {
  const char *key;
  json_type type;
  int nullable_string; /* string or null */
} field;

/* Check that obj has exactly `fields` (plus `optional` keys). */
static int check_object(const json_t *obj, const char *path, const field *fields, size_t n,
                        const char *const *optional) {
  char p[256];
  if (!json_is_object(obj)) return fail(path, "not an object");
  for (size_t i = 0; i < n; i++) {
    snprintf(p, sizeof(p), "%s.%s", path, fields[i].key);
    json_t *v = json_object_get(obj, fields[i].key);
    if (!v) return fail(p, "missing");
    if (fields[i].nullable_string) {
      if (!json_is_string(v) && !json_is_null(v)) return fail(p, "not a string or null");
      continue;
    }
    int ok = json_typeof(v) == fields[i].type ||
             (fields[i].type == JSON_REAL && json_is_integer(v)) ||
             (fields[i].type == JSON_TRUE && json_is_boolean(v));
    if (!ok) return fail(p, "wrong type");
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    int known = 0;
    for (size_t i = 0; i < n && !known; i++)
      known = !strcmp(key, fields[i].key);
    for (size_t i = 0; optional && optional[i] && !known; i++)
      known = !strcmp(key, optional[i]);
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (!known) return fail(p, "unknown key");
  }
  return 0;
}

static const field top_fields[] = {{"schema_version", JSON_INTEGER, 0},
                                   {"name", JSON_STRING, 0},
                                   {"status", JSON_STRING, 0},
                                   {"error", JSON_NULL, 1},
                                   {"stages", JSON_ARRAY, 0},
                                   {"totals", JSON_OBJECT, 0},
                                   {"telemetry_dropped", JSON_INTEGER, 0}};
static const char *const top_optional[] = {"trace_id", NULL};
static const field stage_fields[] = {{"name", JSON_STRING, 0}, {"boxes", JSON_ARRAY, 0}};
static const field box_fields[] = {{"name", JSON_STRING, 0},
                                   {"status", JSON_STRING, 0},
                                   {"error", JSON_NULL, 1},
                                   {"error_code", JSON_NULL, 1},
                                   {"output", JSON_STRING, 0},
                                   {"model", JSON_NULL, 1},
                                   {"turns", JSON_INTEGER, 0},
                                   {"input_tokens", JSON_INTEGER, 0},
                                   {"output_tokens", JSON_INTEGER, 0},
                                   {"cache_read_tokens", JSON_INTEGER, 0},
                                   {"cache_write_tokens", JSON_INTEGER, 0},
                                   {"cost_usd", JSON_REAL, 0},
                                   {"duration_ms", JSON_REAL, 0},
                                   {"tool_calls", JSON_ARRAY, 0}};
static const char *const box_optional[] = {"structured_output", NULL};
static const field call_fields[] = {{"name", JSON_STRING, 0},
                                    {"input", JSON_STRING, 0},
                                    {"output", JSON_STRING, 0},
                                    {"is_error", JSON_TRUE, 0},
                                    {"duration_ms", JSON_REAL, 0}};
static const field total_fields[] = {{"input_tokens", JSON_INTEGER, 0},
                                     {"output_tokens", JSON_INTEGER, 0},
                                     {"cost_usd", JSON_REAL, 0},
                                     {"duration_ms", JSON_REAL, 0}};
#define N(a) (sizeof(a) / sizeof(a[0]))

static const field doc_fields[] = {{"schema_version", JSON_INTEGER, 0},
                                   {"status", JSON_STRING, 0},
                                   {"exit_code", JSON_INTEGER, 0},
                                   {"error", JSON_OBJECT, 0}};
static const field err_fields[] = {{"code", JSON_STRING, 0}, {"message", JSON_STRING, 0}};
static const char *const err_optional[] = {"file", "line", "column", NULL};

/* The error document; want_exit < 0: any exit code. */
static int check_error_doc(const json_t *doc, long want_exit) {
  if (check_object(doc, "$", doc_fields, N(doc_fields), NULL)) return 1;
  if (json_integer_value(json_object_get(doc, "schema_version")) != 1)
    return fail("$.schema_version", "not 1");
  if (strcmp(json_string_value(json_object_get(doc, "status")), "error") != 0)
    return fail("$.status", "not \"error\"");
  json_int_t code = json_integer_value(json_object_get(doc, "exit_code"));
  if (code < 1 || (want_exit >= 0 && code != want_exit)) return fail("$.exit_code", "unexpected");
  const json_t *e = json_object_get(doc, "error");
  if (check_object(e, "$.error", err_fields, N(err_fields), err_optional)) return 1;
  if (strncmp(json_string_value(json_object_get(e, "code")), "VBX_E_", 6) != 0)
    return fail("$.error.code", "not a VBX_E_ name");
  int has =
      !!json_object_get(e, "file") + !!json_object_get(e, "line") + !!json_object_get(e, "column");
  if (has != 0 && (has != 3 || !json_is_string(json_object_get(e, "file")) ||
                   !json_is_integer(json_object_get(e, "line")) ||
                   !json_is_integer(json_object_get(e, "column"))))
    return fail("$.error", "file, line and column go together (string, integer, integer)");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return fail("usage", "check_report REPORT.json [--nonzero] [--status S]");
  int nonzero = 0, error_doc = 0;
  long want_exit = -1;
  const char *want_status = NULL;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--nonzero"))
      nonzero = 1;
    else if (!strcmp(argv[i], "--error"))
      error_doc = 1;
    else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
      want_exit = strtol(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--status") && i + 1 < argc)
      want_status = argv[++i];
    else
      return fail("usage", argv[i]);
  }
  json_error_t jerr;
  json_t *doc = json_load_file(argv[1], 0, &jerr);
  if (!doc) return fail(argv[1], jerr.text);
  int rc = 1;
  char p[256];
  if (error_doc) {
    rc = check_error_doc(doc, want_exit);
    goto out;
  }
  if (check_object(doc, "$", top_fields, N(top_fields), top_optional)) goto out;
  const json_t *tid = json_object_get(doc, "trace_id");
  if (tid != NULL && (!json_is_string(tid) || strlen(json_string_value(tid)) != 32 ||
                      strspn(json_string_value(tid), "0123456789abcdef") != 32)) {
    fail("$.trace_id", "not 32 lower-case hex digits");
    goto out;
  }
  json_int_t in = 0, outk = 0;
  double cost = 0;
  json_t *stages = json_object_get(doc, "stages");
  if (json_array_size(stages) == 0) {
    fail("$.stages", "empty");
    goto out;
  }
  for (size_t s = 0; s < json_array_size(stages); s++) {
    json_t *st = json_array_get(stages, s);
    snprintf(p, sizeof(p), "$.stages[%zu]", s);
    if (check_object(st, p, stage_fields, N(stage_fields), NULL)) goto out;
    json_t *boxes = json_object_get(st, "boxes");
    for (size_t b = 0; b < json_array_size(boxes); b++) {
      json_t *bx = json_array_get(boxes, b);
      snprintf(p, sizeof(p), "$.stages[%zu].boxes[%zu]", s, b);
      if (check_object(bx, p, box_fields, N(box_fields), box_optional)) goto out;
      in += json_integer_value(json_object_get(bx, "input_tokens"));
      outk += json_integer_value(json_object_get(bx, "output_tokens"));
      cost += json_number_value(json_object_get(bx, "cost_usd"));
      json_t *calls = json_object_get(bx, "tool_calls");
      for (size_t c = 0; c < json_array_size(calls); c++) {
        char cp[300];
        snprintf(cp, sizeof(cp), "%s.tool_calls[%zu]", p, c);
        if (check_object(json_array_get(calls, c), cp, call_fields, N(call_fields), NULL)) goto out;
      }
    }
  }
  json_t *tot = json_object_get(doc, "totals");
  if (check_object(tot, "$.totals", total_fields, N(total_fields), NULL)) goto out;
  if (json_integer_value(json_object_get(tot, "input_tokens")) != in) {
    fail("$.totals.input_tokens", "not the sum of the boxes");
    goto out;
  }
  if (json_integer_value(json_object_get(tot, "output_tokens")) != outk) {
    fail("$.totals.output_tokens", "not the sum of the boxes");
    goto out;
  }
  if (fabs(json_number_value(json_object_get(tot, "cost_usd")) - cost) > 1e-9) {
    fail("$.totals.cost_usd", "not the sum of the boxes");
    goto out;
  }
  if (nonzero && (in == 0 || outk == 0 || cost <= 0)) {
    fail("$.totals", "tokens or cost are zero");
    goto out;
  }
  if (want_status && strcmp(json_string_value(json_object_get(doc, "status")), want_status)) {
    fail("$.status", "unexpected status");
    goto out;
  }
  rc = 0;
out:
  json_decref(doc);
  return rc;
}
