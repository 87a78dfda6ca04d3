/*
 * plugin/lazy_lib.c - dlopen of a system library on first use (lazy_lib.h).
 */
#include "plugin/lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "voidbox/errors.h"

int vbx__lazy_lib_open(const char *soname, const char *why, const vbx__lazy_sym *syms, size_t n,
                       void *table, char *err, size_t cap) {
  void *dl = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    const char *e = dlerror();
    snprintf(err, cap, "cannot load %s, which %s needs: %s", soname, why, e ? e : "unknown");
    return VBX_E_UNSUPPORTED;
  }
  for (size_t i = 0; i < n; i++) {
    void *f = dlsym(dl, syms[i].name);
    if (f == NULL) {
      snprintf(err, cap, "%s (needed for %s) has no %s", soname, why, syms[i].name);
      dlclose(dl);
      return VBX_E_UNSUPPORTED;
    }
    /* POSIX: a function's address fits in a void *; copied, not cast */
    memcpy((char *)table + syms[i].offset, &f, sizeof f);
  }
  return 0;
}
