/*
 * plugin/lazy_lib.h - a system library loaded on first use instead of at
 * process start. libcurl (with the ~30 libraries it pulls in) cost every
 * voidbox process about 3 ms of dynamic linking before main(), although
 * most runs (mock and local boxes, validate, trace) never make an HTTP
 * request; libmicrohttpd only serves the LLM gateway. Each is now opened
 * with dlopen(3) by its SONAME when first needed, and its functions are
 * reached through a table of pointers (curl_api.h, gateway/mhd_api.h).
 */
#ifndef VBX_PLUGIN_LAZY_LIB_H
#define VBX_PLUGIN_LAZY_LIB_H

#include <stddef.h>

/* One function of a library: its name and the offset of its pointer in
 * the caller's table. */
typedef struct vbx__lazy_sym {
  const char *name;
  size_t offset;
} vbx__lazy_sym;

/* vbx__lazy_lib_open - dlopen soname (RTLD_NOW | RTLD_LOCAL) and store the
 * address of each of the n symbols at table + syms[i].offset. Returns 0,
 * or VBX_E_UNSUPPORTED with a message naming the library, the missing
 * symbol or dlerror's reason (and what it is needed for: why) in err.
 * The library stays loaded for the life of the process. Not thread-safe
 * by itself: callers run it under pthread_once. */
int vbx__lazy_lib_open(const char *soname, const char *why, const vbx__lazy_sym *syms, size_t n,
                       void *table, char *err, size_t cap);

#endif
