/*
 * guest-session/env.c - the default environment of commands in a guest.
 */
#include <stdlib.h>
#include <string.h>

#include "session.h"

char **guest_default_env(const char *const *extra) {
  static const char home[] = "HOME=" GUEST_WORKSPACE;
  static const char *const base[] = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", home,
                                     "TMPDIR=/tmp", "LANG=C.UTF-8", "USER=sandbox"};
  size_t n = sizeof base / sizeof base[0], m = 0;
  for (const char *const *e = extra; e && *e; e++)
    m++;
  char **env = calloc(n + m + 1, sizeof(char *));
  if (env == NULL) return NULL;
  for (size_t i = 0; i < n + m; i++)
    if ((env[i] = strdup(i < n ? base[i] : extra[i - n])) == NULL) {
      guest_env_free(env);
      return NULL;
    }
  return env;
}

void guest_env_free(char **env) {
  for (char **e = env; e && *e; e++)
    free(*e);
  free(env);
}
