/*
 * run/exporters.c - exporter instances from the pipeline's `observe` block:
 *
 *   observe:
 *     exporters:
 *       - {type: NAME, ...options}
 *
 * Checked against the registry before a run (each entry's implementation
 * kept in the plan), created when the run starts, flushed and destroyed
 * when it ends; every call through plugin/instance.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "util/error.h"
#include "util/strbuf.h"

/* Report at the position of `key` in the observe block when known, else
 * at `exporters`, else the spec file alone. Returns VBX_E_SPEC. */
static int report(vbx_error *err, const vbx_pipeline *p, const char *key, const char *msg) {
  const vbx__pos *pos = vbx__options_pos(&p->observe_opts, key);
  if (pos == NULL) pos = vbx__options_pos(&p->observe_opts, "exporters");
  if (pos != NULL && pos->file != NULL)
    vbx__error_at(err, VBX_E_SPEC, pos->file, pos->line, pos->col, "observe: %s", msg);
  else if (p->spec_path != NULL)
    vbx__error_at(err, VBX_E_SPEC, p->spec_path, 0, 0, "observe: %s", msg);
  else
    vbx__error_set(err, VBX_E_SPEC, "observe: %s", msg);
  return VBX_E_SPEC;
}

/* The exporter entries, or NULL when there are none. Shape errors set err. */
static int entries(const vbx_pipeline *p, const json_t **out, vbx_error *err) {
  *out = NULL;
  if (p->observe == NULL || json_is_null(p->observe)) return 0;
  if (!json_is_object(p->observe)) return report(err, p, "observe", "must be a map");
  const char *key;
  json_t *v;
  json_object_foreach(p->observe, key, v) {
    if (strcmp(key, "exporters") != 0) {
      char msg[300];
      snprintf(msg, sizeof(msg), "unknown key '%.200s' (known: exporters)", key);
      return report(err, p, key, msg);
    }
  }
  const json_t *ex = json_object_get(p->observe, "exporters");
  if (ex == NULL) return 0;
  if (!json_is_array(ex)) return report(err, p, "exporters", "exporters must be a list");
  for (size_t i = 0; i < json_array_size(ex); i++) {
    const json_t *e = json_array_get(ex, i);
    if (!json_is_object(e) || !json_is_string(json_object_get(e, "type"))) {
      char msg[120];
      snprintf(msg, sizeof(msg), "exporters[%zu] needs a string 'type'", i);
      return report(err, p, "exporters", msg);
    }
  }
  *out = ex;
  return 0;
}

/* An entry's options: a copy without "type" (NULL when empty). */
static json_t *entry_options(const json_t *e, int *oom) {
  json_t *o = json_deep_copy(e);
  if (o == NULL) {
    *oom = 1;
    return NULL;
  }
  json_object_del(o, "type");
  if (json_object_size(o) == 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static int check_entry(const vbx_runtime *rt, const vbx_pipeline *p, const json_t *e, size_t i,
                       const vbx__impl **found, vbx_error *err) {
  const char *type = json_string_value(json_object_get(e, "type"));
  char msg[1400];
  const vbx__impl *impl = vbx__registry_find(rt->reg, VBX_KIND_EXPORTER, type);
  if (impl == NULL) {
    const char *const *names = vbx__registry_names(rt->reg, VBX_KIND_EXPORTER);
    const char *hint = vbx__did_you_mean(type, names);
    vbx__strbuf sb = VBX__STRBUF_INIT;
    for (size_t k = 0; names && names[k]; k++)
      vbx__strbuf_printf(&sb, "%s%s", k ? ", " : "", names[k]);
    snprintf(msg, sizeof(msg), "unknown exporter '%.100s'%s%.100s%s; loaded exporters: %.900s",
             type, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "",
             sb.len ? sb.data : "none");
    vbx__strbuf_reset(&sb);
    return report(err, p, "exporters", msg);
  }
  int oom = 0;
  json_t *opts = entry_options(e, &oom);
  if (oom) return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  int rc = 0;
  if (!vbx__impl_has(impl, VBX_M_VALIDATE)) {
    if (opts != NULL) {
      snprintf(msg, sizeof(msg), "exporter '%s' takes no options, but option '%.100s' is set",
               impl->name, json_object_iter_key(json_object_iter(opts)));
      rc = report(err, p, "exporters", msg);
    }
  } else {
    vbx_call call;
    vbx__call_init(&call, NULL, &rt->cancel, 0);
    int vrc = vbx__impl_validate_options(impl, NULL, (const vbx_json *)opts, &call);
    if (vrc != 0) {
      snprintf(msg, sizeof(msg), "exporters[%zu]: exporter '%s' refused %s%s%s: %s", i, impl->name,
               call.field[0] ? "option '" : "its options", call.field, call.field[0] ? "'" : "",
               vbx__call_message(&call, vrc));
      rc = report(err, p, "exporters", msg);
    }
  }
  json_decref(opts);
  *found = impl;
  return rc;
}

int vbx__exporters_check(const vbx_runtime *rt, const vbx_pipeline *p, vbx__plan *plan,
                         vbx_error *err) {
  const json_t *ex;
  int rc = entries(p, &ex, err);
  size_t n = json_array_size(ex);
  if (rc != 0 || n == 0) return rc;
  plan->exporters = calloc(n, sizeof(*plan->exporters));
  if (plan->exporters == NULL) return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = check_entry(rt, p, json_array_get(ex, i), i, &plan->exporters[i], err);
  if (rc == 0) plan->n_exporters = n;
  return rc;
}

int vbx__exporters_open(vbx__run *run, vbx_error *err) {
  const json_t *ex;
  int rc = entries(run->p, &ex, err);
  size_t n = json_array_size(ex);
  if (rc != 0 || n == 0) return rc;
  if (n != run->plan->n_exporters)
    return vbx__error_set(err, VBX_E_STATE, "observe: the exporters changed since the check");
  vbx__events *ev = &run->events;
  ev->exps = calloc(n, sizeof(*ev->exps));
  if (ev->exps == NULL) return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const vbx__impl *impl = run->plan->exporters[i];
    int oom = 0;
    json_t *opts = entry_options(json_array_get(ex, i), &oom);
    if (oom) {
      rc = vbx__error_set(err, VBX_E_NOMEM, "out of memory");
      goto fail;
    }
    vbx__exporter_inst *x = &ev->exps[ev->n_exps];
    if (!vbx__impl_has(impl, VBX_M_CREATE)) {
      json_decref(opts);
      rc = vbx__error_set(err, VBX_E_PLUGIN, "exporter '%s' has no create method", impl->name);
      goto fail;
    }
    vbx_call call;
    vbx__call_init(&call, &run->cancel, &run->rt->cancel, 0);
    rc = vbx__inst_exporter_create(&x->inst, impl, (const vbx_json *)opts, &call);
    json_decref(opts);
    if (rc != 0) {
      vbx__error_set(err, rc, "exporter '%s': %s", impl->name, vbx__call_message(&call, rc));
      goto fail;
    }
    ev->n_exps++;
    rc = vbx__tel_queue_start(&x->inst, VBX__TEL_QUEUE_RECORDS, VBX__TEL_QUEUE_BYTES, &x->queue);
    if (rc != 0) {
      vbx__error_set(err, rc, "exporter '%s': cannot start its delivery thread", impl->name);
      goto fail;
    }
  }
  return 0;
fail:
  vbx__exporters_close(run);
  return rc;
}

uint64_t vbx__exporters_close(vbx__run *run) {
  vbx__events *ev = &run->events;
  uint64_t dropped = 0;
  /* Drain all queues first (they deliver in parallel), then flush. */
  uint64_t drain_until = vbx__now_ns() + VBX__EXPORTER_DRAIN_NS;
  for (size_t i = 0; i < ev->n_exps; i++) {
    vbx__exporter_inst *x = &ev->exps[i];
    uint64_t n = vbx__tel_queue_stop(x->queue, drain_until);
    x->queue = NULL;
    if (n > 0)
      vbx__runtime_log(run->rt, VBX_LOG_WARN, "exporter '%s': %llu telemetry records dropped",
                       x->inst.impl->name, (unsigned long long)n);
    dropped += n;
  }
  for (size_t i = ev->n_exps; i-- > 0;) {
    vbx__exporter_inst *x = &ev->exps[i];
    uint64_t deadline = vbx__now_ns() + VBX__EXPORTER_CALL_NS;
    vbx_call call;
    vbx__call_init(&call, NULL, NULL, deadline);
    int rc = vbx__inst_flush(&x->inst, &call);
    if (rc != 0)
      vbx__runtime_log(run->rt, VBX_LOG_WARN, "exporter '%s': flush failed: %s", x->inst.impl->name,
                       vbx__call_message(&call, rc));
    dropped += vbx__inst_dropped(&x->inst, deadline);
    vbx__inst_destroy(&x->inst, deadline);
  }
  free(ev->exps);
  ev->exps = NULL;
  ev->n_exps = 0;
  return dropped;
}
