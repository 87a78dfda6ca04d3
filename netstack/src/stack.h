/*
 * netstack/stack.h - one box's ns (ns.h) in front of a libslirp instance
 * (10.0.2.0/24, host 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15, IPv4
 * only, libslirp's own DNS off) and the poll loop that drives both.
 * Single-threaded.
 */
#ifndef NETSTACK_STACK_H
#define NETSTACK_STACK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "ns.h"

typedef struct ns_stack ns_stack;

typedef void (*ns_stack_out_fn)(void *user, const uint8_t *frame, size_t len);

/* A stack for cfg whose frames for the guest go to out. NULL with err. */
ns_stack *ns_stack_new(const ns_config *cfg, ns_stack_out_fn out, void *user, char *err,
                       size_t errcap);
/* A frame from the guest (modified in place). */
void ns_stack_input(ns_stack *s, uint8_t *frame, size_t len);
/* One round: poll extra[0..n_extra) (their revents are filled), the DNS
 * upstreams and libslirp's sockets for at most max_ms, then run what is
 * ready and what timers are due. 0, or -1 when poll failed. */
int ns_stack_poll(ns_stack *s, struct pollfd *extra, size_t n_extra, int max_ms);
/* The policy state (counters, flows). */
ns *ns_stack_ns(ns_stack *s);
/* Tear down libslirp (closing its sockets) and free. NULL is fine. */
void ns_stack_free(ns_stack *s);

#endif
