/*
 * plugin/telemetry.c - spans and metrics of vbx_host_services, delivered to
 * the registry's telemetry sink (vbx__registry_set_telemetry) or, by
 * default, logged at TRACE.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "plugin/internal.h"
#include "plugin/log.h"

#define SPAN_NAME_MAX 256
#define SPAN_ATTR_MAX 64    /* attributes per span */
#define SPAN_VALUE_MAX 4096 /* bytes per attribute value */

struct vbx_span {
  vbx__registry *reg;
  const char *plugin; /* ctx name, static for the plugin's life */
  char *name;
  uint64_t trace_hi, trace_lo, id, parent_id;
  uint64_t start_ns;
  char **attrs;   /* key, value, ..., NULL */
  size_t n_attrs; /* number of pairs */
};

static atomic_uint_fast64_t span_counter;

static uint64_t random64(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
    v = vbx__wall_ns() ^ ((uint64_t)(uintptr_t)&v << 17);
  return v;
}

/* Span ids: a random 32-bit base per process plus a counter, never 0. */
static uint64_t next_span_id(void) {
  static atomic_uint_fast64_t base;
  uint64_t b = atomic_load(&base);
  if (b == 0) {
    uint64_t r = (random64() << 32) | 1u;
    uint_fast64_t expected = 0;
    atomic_compare_exchange_strong(&base, &expected, r);
    b = atomic_load(&base);
  }
  return b + atomic_fetch_add(&span_counter, 1) * 2;
}

static vbx_span *tm_span_begin(vbx_plugin_ctx *ctx, const char *name, vbx_span *parent) {
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
  s->reg = ctx ? ctx->reg : NULL;
  s->plugin = ctx && ctx->name ? ctx->name : "voidbox";
  s->id = next_span_id();
  if (parent != NULL) {
    s->trace_hi = parent->trace_hi;
    s->trace_lo = parent->trace_lo;
    s->parent_id = parent->id;
  } else {
    s->trace_hi = random64();
    s->trace_lo = random64() | 1u;
  }
  s->start_ns = vbx__wall_ns();
  return s;
}

static void tm_span_set_attr(vbx_span *s, const char *key, const char *value) {
  if (s == NULL || key == NULL || value == NULL || s->n_attrs >= SPAN_ATTR_MAX) return;
  char **v = realloc(s->attrs, (2 * s->n_attrs + 3) * sizeof(char *));
  if (v == NULL) return;
  s->attrs = v;
  char *k = strndup(key, SPAN_NAME_MAX), *val = strndup(value, SPAN_VALUE_MAX);
  if (k == NULL || val == NULL) {
    free(k);
    free(val);
    return;
  }
  v[2 * s->n_attrs] = k;
  v[2 * s->n_attrs + 1] = val;
  s->n_attrs++;
  v[2 * s->n_attrs] = NULL;
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

static void tm_span_end(vbx_span *s, int status) {
  if (s == NULL) return;
  vbx_span_data d;
  memset(&d, 0, sizeof(d));
  d.struct_size = (uint32_t)sizeof(d);
  d.name = s->name;
  d.plugin = s->plugin;
  d.trace_id_hi = s->trace_hi;
  d.trace_id_lo = s->trace_lo;
  d.span_id = s->id;
  d.parent_span_id = s->parent_id;
  d.start_ns = s->start_ns;
  d.end_ns = vbx__wall_ns();
  d.status = status;
  d.attrs = (const char *const *)s->attrs;
  vbx__telemetry_fn fn;
  void *user;
  sink_of(s->reg, &fn, &user);
  if (fn != NULL) {
    fn(user, &d, NULL);
  } else {
    const vbx__logger *log = s->reg ? &s->reg->log : NULL;
    vbx__log_emit(log, VBX_LOG_TRACE, s->plugin,
                  "span %s id=%016llx parent=%016llx %.3f ms status %d", d.name,
                  (unsigned long long)d.span_id, (unsigned long long)d.parent_span_id,
                  (double)(d.end_ns - d.start_ns) / 1e6, status);
  }
  for (size_t i = 0; s->attrs[i]; i++)
    free(s->attrs[i]);
  free(s->attrs);
  free(s->name);
  free(s);
}

static void tm_metric_add(vbx_plugin_ctx *ctx, const char *name, double value, const char *unit) {
  if (name == NULL) return;
  vbx__registry *reg = ctx ? ctx->reg : NULL;
  vbx__metric m = {ctx && ctx->name ? ctx->name : "voidbox", name, value, unit, vbx__wall_ns()};
  vbx__telemetry_fn fn;
  void *user;
  sink_of(reg, &fn, &user);
  if (fn != NULL)
    fn(user, NULL, &m);
  else
    vbx__log_emit(reg ? &reg->log : NULL, VBX_LOG_TRACE, m.plugin, "metric %.256s = %g %s", name,
                  value, unit ? unit : "");
}

void vbx__telemetry_fill(vbx_host_services *h) {
  h->span_begin = tm_span_begin;
  h->span_set_attr = tm_span_set_attr;
  h->span_end = tm_span_end;
  h->metric_add = tm_metric_add;
}
