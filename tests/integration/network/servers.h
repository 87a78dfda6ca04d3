/*
 * tests/integration/network/servers.h - loopback servers the network tests
 * point guests at: every one binds 127.0.0.1 on an ephemeral port (test
 * traffic never leaves this machine) and counts what reaches it.
 *
 *   HTTP  answers GET with a body of the size asked in the path
 *         (/bytes/N), counts connections and requests
 *   HOLD  accepts and keeps connections open until stopped, counts them
 *   DNS   (UDP) answers A queries for its names with 127.0.0.1,
 *         NXDOMAIN otherwise, and records every name asked
 *
 * Threads: each server has one thread; counters are atomics.
 */
#ifndef VBX_TEST_NET_SERVERS_H
#define VBX_TEST_NET_SERVERS_H

#include <pthread.h>
#include <stddef.h>

enum { SRV_HTTP, SRV_HOLD, SRV_DNS };

typedef struct srv {
  int kind, fd, port;
  int stop;                 /* atomic */
  int connections;          /* atomic: TCP connections accepted */
  int requests;             /* atomic: HTTP requests answered / DNS queries */
  char asked[2048];         /* DNS: names asked, "name\n" each (under lock) */
  const char *const *names; /* DNS: names that resolve */
  int held[64];
  int n_held;
  pthread_mutex_t lock;
  pthread_t thread;
} srv;

/* Start a server of kind on 127.0.0.1 (names: for SRV_DNS, NULL-terminated). Asserts. */
void srv_start(srv *s, int kind, const char *const *names);
/* Stop it, close everything. */
void srv_stop(srv *s);
/* Atomic reads. */
int srv_connections(srv *s);
int srv_requests(srv *s);
/* 1 when the DNS server was asked for name. */
int srv_was_asked(srv *s, const char *name);

#endif
