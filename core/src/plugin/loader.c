/*
 * plugin/loader.c - opening plugin files, checking their descriptor in the
 * order of docs/plugin-abi.md ("Checks, in order"), running init() with a registrar bound to the plugin
 * record, and loading a whole plugin directory.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/inflight.h"
#include "plugin/internal.h"
#include "plugin/log.h"
#include "util/error.h"

#define NAME_MAX_LEN 64
#define STRING_MAX_LEN 4096
#define DIR_MAX_ENTRIES 1024

/* ---- the registrar -------------------------------------------------------- */

static int reg_refuse(vbx__plugin *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reg_refuse(vbx__plugin *p, int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (p->reg_error == 0) {
    p->reg_error = code;
    snprintf(p->reg_message, sizeof(p->reg_message), "%s", msg);
  }
  vbx__log_emit(&p->reg->log, VBX_LOG_ERROR, p->desc->name, "%s", msg);
  return code;
}

/* The registrar is open only while this plugin's init() runs. */
static int reg_open(vbx__plugin *p, vbx__kind kind) {
  if (p == NULL || p->magic != VBX__PLUGIN_RECORD_MAGIC) return VBX_E_INVAL;
  if (p->in_init && !p->reg->frozen) return 0;
  vbx__log_emit(&p->reg->log, VBX_LOG_ERROR, p->desc->name,
                "register_%s called outside init(): refused (VBX_E_STATE)",
                kind == VBX_KIND_SKILL     ? "skill_type"
                : kind == VBX_KIND_LLM     ? "llm_provider"
                : kind == VBX_KIND_SANDBOX ? "sandbox_backend"
                                           : "exporter");
  return VBX_E_STATE;
}

static int name_ok(const char *name) {
  size_t n = strnlen(name, NAME_MAX_LEN + 1);
  if (n == 0 || n > NAME_MAX_LEN) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

static int add_impl(vbx__plugin *p, vbx__kind kind, const void *vt, const char *name,
                    int has_create, int has_destroy) {
  const char *k = vbx__kind_name(kind);
  if (name == NULL || !name_ok(name))
    return reg_refuse(p, VBX_E_INVAL, "%s name '%.64s' is invalid: use 1-%d of [A-Za-z0-9._-]", k,
                      name ? name : "(null)", NAME_MAX_LEN);
  if (!has_create)
    return reg_refuse(p, VBX_E_INVAL, "%s '%s': missing required method 'create'", k, name);
  if (!has_destroy)
    return reg_refuse(p, VBX_E_INVAL, "%s '%s': missing required method 'destroy'", k, name);
  const vbx__impl *dup = vbx__registry_find_in(p->reg, kind, name, p);
  if (dup != NULL)
    return reg_refuse(p, VBX_E_EXISTS, "%s '%s' already registered by plugin '%s' (%s)", k, name,
                      dup->plugin->desc->name, dup->plugin->path);
  if (p->n_impls == p->cap_impls) {
    size_t cap = p->cap_impls ? p->cap_impls * 2 : 4;
    vbx__impl *v = realloc(p->impls, cap * sizeof(*v));
    if (v == NULL) return reg_refuse(p, VBX_E_NOMEM, "%s '%s': out of memory", k, name);
    p->impls = v;
    p->cap_impls = cap;
  }
  p->impls[p->n_impls++] = (vbx__impl){kind, name, vt, p, NULL};
  return 0;
}

/* Every vtable starts with struct_size, name, description, flags, a
 * validate method, create and destroy; a vtable must cover `destroy`.
 * Later members are optional: a shorter (older) vtable is accepted and its
 * missing methods are "unsupported" (VBX_HAS_METHOD is false). */
#define DEFINE_REGISTER(FN, TYPE, KIND)                                                           \
  static int FN(void *regp, const TYPE *vt) {                                                     \
    vbx__plugin *p = regp;                                                                        \
    int rc = reg_open(p, KIND);                                                                   \
    if (rc != 0) return rc;                                                                       \
    size_t min = offsetof(TYPE, destroy) + sizeof(((TYPE *)0)->destroy);                          \
    if (vt == NULL) return reg_refuse(p, VBX_E_INVAL, "%s vtable is NULL", vbx__kind_name(KIND)); \
    if (vt->struct_size < min)                                                                    \
      return reg_refuse(p, VBX_E_ABI,                                                             \
                        "%s vtable struct_size %u smaller than %zu (must reach 'destroy')",       \
                        vbx__kind_name(KIND), (unsigned)vt->struct_size, min);                    \
    return add_impl(p, KIND, vt, vt->name, vt->create != NULL, vt->destroy != NULL);              \
  }

DEFINE_REGISTER(register_skill_type, vbx_skill_type_vtable, VBX_KIND_SKILL)
DEFINE_REGISTER(register_llm_provider, vbx_llm_provider_vtable, VBX_KIND_LLM)
DEFINE_REGISTER(register_sandbox_backend, vbx_sandbox_backend_vtable, VBX_KIND_SANDBOX)
DEFINE_REGISTER(register_exporter, vbx_exporter_vtable, VBX_KIND_EXPORTER)

/* ---- descriptor checks ---------------------------------------------------- */

static const char *endian_name(uint32_t fp) {
  switch (fp & 0xffu) {
  case VBX_FP_ENDIAN_LITTLE: return "little-endian";
  case VBX_FP_ENDIAN_BIG: return "big-endian";
  }
  return "unknown byte order";
}

static int check_string(const char *label, const char *what, const char *s, vbx_error *err) {
  if (s == NULL || s[0] == '\0')
    return vbx__error_set(err, VBX_E_PLUGIN, "%s: missing required string '%s'", label, what);
  if (strnlen(s, STRING_MAX_LEN + 1) > STRING_MAX_LEN)
    return vbx__error_set(err, VBX_E_PLUGIN, "%s: string '%s' longer than %d bytes", label, what,
                          STRING_MAX_LEN);
  return 0;
}

static int plugin_name_ok(const char *s) {
  size_t n = strnlen(s, NAME_MAX_LEN + 1);
  if (n == 0 || n > NAME_MAX_LEN) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return 0;
  return 1;
}

/* "MAJOR.MINOR.PATCH" with an optional "-pre" or "+build" suffix. */
static int semver_ok(const char *s) {
  for (int part = 0; part < 3; part++) {
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9')
      s++;
    if (part < 2 && *s++ != '.') return 0;
  }
  return *s == '\0' || *s == '-' || *s == '+';
}

static int check_descriptor(vbx__registry *reg, const vbx_plugin_descriptor *d, const char *label,
                            vbx_error *err) {
  if (d == NULL)
    return vbx__error_set(err, VBX_E_PLUGIN, "%s: entry function %s returned NULL", label,
                          VBX_PLUGIN_ENTRY_SYMBOL);
  if (d->magic != VBX_PLUGIN_MAGIC)
    return vbx__error_set(err, VBX_E_ABI, "%s: bad magic 0x%08x, expected 0x%08x", label,
                          (unsigned)d->magic, (unsigned)VBX_PLUGIN_MAGIC);
  if (d->abi_major != VBX_ABI_MAJOR)
    return vbx__error_set(err, VBX_E_ABI, "%s: plugin ABI major %u, host %d", label,
                          (unsigned)d->abi_major, VBX_ABI_MAJOR);
  if (d->abi_minor > VBX_ABI_MINOR)
    return vbx__error_set(err, VBX_E_ABI, "%s: plugin ABI minor %u is newer than host minor %d",
                          label, (unsigned)d->abi_minor, VBX_ABI_MINOR);
  size_t min = offsetof(vbx_plugin_descriptor, init) + sizeof(d->init);
  if (d->struct_size < min)
    return vbx__error_set(err, VBX_E_ABI,
                          "%s: descriptor struct_size %u smaller than %zu (ABI %d needs fields "
                          "through 'init')",
                          label, (unsigned)d->struct_size, min, VBX_ABI_MAJOR);
  if (d->fingerprint != VBX_ABI_FINGERPRINT) {
    uint32_t f = d->fingerprint, h = VBX_ABI_FINGERPRINT;
    return vbx__error_set(err, VBX_E_ABI,
                          "%s: layout fingerprint 0x%08x, host 0x%08x (pointer size %u vs %u, "
                          "size_t %u vs %u, %s vs %s)",
                          label, (unsigned)f, (unsigned)h, (unsigned)(f >> 16) & 0xffu,
                          (unsigned)(h >> 16) & 0xffu, (unsigned)(f >> 8) & 0xffu,
                          (unsigned)(h >> 8) & 0xffu, endian_name(f), endian_name(h));
  }
  int rc;
  if ((rc = check_string(label, "name", d->name, err)) ||
      (rc = check_string(label, "version", d->version, err)) ||
      (rc = check_string(label, "license", d->license, err)) ||
      (rc = check_string(label, "description", d->description, err)))
    return rc;
  if (d->init == NULL)
    return vbx__error_set(err, VBX_E_PLUGIN, "%s: missing required function 'init'", label);
  if (!plugin_name_ok(d->name))
    return vbx__error_set(err, VBX_E_PLUGIN,
                          "%s: plugin name '%.64s' is invalid: use 1-%d of [a-z0-9-]", label,
                          d->name, NAME_MAX_LEN);
  if (!semver_ok(d->version))
    return vbx__error_set(err, VBX_E_PLUGIN,
                          "%s: version '%.64s' is not semver (MAJOR.MINOR.PATCH)", label,
                          d->version);
  for (size_t i = 0; i < reg->n_plugins; i++)
    if (strcmp(reg->plugins[i]->desc->name, d->name) == 0)
      return vbx__error_set(err, VBX_E_EXISTS, "%s: plugin name '%s' already loaded from %s", label,
                            d->name, reg->plugins[i]->path);
  return 0;
}

/* ---- loading ---------------------------------------------------------------- */

/* Check the descriptor, run init(), add p to the registry. On failure p is
 * destroyed (dlclose included). */
static int check_and_init(vbx__registry *reg, vbx__plugin *p, vbx_plugin_entry_fn entry,
                          const char *label, vbx_error *err) {
  uint64_t deadline = vbx__now_ns() + VBX__LOAD_NS;
  const vbx_plugin_descriptor *d;
  VBX__PLUGIN_CALL(vbx__plugin_label(p), "entry", NULL, deadline, d = entry());
  int rc = check_descriptor(reg, d, label, err);
  if (rc != 0) goto fail;
  p->desc = d;
  p->fini = VBX_HAS_MEMBER(d, vbx_plugin_descriptor, fini) ? d->fini : NULL;
  vbx__host_services_fill(p);
  p->registrar = (vbx_registrar){(uint32_t)sizeof(vbx_registrar),
                                 p,
                                 register_skill_type,
                                 register_llm_provider,
                                 register_sandbox_backend,
                                 register_exporter};
  void *state = NULL;
  pthread_mutex_lock(&vbx__plugin_init_lock);
  vbx__host_set_current_init(p);
  p->in_init = 1;
  int irc;
  VBX__PLUGIN_CALL(vbx__plugin_label(p), "init", NULL, deadline,
                   irc = d->init(&p->host, &p->registrar, &state));
  p->in_init = 0;
  vbx__host_set_current_init(NULL);
  pthread_mutex_unlock(&vbx__plugin_init_lock);
  if (irc != 0) {
    const char *why = p->init_message[0]  ? p->init_message
                      : p->reg_message[0] ? p->reg_message
                                          : "no message";
    rc = vbx__error_set(err, VBX_E_PLUGIN, "%s: plugin '%s' init failed: %s: %s", label, d->name,
                        vbx_strerror(irc), why);
    goto fail;
  }
  p->state = state;
  p->initialised = 1;
  if (p->reg_error != 0) {
    rc = vbx__error_set(err, p->reg_error, "%s: plugin '%s' registration failed: %s", label,
                        d->name, p->reg_message);
    goto fail;
  }
  for (size_t i = 0; i < p->n_impls; i++)
    p->impls[i].plugin_state = state;
  rc = vbx__registry_add_plugin(reg, p);
  if (rc != 0) {
    vbx__error_set(err, rc, "%s: out of memory adding plugin", label);
    goto fail;
  }
  vbx__log_emit(&reg->log, VBX_LOG_DEBUG, "voidbox", "loaded plugin '%s' %s from %s", d->name,
                d->version, p->path);
  return 0;
fail:
  vbx__plugin_destroy(p);
  return rc;
}

static vbx__plugin *plugin_new(vbx__registry *reg, const char *path) {
  vbx__plugin *p = calloc(1, sizeof(*p));
  if (p == NULL) return NULL;
  p->magic = VBX__PLUGIN_RECORD_MAGIC;
  p->reg = reg;
  p->path = strdup(path);
  if (p->path == NULL) {
    free(p);
    return NULL;
  }
  return p;
}

int vbx__registry_load_entry(vbx__registry *reg, vbx_plugin_entry_fn entry, const char *label,
                             vbx_error *err) {
  if (label == NULL) label = "(in-process plugin)";
  if (reg == NULL || entry == NULL)
    return vbx__error_set(err, VBX_E_INVAL, "%s: no registry or entry function", label);
  if (reg->frozen)
    return vbx__error_set(err, VBX_E_STATE, "%s: the plugin registry is frozen", label);
  vbx__plugin *p = plugin_new(reg, label);
  if (p == NULL) return vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", label);
  return check_and_init(reg, p, entry, label, err);
}

/* The loaded plugin that came from the file `st` describes, or NULL. The
 * same file named twice (the plugin directory and --plugin, or through a
 * symlink) is one plugin; two files with one plugin name stay an error. */
static const vbx__plugin *loaded_file(const vbx__registry *reg, const struct stat *st) {
  for (size_t i = 0; i < reg->n_plugins; i++) {
    const vbx__plugin *q = reg->plugins[i];
    if (q->dl != NULL && q->dev == st->st_dev && q->ino == st->st_ino) return q;
  }
  return NULL;
}

int vbx__registry_load(vbx__registry *reg, const char *path, vbx_error *err) {
  if (reg == NULL || path == NULL || path[0] == '\0')
    return vbx__error_set(err, VBX_E_INVAL, "plugin path is empty");
  if (reg->frozen)
    return vbx__error_set(err, VBX_E_STATE, "%s: the plugin registry is frozen", path);
  struct stat st;
  if (stat(path, &st) != 0)
    return vbx__error_set(err, errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO, "%s: cannot stat: %s",
                          path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return vbx__error_set(err, VBX_E_PERM, "%s: not a regular file (mode 0%o)", path,
                          (unsigned)st.st_mode);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return vbx__error_set(err, VBX_E_PERM,
                          "%s: refusing a group- or world-writable plugin (mode 0%03o); run "
                          "chmod go-w on it",
                          path, (unsigned)(st.st_mode & 07777));
  const vbx__plugin *same = loaded_file(reg, &st);
  if (same != NULL) {
    vbx__log_emit(&reg->log, VBX_LOG_DEBUG, "voidbox",
                  "%s: plugin '%s' is already loaded from this file (%s)", path, same->desc->name,
                  same->path);
    return 0;
  }
  char real[PATH_MAX];
  if (realpath(path, real) == NULL)
    return vbx__error_set(err, VBX_E_IO, "%s: cannot resolve path: %s", path, strerror(errno));
  vbx__plugin *p = plugin_new(reg, real);
  if (p == NULL) return vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", path);
  p->dev = st.st_dev;
  p->ino = st.st_ino;
  dlerror();
  /* An absolute path: dlopen never searches the library path. */
  /* Constructors run here: record the load as a call of the file. */
  VBX__PLUGIN_CALL(vbx__plugin_label(p), "dlopen", NULL, vbx__now_ns() + VBX__LOAD_NS,
                   p->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL));
  if (p->dl == NULL) {
    const char *e = dlerror();
    vbx__plugin_destroy(p);
    return vbx__error_set(err, VBX_E_PLUGIN, "%s: dlopen failed: %s", path, e ? e : "unknown");
  }
  dlerror();
  void *sym = dlsym(p->dl, VBX_PLUGIN_ENTRY_SYMBOL);
  if (sym == NULL) {
    const char *e = dlerror();
    int rc = vbx__error_set(err, VBX_E_PLUGIN, "%s: missing entry symbol '%s': %s", path,
                            VBX_PLUGIN_ENTRY_SYMBOL, e ? e : "symbol is NULL");
    vbx__plugin_destroy(p);
    return rc;
  }
  vbx_plugin_entry_fn entry;
  memcpy(&entry, &sym, sizeof(entry));
  return check_and_init(reg, p, entry, path, err);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whoever can write to the plugin directory can put code into every run:
 * it must be writable by its owner only, like the plugin files themselves. */
static int check_dir_mode(DIR *d, const char *dir, vbx_error *err) {
  struct stat st;
  if (fstat(dirfd(d), &st) != 0)
    return vbx__error_set(err, VBX_E_IO, "%s: cannot stat plugin directory: %s", dir,
                          strerror(errno));
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return vbx__error_set(err, VBX_E_PERM,
                          "%s: refusing a group- or world-writable plugin directory (mode "
                          "0%03o): anyone in it could add a plugin; run chmod go-w on it",
                          dir, (unsigned)(st.st_mode & 07777));
  return 0;
}

int vbx__registry_load_dir(vbx__registry *reg, const char *dir, vbx_error *err) {
  if (reg == NULL || dir == NULL) return vbx__error_set(err, VBX_E_INVAL, "no plugin directory");
  DIR *d = opendir(dir);
  if (d == NULL)
    return vbx__error_set(err, errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO,
                          "%s: cannot open plugin directory: %s", dir, strerror(errno));
  int rc = check_dir_mode(d, dir, err);
  if (rc != 0) {
    closedir(d);
    return rc;
  }
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strnlen(e->d_name, sizeof(e->d_name));
    if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".so") != 0) continue;
    if (n == DIR_MAX_ENTRIES) {
      rc = vbx__error_set(err, VBX_E_LIMIT, "%s: more than %d plugins", dir, DIR_MAX_ENTRIES);
      goto out;
    }
    char **v = realloc(names, (n + 1) * sizeof(char *));
    if (v == NULL || (v[n] = strdup(e->d_name)) == NULL) {
      if (v) names = v;
      rc = vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", dir);
      goto out;
    }
    names = v;
    n++;
  }
  if (n > 0) qsort(names, n, sizeof(char *), cmp_str);
  for (size_t i = 0; i < n && rc == 0; i++) {
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
      rc = vbx__error_set(err, VBX_E_TOOBIG, "%s/%s: path too long", dir, names[i]);
      break;
    }
    rc = vbx__registry_load(reg, path, err);
  }
out:
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  closedir(d);
  return rc;
}
