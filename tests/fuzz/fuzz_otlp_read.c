/*
 * tests/fuzz/fuzz_otlp_read.c - libFuzzer target for the OTLP/JSON trace
 * file reader (plugins/otlp-common/otlp_read*.c), which reads untrusted
 * files (`voidbox trace FILE`): on success every span has well-formed ids,
 * end >= start and in-range enums, and survives a round trip through the
 * encoder (which names a nameless span "unnamed"); on failure there is a message and nothing to free; nothing
 * leaks or overruns (ASan/UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_json.h"

static int lower_hex(const char *s, size_t len) {
  if (strlen(s) != len) return 0;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

static uint64_t hex64(const char *s) {
  char part[17];
  memcpy(part, s, 16);
  part[16] = '\0';
  return strtoull(part, NULL, 16);
}

static void check(const vbx_otlp_span_rec *r) {
  if (!lower_hex(r->trace_id, 32) || !lower_hex(r->span_id, 16)) abort();
  if (r->parent_id[0] != '\0' && !lower_hex(r->parent_id, 16)) abort();
  if (r->name == NULL || r->end_ns < r->start_ns || !json_is_object(r->attrs)) abort();
  if (r->kind < 0 || r->kind > 5 || r->status_code < 0 || r->status_code > 2) abort();
  if (r->box != NULL &&
      strcmp(r->box, json_string_value(json_object_get(r->attrs, "voidbox.box"))) != 0)
    abort();
}

/* Encode what was read and read it again: the same spans come back. */
static void round_trip(const vbx_otlp_span_rec *recs, size_t n) {
  vbx_span_data *spans = calloc(n, sizeof(*spans));
  const vbx_span_data **list = calloc(n, sizeof(*list));
  if (spans == NULL || list == NULL) abort();
  for (size_t i = 0; i < n; i++) {
    spans[i] =
        (vbx_span_data){.struct_size = sizeof(vbx_span_data),
                        .name = recs[i].name,
                        .trace_id_hi = hex64(recs[i].trace_id),
                        .trace_id_lo = hex64(recs[i].trace_id + 16),
                        .span_id = hex64(recs[i].span_id),
                        .parent_span_id = recs[i].parent_id[0] ? hex64(recs[i].parent_id) : 0,
                        .start_ns = recs[i].start_ns,
                        .end_ns = recs[i].end_ns,
                        .kind = recs[i].kind};
    list[i] = &spans[i];
  }
  vbx_otlp_resource res = {"fuzz", NULL, NULL};
  json_t *doc = vbx_otlp_traces_json(&res, list, n);
  char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  if (text == NULL) abort();
  vbx_otlp_span_rec *back = NULL;
  size_t m = 0;
  char why[256];
  if (vbx_otlp_read_traces(text, strlen(text), &back, &m, why, sizeof(why)) != 0 || m != n) abort();
  for (size_t i = 0; i < n; i++) {
    if (strcmp(back[i].trace_id, recs[i].trace_id) != 0 ||
        strcmp(back[i].span_id, recs[i].span_id) != 0 ||
        strcmp(back[i].parent_id, recs[i].parent_id) != 0 ||
        strcmp(back[i].name, recs[i].name[0] ? recs[i].name : "unnamed") != 0 ||
        back[i].start_ns != recs[i].start_ns || back[i].end_ns != recs[i].end_ns)
      abort();
  }
  vbx_otlp_span_recs_free(back, m);
  free(text);
  json_decref(doc);
  free(list);
  free(spans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  vbx_otlp_span_rec *recs = NULL;
  size_t n = 0;
  char why[300];
  int rc = vbx_otlp_read_traces((const char *)data, size, &recs, &n, why, sizeof(why));
  if (rc != 0) {
    if (recs != NULL || n != 0 || why[0] == '\0') abort();
    if (rc != VBX_E_INVAL && rc != VBX_E_LIMIT && rc != VBX_E_NOMEM) abort();
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    check(&recs[i]);
  if (n > 0) round_trip(recs, n);
  vbx_otlp_span_recs_free(recs, n);
  return 0;
}
