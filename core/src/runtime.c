/*
 * runtime.c - vbx_runtime: a frozen plugin registry, the log sink and the
 * runtime-wide cancellation token (see runtime.h and voidbox.h).
 */
#include "runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/abi.h"
#include "plugin/log.h"
#include "plugin/plugin_dir.h"
#include "util/error.h"

#ifndef VBX_VERSION_STRING
#define VBX_VERSION_STRING "0.0.0"
#endif

const char *vbx_version(void) { return VBX_VERSION_STRING; }

const vbx_host_services *vbx__tool_host_services(void) { return vbx__host_services_core(); }

void vbx__runtime_log(const vbx_runtime *rt, vbx_log_level level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vbx__log_vemit(rt ? &rt->log : NULL, level, "voidbox", fmt, ap);
  va_end(ap);
}

/* The named plugin directory, which must exist, or the default one, which
 * may be absent (plugin_dir.h). */
static int load_plugin_dir(vbx_runtime *rt, const char *named, vbx_error *err) {
  char buf[PATH_MAX];
  int required = 1;
  const char *dir = named ? named : vbx__plugin_default_dir(buf, sizeof(buf), &required);
  struct stat st;
  if (dir == NULL || (!required && stat(dir, &st) != 0 && errno == ENOENT)) {
    vbx__runtime_log(rt, VBX_LOG_DEBUG, "no plugin directory%s%s", dir ? " at " : "",
                     dir ? dir : " (neither installed nor in a build tree)");
    return 0;
  }
  vbx__runtime_log(rt, VBX_LOG_DEBUG, "loading plugins from %s", dir);
  int rc = vbx__registry_load_dir(rt->reg, dir, err);
  if (rc == VBX_E_NOTFOUND)
    vbx__error_set(err, rc, "plugin directory %s does not exist%s", dir,
                   named ? " (--plugin-dir)" : " ($VOIDBOX_PLUGIN_DIR)");
  return rc;
}

int vbx_runtime_new(const vbx_runtime_options *opts, vbx_runtime **out, vbx_error *err) {
  if (out == NULL) return vbx__error_set(err, VBX_E_INVAL, "vbx_runtime_new: out is NULL");
  *out = NULL;
  vbx_runtime_options o;
  memset(&o, 0, sizeof(o));
  if (opts != NULL) {
    vbx_call c;
    vbx__call_init(&c, NULL, NULL, 0);
    if (vbx__abi_copy_in(&o, sizeof(o), opts, "vbx_runtime_options", &c) != 0)
      return vbx__error_set(err, c.code, "vbx_runtime_new: %s", c.message);
  }
  vbx_runtime *rt = calloc(1, sizeof(*rt));
  if (rt == NULL) return vbx__error_set(err, VBX_E_NOMEM, "vbx_runtime_new: out of memory");
  atomic_init(&rt->cancel.cancelled, 0);
  rt->log.level = o.log_level_set ? o.log_level : VBX_LOG_WARN;
  rt->log.fn = o.log_fn;
  rt->log.user = o.log_user;
  rt->log.format = o.log_format == VBX_LOG_FORMAT_JSON ? VBX_LOG_FORMAT_JSON : VBX_LOG_FORMAT_TEXT;
  int rc = vbx__registry_new(&rt->log, o.config, &rt->reg);
  if (rc != 0) {
    vbx__error_set(err, rc, "vbx_runtime_new: cannot create the plugin registry%s",
                   rc == VBX_E_INVAL ? " (a config setting is not key=value)" : "");
    goto fail;
  }
  if (!o.skip_plugin_dir) {
    rc = load_plugin_dir(rt, o.plugin_dir, err);
    if (rc != 0) goto fail;
  }
  for (size_t i = 0; o.plugin_paths && o.plugin_paths[i]; i++) {
    rc = vbx__registry_load(rt->reg, o.plugin_paths[i], err);
    if (rc != 0) goto fail;
  }
  vbx__registry_freeze(rt->reg);
  *out = rt;
  return 0;
fail:
  vbx_runtime_free(rt);
  return rc;
}

void vbx_runtime_cancel(vbx_runtime *rt) {
  if (rt != NULL) atomic_store(&rt->cancel.cancelled, 1); /* async-signal-safe */
}

void vbx_runtime_free(vbx_runtime *rt) {
  if (rt == NULL) return;
  vbx__registry_free(rt->reg);
  free(rt);
}
