/*
 * voidbox/protocol/policy.h - the guest agent's policy file: what commands
 * may run, as whom, with which limits, and where files may be written.
 * The host writes it (guest-session: a pipe for sandbox-local,
 * /etc/voidbox/policy in sandbox-qemu's per-box initrd), the agent parses
 * it once before its first connection. docs/protocol.md section 10 is the
 * specification; docs/guest-agent.md what the agent does with it.
 *
 * Text, one "key = value" a line; '#' starts a comment, blank lines are
 * ignored, spaces around key and value are trimmed. Keys: allow (repeatable;
 * "*" allows everything), writable (repeatable, an absolute path without
 * ".."), uid, gid, max_procs, max_execs, max_output_bytes (suffix k, m, g),
 * rlimit.NAME = SOFT[:HARD] (NAME: as core cpu data fsize nofile nproc
 * stack memlock msgqueue; "unlimited"/"infinity" allowed),
 * llm_gateway_port (1..65535: the agent listens on 127.0.0.1:PORT in the
 * box and tunnels each connection to the host's LLM gateway).
 *
 * Pure functions: no allocation, no global state, no I/O.
 */
#ifndef VOIDBOX_PROTOCOL_POLICY_H
#define VOIDBOX_PROTOCOL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VBX_PROTO_POLICY_MAX_BYTES 65536 /* the whole file */
#define VBX_PROTO_POLICY_MAX_LINE 1023   /* bytes of one line, without its '\n' */
#define VBX_PROTO_POLICY_MAX_ENTRIES 64  /* allow lines; writable lines */
#define VBX_PROTO_POLICY_ENTRY_SIZE 256  /* an entry holds at most 255 bytes */
#define VBX_PROTO_POLICY_MAX_RLIMITS 16
#define VBX_PROTO_POLICY_UNLIMITED UINT64_MAX

struct vbx_proto_policy_rlimit {
  int resource;        /* RLIMIT_* */
  uint64_t soft, hard; /* VBX_PROTO_POLICY_UNLIMITED: infinity */
};

/* A parsed policy. Fixed size, no pointers: the agent fills it once, then
 * every thread reads it without locking. */
struct vbx_proto_policy {
  int allow_all; /* "allow = *" */
  size_t n_allow;
  char allow[VBX_PROTO_POLICY_MAX_ENTRIES][VBX_PROTO_POLICY_ENTRY_SIZE];
  int have_uid, have_gid;
  uint32_t uid, gid; /* identity of every command */
  size_t n_rlimits;
  struct vbx_proto_policy_rlimit rlimits[VBX_PROTO_POLICY_MAX_RLIMITS];
  uint32_t max_procs;  /* RLIMIT_NPROC of commands; 0 = unset */
  uint32_t max_execs;  /* concurrent execs; 0 = unset */
  uint64_t max_output; /* bytes per stream per exec; 0 = no cap */
  size_t n_writable;
  /* writable prefixes relative to the root: "/a/b/" is stored "a/b",
     * "/" is stored "" (everything) */
  char writable[VBX_PROTO_POLICY_MAX_ENTRIES][VBX_PROTO_POLICY_ENTRY_SIZE];
  /* in-box 127.0.0.1 port of the LLM gateway tunnel (docs/protocol.md
   * 4.5); 0 = none */
  uint32_t llm_gateway_port;
};

/* vbx_proto_policy_init - the empty policy: nothing allowed, no identity
 * change, no limits (what an empty file gives). */
void vbx_proto_policy_init(struct vbx_proto_policy *p);

/* vbx_proto_policy_set - apply one "key = value" (both trimmed, value
 * non-empty) to p, as a line of the file would. Returns 0, or
 * VBX_PROTO_E_PROTOCOL (unknown key, bad value, too many entries, entry too
 * long) with the reason in why[0..whycap) ("needs a numeric id"); the
 * counts and values of p are then unchanged. */
int vbx_proto_policy_set(struct vbx_proto_policy *p, const char *key, const char *value, char *why,
                         size_t whycap);

/* vbx_proto_policy_parse - parse text[0..len) (any bytes) into p, which
 * the caller initialised with vbx_proto_policy_init. Returns 0;
 * VBX_PROTO_E_TOOBIG for text over VBX_PROTO_POLICY_MAX_BYTES or a line
 * over VBX_PROTO_POLICY_MAX_LINE; VBX_PROTO_E_PROTOCOL for anything else
 * malformed (a NUL byte, no '=', no value, what vbx_proto_policy_set
 * refuses). On error err[0..errcap) names the line and key ("policy line 2:
 * key 'bogus': unknown key") and p is partly filled. Never reads past
 * text + len. */
int vbx_proto_policy_parse(const char *text, size_t len, struct vbx_proto_policy *p, char *err,
                           size_t errcap);

/* vbx_proto_policy_write - the text of p into out[0..cap), NUL-terminated,
 * its length in *len: "# COMMENT" (when comment is not NULL), uid, gid,
 * max_procs, max_execs, rlimits, max_output_bytes, allow, writable,
 * llm_gateway_port lines (unset values are left out). Whatever it writes
 * parses back to p. Returns 0, VBX_PROTO_E_INVAL when p holds what the
 * file cannot say (an entry with '#', a newline, edge spaces, a writable
 * entry with "..", an allow entry "*", a uid of 2^32-1, an unknown or
 * repeated rlimit, soft > hard, counts over the limits, a port above
 * 65535, a comment with a newline) or
 * VBX_PROTO_E_TOOBIG when it does not fit in cap. */
int vbx_proto_policy_write(const struct vbx_proto_policy *p, const char *comment, char *out,
                           size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* VOIDBOX_PROTOCOL_POLICY_H */
