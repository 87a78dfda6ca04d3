/*
 * tests/integration/gateway/gate_server.h - a one-request HTTP server on
 * 127.0.0.1 that sends its response in two parts with a gate between them:
 * the second part goes out only after gs_open() (or after a 10 s safety
 * timeout, which the test then reports as a failure). It proves that the
 * gateway forwards streamed text before the upstream stream has finished,
 * by ordering rather than timing.
 *
 * Threads: one server thread; gs_open may be called from any thread.
 */
#ifndef VBX_TEST_GATE_SERVER_H
#define VBX_TEST_GATE_SERVER_H

typedef struct gate_server gate_server;

/* Serve one request: headers + part1, wait for the gate, part2, close. */
gate_server *gs_start(const char *content_type, const char *part1, const char *part2);
const char *gs_url(const gate_server *g);
/* Open the gate. Returns 1 when part2 had not been sent yet. */
int gs_open(gate_server *g);
/* Join the thread. Returns 1 when part2 was released by gs_open, 0 when the
 * safety timeout released it (or no request came). Frees g. */
int gs_finish(gate_server *g);

#endif
