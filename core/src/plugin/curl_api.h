/*
 * plugin/curl_api.h - the libcurl functions host->http_request uses,
 * reached through a table filled when the first request is made
 * (lazy_lib.h): a process that makes no HTTP request never loads libcurl.
 */
#ifndef VBX_PLUGIN_CURL_API_H
#define VBX_PLUGIN_CURL_API_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct vbx__curl_api {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
  CURLcode (*easy_perform)(CURL *h);
  CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
  const char *(*easy_strerror)(CURLcode code);
  void (*easy_cleanup)(CURL *h);
  struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
  void (*slist_free_all)(struct curl_slist *l);
} vbx__curl_api;

/* vbx__curl - libcurl, loaded and curl_global_init'ed once on the first
 * call (any thread; later calls return the same table). NULL when it
 * cannot be loaded or initialised, with the reason in err (cap bytes). */
const vbx__curl_api *vbx__curl(char *err, size_t cap);

#endif
