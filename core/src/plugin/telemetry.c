/*
 * plugin/telemetry.c - spans and metric points: the runtime's own
 * (observe.h) and those of vbx_host_services (span_begin, span_set_attr,
 * span_end, span_traceparent, metric_add, metric_record).
 *
 * A span ends into the hub of its run (observe.h). A plugin span started
 * with no parent on a thread outside any scope has no hub: it goes to the
 * registry's telemetry sink (vbx__registry_set_telemetry) or, by default,
 * is logged at TRACE.
 */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "plugin/internal.h"
#include "plugin/log.h"
#include "plugin/observe.h"
#include "util/error.h"

#define SPAN_NAME_MAX 256
#define SPAN_ATTR_MAX 64    /* attributes per span */
#define SPAN_VALUE_MAX 4096 /* bytes per attribute value */
#define MSG_MAX 1024        /* status message */

struct vbx_span {
  vbx__registry *reg; /* for a span without hub */
  vbx__tel_hub *hub;  /* one reference, or NULL */
  const char *plugin; /* static for the plugin's life */
  char *name;
  char *box; /* copy or NULL */
  uint64_t trace_hi, trace_lo, id, parent_id;
  uint64_t start_ns;
  int kind;
  char **attrs;                  /* key, value, ..., NULL */
  size_t n_attrs;                /* number of pairs */
  char types[SPAN_ATTR_MAX + 1]; /* one letter per pair */
};

static uint64_t random64(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
    v = vbx__wall_ns() ^ ((uint64_t)(uintptr_t)&v << 17);
  return v;
}

/* Span ids: a random base per process plus a counter, never 0. */
static uint64_t next_span_id(void) {
  static atomic_uint_fast64_t base, counter;
  uint64_t b = atomic_load(&base);
  if (b == 0) {
    uint64_t r = random64() | 1u;
    uint_fast64_t expected = 0;
    atomic_compare_exchange_strong(&base, &expected, r);
    b = atomic_load(&base);
  }
  uint64_t id = b + atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15ull;
  return id ? id : 1;
}

static vbx_span *span_new(const char *name, const char *plugin, int kind) {
  vbx_span *s = calloc(1, sizeof(*s));
  if (s == NULL) return NULL;
  s->name = strndup(name ? name : "span", SPAN_NAME_MAX);
  s->attrs = calloc(1, sizeof(char *));
  if (s->name == NULL || s->attrs == NULL) {
    free(s->name);
    free(s->attrs);
    free(s);
    return NULL;
  }
  s->plugin = plugin ? plugin : "voidbox";
  s->kind = kind ? kind : VBX_SPAN_INTERNAL;
  s->id = next_span_id();
  s->start_ns = vbx__wall_ns();
  return s;
}

static void span_free(vbx_span *s) {
  for (size_t i = 0; s->attrs[i]; i++)
    free(s->attrs[i]);
  free(s->attrs);
  free(s->name);
  free(s->box);
  vbx__tel_hub_unref(s->hub);
  free(s);
}

/* Link s under parent (or make it a new trace). */
static void adopt(vbx_span *s, const vbx_span *parent, vbx__tel_hub *hub, const char *box) {
  if (parent != NULL) {
    s->trace_hi = parent->trace_hi;
    s->trace_lo = parent->trace_lo;
    s->parent_id = parent->id;
    if (hub == NULL) hub = parent->hub;
    if (box == NULL) box = parent->box;
    if (s->reg == NULL) s->reg = parent->reg;
  } else {
    s->trace_hi = random64();
    s->trace_lo = random64() | 1u;
  }
  s->hub = hub;
  vbx__tel_hub_ref(hub);
  if (box != NULL) s->box = strndup(box, SPAN_NAME_MAX);
}

vbx_span *vbx__span_start(const char *name, vbx_span *parent, int kind, const char *box) {
  vbx__obs_scope sc = vbx__obs_current();
  if (parent == NULL) parent = sc.span;
  if (parent == NULL && sc.hub == NULL) return NULL;
  vbx_span *s = span_new(name, "voidbox", kind);
  if (s == NULL) return NULL;
  adopt(s, parent, parent ? NULL : sc.hub, box ? box : sc.box);
  return s;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* n lower-case hex digits into *out; -1 when not hex. */
static int hex64(const char *p, size_t n, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = hexval((unsigned char)p[i]);
    if (d < 0) return -1;
    v = (v << 4) | (uint64_t)d;
  }
  *out = v;
  return 0;
}

/* W3C Trace Context, traceparent: VERSION-TRACEID-PARENTID-FLAGS. */
static int parse_traceparent(const char *s, uint64_t *hi, uint64_t *lo, uint64_t *id) {
  size_t len = strnlen(s, 512);
  uint64_t ver, flags;
  if (len < 55 || hex64(s, 2, &ver) != 0 || ver == 0xff || s[2] != '-' || s[35] != '-' ||
      s[52] != '-')
    return VBX_E_INVAL;
  if (hex64(s + 3, 16, hi) != 0 || hex64(s + 19, 16, lo) != 0 || hex64(s + 36, 16, id) != 0 ||
      hex64(s + 53, 2, &flags) != 0)
    return VBX_E_INVAL;
  if ((*hi | *lo) == 0 || *id == 0) return VBX_E_INVAL;
  if (ver == 0 && len != 55) return VBX_E_INVAL;
  if (ver != 0 && len > 55 && s[55] != '-') return VBX_E_INVAL;
  return 0;
}

int vbx__span_root(vbx__tel_hub *hub, const char *name, const char *traceparent, vbx_span **out) {
  *out = NULL;
  uint64_t hi = 0, lo = 0, pid = 0;
  if (traceparent != NULL && parse_traceparent(traceparent, &hi, &lo, &pid) != 0)
    return VBX_E_INVAL;
  vbx_span *s = span_new(name, "voidbox", VBX_SPAN_INTERNAL);
  if (s == NULL) return VBX_E_NOMEM;
  adopt(s, NULL, hub, NULL);
  if (traceparent != NULL) {
    s->trace_hi = hi;
    s->trace_lo = lo;
    s->parent_id = pid;
  }
  *out = s;
  return 0;
}

static void add_attr(vbx_span *s, const char *key, const char *value, char type) {
  if (s == NULL || key == NULL || value == NULL || s->n_attrs >= SPAN_ATTR_MAX) return;
  char **v = realloc(s->attrs, (2 * s->n_attrs + 3) * sizeof(char *));
  if (v == NULL) return;
  s->attrs = v;
  char *k = strndup(key, SPAN_NAME_MAX), *val = strndup(value, SPAN_VALUE_MAX);
  if (k == NULL || val == NULL) {
    free(k);
    free(val);
    v[2 * s->n_attrs] = NULL;
    return;
  }
  v[2 * s->n_attrs] = k;
  v[2 * s->n_attrs + 1] = val;
  s->types[s->n_attrs] = type;
  s->n_attrs++;
  v[2 * s->n_attrs] = NULL;
}

void vbx__span_attr(vbx_span *s, const char *key, const char *value) {
  add_attr(s, key, value, 's');
}

void vbx__span_attr_int(vbx_span *s, const char *key, int64_t value) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRId64, value);
  add_attr(s, key, buf, 'i');
}

void vbx__span_attr_double(vbx_span *s, const char *key, double value) {
  if (!isfinite(value)) return;
  char buf[40];
  snprintf(buf, sizeof(buf), "%.17g", value);
  add_attr(s, key, buf, 'd');
}

static void sink_of(vbx__registry *reg, vbx__telemetry_fn *fn, void **user) {
  *fn = NULL;
  *user = NULL;
  if (reg == NULL) return;
  pthread_mutex_lock(&reg->lock);
  *fn = reg->tel_fn;
  *user = reg->tel_user;
  pthread_mutex_unlock(&reg->lock);
}

void vbx__span_end(vbx_span *s, int status, const char *message) {
  if (s == NULL) return;
  char msg[MSG_MAX];
  if (status > 0) status = 0; /* only a negative VBX_E_* code is a failure */
  if (status != 0 && message == NULL) message = vbx__error_text(status);
  if (message != NULL) snprintf(msg, sizeof(msg), "%s", message);
  vbx_span_data d = {
      .struct_size = (uint32_t)sizeof(d),
      .name = s->name,
      .plugin = s->plugin,
      .trace_id_hi = s->trace_hi,
      .trace_id_lo = s->trace_lo,
      .span_id = s->id,
      .parent_span_id = s->parent_id,
      .start_ns = s->start_ns,
      .end_ns = vbx__wall_ns(),
      .status = status,
      .attrs = (const char *const *)s->attrs,
      .kind = s->kind,
      .status_message = status != 0 ? msg : NULL,
      .box = s->box,
      .attr_types = s->types,
  };
  if (d.end_ns < d.start_ns) d.end_ns = d.start_ns;
  vbx__telemetry_fn fn;
  void *user;
  if (s->hub != NULL) {
    vbx__tel_hub_span(s->hub, &d);
  } else if (sink_of(s->reg, &fn, &user), fn != NULL) {
    fn(user, &d, NULL);
  } else {
    const vbx__logger *log = s->reg ? &s->reg->log : NULL;
    vbx__log_emit(log, VBX_LOG_TRACE, s->plugin,
                  "span %s id=%016" PRIx64 " parent=%016" PRIx64 " %.3f ms status %d", d.name,
                  d.span_id, d.parent_span_id, (double)(d.end_ns - d.start_ns) / 1e6, status);
  }
  span_free(s);
}

void vbx__span_ids(const vbx_span *s, uint64_t *hi, uint64_t *lo, uint64_t *id) {
  *hi = s ? s->trace_hi : 0;
  *lo = s ? s->trace_lo : 0;
  *id = s ? s->id : 0;
}

void vbx__span_trace_id(const vbx_span *s, char buf[33]) {
  if (s == NULL) {
    buf[0] = '\0';
    return;
  }
  snprintf(buf, 33, "%016" PRIx64 "%016" PRIx64, s->trace_hi, s->trace_lo);
}

int vbx__span_traceparent(const vbx_span *s, char buf[56]) {
  if (s == NULL) {
    buf[0] = '\0';
    return VBX_E_NOTFOUND;
  }
  snprintf(buf, 56, "00-%016" PRIx64 "%016" PRIx64 "-%016" PRIx64 "-01", s->trace_hi, s->trace_lo,
           s->id);
  return 0;
}

/* ---- host services ---- */

static vbx_span *tm_span_begin(vbx_plugin_ctx *ctx, const char *name, vbx_span *parent) {
  vbx__obs_scope sc = vbx__obs_current();
  if (parent == NULL) parent = sc.span;
  vbx_span *s = span_new(name, ctx && ctx->name ? ctx->name : "voidbox", VBX_SPAN_INTERNAL);
  if (s == NULL) return NULL;
  s->reg = ctx ? ctx->reg : NULL;
  adopt(s, parent, parent ? NULL : sc.hub, parent ? NULL : sc.box);
  return s;
}

static void tm_span_set_attr(vbx_span *s, const char *key, const char *value) {
  vbx__span_attr(s, key, value);
}

static void tm_span_end(vbx_span *s, int status) { vbx__span_end(s, status, NULL); }

static int tm_span_traceparent(const vbx_span *s, char buf[56]) {
  return vbx__span_traceparent(s ? s : vbx__obs_current().span, buf);
}

/* A copy of s cut at max bytes into the arena at *at (advanced). */
static const char *put_cut(char **at, const char *s, size_t max) {
  if (s == NULL) return NULL;
  size_t n = strnlen(s, max);
  char *out = *at;
  memcpy(out, s, n);
  out[n] = '\0';
  *at += n + 1;
  return out;
}

/* A metric point as a plugin may hand it, bounded before anything copies
 * it: the strings cut (name and keys SPAN_NAME_MAX, values
 * SPAN_VALUE_MAX, unit 64, description MSG_MAX bytes), at most
 * SPAN_ATTR_MAX attribute pairs. The copies live in one allocation, *arena
 * (free it after the delivery); NULL on OOM. */
static vbx_metric_data *bounded(vbx_metric_data *m, const char **attrs, char **arena) {
  size_t pairs = 0, need = 0;
  while (m->attrs && pairs < SPAN_ATTR_MAX && m->attrs[2 * pairs] && m->attrs[2 * pairs + 1]) {
    need += strnlen(m->attrs[2 * pairs], SPAN_NAME_MAX) + 1;
    need += strnlen(m->attrs[2 * pairs + 1], SPAN_VALUE_MAX) + 1;
    pairs++;
  }
  need += SPAN_NAME_MAX + 64 + MSG_MAX + SPAN_NAME_MAX + 4;
  char *at = *arena = malloc(need);
  if (at == NULL) return NULL;
  m->name = put_cut(&at, m->name, SPAN_NAME_MAX);
  m->unit = put_cut(&at, m->unit, 64);
  m->description = put_cut(&at, m->description, MSG_MAX);
  m->plugin = put_cut(&at, m->plugin, SPAN_NAME_MAX);
  for (size_t i = 0; i < pairs; i++) {
    attrs[2 * i] = put_cut(&at, m->attrs[2 * i], SPAN_NAME_MAX);
    attrs[2 * i + 1] = put_cut(&at, m->attrs[2 * i + 1], SPAN_VALUE_MAX);
  }
  attrs[2 * pairs] = NULL;
  m->attrs = attrs;
  return m;
}

static void deliver_metric(vbx__registry *reg, const vbx_metric_data *m);

/* Check and bound a metric point, then deliver it. */
static void record(vbx__registry *reg, const char *plugin, const vbx_metric_data *in) {
  if (in == NULL || in->struct_size < offsetof(vbx_metric_data, kind) + sizeof(int) ||
      in->name == NULL)
    return;
  vbx_metric_data m = {.struct_size = (uint32_t)sizeof(m)};
  memcpy(&m, in, in->struct_size < sizeof(m) ? in->struct_size : sizeof(m));
  m.struct_size = (uint32_t)sizeof(m);
  if (m.plugin == NULL) m.plugin = plugin ? plugin : "voidbox";
  if (m.time_ns == 0) m.time_ns = vbx__wall_ns();
  if (m.kind < VBX_METRIC_COUNTER || m.kind > VBX_METRIC_HISTOGRAM || !isfinite(m.value)) return;
  const char *attrs[2 * SPAN_ATTR_MAX + 1];
  char *arena = NULL;
  if (bounded(&m, attrs, &arena) != NULL) deliver_metric(reg, &m);
  free(arena);
}

/* Deliver m to the scope's hub, else the registry's sink, else TRACE. */
static void deliver_metric(vbx__registry *reg, const vbx_metric_data *mp) {
  const vbx_metric_data m = *mp;
  vbx__obs_scope sc = vbx__obs_current();
  if (sc.hub != NULL) {
    vbx__tel_hub_metric(sc.hub, &m);
    return;
  }
  vbx__telemetry_fn fn;
  void *user;
  sink_of(reg, &fn, &user);
  if (fn != NULL)
    fn(user, NULL, &m);
  else
    vbx__log_emit(reg ? &reg->log : NULL, VBX_LOG_TRACE, m.plugin, "metric %.256s = %g %s", m.name,
                  m.value, m.unit ? m.unit : "");
}

void vbx__obs_metric(const vbx_metric_data *m) { record(NULL, "voidbox", m); }

void vbx__obs_point(const char *name, const char *unit, const char *description, int kind,
                    double value, const char *const *attrs) {
  vbx_metric_data m = {.struct_size = sizeof(m),
                       .name = name,
                       .unit = unit,
                       .description = description,
                       .kind = kind,
                       .value = value,
                       .attrs = attrs};
  record(NULL, "voidbox", &m);
}

static void tm_metric_add(vbx_plugin_ctx *ctx, const char *name, double value, const char *unit) {
  vbx_metric_data m = {.struct_size = (uint32_t)sizeof(m),
                       .name = name,
                       .unit = unit,
                       .kind = VBX_METRIC_COUNTER,
                       .value = value};
  record(ctx ? ctx->reg : NULL, ctx ? ctx->name : NULL, &m);
}

static void tm_metric_record(vbx_plugin_ctx *ctx, const struct vbx_metric_data *m) {
  if (m == NULL || m->struct_size < offsetof(vbx_metric_data, attrs)) return;
  record(ctx ? ctx->reg : NULL, ctx ? ctx->name : NULL, m);
}

void vbx__telemetry_fill(vbx_host_services *h) {
  h->span_begin = tm_span_begin;
  h->span_set_attr = tm_span_set_attr;
  h->span_end = tm_span_end;
  h->metric_add = tm_metric_add;
  h->metric_record = tm_metric_record;
  h->span_traceparent = tm_span_traceparent;
}
