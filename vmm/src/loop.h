/*
 * vmm/loop.h - the VMM's one event loop (epoll) on its own thread. Devices
 * with host-side file descriptors (vsock's Unix sockets, a console port's
 * socket) register them here; callbacks run on the loop thread only. A
 * device whose state the vCPU threads also touch takes its own lock in the
 * callback. A test harness drives a loop with vmm_loop_run_once().
 */
#ifndef VMM_LOOP_H
#define VMM_LOOP_H

#include <stdint.h>

typedef struct vmm_loop vmm_loop;

/* Called on the loop thread with the epoll events that fired (EPOLLIN,
 * EPOLLOUT, EPOLLHUP, EPOLLERR...). */
typedef void (*vmm_loop_fn)(void *ctx, int fd, uint32_t events);

/* Create a loop. Returns NULL with errno set on failure. */
vmm_loop *vmm_loop_new(void);

/* Watch fd for `events` (EPOLL* bits; level-triggered). Not owned: the
 * caller closes fd after vmm_loop_del. Returns 0 or -errno. Thread-safe. */
int vmm_loop_add(vmm_loop *l, int fd, uint32_t events, vmm_loop_fn fn, void *ctx);
/* Change the events watched on a registered fd. Returns 0 or -errno. */
int vmm_loop_mod(vmm_loop *l, int fd, uint32_t events);
/* Stop watching fd. Safe from inside a callback (also for its own fd):
 * no callback for fd runs after it returns on the loop thread. */
int vmm_loop_del(vmm_loop *l, int fd);
/* Bring fd's watched events from *cur (0: not registered) to want: add,
 * modify or delete as needed (nothing when they are equal); *cur follows
 * on success. fn/ctx are used when fd gets registered. Returns 0 or the
 * failing call's -errno. Same threads as those three. */
int vmm_loop_want(vmm_loop *l, int fd, uint32_t *cur, uint32_t want, vmm_loop_fn fn, void *ctx);

/* Wait up to timeout_ms (-1: forever) and run the callbacks that fired.
 * Returns the number run, or -errno. Loop thread only. */
int vmm_loop_run_once(vmm_loop *l, int timeout_ms);
/* Run until vmm_loop_stop(). Returns 0 or -errno. */
int vmm_loop_run(vmm_loop *l);
/* Make vmm_loop_run() return after the callbacks in flight. Thread-safe,
 * async-signal-safe (an eventfd write). */
void vmm_loop_stop(vmm_loop *l);
/* Free the loop (after vmm_loop_run returned). Registered fds are not
 * closed. */
void vmm_loop_free(vmm_loop *l);

#endif
