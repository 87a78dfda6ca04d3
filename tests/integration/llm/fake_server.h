/*
 * tests/integration/llm/fake_server.h - a scripted HTTP/1.1 server on
 * 127.0.0.1 (ephemeral port, one pthread) for the LLM provider tests.
 *
 * Each accepted connection reads one request (headers and a Content-Length
 * body, answering "Expect: 100-continue"), records it, and replays the next
 * scripted response: status line, headers, then body parts with optional
 * delays, optional filler bytes, an optional stall, then close
 * ("Connection: close"; bodies without Content-Length end at close, as
 * streams do). Requests past the end of the script get 500 "script
 * exhausted". Waits are cut short by fs_stop.
 *
 * Threads: the server thread owns the socket; the request log is guarded
 * by a mutex, so the test thread may read it at any time.
 */
#ifndef VBX_TEST_FAKE_SERVER_H
#define VBX_TEST_FAKE_SERVER_H

#include <stddef.h>

typedef struct fs_part {
  const char *data;  /* NUL-terminated */
  unsigned delay_ms; /* wait before sending this part */
} fs_part;

typedef struct fs_response {
  int status;                /* 0: close the connection without answering */
  const char *content_type;  /* NULL: application/json */
  const char *extra_headers; /* "Name: v\r\n..." or NULL */
  const char *body;          /* sent with Content-Length when parts == NULL */
  const fs_part *parts;      /* NULL-data-terminated list, sent without length */
  size_t filler_bytes;       /* then this many 'a' bytes (oversized tests) */
  unsigned stall_ms;         /* keep the connection open this long before closing */
} fs_response;

typedef struct fs_request {
  char method[16];
  char path[512];
  char *headers; /* raw header block, lower-cased names kept as sent */
  char *body;    /* NUL-terminated */
  size_t body_len;
} fs_request;

typedef struct fake_server fake_server;

/* Start serving `script` (n entries, borrowed until fs_stop). NULL on error. */
fake_server *fs_start(const fs_response *script, size_t n);
/* "http://127.0.0.1:PORT" (static to the server). */
const char *fs_url(const fake_server *s);
/* Requests received so far. */
size_t fs_count(fake_server *s);
/* Copy of request i's body / header value (malloc'd, caller frees) or NULL. */
char *fs_body(fake_server *s, size_t i);
char *fs_header(fake_server *s, size_t i, const char *name);
char *fs_path(fake_server *s, size_t i);
/* Stop the thread, close everything, free. */
void fs_stop(fake_server *s);

#endif
