/*
 * tests/integration/gateway/drip.h - slow-drip attackers: n connections to
 * 127.0.0.1:port, each sending one byte of a never-ending header block
 * ("GET /v1/models HTTP/1.1\r\n" then "x-drip: aaaa...") every interval_ms
 * and never a token. A connection the gateway closes is counted as cut
 * and, when reconnect is set, replaced at once by a new one, so the
 * attackers hold as many slots as the gateway lets them.
 *
 * Threads: one attacker thread (poll over every socket and a stop pipe);
 * the counters may be read from any thread.
 */
#ifndef VBX_TEST_GW_DRIP_H
#define VBX_TEST_GW_DRIP_H

#include <stdint.h>

typedef struct drip drip;

/* Start the attacker thread. NULL on error. */
drip *drip_start(uint16_t port, unsigned n, unsigned interval_ms, int reconnect);
/* Connections opened (accepted by connect) / closed by the gateway so far. */
unsigned drip_opened(drip *d);
unsigned drip_cut(drip *d);
/* Header bytes sent so far, all connections (proves the drip went on). */
uint64_t drip_bytes(drip *d);
/* Wait up to timeout_ms until at least `bytes` header bytes were sent in
 * all. Returns 1 when they were. */
int drip_wait_bytes(drip *d, uint64_t bytes, unsigned timeout_ms);
/* Wait up to timeout_ms until at least `count` connections were cut.
 * Returns the CLOCK_MONOTONIC time (ns) of the count-th cut, 0 on timeout. */
uint64_t drip_wait_cut(drip *d, unsigned count, unsigned timeout_ms);
/* Stop the thread, close every socket, free. */
void drip_stop(drip *d);

#endif
