/*
 * tests/integration/otlp/ot.h - what the OTLP end-to-end tests share: a
 * scratch directory with the spec and its model scripts, the `voidbox` CLI
 * run on it (exit status, wall time, peak RSS, stdout, stderr, the JSON
 * report), and what the receiver (otlp_recv.h) got, flattened: spans, the
 * latest metric of each name, log records, each with its resource and
 * scope.
 *
 * Failures are cmocka assertions; ot_skip exits 77. The binaries come from
 * the build: VBX_TEST_VOIDBOX, VBX_TEST_PLUGIN_DIR and VBX_TEST_FX_PLUGIN
 * (the fixture plugin otlp-fx.so, fx_telemetry.c) (compile definitions).
 */
#ifndef VBX_TEST_OT_H
#define VBX_TEST_OT_H

#include <stddef.h>

#include <jansson.h>

#include "otlp_recv.h"

typedef struct ot_run {
  int status;      /* exit status; 128+N when killed by signal N */
  double wall_s;   /* from fork to exit */
  long maxrss_kib; /* peak RSS of voidbox and of its children it waited for */
  char *out, *err; /* stdout, stderr (malloc'd, NUL-terminated) */
  json_t *report;  /* stdout parsed (--output json), or NULL */
} ot_run;

/* ot_skip - print "SKIP: why" and exit 77. */
void ot_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* ot_require_exporter - fail, naming it, when the otlp exporter plugin is
 * not in VBX_TEST_PLUGIN_DIR. */
void ot_require_exporter(void);
/* ot_tmpdir - a fresh directory /tmp/vbx-otlp-TAG-XXXXXX into dir. */
void ot_tmpdir(char dir[64], const char *tag);
/* ot_rmtree - remove dir and everything in it. */
void ot_rmtree(const char *dir);
/* ot_put - write the formatted text to dir/rel (directories made). */
void ot_put(const char *dir, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ot_pipeline - write the test pipeline "otlp_pipe" into dir/spec.yaml
 * with its model scripts: stage "gather" (a box of 3 turns calling bash,
 * then bash, write_file and otlpfx_note {text: from-gather}: the fixture
 * plugin's tool, which logs, spans and counts, see fx_telemetry.c), then stage "fan_out[left,right]": left (2 turns, one
 * bash call) and right (2 turns, two bash calls, the second printing
 * "tp=$TRACEPARENT"); on sandbox backend `backend`, model "mock-model"
 * requested. With port, an observe block with one otlp exporter to
 * http://127.0.0.1:PORT (schedule_delay_ms 200) plus exporter_opts (YAML
 * lines "      key: value\n", or NULL); port 0: no observe block. */
void ot_pipeline(const char *dir, const char *backend, unsigned port, const char *exporter_opts);

/* ot_voidbox - run `voidbox run --file DIR/SPEC --plugin-dir PLUGINS
 * --plugin OTLP-FX --output json ARGS...` in dir with the environment changed by env
 * ("NAME=VALUE" sets, "NAME" unsets; NULL-terminated, may be NULL); OTEL_*
 * and TRACEPARENT of the test's own environment are unset first. Killed
 * (and failed) after timeout_s. */
void ot_voidbox(const char *dir, const char *spec, const char *const *env, const char *const *args,
                int timeout_s, ot_run *out);
/* ot_run_free - free what ot_voidbox filled in. */
void ot_run_free(ot_run *r);
/* ot_dump - print a run's exit status, stderr and stdout (a failure's
 * context). */
void ot_dump(const ot_run *r);

/* ot_spans - every span of the accepted trace bodies, each a copy with
 * "_attrs" (key -> AnyValue), "_resource" (key -> AnyValue) and "_scope"
 * (the scope name) added. New reference. */
json_t *ot_spans(otlp_recv *r);
/* ot_logs - the same for log records. */
json_t *ot_logs(otlp_recv *r);
/* ot_metrics - name -> the metric as last received (cumulative: the
 * latest is the whole), with "_resource" and "_scope". New reference. */
json_t *ot_metrics(otlp_recv *r);

/* ot_attr_str - a string attribute of a flattened record, else NULL. */
const char *ot_attr_str(const json_t *rec, const char *key);
/* ot_attr_int - an intValue attribute into *v: 0, or -1 when the
 * attribute is absent or not an intValue. */
int ot_attr_int(const json_t *rec, const char *key, long long *v);
/* ot_res_str - a string attribute of a record's resource, else NULL. */
const char *ot_res_str(const json_t *rec, const char *key);
/* ot_str - a string member of obj ("" when absent). */
const char *ot_str(const json_t *obj, const char *key);
/* ot_u64 - a decimal-string member of obj (0 when absent). */
unsigned long long ot_u64(const json_t *obj, const char *key);
/* ot_json - v as compact JSON text in a static buffer (cut at 2 KiB), for
 * failure messages; "(absent)" for NULL. Not thread-safe. */
const char *ot_json(const json_t *v);
/* ot_span_named - the first span called name, or NULL. */
json_t *ot_span_named(const json_t *spans, const char *name);
/* ot_count_children - spans whose parent is parent_id and whose name
 * starts with prefix ("" for any). */
size_t ot_count_children(const json_t *spans, const char *parent_id, const char *prefix);

/* ot_decoder_dir - where scripts/otlp-decoder.sh installed the Node
 * decoder's definitions, or NULL (why says so). */
const char *ot_decoder_dir(char *why, size_t cap);

#endif
