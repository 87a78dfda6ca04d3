/*
 * policy_write.c - writing the guest agent's policy file (see
 * voidbox/protocol/policy.h): only what reads back to the same policy.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy_names.h"
#include "voidbox/protocol/policy.h"
#include "voidbox/protocol/wire.h"

/* Appending to out[0..cap); the first failure sticks. */
struct pw {
  char *out;
  size_t cap, len;
  int err;
};

__attribute__((format(printf, 2, 3))) static void put(struct pw *w, const char *fmt, ...) {
  if (w->err != 0) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(w->out + w->len, w->cap - w->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= w->cap - w->len)
    w->err = VBX_PROTO_E_TOOBIG;
  else
    w->len += (size_t)n;
}

/* An entry the reader gives back unchanged: non-empty, short enough, no
 * '#', newline or NUL, no spaces at its edges. */
static int entry_ok(const char *e, size_t min) {
  size_t n = strnlen(e, VBX_PROTO_POLICY_ENTRY_SIZE);
  if (n < min || n >= VBX_PROTO_POLICY_ENTRY_SIZE || strpbrk(e, "#\n") != NULL) return 0;
  return n == 0 || (!isspace((unsigned char)e[0]) && !isspace((unsigned char)e[n - 1]));
}

/* A writable entry as stored: relative, no edge '/', no "..", no '#' or
 * newline. Edge spaces are fine: it is written between two '/'. */
static int writable_ok(const char *e) {
  size_t n = strnlen(e, VBX_PROTO_POLICY_ENTRY_SIZE);
  if (n >= VBX_PROTO_POLICY_ENTRY_SIZE || strpbrk(e, "#\n") != NULL || strstr(e, "..") != NULL)
    return 0;
  return n == 0 || (e[0] != '/' && e[n - 1] != '/');
}

static int check(const struct vbx_proto_policy *p, const char *comment) {
  if (comment != NULL &&
      (strchr(comment, '\n') != NULL || strlen(comment) > VBX_PROTO_POLICY_MAX_LINE - 2))
    return VBX_PROTO_E_INVAL;
  if (p->n_allow > VBX_PROTO_POLICY_MAX_ENTRIES || p->n_writable > VBX_PROTO_POLICY_MAX_ENTRIES ||
      p->n_rlimits > VBX_PROTO_POLICY_MAX_RLIMITS)
    return VBX_PROTO_E_INVAL;
  if ((p->have_uid && p->uid == UINT32_MAX) || (p->have_gid && p->gid == UINT32_MAX) ||
      p->llm_gateway_port > 65535)
    return VBX_PROTO_E_INVAL;
  for (size_t i = 0; i < p->n_allow; i++)
    if (!entry_ok(p->allow[i], 1) || strcmp(p->allow[i], "*") == 0) return VBX_PROTO_E_INVAL;
  for (size_t i = 0; i < p->n_writable; i++)
    if (!writable_ok(p->writable[i])) return VBX_PROTO_E_INVAL;
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const struct vbx_proto_policy_rlimit *r = &p->rlimits[i];
    if (vbx__policy_rlimit_name(r->resource) == NULL || r->soft > r->hard) return VBX_PROTO_E_INVAL;
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[j].resource == r->resource) return VBX_PROTO_E_INVAL;
  }
  return 0;
}

static void put_amount(struct pw *w, uint64_t v) {
  if (v == VBX_PROTO_POLICY_UNLIMITED)
    put(w, "unlimited");
  else
    put(w, "%llu", (unsigned long long)v);
}

static void put_rlimits(struct pw *w, const struct vbx_proto_policy *p) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const struct vbx_proto_policy_rlimit *r = &p->rlimits[i];
    put(w, "rlimit.%s = ", vbx__policy_rlimit_name(r->resource));
    put_amount(w, r->soft);
    if (r->hard != r->soft) {
      put(w, ":");
      put_amount(w, r->hard);
    }
    put(w, "\n");
  }
}

int vbx_proto_policy_write(const struct vbx_proto_policy *p, const char *comment, char *out,
                           size_t cap, size_t *len) {
  struct pw w = {out, cap, 0, check(p, comment)};
  if (cap == 0) return w.err ? w.err : VBX_PROTO_E_TOOBIG;
  out[0] = '\0';
  if (comment != NULL) put(&w, "# %s\n", comment);
  if (p->have_uid) put(&w, "uid = %u\n", p->uid);
  if (p->have_gid) put(&w, "gid = %u\n", p->gid);
  if (p->max_procs) put(&w, "max_procs = %u\n", p->max_procs);
  if (p->max_execs) put(&w, "max_execs = %u\n", p->max_execs);
  put_rlimits(&w, p);
  if (p->max_output) {
    put(&w, "max_output_bytes = ");
    put_amount(&w, p->max_output);
    put(&w, "\n");
  }
  if (p->allow_all) put(&w, "allow = *\n");
  for (size_t i = 0; i < p->n_allow; i++)
    put(&w, "allow = %s\n", p->allow[i]);
  for (size_t i = 0; i < p->n_writable; i++) {
    const char *e = p->writable[i];
    size_t n = strlen(e);
    /* "/a /" keeps the space the reader would trim from "/a " */
    put(&w, "writable = /%s%s\n", e, n > 0 && isspace((unsigned char)e[n - 1]) ? "/" : "");
  }
  if (p->llm_gateway_port) put(&w, "llm_gateway_port = %u\n", p->llm_gateway_port);
  if (w.err == 0 && w.len > VBX_PROTO_POLICY_MAX_BYTES) w.err = VBX_PROTO_E_TOOBIG;
  if (w.err != 0) {
    out[0] = '\0';
    return w.err;
  }
  *len = w.len;
  return 0;
}
