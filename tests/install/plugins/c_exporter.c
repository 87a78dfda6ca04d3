/*
 * tests/install/plugins/c_exporter.c - the install test's third-party
 * exporter: type "recorder" (plugin install-c-exporter), built against an
 * installed SDK only, implementing every exporter method of ABI 1.4. It
 * keeps what the host delivers and, at flush, writes it to the file named
 * by its one option, `file` (required):
 *
 *   event TYPE               one line per event (vbx_event_type number)
 *   span NAME KIND BOX       one per span (BOX "-" when it has none)
 *   metric NAME KIND VALUE   one per metric point
 *   log LEVEL ORIGIN BOX: BODY   one per log record
 *   total events=E spans=S metrics=M logs=L   last
 *
 * Calls come one at a time from the host's delivery thread (never
 * concurrently for one instance), so the instance needs no lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voidbox/plugin.h>

static const vbx_host_services *host;

typedef struct recorder {
  char *file;
  char *text; /* the lines so far (host->alloc'd) */
  size_t len, cap;
  unsigned long events, spans, metrics, logs;
} recorder;

static void add(recorder *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(recorder *r, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t k = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  if (r->len + k + 2 > r->cap) {
    size_t cap = (r->cap ? r->cap * 2 : 4096) + k;
    char *t = host->realloc(r->text, cap);
    if (t == NULL) return;
    r->text = t, r->cap = cap;
  }
  memcpy(r->text + r->len, line, k);
  r->len += k;
  r->text[r->len++] = '\n';
  r->text[r->len] = '\0';
}

static int rec_validate(void *state, const vbx_json *options, vbx_call *call) {
  (void)state;
  const char *file =
      options ? host->json_string_value(host->json_object_get(options, "file")) : NULL;
  if (file == NULL || *file == '\0')
    return host->set_error(call, VBX_E_INVAL, "file", "the recorder needs option `file: PATH`");
  vbx_json *v;
  const char *key;
  for (size_t i = 0; (key = host->json_object_key_at(options, i, &v)) != NULL; i++)
    if (strcmp(key, "file") != 0)
      return host->set_error(call, VBX_E_INVAL, key, "unknown recorder option `%s` (known: file)",
                             key);
  return 0;
}

static int rec_create(void *state, const vbx_json *options, vbx_call *call, void **out) {
  int rc = rec_validate(state, options, call);
  if (rc != 0) return rc;
  recorder *r = host->alloc(sizeof *r);
  if (r == NULL) return host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  r->file = host->strdup(host->json_string_value(host->json_object_get(options, "file")));
  if (r->file == NULL) {
    host->free(r);
    return host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  *out = r;
  return 0;
}

static void rec_on_event(void *exporter, const vbx_event *ev) {
  recorder *r = exporter;
  r->events++;
  add(r, "event %d", (int)ev->type);
}

static void rec_on_span(void *exporter, const vbx_span_data *s) {
  recorder *r = exporter;
  int kind = VBX_HAS_MEMBER(s, vbx_span_data, kind) ? s->kind : 0;
  const char *box = VBX_HAS_MEMBER(s, vbx_span_data, box) && s->box ? s->box : "-";
  r->spans++;
  add(r, "span %s %d %s", s->name, kind, box);
}

static void rec_on_metric(void *exporter, const vbx_metric_data *m) {
  recorder *r = exporter;
  r->metrics++;
  add(r, "metric %s %d %g", m->name, m->kind, m->value);
}

static void rec_on_log(void *exporter, const vbx_log_data *l) {
  recorder *r = exporter;
  r->logs++;
  add(r, "log %d %s %s: %s", (int)l->level, l->origin ? l->origin : "-", l->box ? l->box : "-",
      l->body ? l->body : "");
}

static int rec_flush(void *exporter, vbx_call *call) {
  recorder *r = exporter;
  FILE *f = fopen(r->file, "w");
  if (f == NULL) return host->set_error(call, VBX_E_IO, "file", "cannot write %s", r->file);
  if (r->text) fputs(r->text, f);
  fprintf(f, "total events=%lu spans=%lu metrics=%lu logs=%lu\n", r->events, r->spans, r->metrics,
          r->logs);
  if (fclose(f) != 0) return host->set_error(call, VBX_E_IO, "file", "cannot write %s", r->file);
  return 0;
}

static void rec_destroy(void *exporter) {
  recorder *r = exporter;
  host->free(r->text);
  host->free(r->file);
  host->free(r);
}

static const vbx_exporter_vtable rec_vtable = {
    .struct_size = sizeof(vbx_exporter_vtable),
    .name = "recorder",
    .description = "install test: writes what it receives to a file",
    .validate_options = rec_validate,
    .create = rec_create,
    .destroy = rec_destroy,
    .on_event = rec_on_event,
    .on_span = rec_on_span,
    .flush = rec_flush,
    .on_metric = rec_on_metric,
    .on_log = rec_on_log,
};

static int rec_init(const vbx_host_services *h, const vbx_registrar *reg, void **state) {
  host = h;
  *state = NULL;
  return reg->register_exporter(reg->reg, &rec_vtable);
}

VBX_PLUGIN_DEFINE("install-c-exporter", "1.0.0", "MIT", "install test exporter in C", rec_init,
                  NULL)
