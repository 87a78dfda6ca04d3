/*
 * plugin/registry.c - the registry: plugin records, lookups, name lists,
 * freezing and unloading. Loading and checking live in loader.c.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/inflight.h"
#include "plugin/internal.h"

pthread_mutex_t vbx__plugin_init_lock = PTHREAD_MUTEX_INITIALIZER;

const char *vbx__plugin_label(const vbx__plugin *p) {
  if (p->desc != NULL && p->desc->name != NULL) return p->desc->name;
  const char *slash = p->path ? strrchr(p->path, '/') : NULL;
  return slash ? slash + 1 : p->path ? p->path : "?";
}

const char *vbx__kind_name(vbx__kind kind) {
  switch (kind) {
  case VBX_KIND_SKILL: return "skill";
  case VBX_KIND_LLM: return "llm";
  case VBX_KIND_SANDBOX: return "sandbox";
  case VBX_KIND_EXPORTER: return "exporter";
  case VBX_KIND_COUNT: break;
  }
  return "unknown";
}

static void free_strv(char **v) {
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

int vbx__registry_new(const vbx__logger *log, const char *const *config, vbx__registry **out) {
  int rc = VBX_E_NOMEM;
  *out = NULL;
  vbx__registry *reg = calloc(1, sizeof(*reg));
  if (reg == NULL) return VBX_E_NOMEM;
  if (pthread_mutex_init(&reg->lock, NULL) != 0) {
    free(reg);
    return VBX_E_GENERIC;
  }
  if (log != NULL)
    reg->log = *log;
  else
    reg->log.level = VBX_LOG_WARN;
  size_t n = 0;
  while (config && config[n])
    n++;
  reg->config = calloc(n + 1, sizeof(char *));
  if (reg->config == NULL) goto fail;
  for (size_t i = 0; i < n; i++) {
    if (strchr(config[i], '=') == NULL) {
      rc = VBX_E_INVAL; /* a setting without '=' cannot be served */
      goto fail;
    }
    reg->config[i] = strdup(config[i]);
    if (reg->config[i] == NULL) goto fail;
  }
  for (int k = 0; k < VBX_KIND_COUNT; k++) {
    reg->names[k] = calloc(1, sizeof(char *));
    if (reg->names[k] == NULL) goto fail;
  }
  *out = reg;
  return 0;
fail:
  vbx__registry_free(reg);
  return rc;
}

/* Rebuild the NULL-terminated name list of every kind. */
static int rebuild_names(vbx__registry *reg) {
  for (int k = 0; k < VBX_KIND_COUNT; k++) {
    size_t n = 0;
    for (size_t i = 0; i < reg->n_plugins; i++)
      for (size_t j = 0; j < reg->plugins[i]->n_impls; j++)
        n += reg->plugins[i]->impls[j].kind == (vbx__kind)k;
    const char **v = calloc(n + 1, sizeof(char *));
    if (v == NULL) return VBX_E_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < reg->n_plugins; i++)
      for (size_t j = 0; j < reg->plugins[i]->n_impls; j++)
        if (reg->plugins[i]->impls[j].kind == (vbx__kind)k) v[m++] = reg->plugins[i]->impls[j].name;
    free(reg->names[k]);
    reg->names[k] = v;
  }
  return 0;
}

int vbx__registry_add_plugin(vbx__registry *reg, vbx__plugin *p) {
  if (reg->n_plugins == reg->cap_plugins) {
    size_t cap = reg->cap_plugins ? reg->cap_plugins * 2 : 8;
    vbx__plugin **v = realloc(reg->plugins, cap * sizeof(*v));
    if (v == NULL) return VBX_E_NOMEM;
    reg->plugins = v;
    reg->cap_plugins = cap;
  }
  reg->plugins[reg->n_plugins++] = p;
  if (rebuild_names(reg) != 0) {
    reg->n_plugins--;
    return VBX_E_NOMEM;
  }
  return 0;
}

static const vbx__impl *find_in_plugin(const vbx__plugin *p, vbx__kind kind, const char *name) {
  for (size_t j = 0; j < p->n_impls; j++)
    if (p->impls[j].kind == kind && strcmp(p->impls[j].name, name) == 0) return &p->impls[j];
  return NULL;
}

const vbx__impl *vbx__registry_find_in(const vbx__registry *reg, vbx__kind kind, const char *name,
                                       const vbx__plugin *extra) {
  if (reg == NULL || name == NULL) return NULL;
  for (size_t i = 0; i < reg->n_plugins; i++) {
    const vbx__impl *im = find_in_plugin(reg->plugins[i], kind, name);
    if (im) return im;
  }
  return extra ? find_in_plugin(extra, kind, name) : NULL;
}

const vbx__impl *vbx__registry_find(const vbx__registry *reg, vbx__kind kind, const char *name) {
  return vbx__registry_find_in(reg, kind, name, NULL);
}

const char *const *vbx__registry_names(const vbx__registry *reg, vbx__kind kind) {
  static const char *const empty[1] = {NULL};
  if (reg == NULL || (int)kind < 0 || kind >= VBX_KIND_COUNT) return empty;
  return reg->names[kind] ? (const char *const *)reg->names[kind] : empty;
}

void vbx__registry_freeze(vbx__registry *reg) {
  if (reg) reg->frozen = 1;
}

void vbx__registry_set_telemetry(vbx__registry *reg, vbx__telemetry_fn fn, void *user) {
  if (reg == NULL) return;
  pthread_mutex_lock(&reg->lock);
  reg->tel_fn = fn;
  reg->tel_user = user;
  pthread_mutex_unlock(&reg->lock);
}

const vbx__plugin *vbx__registry_plugin_at(const vbx__registry *reg, size_t idx) {
  return reg && idx < reg->n_plugins ? reg->plugins[idx] : NULL;
}

const char *vbx__plugin_name(const vbx__plugin *p) { return p->desc->name; }
const char *vbx__plugin_version(const vbx__plugin *p) { return p->desc->version; }
const char *vbx__plugin_license(const vbx__plugin *p) { return p->desc->license; }
const char *vbx__plugin_description(const vbx__plugin *p) { return p->desc->description; }
const char *vbx__plugin_path(const vbx__plugin *p) { return p->path; }

const vbx__impl *vbx__plugin_impl_at(const vbx__plugin *p, size_t idx) {
  return p && idx < p->n_impls ? &p->impls[idx] : NULL;
}

const vbx_host_services *vbx__plugin_host(const vbx__plugin *p) { return p ? &p->host : NULL; }

void vbx__plugin_destroy(vbx__plugin *p) {
  if (p == NULL) return;
  uint64_t deadline = vbx__now_ns() + VBX__UNLOAD_NS;
  if (p->initialised && p->fini != NULL) {
    pthread_mutex_lock(&vbx__plugin_init_lock);
    VBX__PLUGIN_CALL(vbx__plugin_label(p), "fini", NULL, deadline, p->fini(p->state));
    pthread_mutex_unlock(&vbx__plugin_init_lock);
  }
  p->initialised = 0;
  if (p->dl != NULL)
    VBX__PLUGIN_CALL(vbx__plugin_label(p), "dlclose", NULL, deadline, dlclose(p->dl));
  p->magic = 0;
  free(p->impls);
  free(p->path);
  free(p);
}

void vbx__registry_free(vbx__registry *reg) {
  if (reg == NULL) return;
  for (size_t i = reg->n_plugins; i > 0; i--)
    vbx__plugin_destroy(reg->plugins[i - 1]);
  free(reg->plugins);
  for (int k = 0; k < VBX_KIND_COUNT; k++)
    free(reg->names[k]);
  free_strv(reg->config);
  for (size_t i = 0; i < reg->n_env; i++)
    free(reg->env_cache[i]);
  free(reg->env_cache);
  pthread_mutex_destroy(&reg->lock);
  free(reg);
}
