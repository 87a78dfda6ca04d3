/*
 * exporter-otlp/url.c - collector URLs (see url.h).
 */
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The length of the scheme and "://" of an http(s) URL, or 0. */
static size_t scheme_len(const char *url) {
  if (strncasecmp(url, "http://", 7) == 0) return 7;
  if (strncasecmp(url, "https://", 8) == 0) return 8;
  return 0;
}

int ox_url_ok(const char *url) {
  size_t len = strnlen(url, OX_URL_MAX + 1), s = scheme_len(url);
  if (len > OX_URL_MAX || s == 0) return 0;
  const char *host = url + s;
  if (*host == '\0' || *host == '/' || *host == '?' || *host == '#' || *host == '@' || *host == ':')
    return 0;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] == 0x7F) return 0;
  return 1;
}

char *ox_url_join(const char *base, const char *path) {
  size_t bn = strlen(base), pn = strlen(path);
  int slash = bn > 0 && base[bn - 1] == '/';
  char *u = malloc(bn + pn + 2);
  if (u == NULL) return NULL;
  snprintf(u, bn + pn + 2, "%s%s%s", base, slash ? "" : "/", path);
  return u;
}

void ox_url_for_log(const char *url, char *out, size_t n) {
  const char *sep = strstr(url, "://"); /* any scheme: refused URLs are printed too */
  size_t s = sep != NULL && sep < url + strcspn(url, "/?#@") ? (size_t)(sep - url) + 3 : 0;
  const char *host = url + s;
  size_t auth = strcspn(host, "/?#"); /* the authority: [userinfo@]host[:port] */
  const char *at = memrchr(host, '@', auth);
  if (at != NULL) {
    auth -= (size_t)(at + 1 - host);
    host = at + 1;
  }
  size_t rest = strcspn(host + auth, "?#");
  snprintf(out, n, "%.*s%.*s%.*s", (int)s, url, (int)auth, host, (int)rest, host + auth);
}
