/*
 * tests/integration/gateway/client.c - see client.h.
 */
#include "client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sink {
  gwc_resp *r;
  gwc_watch_fn watch;
  void *user;
} sink;

static size_t on_body(char *p, size_t sz, size_t n, void *u) {
  sink *s = u;
  size_t k = sz * n;
  char *nb = realloc(s->r->body, s->r->len + k + 1);
  if (!nb) return 0;
  memcpy(nb + s->r->len, p, k);
  s->r->body = nb;
  s->r->len += k;
  nb[s->r->len] = 0;
  if (s->watch) s->watch(s->user, nb, s->r->len);
  return k;
}

int gwc_request(const char *base, const char *unix_path, const char *path, const char *auth_header,
                const char *body, size_t body_len, gwc_resp *out, gwc_watch_fn watch, void *user) {
  memset(out, 0, sizeof(*out));
  out->body = calloc(1, 1);
  CURL *c = curl_easy_init();
  if (!c || !out->body) return -1;
  char url[512];
  snprintf(url, sizeof(url), "%s%s", base, path);
  struct curl_slist *h = NULL;
  h = curl_slist_append(h, "content-type: application/json");
  h = curl_slist_append(h, "anthropic-version: 2023-06-01");
  if (auth_header) h = curl_slist_append(h, auth_header);
  sink s = {out, watch, user};
  curl_easy_setopt(c, CURLOPT_URL, url);
  if (unix_path) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_path);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
  }
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  char *ct = NULL;
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
  if (ct) snprintf(out->ctype, sizeof(out->ctype), "%s", ct);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK && out->status == 0) {
    fprintf(stderr, "curl %s: %s\n", url, curl_easy_strerror(rc));
    return -1;
  }
  return 0;
}

void gwc_free(gwc_resp *r) {
  free(r->body);
  memset(r, 0, sizeof(*r));
}

size_t sse_split(const char *text, sse_ev *evs, size_t max) {
  size_t n = 0;
  const char *p = text;
  while (*p && n < max) {
    const char *end = strstr(p, "\n\n");
    size_t elen = end ? (size_t)(end - p) : strlen(p);
    sse_ev *e = &evs[n];
    memset(e, 0, sizeof(*e));
    int any = 0;
    for (const char *l = p; l < p + elen;) {
      const char *nl = memchr(l, '\n', (size_t)(p + elen - l));
      size_t ll = nl ? (size_t)(nl - l) : (size_t)(p + elen - l);
      if (ll > 7 && strncmp(l, "event: ", 7) == 0) {
        snprintf(e->name, sizeof(e->name), "%.*s", (int)(ll - 7), l + 7);
        any = 1;
      } else if (ll > 6 && strncmp(l, "data: ", 6) == 0) {
        e->data = json_loadb(l + 6, ll - 6, 0, NULL);
        any = 1;
      }
      l += ll + (nl ? 1 : 0);
    }
    if (any) n++;
    if (!end) break;
    p = end + 2;
  }
  return n;
}

void sse_free(sse_ev *evs, size_t n) {
  for (size_t i = 0; i < n; i++)
    json_decref(evs[i].data);
}
