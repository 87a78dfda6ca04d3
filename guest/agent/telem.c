/*
 * guest/agent/telem.c - TELEMETRY_SUBSCRIBE: one worker thread per
 * subscription sends TELEMETRY_SAMPLE frames (the first at once, then every
 * interval) until the host unsubscribes (the worker then sends OK, the
 * terminal frame) or the connection closes (nothing more is sent).
 *
 * Figures (docs/guest-agent.md "Telemetry"): memory from /proc/meminfo
 * (MemTotal, MemTotal - MemAvailable); processes = the agent and its
 * descendants found in /proc; CPU = /proc/stat non-idle time when the agent
 * is init of a VM, otherwise utime+stime+cutime+cstime summed over the
 * agent's process tree (so time of reaped commands stays counted). On a
 * connection that negotiated TELEMETRY_EXT also network bytes (/proc/net/dev,
 * every interface but lo) and the open descriptors of the same process
 * tree (entries of /proc/PID/fd, bounded).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

#define TELEM_MAX_PER_CONN 8
#define TELEM_MAX_PROCS 65536  /* processes examined per sample */
#define TELEM_NETDEV_CAP 65536 /* bytes of /proc/net/dev read (~500 interfaces) */

struct telem {
  struct vbx__conn *c;
  uint32_t id;
  uint32_t interval_ms;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int stop;      /* unsubscribed: send OK and end */
  int abandoned; /* connection closing: end silently */
};

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

/* Read a small /proc file into buf (NUL-terminated). Returns its length,
 * or VBX_E_IO when it cannot be opened. */
static ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return VBX_E_IO;
  size_t have = 0;
  while (have + 1 < cap) {
    ssize_t n = read(fd, buf + have, cap - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += (size_t)n;
  }
  close(fd);
  buf[have] = '\0';
  return (ssize_t)have;
}

static uint64_t meminfo_field(const char *text, const char *key) {
  const char *p = strstr(text, key);
  if (p == NULL) return UINT64_MAX;
  p += strlen(key);
  while (*p == ' ' || *p == '\t')
    p++;
  return strtoull(p, NULL, 10);
}

static void sample_mem(struct vbx_proto_telemetry_sample *s) {
  char buf[8192];
  if (read_small("/proc/meminfo", buf, sizeof buf) <= 0) return;
  uint64_t total = meminfo_field(buf, "MemTotal:");
  uint64_t avail = meminfo_field(buf, "MemAvailable:");
  if (avail == UINT64_MAX) avail = meminfo_field(buf, "MemFree:");
  if (total == UINT64_MAX) return;
  s->mem_total_kib = total;
  s->mem_used_kib = avail != UINT64_MAX && avail <= total ? total - avail : 0;
}

/* /proc/stat first line: user nice system idle iowait irq softirq steal.
 * 0, or VBX_E_IO (unreadable or not in that form). */
static int sample_system_cpu(uint64_t hz, uint64_t *usec) {
  char buf[4096];
  if (read_small("/proc/stat", buf, sizeof buf) <= 0 || strncmp(buf, "cpu ", 4) != 0)
    return VBX_E_IO;
  unsigned long long v[8] = {0};
  if (sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
             &v[5], &v[6], &v[7]) < 4)
    return VBX_E_IO;
  uint64_t ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  *usec = ticks * (1000000u / hz);
  return 0;
}

struct pinfo {
  int pid, ppid;
  uint64_t ticks;
  long parent; /* index in the sorted array, -1: not found */
  int mark;
};

static int cmp_pid(const void *a, const void *b) {
  int x = ((const struct pinfo *)a)->pid, y = ((const struct pinfo *)b)->pid;
  return (x > y) - (x < y);
}

/* Fields after the ")" of /proc/PID/stat: state(3) ppid(4) ... utime(14)
 * stime(15) cutime(16) cstime(17). 0, or VBX_E_IO (gone, or not in that
 * form). */
static int read_pstat(int pid, struct pinfo *pi) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (read_small(path, buf, sizeof buf) <= 0) return VBX_E_IO;
  char *p = strrchr(buf, ')');
  if (p == NULL) return VBX_E_IO;
  char state;
  int ppid;
  long long f[13];
  if (sscanf(p + 1, " %c %d %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
             &state, &ppid, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9],
             &f[10], &f[11], &f[12]) != 15)
    return VBX_E_IO;
  pi->pid = pid;
  pi->ppid = ppid;
  long long t = f[9] + f[10] + f[11] + f[12]; /* utime stime cutime cstime */
  pi->ticks = t > 0 ? (uint64_t)t : 0;
  pi->mark = 0;
  return 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

int vbx__telem_parse_netdev(const char *text, uint64_t *rx, uint64_t *tx) {
  int lines = 0;
  *rx = *tx = 0;
  /* "  eth0: rx_bytes packets errs drop fifo frame compressed multicast
   * tx_bytes ...": two header lines without ':' (a device name never holds
   * one), then one line per interface */
  for (const char *l = text; *l != '\0';) {
    const char *nl = strchr(l, '\n');
    if (nl == NULL) break; /* a cut last line */
    const char *colon = memchr(l, ':', (size_t)(nl - l));
    if (colon != NULL) {
      const char *name = l;
      while (name < colon && (*name == ' ' || *name == '\t'))
        name++;
      uint64_t v[9];
      const char *p = colon + 1;
      int k = 0;
      for (; k < 9; k++) {
        while (p < nl && (*p == ' ' || *p == '\t'))
          p++;
        if (p == nl || !isdigit((unsigned char)*p)) break;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(p, &end, 10);
        if (errno != 0 || end > nl) break;
        v[k] = x;
        p = end;
      }
      if (k == 9) {
        lines++;
        if (!(colon - name == 2 && memcmp(name, "lo", 2) == 0)) {
          *rx = add_sat(*rx, v[0]);
          *tx = add_sat(*tx, v[8]);
        }
      }
    }
    l = nl + 1;
  }
  return lines > 0 ? 0 : VBX_E_PROTOCOL;
}

static void sample_net(struct vbx_proto_telemetry_sample *s) {
  char *buf = malloc(TELEM_NETDEV_CAP);
  uint64_t rx, tx;
  if (buf != NULL && read_small("/proc/net/dev", buf, TELEM_NETDEV_CAP) > 0 &&
      vbx__telem_parse_netdev(buf, &rx, &tx) == 0) {
    s->net_rx_bytes = rx;
    s->net_tx_bytes = tx;
  }
  free(buf);
}

uint32_t vbx__telem_count_fds(const int *pids, size_t n) {
  uint32_t total = 0;
  int self = getpid();
  if (n > VBX__TELEM_MAX_FD_PROCS) n = VBX__TELEM_MAX_FD_PROCS;
  for (size_t i = 0; i < n && total < VBX__TELEM_MAX_FDS; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", pids[i]);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue; /* gone, or not ours to read */
    DIR *d = fdopendir(fd);
    if (d == NULL) {
      close(fd);
      continue;
    }
    struct dirent *e;
    while (total < VBX__TELEM_MAX_FDS && (e = readdir(d)) != NULL) {
      if (!isdigit((unsigned char)e->d_name[0])) continue; /* "." and ".." */
      if (pids[i] == self && atoi(e->d_name) == fd) continue;
      total++;
    }
    closedir(d);
  }
  return total;
}

/* The agent's process tree: count, CPU ticks and, with fds non-NULL, the
 * open descriptors of its processes. 0, or VBX_E_IO (no /proc) or
 * VBX_E_NOMEM. */
static int sample_tree(uint32_t *procs, uint64_t *ticks, uint32_t *fds) {
  DIR *d = opendir("/proc");
  if (d == NULL) return VBX_E_IO;
  size_t n = 0, cap = 256;
  struct pinfo *v = malloc(cap * sizeof *v);
  int *pids = NULL;
  int rc = VBX_E_NOMEM;
  if (v == NULL) goto out;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < TELEM_MAX_PROCS) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    if (n == cap) {
      struct pinfo *nv = realloc(v, 2 * cap * sizeof *v);
      if (nv == NULL) goto out;
      v = nv, cap *= 2;
    }
    if (read_pstat(atoi(e->d_name), &v[n]) == 0) n++;
  }
  /* Sort by pid, link each process to its parent's index, then propagate
   * the mark from the agent down (passes bounded by the tree depth). */
  qsort(v, n, sizeof *v, cmp_pid);
  int self = getpid();
  for (size_t i = 0; i < n; i++) {
    struct pinfo key = {.pid = v[i].ppid};
    struct pinfo *par = v[i].ppid > 0 ? bsearch(&key, v, n, sizeof *v, cmp_pid) : NULL;
    v[i].parent = par != NULL ? (long)(par - v) : -1;
    v[i].mark = v[i].pid == self;
  }
  for (int changed = 1; changed;) {
    changed = 0;
    for (size_t i = 0; i < n; i++)
      if (!v[i].mark && v[i].parent >= 0 && v[v[i].parent].mark) v[i].mark = 1, changed = 1;
  }
  size_t npids = n < VBX__TELEM_MAX_FD_PROCS ? n : VBX__TELEM_MAX_FD_PROCS;
  if (fds != NULL && (pids = malloc((npids ? npids : 1) * sizeof *pids)) == NULL) goto out;
  uint32_t cnt = 0;
  uint64_t sum = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!v[i].mark) continue;
    cnt++, sum += v[i].ticks;
    if (pids != NULL && k < npids) pids[k++] = v[i].pid;
  }
  *procs = cnt;
  *ticks = sum;
  if (fds != NULL) *fds = vbx__telem_count_fds(pids, k);
  rc = 0;
out:
  free(pids);
  free(v);
  closedir(d);
  return rc;
}

/* vbx__telem_sample - fill s with the current figures (see the file
 * comment). Missing /proc files leave their fields 0. Thread-safe. */
void vbx__telem_sample(int is_init, int ext, struct vbx_proto_telemetry_sample *s) {
  memset(s, 0, sizeof *s);
  s->ext = ext != 0;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  s->uptime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  long hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0 || hz > 1000000) hz = 100;
  sample_mem(s);
  uint32_t procs = 0, fds = 0;
  uint64_t ticks = 0;
  if (sample_tree(&procs, &ticks, s->ext ? &fds : NULL) == 0) {
    s->procs = procs;
    s->cpu_usec = ticks * (1000000u / (uint64_t)hz);
    s->open_fds = fds;
  }
  if (s->ext) sample_net(s);
  uint64_t sys;
  if (is_init && sample_system_cpu((uint64_t)hz, &sys) == 0) s->cpu_usec = sys;
}

/* TELEMETRY_SAMPLE(id) of the current figures. 0 or a negative VBX_E_*
 * code (not encoded, not sent). */
static int send_sample(struct telem *t) {
  struct vbx_proto_telemetry_sample s;
  vbx__telem_sample(t->c->agent->is_init, (t->c->features & VBX_PROTO_FEAT_TELEMETRY_EXT) != 0, &s);
  uint8_t mem[128];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  int rc = vbx_proto_encode_telemetry_sample(&b, t->id, &s);
  return rc != 0 ? rc : vbx__conn_send(t->c, &b);
}

static void *telem_worker(void *arg) {
  struct telem *t = arg;
  int stopped = 0, abandoned = 0;
  for (;;) {
    pthread_mutex_lock(&t->lock);
    stopped = t->stop, abandoned = t->abandoned;
    pthread_mutex_unlock(&t->lock);
    if (stopped || abandoned || send_sample(t) != 0) break;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += t->interval_ms / 1000u;
    until.tv_nsec += (long)(t->interval_ms % 1000u) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&t->lock);
    while (!t->stop && !t->abandoned &&
           pthread_cond_timedwait(&t->cond, &t->lock, &until) != ETIMEDOUT)
      ;
    pthread_mutex_unlock(&t->lock);
  }
  if (stopped && !abandoned) {
    uint8_t mem[64];
    struct vbx_proto_buf b;
    vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
    if (vbx_proto_encode_empty(&b, VBX_PROTO_T_OK, t->id) == 0) vbx__conn_send(t->c, &b);
  }
  struct vbx__conn *c = t->c;
  vbx__conn_req_del(c, t->id);
  pthread_mutex_lock(&count_lock);
  c->n_telem--;
  pthread_mutex_unlock(&count_lock);
  pthread_cond_destroy(&t->cond);
  pthread_mutex_destroy(&t->lock);
  free(t);
  vbx__conn_put(c);
  return NULL;
}

int vbx__telem_subscribe(struct vbx__conn *c, uint32_t id, uint32_t interval_ms) {
  if ((c->features & VBX_PROTO_FEAT_TELEMETRY) == 0)
    return vbx__conn_send_error(c, id, VBX_E_UNSUPPORTED,
                                "telemetry was not negotiated on this connection");
  pthread_mutex_lock(&count_lock);
  int full = c->n_telem >= TELEM_MAX_PER_CONN;
  if (!full) c->n_telem++;
  pthread_mutex_unlock(&count_lock);
  if (full)
    return vbx__conn_send_error(c, id, VBX_E_LIMIT,
                                "at most %d telemetry subscriptions per connection",
                                TELEM_MAX_PER_CONN);
  struct telem *t = calloc(1, sizeof *t);
  if (t == NULL) goto fail;
  t->c = c, t->id = id, t->interval_ms = interval_ms;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&t->lock, NULL);
  vbx__conn_get(c);
  if (vbx__conn_req_add(c, id, VBX__REQ_TELEM, t) != 0) {
    vbx__conn_put(c);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
    goto fail;
  }
  pthread_t th;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&at, 256 * 1024);
  if (pthread_create(&th, &at, telem_worker, t) != 0) {
    t->abandoned = 1;
    telem_worker(t); /* cleans up at once */
    pthread_attr_destroy(&at);
    return vbx__conn_send_error(c, id, VBX_E_NOMEM, "cannot start telemetry worker");
  }
  pthread_attr_destroy(&at);
  return 0;
fail:
  pthread_mutex_lock(&count_lock);
  c->n_telem--;
  pthread_mutex_unlock(&count_lock);
  return VBX_E_NOMEM;
}

void vbx__telem_stop(void *tv) {
  struct telem *t = tv;
  pthread_mutex_lock(&t->lock);
  t->stop = 1;
  pthread_cond_signal(&t->cond);
  pthread_mutex_unlock(&t->lock);
}

void vbx__telem_abandon(void *tv) {
  struct telem *t = tv;
  pthread_mutex_lock(&t->lock);
  t->abandoned = 1;
  pthread_cond_signal(&t->cond);
  pthread_mutex_unlock(&t->lock);
}
