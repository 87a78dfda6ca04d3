/*
 * vmm/loop.c - the event loop (loop.h): epoll over a fixed slot table.
 * Each registration has a slot; epoll carries (slot, generation), so an
 * event for a slot deleted or reused while its batch was being dispatched
 * is dropped instead of reaching a freed context.
 */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LOOP_SLOTS 256
#define LOOP_BATCH 32

typedef struct {
  int fd;
  uint32_t gen;
  bool used;
  vmm_loop_fn fn;
  void *ctx;
} slot;

struct vmm_loop {
  int ep, stopfd;
  volatile int stopping;
  pthread_mutex_t mu;
  slot s[LOOP_SLOTS];
};

vmm_loop *vmm_loop_new(void) {
  vmm_loop *l = calloc(1, sizeof *l);
  if (l == NULL) return NULL;
  l->ep = epoll_create1(EPOLL_CLOEXEC);
  l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (l->ep < 0 || l->stopfd < 0) goto fail;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
  if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->stopfd, &ev) != 0) goto fail;
  pthread_mutex_init(&l->mu, NULL);
  return l;
fail:;
  int e = errno;
  if (l->ep >= 0) close(l->ep);
  if (l->stopfd >= 0) close(l->stopfd);
  free(l);
  errno = e;
  return NULL;
}

static int find_locked(vmm_loop *l, int fd) {
  for (int i = 0; i < LOOP_SLOTS; i++)
    if (l->s[i].used && l->s[i].fd == fd) return i;
  return -1;
}

int vmm_loop_add(vmm_loop *l, int fd, uint32_t events, vmm_loop_fn fn, void *ctx) {
  int rc = -ENOSPC;
  pthread_mutex_lock(&l->mu);
  if (find_locked(l, fd) >= 0) {
    rc = -EEXIST;
    goto out;
  }
  for (int i = 0; i < LOOP_SLOTS; i++) {
    if (l->s[i].used) continue;
    slot *s = &l->s[i];
    s->gen++;
    struct epoll_event ev = {.events = events, .data.u64 = ((uint64_t)s->gen << 32) | (unsigned)i};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
      rc = -errno;
      goto out;
    }
    s->fd = fd, s->fn = fn, s->ctx = ctx, s->used = true;
    rc = 0;
    goto out;
  }
out:
  pthread_mutex_unlock(&l->mu);
  return rc;
}

int vmm_loop_mod(vmm_loop *l, int fd, uint32_t events) {
  int rc;
  pthread_mutex_lock(&l->mu);
  int i = find_locked(l, fd);
  if (i < 0) {
    rc = -ENOENT;
  } else {
    struct epoll_event ev = {.events = events,
                             .data.u64 = ((uint64_t)l->s[i].gen << 32) | (unsigned)i};
    rc = epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
  }
  pthread_mutex_unlock(&l->mu);
  return rc;
}

int vmm_loop_want(vmm_loop *l, int fd, uint32_t *cur, uint32_t want, vmm_loop_fn fn, void *ctx) {
  if (want == *cur) return 0;
  int rc = *cur == 0   ? vmm_loop_add(l, fd, want, fn, ctx)
           : want == 0 ? vmm_loop_del(l, fd)
                       : vmm_loop_mod(l, fd, want);
  if (rc == 0) *cur = want;
  return rc;
}

int vmm_loop_del(vmm_loop *l, int fd) {
  int rc = -ENOENT;
  pthread_mutex_lock(&l->mu);
  int i = find_locked(l, fd);
  if (i >= 0) {
    epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
    l->s[i].used = false;
    l->s[i].fn = NULL;
    rc = 0;
  }
  pthread_mutex_unlock(&l->mu);
  return rc;
}

int vmm_loop_run_once(vmm_loop *l, int timeout_ms) {
  struct epoll_event ev[LOOP_BATCH];
  int n = epoll_wait(l->ep, ev, LOOP_BATCH, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  int ran = 0;
  for (int k = 0; k < n; k++) {
    if (ev[k].data.u64 == UINT64_MAX) {
      uint64_t v;
      ssize_t r = read(l->stopfd, &v, sizeof v);
      (void)r;
      l->stopping = 1;
      continue;
    }
    unsigned i = (unsigned)(ev[k].data.u64 & 0xffffffffu);
    uint32_t gen = (uint32_t)(ev[k].data.u64 >> 32);
    pthread_mutex_lock(&l->mu);
    slot s = i < LOOP_SLOTS ? l->s[i] : (slot){0};
    pthread_mutex_unlock(&l->mu);
    if (!s.used || s.gen != gen || s.fn == NULL) continue; /* deleted meanwhile */
    s.fn(s.ctx, s.fd, ev[k].events);
    ran++;
  }
  return ran;
}

int vmm_loop_run(vmm_loop *l) {
  while (!l->stopping) {
    int rc = vmm_loop_run_once(l, -1);
    if (rc < 0) return rc;
  }
  return 0;
}

void vmm_loop_stop(vmm_loop *l) {
  uint64_t one = 1;
  ssize_t r = write(l->stopfd, &one, sizeof one);
  (void)r;
}

void vmm_loop_free(vmm_loop *l) {
  if (l == NULL) return;
  close(l->ep);
  close(l->stopfd);
  pthread_mutex_destroy(&l->mu);
  free(l);
}
