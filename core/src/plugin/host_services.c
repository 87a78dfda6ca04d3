/*
 * plugin/host_services.c - the vbx_host_services table: the allocator,
 * configuration, the error slot, cancellation and clocks. Logging
 * (ctx_log.c), JSON handles, telemetry and HTTP fill their members from
 * their own files.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/internal.h"
#include "plugin/log.h"

#define CONFIG_KEY_MAX 128

/* The plugin whose init() runs on this thread (init is serialised). */
static _Thread_local vbx__plugin *current_init;

void vbx__host_set_current_init(vbx__plugin *p) { current_init = p; }

/* ---- allocator ------------------------------------------------------------ */

static void *hs_alloc(size_t size) { return calloc(1, size ? size : 1); }
static void *hs_realloc(void *ptr, size_t size) { return realloc(ptr, size ? size : 1); }
static void hs_free(void *ptr) { free(ptr); }
static char *hs_strdup(const char *s) { return s ? strdup(s) : NULL; }
static char *hs_strndup(const char *s, size_t n) { return s ? strndup(s, n) : NULL; }

/* ---- configuration ------------------------------------------------------- */

static const char *lookup(char *const *v, size_t n, const char *key, size_t klen) {
  for (size_t i = 0; i < n && v[i]; i++)
    if (strncmp(v[i], key, klen) == 0 && v[i][klen] == '=') return v[i] + klen + 1;
  return NULL;
}

/* "--set key=value" settings first, then VOIDBOX_<KEY> from the environment
 * (upper case, '.' and '-' become '_'). Environment values are copied into
 * the registry so the pointer stays valid until the registry is freed. */
static const char *hs_config_get(vbx_plugin_ctx *ctx, const char *key) {
  if (key == NULL) return NULL;
  size_t klen = strnlen(key, CONFIG_KEY_MAX + 1);
  if (klen == 0 || klen > CONFIG_KEY_MAX) return NULL;
  vbx__registry *reg = ctx ? ctx->reg : NULL;
  if (reg != NULL) {
    size_t n = 0;
    while (reg->config[n])
      n++;
    const char *v = lookup(reg->config, n, key, klen);
    if (v) return v;
  }
  char env[CONFIG_KEY_MAX + 16] = "VOIDBOX_";
  size_t off = strlen(env);
  for (size_t i = 0; i < klen; i++) {
    char c = key[i];
    env[off + i] = (c == '.' || c == '-') ? '_' : (char)toupper((unsigned char)c);
  }
  env[off + klen] = '\0';
  const char *val = getenv(env);
  if (val == NULL || reg == NULL) return val;
  const char *out = NULL;
  pthread_mutex_lock(&reg->lock);
  const char *cached = lookup(reg->env_cache, reg->n_env, env, off + klen);
  if (cached != NULL && strcmp(cached, val) == 0) {
    out = cached;
  } else if (reg->n_env < 1024) {
    char **grown = reg->env_cache;
    if (reg->n_env == reg->cap_env) {
      size_t cap = reg->cap_env ? reg->cap_env * 2 : 8;
      grown = realloc(reg->env_cache, cap * sizeof(char *));
      if (grown) {
        reg->env_cache = grown;
        reg->cap_env = cap;
      }
    }
    char *copy = NULL;
    if (grown && asprintf(&copy, "%s=%s", env, val) >= 0) {
      /* Newest first so a changed value wins over its older copy. */
      memmove(reg->env_cache + 1, reg->env_cache, reg->n_env * sizeof(char *));
      reg->env_cache[0] = copy;
      reg->n_env++;
      out = copy + off + klen + 1;
    }
  }
  pthread_mutex_unlock(&reg->lock);
  return out;
}

/* ---- errors, cancellation, clocks ---------------------------------------- */

/* A NULL call during init() records the message for the load error. */
static int hs_set_error(vbx_call *call, int code, const char *field, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt ? fmt : "", ap);
  va_end(ap);
  if (call != NULL) return vbx__call_fail(call, code, field, "%s", msg);
  if (current_init != NULL) {
    if (field && field[0])
      snprintf(current_init->init_message, sizeof(current_init->init_message), "%.120s: %.880s",
               field, msg);
    else
      snprintf(current_init->init_message, sizeof(current_init->init_message), "%s", msg);
  }
  return code;
}

static int hs_is_cancelled(const vbx_call *call) { return vbx__call_stopped(call); }
static uint64_t hs_deadline_ns(const vbx_call *call) { return call ? call->deadline_ns : 0; }
static uint64_t hs_monotonic_ns(void) { return vbx__now_ns(); }
static uint64_t hs_realtime_ns(void) { return vbx__wall_ns(); }

/* ---- tables ------------------------------------------------------------------ */

static void fill_table(vbx_host_services *h, vbx_plugin_ctx *ctx) {
  memset(h, 0, sizeof(*h));
  h->struct_size = (uint32_t)sizeof(*h);
  h->abi_major = VBX_ABI_MAJOR;
  h->abi_minor = VBX_ABI_MINOR;
  h->ctx = ctx;
  h->log = vbx__ctx_log;
  h->vlog = vbx__ctx_vlog;
  h->alloc = hs_alloc;
  h->realloc = hs_realloc;
  h->free = hs_free;
  h->strdup = hs_strdup;
  h->strndup = hs_strndup;
  h->config_get = hs_config_get;
  h->set_error = hs_set_error;
  h->is_cancelled = hs_is_cancelled;
  h->deadline_ns = hs_deadline_ns;
  h->monotonic_ns = hs_monotonic_ns;
  h->realtime_ns = hs_realtime_ns;
  vbx__json_fill(h);
  vbx__telemetry_fill(h);
  vbx__http_fill(h);
}

void vbx__host_services_fill(vbx__plugin *p) {
  p->ctx.reg = p->reg;
  p->ctx.plugin = p;
  p->ctx.name = p->desc->name;
  fill_table(&p->host, &p->ctx);
}

static vbx_plugin_ctx core_ctx = {NULL, NULL, "voidbox"};
static vbx_host_services core_table;
static pthread_once_t core_once = PTHREAD_ONCE_INIT;

static void core_init(void) { fill_table(&core_table, &core_ctx); }

const vbx_host_services *vbx__host_services_core(void) {
  pthread_once(&core_once, core_init);
  return &core_table;
}
