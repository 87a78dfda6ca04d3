/*
 * guest/agent/reaper.c - the single thread that reaps children. Workers
 * never call waitpid themselves: as PID 1 the agent also inherits orphans,
 * and a wait4(-1) here is the only way to reap both without racing. A child's
 * slot is taken before it is spawned and the kernel writes its pid there
 * before it runs, so its exit can never be reaped before it is known.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>

#include "agent.h"

#define MAX_CHILDREN 1024

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_have = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_gone; /* a child left the table (CLOCK_MONOTONIC) */
static struct vbx__child *g_tab[MAX_CHILDREN];
static int g_live;   /* children in g_tab */
static int g_forked; /* children forked since the reaper last saw ECHILD */

static void *reaper_main(void *arg) {
  (void)arg;
  for (;;) {
    int st = 0;
    struct rusage ru;
    pid_t pid = wait4(-1, &st, __WALL, &ru);
    if (pid < 0) {
      if (errno == EINTR) continue;
      /* ECHILD: sleep until something is forked. */
      pthread_mutex_lock(&g_lock);
      while (g_forked == 0)
        pthread_cond_wait(&g_have, &g_lock);
      g_forked = 0;
      pthread_mutex_unlock(&g_lock);
      continue;
    }
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < MAX_CHILDREN; i++) {
      struct vbx__child *c = g_tab[i];
      if (c != NULL && c->pid == pid) {
        c->status = st;
        if (c->ru != NULL) *c->ru = ru;
        __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
        g_tab[i] = NULL;
        g_live--;
        pthread_cond_broadcast(&g_gone);
        uint64_t one = 1;
        ssize_t w = write(c->wake_fd, &one, sizeof one);
        (void)w;
        break;
      }
    }
    pthread_mutex_unlock(&g_lock);
  }
  return NULL;
}

int vbx__reaper_start(void) {
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
      pthread_cond_init(&g_gone, &ca) != 0)
    return VBX_E_LIMIT;
  pthread_condattr_destroy(&ca);
  pthread_t t;
  if (pthread_create(&t, NULL, reaper_main, NULL) != 0) return VBX_E_LIMIT;
  pthread_detach(t);
  return 0;
}

pid_t vbx__reaper_spawn(struct vbx__child *c, int (*fn)(void *), void *arg, void *stack,
                        size_t stack_size) {
  /* The slot is taken first with pid 0 (no reaped pid matches it, and
   * kill_all passes it over), and the lock is not held across the clone:
   * the calling thread waits there until the child has exec'd, which a
   * slow binary (a 9p share) may make long. The kernel writes the pid into
   * c->pid (CLONE_PARENT_SETTID) before the child runs, so it is in the
   * table before the child can exit and be reaped. */
  pthread_mutex_lock(&g_lock);
  int slot = -1;
  for (int i = 0; i < MAX_CHILDREN; i++)
    if (g_tab[i] == NULL) {
      slot = i;
      break;
    }
  if (slot < 0) {
    pthread_mutex_unlock(&g_lock);
    return -EAGAIN;
  }
  c->done = 0;
  c->pid = 0;
  g_tab[slot] = c;
  g_live++;
  pthread_mutex_unlock(&g_lock);
  /* No signal reaches the child before fn has reset its mask; the child
   * shares our memory until it execs or exits. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(fn, (char *)stack + stack_size,
                    CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | SIGCHLD, arg, &c->pid);
  int e = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_mutex_lock(&g_lock);
  if (pid < 0) {
    g_tab[slot] = NULL;
    g_live--;
    pthread_cond_broadcast(&g_gone);
  } else {
    g_forked = 1;
    pthread_cond_signal(&g_have);
  }
  pthread_mutex_unlock(&g_lock);
  return pid < 0 ? -e : pid;
}

int vbx__reaper_done(struct vbx__child *c) {
  /* Under the table lock: the reaper touches c (status, wake_fd) only while
   * holding it, so once this returns 1 the owner may free c. */
  pthread_mutex_lock(&g_lock);
  int d = c->done;
  pthread_mutex_unlock(&g_lock);
  return d;
}

void vbx__reaper_kill_all(int sig) {
  pthread_mutex_lock(&g_lock);
  for (int i = 0; i < MAX_CHILDREN; i++)
    if (g_tab[i] != NULL && g_tab[i]->pid > 0) /* 0: still being spawned */
      kill(-g_tab[i]->pid, sig);
  pthread_mutex_unlock(&g_lock);
}

int vbx__reaper_wait_none(unsigned wait_ms) {
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  end.tv_sec += wait_ms / 1000u;
  end.tv_nsec += (long)(wait_ms % 1000u) * 1000000L;
  if (end.tv_nsec >= 1000000000L) end.tv_sec++, end.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&g_lock);
  int rc = 0;
  while (g_live > 0 && rc == 0)
    rc = pthread_cond_timedwait(&g_gone, &g_lock, &end);
  int none = g_live == 0;
  pthread_mutex_unlock(&g_lock);
  return none;
}
