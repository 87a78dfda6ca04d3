/*
 * fake_procs.c - see fake_procs.h.
 */
#include "fake_procs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fake_plugins.h"
#include "plugin/call.h"

static const vbx_host_services *H;

/* ---- sandboxes --------------------------------------------------------- */

typedef struct fpsb {
  char *box;
  int open; /* procs not closed yet */
} fpsb;

typedef struct fproc {
  fpsb *sb;
  char name[32];
  char buf[256];
  size_t len;
  int in_closed, killed;
} fproc;

static int sb_create(void *st, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  (void)st, (void)call;
  fpsb *s = calloc(1, sizeof(*s));
  s->box = strdup(cfg->box_name);
  fake_logf("sandbox.create:%s", s->box);
  *out = s;
  return 0;
}

static void sb_destroy(void *p) {
  fpsb *s = p;
  fake_logf("sandbox.destroy:%s:open=%d", s->box, s->open);
  free(s->box);
  free(s);
}

static int sb_exec(void *p, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call) {
  (void)p, (void)req, (void)call;
  res->stdout_data = H->strdup("");
  res->stderr_data = H->strdup("");
  return 0;
}

static int proc_open(void *p, const vbx_exec_request *req, void **out, vbx_call *call) {
  (void)call;
  fpsb *s = p;
  fproc *f = calloc(1, sizeof(*f));
  f->sb = s;
  snprintf(f->name, sizeof(f->name), "%s", req->argv[0]);
  s->open++;
  fake_logf("proc.open:%s:%s", s->box, f->name);
  *out = f;
  return 0;
}

static int proc_write(void *p, const void *data, size_t len, vbx_call *call) {
  fproc *f = p;
  if (f->in_closed || f->killed) return H->set_error(call, VBX_E_STATE, NULL, "stdin is closed");
  if (f->len + len > sizeof(f->buf)) return H->set_error(call, VBX_E_TOOBIG, NULL, "too much");
  memcpy(f->buf + f->len, data, len);
  f->len += len;
  return 0;
}

static int proc_close_stdin(void *p, vbx_call *call) {
  (void)call;
  ((fproc *)p)->in_closed = 1;
  return 0;
}

static int proc_read(void *p, uint32_t timeout_ms, vbx_stream *stream, char *buf, size_t cap,
                     size_t *len, vbx_call *call) {
  (void)timeout_ms;
  fproc *f = p;
  *len = 0;
  if (strcmp(f->name, "lost") == 0)
    return H->set_error(call, VBX_E_SANDBOX_LOST, NULL, "the fake agent is gone");
  if (f->len == 0)
    return f->in_closed || f->killed ? 0 : H->set_error(call, VBX_E_AGAIN, NULL, "nothing yet");
  size_t n = f->len < cap ? f->len : cap;
  memcpy(buf, f->buf, n);
  memmove(f->buf, f->buf + n, f->len - n);
  f->len -= n;
  *stream = VBX_STREAM_STDOUT;
  *len = n;
  return 0;
}

static int proc_status(void *p, vbx_exec_result *res, vbx_call *call) {
  fproc *f = p;
  if (!f->in_closed && !f->killed) return H->set_error(call, VBX_E_STATE, NULL, "running");
  res->exit_code = f->killed ? 143 : 0;
  res->term_signal = f->killed ? 15 : 0;
  return 0;
}

static int proc_kill(void *p, int signo) {
  fproc *f = p;
  (void)signo;
  if (f->killed || f->in_closed) return VBX_E_STATE;
  f->killed = 1;
  return 0;
}

static void proc_close(void *p) {
  fproc *f = p;
  f->sb->open--;
  fake_logf("proc.close:%s:%s", f->sb->box, f->name);
  free(f);
}

static const vbx_sandbox_backend_vtable fakeproc_vt = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "fakeproc",
    .description = "fake sandbox with streaming exec",
    .flags = VBX_SANDBOX_IS_SIMULATED,
    .create = sb_create,
    .destroy = sb_destroy,
    .exec = sb_exec,
    .proc_open = proc_open,
    .proc_write = proc_write,
    .proc_close_stdin = proc_close_stdin,
    .proc_read = proc_read,
    .proc_status = proc_status,
    .proc_kill = proc_kill,
    .proc_close = proc_close};

/* fakeproc's but for proc_close: filled by init. */
static vbx_sandbox_backend_vtable halfproc_vt;

/* ---- skill ------------------------------------------------------------- */

typedef struct fps {
  char *box;
  vbx_sandbox_ref ref; /* copied at provision: its methods outlive the call */
  void *mine;
} fps;

static int sk_create(void *st, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  (void)st, (void)call;
  fps *k = calloc(1, sizeof(*k));
  k->box = strdup(cfg->box_name);
  *out = k;
  return 0;
}

static void sk_destroy(void *p) {
  fps *k = p;
  if (k->mine != NULL) k->ref.proc_close(k->mine);
  fake_logf("skill.destroy:%s", k->box);
  free(k->box);
  free(k);
}

static int open_named(const vbx_sandbox_ref *sb, const char *name, void **out, vbx_call *call) {
  const char *argv[] = {name, NULL};
  vbx_exec_request req = {.struct_size = sizeof(req), .argv = argv};
  return sb->proc_open(sb->handle, &req, out, call);
}

static int sk_provision(void *p, const vbx_sandbox_ref *sb, vbx_skill_contrib *out,
                        vbx_call *call) {
  fps *k = p;
  k->ref = *sb;
  void *left = NULL, *shrt = NULL;
  int rc = open_named(sb, "left", &left, call);
  if (rc != 0) {
    fake_logf("procs.unsupported:%d:%s", rc, call->message);
    return 0;
  }
  if ((rc = open_named(sb, "mine", &k->mine, call)) != 0) return rc;
  if ((rc = open_named(sb, "short", &shrt, call)) != 0) return rc;
  sb->proc_close(shrt);
  out->tools = (vbx_json *)json_pack("[{s:s, s:s, s:{s:s}}, {s:s, s:s, s:{s:s}}]", "name",
                                     "procs_tool", "description", "a proc", "input_schema", "type",
                                     "object", "name", "procs_lost", "description", "a lost proc",
                                     "input_schema", "type", "object");
  return 0;
}

static int sk_call(void *p, const vbx_sandbox_ref *sb, const char *tool, const vbx_json *input,
                   char **out_text, int *is_error, vbx_call *call) {
  (void)p, (void)input;
  void *proc = NULL;
  int lost = strcmp(tool, "procs_lost") == 0;
  int rc = open_named(sb, lost ? "lost" : "tool", &proc, call);
  if (rc == 0 && !lost) rc = sb->proc_write(proc, "ping\n", 5, call);
  char buf[64] = "got ";
  size_t len = 0;
  vbx_stream st;
  if (rc == 0) rc = sb->proc_read(proc, 1000, &st, buf + 4, sizeof(buf) - 5, &len, call);
  buf[4 + len] = '\0';
  if (rc != 0) snprintf(buf, sizeof(buf), "proc_read: %d", rc);
  *out_text = H->strdup(buf);
  *is_error = rc != 0; /* the code is swallowed, as a careless skill would */
  return 0;
}

static const vbx_skill_type_vtable sk_vt = {.struct_size = sizeof(vbx_skill_type_vtable),
                                            .name = "procs",
                                            .description = "a skill that opens procs",
                                            .create = sk_create,
                                            .destroy = sk_destroy,
                                            .provision = sk_provision,
                                            .call_tool = sk_call};

/* ---- descriptor -------------------------------------------------------- */

static int init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  if (H == NULL) H = host;
  *state = NULL;
  halfproc_vt = fakeproc_vt;
  halfproc_vt.name = "halfproc";
  halfproc_vt.description = "fake sandbox with streaming exec but for proc_close";
  halfproc_vt.proc_close = NULL;
  if (reg->register_sandbox_backend(reg->reg, &fakeproc_vt) != 0 ||
      reg->register_sandbox_backend(reg->reg, &halfproc_vt) != 0 ||
      reg->register_skill_type(reg->reg, &sk_vt) != 0)
    return VBX_E_GENERIC;
  return 0;
}

static const vbx_plugin_descriptor desc = {VBX_PLUGIN_MAGIC,
                                           VBX_ABI_MAJOR,
                                           VBX_ABI_MINOR,
                                           sizeof(vbx_plugin_descriptor),
                                           VBX_ABI_FINGERPRINT,
                                           "fakeproc",
                                           "1.0.0",
                                           "MIT",
                                           "fake streaming-exec plugins for tests",
                                           init,
                                           NULL};

const vbx_plugin_descriptor *fake_procs_entry(void) { return &desc; }
