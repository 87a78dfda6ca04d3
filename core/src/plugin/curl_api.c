/*
 * plugin/curl_api.c - libcurl opened on first use (curl_api.h).
 */
#include "plugin/curl_api.h"

#include <pthread.h>
#include <stdio.h>

#include "plugin/lazy_lib.h"

#define SYM(f, n) \
  { n, offsetof(vbx__curl_api, f) }
static const vbx__lazy_sym syms[] = {
    SYM(global_init, "curl_global_init"),       SYM(easy_init, "curl_easy_init"),
    SYM(easy_setopt, "curl_easy_setopt"),       SYM(easy_perform, "curl_easy_perform"),
    SYM(easy_getinfo, "curl_easy_getinfo"),     SYM(easy_strerror, "curl_easy_strerror"),
    SYM(easy_cleanup, "curl_easy_cleanup"),     SYM(slist_append, "curl_slist_append"),
    SYM(slist_free_all, "curl_slist_free_all"),
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static vbx__curl_api api;
static int ready;
static char why[300];

static void load(void) {
  if (vbx__lazy_lib_open(VBX_CURL_SONAME, "HTTP requests", syms, sizeof syms / sizeof syms[0], &api,
                         why, sizeof why) != 0)
    return;
  CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    snprintf(why, sizeof why, "curl_global_init failed: %s", api.easy_strerror(rc));
    return;
  }
  ready = 1;
}

const vbx__curl_api *vbx__curl(char *err, size_t cap) {
  pthread_once(&once, load);
  if (ready) return &api;
  snprintf(err, cap, "%s", why);
  return NULL;
}
