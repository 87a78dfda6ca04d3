/*
 * engine/sandbox_ref.c - the host-side vbx_sandbox_ref given to skills and
 * used by the built-in tools: each call is forwarded to the box's sandbox
 * instance through plugin/instance.h (recorded as a plugin call in
 * flight). A method the backend does not provide fails with
 * VBX_E_UNSUPPORTED. A call that reports VBX_E_SANDBOX_LOST marks the
 * box's sandbox lost: the box then ends FAILED with that message, whatever
 * the caller does with the code.
 *
 * Streaming exec (ABI 1.3): each process a skill opens is wrapped in a
 * vbx__proc, the handle the skill holds, which the box's proc set keeps
 * until the skill closes it; the box's teardown closes what skills left
 * open after the skills are destroyed and before the sandbox is (a
 * backend's procs must all be closed before its destroy). A backend
 * without all seven proc_* methods makes proc_open fail with
 * VBX_E_UNSUPPORTED, naming the backend. proc_kill may come from any
 * thread (as the ABI allows); a proc closed on another thread than the
 * box's is unlinked under the set's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

/* Record a lost sandbox (the first message wins) and pass rc through. */
static int note(vbx__box_run *br, int rc, vbx_call *call) {
  if (rc == VBX_E_SANDBOX_LOST && !br->sandbox_lost) {
    br->sandbox_lost = 1;
    vbx__box_result_fail(br->res, rc, "sandbox backend '%s': %s", br->rb->sandbox->name,
                         vbx__call_message(call, rc));
  }
  return rc;
}

static int ref_exec(void *handle, const vbx_exec_request *req, vbx_exec_result *res,
                    vbx_call *call) {
  vbx__box_run *br = handle;
  vbx_span *span = vbx__obs_exec_begin(req);
  int rc = vbx__inst_exec(&br->sandbox, req, res, call);
  vbx__obs_exec_end(span, rc, res, rc != 0 ? vbx__call_message(call, rc) : NULL);
  return note(br, rc, call);
}

static int ref_file_write(void *handle, const char *path, const void *data, size_t len,
                          uint32_t mode, vbx_call *call) {
  vbx__box_run *br = handle;
  return note(br, vbx__inst_file_write(&br->sandbox, path, data, len, mode, call), call);
}

static int ref_file_read(void *handle, const char *path, size_t max_len, char **out,
                         size_t *out_len, vbx_call *call) {
  vbx__box_run *br = handle;
  return note(br, vbx__inst_file_read(&br->sandbox, path, max_len, out, out_len, call), call);
}

struct vbx__proc {
  vbx__proc *prev, *next;
  vbx__box_run *br;
  void *handle; /* the backend's */
};

void vbx__procs_init(vbx__proc_set *s) {
  pthread_mutex_init(&s->lock, NULL);
  s->head = NULL;
}

void vbx__procs_fini(vbx__proc_set *s) { pthread_mutex_destroy(&s->lock); }

static void link_proc(vbx__proc_set *s, vbx__proc *p) {
  pthread_mutex_lock(&s->lock);
  p->prev = NULL;
  p->next = s->head;
  if (s->head != NULL) s->head->prev = p;
  s->head = p;
  pthread_mutex_unlock(&s->lock);
}

static void unlink_proc(vbx__proc_set *s, vbx__proc *p) {
  pthread_mutex_lock(&s->lock);
  if (p->prev != NULL)
    p->prev->next = p->next;
  else
    s->head = p->next;
  if (p->next != NULL) p->next->prev = p->prev;
  pthread_mutex_unlock(&s->lock);
}

static int ref_proc_open(void *handle, const vbx_exec_request *req, void **out, vbx_call *call) {
  vbx__box_run *br = handle;
  const vbx__impl *impl = br->sandbox.impl;
  *out = NULL;
  if (!vbx__impl_has_procs(impl))
    return vbx__call_fail(call, VBX_E_UNSUPPORTED, NULL,
                          "sandbox backend '%s' cannot run a process with streaming stdin",
                          impl->name);
  vbx__proc *p = calloc(1, sizeof(*p));
  if (p == NULL) return vbx__call_fail(call, VBX_E_NOMEM, NULL, "out of memory");
  p->br = br;
  int rc = vbx__inst_proc_open(&br->sandbox, req, &p->handle, call);
  if (rc == 0 && p->handle == NULL)
    rc = vbx__call_fail(call, VBX_E_PLUGIN, NULL,
                        "sandbox backend '%s': proc_open returned no process", impl->name);
  if (rc != 0) {
    free(p);
    return note(br, rc, call);
  }
  link_proc(&br->procs, p);
  *out = p;
  return 0;
}

static int ref_proc_write(void *proc, const void *data, size_t len, vbx_call *call) {
  vbx__proc *p = proc;
  return note(p->br, vbx__inst_proc_write(&p->br->sandbox, p->handle, data, len, call), call);
}

static int ref_proc_close_stdin(void *proc, vbx_call *call) {
  vbx__proc *p = proc;
  return note(p->br, vbx__inst_proc_close_stdin(&p->br->sandbox, p->handle, call), call);
}

static int ref_proc_read(void *proc, uint32_t timeout_ms, vbx_stream *stream, char *buf, size_t cap,
                         size_t *len, vbx_call *call) {
  vbx__proc *p = proc;
  int rc = vbx__inst_proc_read(&p->br->sandbox, p->handle, timeout_ms, stream, buf, cap, len, call);
  return note(p->br, rc, call);
}

static int ref_proc_status(void *proc, vbx_exec_result *res, vbx_call *call) {
  vbx__proc *p = proc;
  return note(p->br, vbx__inst_proc_status(&p->br->sandbox, p->handle, res, call), call);
}

static int ref_proc_kill(void *proc, int signo) {
  vbx__proc *p = proc;
  return vbx__inst_proc_kill(&p->br->sandbox, p->handle, signo,
                             vbx__now_ns() + VBX__INST_DESTROY_NS);
}

static void ref_proc_close(void *proc) {
  vbx__proc *p = proc;
  if (p == NULL) return;
  unlink_proc(&p->br->procs, p);
  vbx__inst_proc_close(&p->br->sandbox, p->handle, vbx__now_ns() + VBX__INST_DESTROY_NS);
  free(p);
}

static void ref_procs(vbx__box_run *br) {
  br->ref.proc_open = ref_proc_open;
  br->ref.proc_write = ref_proc_write;
  br->ref.proc_close_stdin = ref_proc_close_stdin;
  br->ref.proc_read = ref_proc_read;
  br->ref.proc_status = ref_proc_status;
  br->ref.proc_kill = ref_proc_kill;
  br->ref.proc_close = ref_proc_close;
}

size_t vbx__procs_close_all(vbx__box_run *br, uint64_t deadline_ns) {
  size_t n = 0;
  for (;;) {
    pthread_mutex_lock(&br->procs.lock);
    vbx__proc *p = br->procs.head;
    if (p != NULL) {
      br->procs.head = p->next;
      if (p->next != NULL) p->next->prev = NULL;
    }
    pthread_mutex_unlock(&br->procs.lock);
    if (p == NULL) return n;
    vbx__inst_proc_close(&br->sandbox, p->handle, deadline_ns);
    free(p);
    n++;
  }
}

void vbx__sandbox_ref_init(vbx__box_run *br) {
  memset(&br->ref, 0, sizeof(br->ref));
  br->ref.struct_size = sizeof(br->ref);
  br->ref.handle = br;
  br->ref.exec = ref_exec;
  br->ref.file_write = ref_file_write;
  br->ref.file_read = ref_file_read;
  ref_procs(br);
}
