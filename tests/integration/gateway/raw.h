/*
 * tests/integration/gateway/raw.h - a plain-socket HTTP/1.1 client for the
 * tests that need what libcurl hides: closing a connection at a chosen
 * moment, reading a response after the gateway stopped, or watching when
 * the gateway closes a connection. TCP to 127.0.0.1 only.
 *
 * Single-threaded per connection; every wait has a timeout and waits on
 * the socket (poll), never on a sleep.
 */
#ifndef VBX_TEST_GW_RAW_H
#define VBX_TEST_GW_RAW_H

#include <stddef.h>
#include <stdint.h>

#define RAW_MAX ((size_t)1 << 20) /* bytes a raw_buf keeps */

typedef struct raw_buf {
  char data[RAW_MAX + 1]; /* NUL-terminated */
  size_t len;
  int closed; /* the peer closed (EOF or reset) */
} raw_buf;

/* Connect to 127.0.0.1:port (blocking). Returns the fd or -1. */
int raw_connect(uint16_t port);
/* Send all of data. 0 or -1. */
int raw_send(int fd, const char *data, size_t n);
/* Append what arrives to b until `needle` occurs in it (needle NULL: until
 * the peer closes), the peer closes, or timeout_ms passes. Returns 1 when
 * the needle was seen (or, needle NULL, the peer closed), 0 otherwise. */
int raw_recv_until(int fd, raw_buf *b, const char *needle, unsigned timeout_ms);
/* Read one whole response with a Content-Length body into b (appended).
 * Returns its status code, or 0 when it did not arrive whole in time. */
int raw_recv_response(int fd, raw_buf *b, unsigned timeout_ms);
/* "POST /v1/messages" with the token in x-api-key and body as
 * Content-Length body (malloc'd). */
char *raw_post(const char *token, const char *body);

/* CLOCK_MONOTONIC in ns. */
uint64_t raw_now_ns(void);

#endif
