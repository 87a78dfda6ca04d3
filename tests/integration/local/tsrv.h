/*
 * tests/integration/local/tsrv.h - a scripted TCP server on an ephemeral
 * 127.0.0.1 port that stands in for the host's LLM gateway in the tunnel
 * tests. The first line a client sends picks what it does:
 *   GET ...      an HTTP/1.0 request: answers TSRV_HTTP_BODY, then closes
 *   ECHO N       sends back the N bytes that follow, then closes
 *   FLOOD N      writes N bytes ('f') as fast as the client takes them
 *   HELLO        writes "hello\n" and closes at once (the server first)
 *   WAIT         reads until the client closes (EOF or RST), counted
 *   HOLD N       waits until N clients hold at once (20 s at most), then
 *                writes "go N\n" and closes
 * One thread per connection; the counters are atomics.
 */
#ifndef VBX_TEST_TSRV_H
#define VBX_TEST_TSRV_H

#include <pthread.h>
#include <stdint.h>

#define TSRV_HTTP_BODY "hello from the gateway"

typedef struct tsrv {
  int fd;
  uint16_t port;
  pthread_t thread;
  int stop;
  int open;            /* connections being served now */
  int total;           /* connections accepted */
  int peak;            /* most open at once */
  int waiting;         /* WAIT connections whose command arrived */
  int closed;          /* WAIT connections the client closed (EOF or RST) */
  int holding;         /* HOLD connections waiting */
  long echoed;         /* bytes echoed */
  long last_closed_us; /* CLOCK_MONOTONIC when the last WAIT client closed */
} tsrv;

/* tsrv_start - listen on 127.0.0.1:0 and serve on a thread (asserts). */
void tsrv_start(tsrv *s);
/* tsrv_stop - stop accepting, close the listener, join (connection
 * threads end on their own). */
void tsrv_stop(tsrv *s);
/* tsrv_wait - wait up to ms until *counter (a field of s) equals want;
 * 1 when it does. */
int tsrv_wait(const int *counter, int want, int ms);
/* tsrv_free_port - a 127.0.0.1 port nothing listens on (bound, then
 * closed). */
uint16_t tsrv_free_port(void);

#endif
