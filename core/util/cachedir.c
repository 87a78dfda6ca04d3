/*
 * util/cachedir.c - resolving the image cache directory (see cachedir.h).
 */
#include "util/cachedir.h"

#include <stdio.h>
#include <stdlib.h>

#include "voidbox/errors.h"

int vbx__cache_dir(const char *explicit_dir, char *out, size_t size) {
  const char *v;
  int n;
  if (explicit_dir && *explicit_dir)
    n = snprintf(out, size, "%s", explicit_dir);
  else if ((v = getenv("VOIDBOX_CACHE_DIR")) && *v)
    n = snprintf(out, size, "%s", v);
  else if ((v = getenv("XDG_CACHE_HOME")) && *v == '/')
    n = snprintf(out, size, "%s/voidbox/images", v);
  else if ((v = getenv("HOME")) && *v)
    n = snprintf(out, size, "%s/.cache/voidbox/images", v);
  else
    return VBX_E_NOTFOUND;
  return n < 0 || (size_t)n >= size ? VBX_E_TOOBIG : 0;
}
