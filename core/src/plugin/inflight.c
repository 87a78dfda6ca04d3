/*
 * plugin/inflight.c - the table of plugin calls in flight (see inflight.h).
 */
#include "plugin/inflight.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/clock.h"

static vbx__inflight_table *g_table;
static _Thread_local int tl_slot = -1;

vbx__inflight_table *vbx__inflight_map(void) {
  void *m = mmap(NULL, sizeof(vbx__inflight_table), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  vbx__inflight_table *t = m; /* mmap zero-fills: every slot free */
  t->magic = VBX__INFLIGHT_MAGIC;
  atomic_init(&t->fault_slot, -1);
  atomic_init(&t->fault_signal, -1);
  return t;
}

void vbx__inflight_unmap(vbx__inflight_table *t) {
  if (t != NULL) munmap(t, sizeof(*t));
}

void vbx__inflight_use(vbx__inflight_table *t) { g_table = t; }

/* This thread's slot, claimed on first use; -1 when the table is full. */
static int own_slot(vbx__inflight_table *t) {
  if (tl_slot >= 0) return tl_slot;
  int tid = (int)syscall(SYS_gettid);
  for (int i = 0; i < VBX__INFLIGHT_SLOTS; i++) {
    int free_tid = 0;
    if (atomic_compare_exchange_strong(&t->slots[i].tid, &free_tid, tid)) {
      tl_slot = i;
      return i;
    }
  }
  atomic_store(&t->overflow, 1);
  return -1;
}

static void copy_field(char *dst, size_t cap, const char *src) {
  size_t n = src ? strnlen(src, cap - 1) : 0;
  if (n) memcpy(dst, src, n);
  dst[n] = '\0';
}

int vbx__inflight_enter(const char *plugin, const char *call, const char *box,
                        uint64_t deadline_ns) {
  vbx__inflight_table *t = g_table;
  if (t == NULL) return -1;
  int i = own_slot(t);
  if (i < 0) return -1;
  vbx__inflight_slot *s = &t->slots[i];
  uint32_t d = s->depth;
  atomic_fetch_add(&s->seq, 1);
  if (d < VBX__INFLIGHT_DEPTH) {
    vbx__inflight_entry *e = &s->e[d];
    copy_field(e->plugin, sizeof(e->plugin), plugin);
    copy_field(e->call, sizeof(e->call), call);
    copy_field(e->box, sizeof(e->box), box);
    e->start_ns = vbx__now_ns();
    e->deadline_ns = deadline_ns;
  }
  s->depth = d + 1;
  atomic_fetch_add(&s->seq, 1);
  return (int)d;
}

void vbx__inflight_leave(int token) {
  vbx__inflight_table *t = g_table;
  if (t == NULL || token < 0 || tl_slot < 0) return;
  vbx__inflight_slot *s = &t->slots[tl_slot];
  atomic_fetch_add(&s->seq, 1);
  s->depth = (uint32_t)token;
  atomic_fetch_add(&s->seq, 1);
  if (token == 0) { /* outermost call done: give the slot back */
    atomic_store(&s->tid, 0);
    tl_slot = -1;
  }
}

void vbx__inflight_fault(int sig) {
  vbx__inflight_table *t = g_table;
  if (t == NULL) return;
  int none = -1;
  if (atomic_compare_exchange_strong(&t->fault_signal, &none, sig))
    atomic_store(&t->fault_slot, tl_slot);
}

size_t vbx__inflight_read_slot(const vbx__inflight_table *t, size_t i, vbx__inflight_entry *out,
                               size_t cap) {
  if (t == NULL || i >= VBX__INFLIGHT_SLOTS || cap == 0) return 0;
  vbx__inflight_slot *s = (vbx__inflight_slot *)&t->slots[i];
  size_t n = 0;
  /* A writer killed mid-update leaves seq odd: after the tries the copy is
   * taken anyway (best effort, fields are always NUL-terminated). */
  for (int tries = 0; tries < 100; tries++) {
    unsigned s1 = atomic_load(&s->seq);
    if (atomic_load(&s->tid) == 0) return 0;
    uint32_t d = s->depth;
    n = d < VBX__INFLIGHT_DEPTH ? d : VBX__INFLIGHT_DEPTH;
    if (n > cap) n = cap;
    memcpy(out, s->e, n * sizeof(*out));
    unsigned s2 = atomic_load(&s->seq);
    if (s1 == s2 && (s1 & 1u) == 0) break;
  }
  for (size_t k = 0; k < n; k++) { /* torn strings stay terminated */
    out[k].plugin[sizeof(out[k].plugin) - 1] = '\0';
    out[k].call[sizeof(out[k].call) - 1] = '\0';
    out[k].box[sizeof(out[k].box) - 1] = '\0';
  }
  return n;
}

int vbx__inflight_overdue(const vbx__inflight_table *t, uint64_t now_ns, uint64_t grace_ns,
                          vbx__inflight_entry *out) {
  vbx__inflight_entry e[VBX__INFLIGHT_DEPTH];
  for (size_t i = 0; t != NULL && i < VBX__INFLIGHT_SLOTS; i++) {
    size_t n = vbx__inflight_read_slot(t, i, e, VBX__INFLIGHT_DEPTH);
    uint64_t first = 0; /* the earliest deadline of the stack */
    for (size_t k = 0; k < n; k++)
      if (e[k].deadline_ns != 0 && (first == 0 || e[k].deadline_ns < first))
        first = e[k].deadline_ns;
    if (n > 0 && first != 0 && now_ns > first + grace_ns) {
      *out = e[n - 1];
      if (out->deadline_ns == 0) out->deadline_ns = first;
      return 1;
    }
  }
  return 0;
}

void vbx__inflight_entry_text(const vbx__inflight_entry *e, char *buf, size_t cap) {
  if (e->box[0])
    snprintf(buf, cap, "plugin '%s' call '%s' (box '%s')", e->plugin, e->call, e->box);
  else
    snprintf(buf, cap, "plugin '%s' call '%s'", e->plugin, e->call);
}

int vbx__inflight_culprit(const vbx__inflight_table *t, vbx__inflight_entry *out) {
  vbx__inflight_entry e[VBX__INFLIGHT_DEPTH];
  if (t == NULL) return 0;
  int fs = atomic_load((atomic_int *)&t->fault_slot);
  if (fs >= 0 && fs < VBX__INFLIGHT_SLOTS) {
    size_t n = vbx__inflight_read_slot(t, (size_t)fs, e, VBX__INFLIGHT_DEPTH);
    if (n > 0) {
      *out = e[n - 1];
      return 1;
    }
  }
  size_t found = 0;
  for (size_t i = 0; i < VBX__INFLIGHT_SLOTS; i++) {
    size_t n = vbx__inflight_read_slot(t, i, e, VBX__INFLIGHT_DEPTH);
    if (n == 0) continue;
    if (found++ == 0) *out = e[n - 1];
  }
  return found == 1;
}

void vbx__inflight_list(const vbx__inflight_table *t, char *buf, size_t cap) {
  vbx__inflight_entry e[VBX__INFLIGHT_DEPTH];
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; t != NULL && i < VBX__INFLIGHT_SLOTS && used + 1 < cap; i++) {
    size_t n = vbx__inflight_read_slot(t, i, e, VBX__INFLIGHT_DEPTH);
    if (n == 0) continue;
    char one[256];
    vbx__inflight_entry_text(&e[n - 1], one, sizeof(one));
    int w = snprintf(buf + used, cap - used, "%s%s", used ? "; " : "", one);
    if (w < 0) break;
    used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
  }
  if (used == 0) snprintf(buf, cap, "no plugin call");
}
