/*
 * gateway/mhd_api.c - libmicrohttpd opened on first use (mhd_api.h).
 */
#include "gateway/mhd_api.h"

#include <pthread.h>
#include <stdio.h>

#include "plugin/lazy_lib.h"

vbx__mhd_api vbx__mhd;

#define SYM(f, n) \
  { n, offsetof(vbx__mhd_api, f) }
static const vbx__lazy_sym syms[] = {
    SYM(start_daemon, "MHD_start_daemon"),
    SYM(stop_daemon, "MHD_stop_daemon"),
    SYM(get_connection_info, "MHD_get_connection_info"),
    SYM(lookup_connection_value, "MHD_lookup_connection_value"),
    SYM(create_response_from_buffer, "MHD_create_response_from_buffer"),
    SYM(create_response_from_callback, "MHD_create_response_from_callback"),
    SYM(add_response_header, "MHD_add_response_header"),
    SYM(queue_response, "MHD_queue_response"),
    SYM(destroy_response, "MHD_destroy_response"),
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int rc = -1;
static char why[300];

static void load(void) {
  rc = vbx__lazy_lib_open(VBX_MHD_SONAME, "the LLM gateway", syms, sizeof syms / sizeof syms[0],
                          &vbx__mhd, why, sizeof why);
}

int vbx__mhd_load(char *err, size_t cap) {
  pthread_once(&once, load);
  if (rc != 0) snprintf(err, cap, "%s", why);
  return rc;
}
