/*
 * tests/integration/gateway/client.h - a libcurl client for the gateway
 * (TCP or Unix socket) and a small parser of the SSE it answers with.
 * Single-threaded test code.
 */
#ifndef VBX_TEST_GW_CLIENT_H
#define VBX_TEST_GW_CLIENT_H

#include <jansson.h>
#include <stddef.h>

typedef struct gwc_resp {
  long status;
  char *body; /* malloc'd, NUL-terminated */
  size_t len;
  char ctype[128];
} gwc_resp;

/* Called with the bytes received so far after each piece arrives. */
typedef void (*gwc_watch_fn)(void *user, const char *so_far, size_t len);

/* One request. base: "http://127.0.0.1:PORT" (or any URL base when
 * unix_path is set). auth_header: a full "Name: value" line or NULL.
 * body NULL: GET. Returns 0 when a response arrived. */
int gwc_request(const char *base, const char *unix_path, const char *path, const char *auth_header,
                const char *body, size_t body_len, gwc_resp *out, gwc_watch_fn watch, void *user);
void gwc_free(gwc_resp *r);

typedef struct sse_ev {
  char name[64];
  json_t *data; /* parsed data (new reference) or NULL */
} sse_ev;

/* Split an SSE body into events (at most max). Returns the count; an event
 * whose data is not JSON gets data == NULL. */
size_t sse_split(const char *text, sse_ev *evs, size_t max);
void sse_free(sse_ev *evs, size_t n);

#endif
