/*
 * util/cachedir.c - resolving voidbox's cache directories (see cachedir.h).
 */
#include "util/cachedir.h"

#include <stdio.h>
#include <stdlib.h>

#include "voidbox/errors.h"

/* $XDG_CACHE_HOME/voidbox/WHAT, else $HOME/.cache/voidbox/WHAT. */
static int user_cache(const char *what, char *out, size_t size) {
  const char *v;
  int n;
  if ((v = getenv("XDG_CACHE_HOME")) && *v == '/')
    n = snprintf(out, size, "%s/voidbox/%s", v, what);
  else if ((v = getenv("HOME")) && *v)
    n = snprintf(out, size, "%s/.cache/voidbox/%s", v, what);
  else
    return VBX_E_NOTFOUND;
  return n < 0 || (size_t)n >= size ? VBX_E_TOOBIG : 0;
}

int vbx__cache_dir(const char *explicit_dir, char *out, size_t size) {
  const char *v;
  int n;
  if (explicit_dir && *explicit_dir)
    n = snprintf(out, size, "%s", explicit_dir);
  else if ((v = getenv("VOIDBOX_CACHE_DIR")) && *v)
    n = snprintf(out, size, "%s", v);
  else
    return user_cache("images", out, size);
  return n < 0 || (size_t)n >= size ? VBX_E_TOOBIG : 0;
}

int vbx__cache_subdir(const char *what, const char *explicit_dir, char *out, size_t size) {
  if (explicit_dir && *explicit_dir) {
    int n = snprintf(out, size, "%s", explicit_dir);
    return n < 0 || (size_t)n >= size ? VBX_E_TOOBIG : 0;
  }
  return user_cache(what, out, size);
}
