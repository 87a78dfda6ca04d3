/*
 * tests/integration/gateway/gate_server.h - a one-request HTTP server on
 * 127.0.0.1 that sends its response in two parts with a gate between them:
 * the second part goes out only after gs_open() (or after a safety timeout,
 * which the test then reports as a failure). It proves that the gateway
 * forwards streamed text before the upstream stream has finished, by
 * ordering rather than timing.
 *
 * While the gate is shut the server also watches its connection: when the
 * gateway (the provider's HTTP client) closes it, the second part is never
 * sent and the moment is recorded (gs_wait_closed), so a test can measure
 * how long an upstream call stays held after its client went away.
 *
 * Threads: one server thread; every other function may be called from any
 * thread (state under a mutex, waits on a condition).
 */
#ifndef VBX_TEST_GATE_SERVER_H
#define VBX_TEST_GATE_SERVER_H

#include <stdint.h>

typedef struct gate_server gate_server;

/* Serve one request: headers + part1, wait for the gate, part2, close.
 * The gate's safety timeout is 10 s (gs_start) or safety_ms. */
gate_server *gs_start(const char *content_type, const char *part1, const char *part2);
gate_server *gs_start_held(const char *content_type, const char *part1, const char *part2,
                           unsigned safety_ms);
const char *gs_url(const gate_server *g);
/* Open the gate. Returns 1 when part2 had not been sent yet. */
int gs_open(gate_server *g);
/* Wait up to timeout_ms until the request has been read and part1 sent.
 * Returns 1 when it has. */
int gs_wait_request(gate_server *g, unsigned timeout_ms);
/* Wait up to timeout_ms until the gateway closed the upstream connection
 * while the gate was shut. Returns the CLOCK_MONOTONIC time (ns) it was
 * seen closed, 0 when it was not closed within the wait. */
uint64_t gs_wait_closed(gate_server *g, unsigned timeout_ms);
/* Join the thread. Returns 1 when part2 was released by gs_open, 0 when the
 * safety timeout released it, the peer closed first, or no request came.
 * Frees g. */
int gs_finish(gate_server *g);

#endif
