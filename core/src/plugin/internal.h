/*
 * plugin/internal.h - the records behind registry.h, shared by the files of
 * core/src/plugin only (registry.c, loader.c, host_services.c,
 * json_handles.c, http.c, telemetry.c, inspect.c). Nothing outside this
 * folder includes it.
 */
#ifndef VBX_PLUGIN_INTERNAL_H
#define VBX_PLUGIN_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "plugin/call.h"
#include "plugin/registry.h"

#define VBX__PLUGIN_RECORD_MAGIC 0x706c7567u /* "plug" */

/* What host services know about their caller. */
struct vbx_plugin_ctx {
  vbx__registry *reg;  /* NULL for the core table */
  vbx__plugin *plugin; /* NULL for the core table */
  const char *name;    /* log origin: the plugin's name or "voidbox" */
};

struct vbx__plugin {
  uint32_t magic; /* VBX__PLUGIN_RECORD_MAGIC */
  vbx__registry *reg;
  char *path; /* resolved path or the label */
  void *dl;   /* dlopen handle; NULL for in-process */
  dev_t dev;  /* the file's st_dev and st_ino (when dl != NULL): */
  ino_t ino;  /*   loading the same file again is a no-op */
  const vbx_plugin_descriptor *desc;
  void (*fini)(void *state); /* NULL when absent or not covered */
  void *state;
  int in_init;     /* registrar open */
  int initialised; /* init() returned 0: fini is due */
  int reg_error;   /* first failed registration's code */
  char reg_message[512];
  char init_message[1024]; /* set_error(NULL, ...) during init */
  vbx_plugin_ctx ctx;
  vbx_host_services host;
  vbx_registrar registrar;
  vbx__impl *impls;
  size_t n_impls, cap_impls;
};

struct vbx__registry {
  vbx__logger log;
  char **config; /* "key=value" copies, NULL-terminated */
  vbx__plugin **plugins;
  size_t n_plugins, cap_plugins;
  const char **names[VBX_KIND_COUNT]; /* NULL-terminated, rebuilt per load */
  int frozen;
  pthread_mutex_t lock; /* env cache and telemetry sink */
  char **env_cache;     /* "KEY=value" copies from getenv */
  size_t n_env, cap_env;
  vbx__telemetry_fn tel_fn;
  void *tel_user;
};

/* registry.c: serialises every plugin's init() and fini(). */
extern pthread_mutex_t vbx__plugin_init_lock;

/* registry.c: append a fully loaded plugin (takes ownership) and refresh
 * the name lists. Returns 0 or VBX_E_NOMEM (plugin not taken). */
int vbx__registry_add_plugin(vbx__registry *reg, vbx__plugin *p);
/* registry.c: find `name` of `kind` among loaded plugins and in `extra`
 * (the plugin being loaded, may be NULL). */
const vbx__impl *vbx__registry_find_in(const vbx__registry *reg, vbx__kind kind, const char *name,
                                       const vbx__plugin *extra);
/* registry.c: fini (when init succeeded), dlclose, free the record. */
void vbx__plugin_destroy(vbx__plugin *p);
/* registry.c: the plugin's name, or its file name before the descriptor
 * was read (for vbx__inflight_enter). */
const char *vbx__plugin_label(const vbx__plugin *p);

/* How long loading (dlopen, entry, init) or unloading (fini, dlclose) one
 * plugin may take before a supervising process calls it hung. */
#define VBX__LOAD_NS (30ull * 1000000000ull)
#define VBX__UNLOAD_NS (30ull * 1000000000ull)

/* host_services.c: fill p->host for plugin p (ctx bound to p). */
void vbx__host_services_fill(vbx__plugin *p);
/* host_services.c: the plugin whose init() runs on this thread, or NULL.
 * set_error(NULL, ...) during init writes into its init_message. */
void vbx__host_set_current_init(vbx__plugin *p);

/* json_handles.c, telemetry.c, http.c: fill their members of a table. */
void vbx__json_fill(vbx_host_services *h);
void vbx__telemetry_fill(vbx_host_services *h);
void vbx__http_fill(vbx_host_services *h);

/* Logging through ctx (plugin tag and the registry's logger; the core
 * context logs to stderr at WARN). Thread-safe. */
void vbx__ctx_vlog(vbx_plugin_ctx *ctx, vbx_log_level level, const char *fmt, va_list ap);
void vbx__ctx_log(vbx_plugin_ctx *ctx, vbx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
