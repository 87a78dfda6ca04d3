/*
 * plugin/inflight.h - which plugin call each thread is inside, kept in a
 * table another process can read.
 *
 * Every call the host makes into a plugin (dlopen, init, a vtable method,
 * fini) is bracketed by vbx__inflight_enter / vbx__inflight_leave. When a
 * table is in use, each thread records its current calls (a small stack:
 * a skill's call_tool runs the backend's exec) with the call's deadline.
 * A supervising process that maps the same table (MAP_SHARED, before fork)
 * can then tell, after the worker died or while it hangs, which plugin and
 * which call were running, and on which box.
 *
 * Without a table (the default, e.g. an embedding program) enter/leave cost
 * one load and a branch, and record nothing.
 *
 * Threads: enter/leave are called by the thread making the call; each
 * thread writes only its own slot, publishing with a sequence counter (odd
 * while writing) so a reader in another process can take a consistent copy.
 * vbx__inflight_fault is async-signal-safe.
 */
#ifndef VBX_PLUGIN_INFLIGHT_H
#define VBX_PLUGIN_INFLIGHT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "tool_api.h"

#define VBX__INFLIGHT_MAGIC 0x76626966u /* "vbif" */
#define VBX__INFLIGHT_SLOTS 128         /* threads recorded at once */
#define VBX__INFLIGHT_DEPTH 4           /* nested calls recorded per thread */

typedef struct vbx__inflight_entry {
  char plugin[64];      /* plugin name (or file name while loading) */
  char call[32];        /* "llm.complete", "sandbox.exec", "init", ... */
  char box[64];         /* box name, "" outside a box */
  uint64_t start_ns;    /* CLOCK_MONOTONIC (system-wide) */
  uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none */
} vbx__inflight_entry;

typedef struct vbx__inflight_slot {
  atomic_uint seq; /* odd while the owner writes */
  atomic_int tid;  /* owning thread (gettid), 0: free */
  uint32_t depth;  /* entries in use, may exceed DEPTH (not recorded) */
  vbx__inflight_entry e[VBX__INFLIGHT_DEPTH];
} vbx__inflight_slot;

typedef struct vbx__inflight_table {
  uint32_t magic;
  atomic_int fault_slot;   /* slot of the thread that faulted, -1: unknown */
  atomic_int fault_signal; /* the fatal signal, 0 for exit(), -1: none */
  atomic_int overflow;     /* a thread found no free slot */
  vbx__inflight_slot slots[VBX__INFLIGHT_SLOTS];
} vbx__inflight_table;

/* A zeroed table in shared anonymous memory (survives fork, shared by both
 * sides). NULL when mmap fails. Release with vbx__inflight_unmap. */
VBX__TOOL_API vbx__inflight_table *vbx__inflight_map(void);
VBX__TOOL_API void vbx__inflight_unmap(vbx__inflight_table *t);

/* Record this process's calls into t from now on (NULL: stop). Call it
 * before any plugin is loaded, while the process has one thread. */
VBX__TOOL_API void vbx__inflight_use(vbx__inflight_table *t);

/* Enter a plugin call: plugin name, call name, box (NULL: none) and the
 * call's CLOCK_MONOTONIC deadline (0: none). Strings are copied, cut to
 * their field sizes. Returns a token for vbx__inflight_leave. */
int vbx__inflight_enter(const char *plugin, const char *call, const char *box,
                        uint64_t deadline_ns);
/* Leave the call entered with `token` (the innermost one). */
void vbx__inflight_leave(int token);

/* Record that this thread is ending the process: by signal `sig`, or
 * through exit() when sig is 0. Async-signal-safe. */
VBX__TOOL_API void vbx__inflight_fault(int sig);

/* Reader side. Copy a consistent snapshot of slot i's entries into out
 * (at most cap); returns how many (0 when the slot is free). */
size_t vbx__inflight_read_slot(const vbx__inflight_table *t, size_t i, vbx__inflight_entry *out,
                               size_t cap);
/* The innermost call of the first slot whose deadline passed more than
 * grace_ns before now_ns; returns 1 and fills *out, else 0. */
VBX__TOOL_API int vbx__inflight_overdue(const vbx__inflight_table *t, uint64_t now_ns,
                                        uint64_t grace_ns, vbx__inflight_entry *out);
/* The call that ended the process: the faulting thread's innermost call
 * when it recorded one, else the only call in flight when there is exactly
 * one. Returns 1 and fills *out, else 0 (none, or several candidates). */
VBX__TOOL_API int vbx__inflight_culprit(const vbx__inflight_table *t, vbx__inflight_entry *out);
/* Every innermost call in flight as text joined with "; " into buf, or
 * "no plugin call" when none. */
VBX__TOOL_API void vbx__inflight_list(const vbx__inflight_table *t, char *buf, size_t cap);
/* One entry as "plugin 'x' call 'y' (box 'z')" into buf. */
VBX__TOOL_API void vbx__inflight_entry_text(const vbx__inflight_entry *e, char *buf, size_t cap);

/* Bracket `stmt` (a statement calling into a plugin) with enter/leave. */
#define VBX__PLUGIN_CALL(plugin, call, box, deadline_ns, stmt)                      \
  do {                                                                              \
    int vbx__ifl_tok = vbx__inflight_enter((plugin), (call), (box), (deadline_ns)); \
    stmt;                                                                           \
    vbx__inflight_leave(vbx__ifl_tok);                                              \
  } while (0)

#endif
