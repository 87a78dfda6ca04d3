/*
 * plugin/registry.h - loaded plugins and what they registered.
 *
 * The loader (loader.c) opens each plugin, checks its descriptor in the
 * order docs/plugin-abi.md gives, and calls init() with a host-services table and a
 * registrar bound to that plugin's record. After every plugin is loaded the
 * registry is frozen: lookups are then lock-free and thread-safe, and no
 * registration is accepted (VBX_E_STATE).
 *
 * Ownership: the registry owns every plugin record and unloads them (fini,
 * then dlclose, in reverse load order) in vbx__registry_free.
 */
#ifndef VBX_PLUGIN_REGISTRY_H
#define VBX_PLUGIN_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/voidbox.h"
#include "tool_api.h"

typedef enum vbx__kind {
  VBX_KIND_SKILL = 0,
  VBX_KIND_LLM = 1,
  VBX_KIND_SANDBOX = 2,
  VBX_KIND_EXPORTER = 3,
  VBX_KIND_COUNT = 4
} vbx__kind;

typedef struct vbx__plugin vbx__plugin;
typedef struct vbx__registry vbx__registry;

/* One registered implementation: its vtable (as the plugin compiled it,
 * read only through VBX_HAS_METHOD), the owning plugin and its state. */
typedef struct vbx__impl {
  vbx__kind kind;
  const char *name;   /* borrowed from the vtable */
  const void *vtable; /* one of the four vtable types */
  vbx__plugin *plugin;
  void *plugin_state; /* the state init() returned */
} vbx__impl;

/* Log sink used by host services and the loader. */
typedef struct vbx__logger {
  vbx_log_level level;
  vbx_log_fn fn; /* NULL: stderr */
  void *user;
  int format; /* vbx_log_format of the stderr sink (fn NULL) */
} vbx__logger;

/* Telemetry sink for spans and metric points reported through host
 * services outside any run's scope (plugin/observe.h): span != NULL or
 * metric != NULL. Called on the reporting thread, without a registry lock
 * held; data is borrowed for the call. */
typedef void (*vbx__telemetry_fn)(void *user, const vbx_span_data *span,
                                  const vbx_metric_data *metric);

/* Create an empty, unfrozen registry. `config` ("key=value", NULL-
 * terminated, may be NULL) is copied and served by host->config_get. */
int vbx__registry_new(const vbx__logger *log, const char *const *config, vbx__registry **out);

/* Load one plugin file. A file already loaded (same st_dev and st_ino) is
 * not loaded again: 0. Checks, in order: path is a regular file not
 * group/world-writable; dlopen(RTLD_NOW|RTLD_LOCAL); entry symbol; magic;
 * ABI major equal; plugin minor <= host minor; struct size; fingerprint;
 * required strings (name, version, license, description, init); name
 * unique. Then init(); registration name clashes fail the load. On failure
 * nothing of the plugin stays loaded and err names the path, the check and
 * both values ("plugin ABI major 2, host 1"). Not thread-safe. */
int vbx__registry_load(vbx__registry *reg, const char *path, vbx_error *err);

/* Load a plugin linked into the current executable (tests, static
 * builds): the same checks and init as vbx__registry_load, starting at the
 * entry function; `label` stands in for the path in reports. */
int vbx__registry_load_entry(vbx__registry *reg, vbx_plugin_entry_fn entry, const char *label,
                             vbx_error *err);

/* Load every "*.so" in dir, sorted by name. A missing dir fails with
 * VBX_E_NOTFOUND, a group- or world-writable one with VBX_E_PERM (the caller
 * decides whether a default directory may be absent). */
int vbx__registry_load_dir(vbx__registry *reg, const char *dir, vbx_error *err);

/* Freeze: no further loads or registrations. */
void vbx__registry_freeze(vbx__registry *reg);

/* Find an implementation by kind and name; NULL when absent. Thread-safe
 * once frozen. */
const vbx__impl *vbx__registry_find(const vbx__registry *reg, vbx__kind kind, const char *name);

/* Names registered for a kind, NULL-terminated, owned by the registry
 * (valid until free). Used for "did you mean" hints. */
const char *const *vbx__registry_names(const vbx__registry *reg, vbx__kind kind);

/* Iterate plugins in load order: returns NULL past the end. */
VBX__TOOL_API const vbx__plugin *vbx__registry_plugin_at(const vbx__registry *reg, size_t idx);
VBX__TOOL_API const char *vbx__plugin_name(const vbx__plugin *p);
VBX__TOOL_API const char *vbx__plugin_version(const vbx__plugin *p);
VBX__TOOL_API const char *vbx__plugin_license(const vbx__plugin *p);
VBX__TOOL_API const char *vbx__plugin_description(const vbx__plugin *p);
VBX__TOOL_API const char *vbx__plugin_path(const vbx__plugin *p);
/* Implementations a plugin registered: returns NULL past the end. */
VBX__TOOL_API const vbx__impl *vbx__plugin_impl_at(const vbx__plugin *p, size_t idx);
/* The host-services table given to this plugin (for host-side calls that
 * need the plugin's context, e.g. logging on its behalf). */
const vbx_host_services *vbx__plugin_host(const vbx__plugin *p);

/* Route spans and metrics to fn (NULL: the default sink, which logs them
 * at TRACE). May be called at any time; thread-safe. */
void vbx__registry_set_telemetry(vbx__registry *reg, vbx__telemetry_fn fn, void *user);

/* Unload everything in reverse order (fini, dlclose) and free. */
void vbx__registry_free(vbx__registry *reg);

/* Name of a kind: "skill", "llm", "sandbox", "exporter". */
VBX__TOOL_API const char *vbx__kind_name(vbx__kind kind);

/* The host-services table implementation (host_services.c): a table for
 * the host itself, with ctx tagging logs as "voidbox". Static lifetime. */
const vbx_host_services *vbx__host_services_core(void);

#endif
