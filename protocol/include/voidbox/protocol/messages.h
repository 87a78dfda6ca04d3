/*
 * voidbox/protocol/messages.h - typed payloads of every v1 message, with
 * encoders (append a whole frame to a vbx_proto_buf) and decoders (parse a
 * frame's payload).
 *
 * Decoded strings are VIEWS: pointer + length into the frame payload, not
 * NUL-terminated, valid exactly as long as that payload. Decoders check every
 * length against the remaining payload and against the per-field limits
 * below, refuse NUL bytes in every string, refuse non-zero reserved fields
 * and unknown flag bits, and require the payload to be consumed exactly.
 * Errors: VBX_PROTO_E_PROTOCOL (malformed), VBX_PROTO_E_TOOBIG (a count or
 * length above its limit); on error the output struct is unspecified.
 * Decoders never allocate and never read outside payload[0..len). Typed
 * decoders see only the payload; vbx_proto_decode_msg also checks the id.
 *
 * Encoders apply the same validation to their input (E_INVAL for values a
 * decoder would refuse, E_TOOBIG for limits) so a peer never receives a frame
 * it must reject; on any error the buffer is left unchanged. Inputs are
 * borrowed for the call. All functions are pure and thread-compatible.
 */
#ifndef VOIDBOX_PROTOCOL_MESSAGES_H
#define VOIDBOX_PROTOCOL_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/protocol/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-field limits (docs/protocol.md section 4). */
#define VBX_PROTO_MAX_ARGC 1024u       /* argv entries (>= 1 required) */
#define VBX_PROTO_MAX_ENVC 1024u       /* environment entries */
#define VBX_PROTO_MAX_ARG_LEN 131072u  /* one argv or env string */
#define VBX_PROTO_MAX_PATH_LEN 4095u   /* a path (PATH_MAX - 1) */
#define VBX_PROTO_MAX_ERRMSG_LEN 4096u /* ERROR message text */
#define VBX_PROTO_MAX_RLIMITS 16u      /* rlimit entries per exec */
#define VBX_PROTO_MAX_RLIMIT_RES 63u   /* highest resource number */
#define VBX_PROTO_DATA_PREFIX 8u       /* offset field before data bytes */
#define VBX_PROTO_MAX_DATA (VBX_PROTO_MAX_PAYLOAD - VBX_PROTO_DATA_PREFIX)
#define VBX_PROTO_NONCE_SIZE 32u
#define VBX_PROTO_PROOF_SIZE 32u
#define VBX_PROTO_DIGEST_SIZE 32u
#define VBX_PROTO_MAX_SIGNAL 64u
#define VBX_PROTO_MIN_TELEMETRY_MS 100u
#define VBX_PROTO_MAX_TELEMETRY_MS 3600000u

/* A borrowed byte string (no NUL terminator). */
struct vbx_proto_str {
  const char *ptr; /* may be NULL when len == 0 */
  uint32_t len;
};

/* vbx_proto_str_c - a view of the C string s (NULL gives the empty view).
 * Strings longer than UINT32_MAX are clamped (encoders then refuse them). */
struct vbx_proto_str vbx_proto_str_c(const char *s);

/* vbx_proto_str_copy - copy view s into dst[0..cap) and NUL-terminate it.
 * Returns 0, or E_TOOBIG if s.len + 1 > cap (dst then holds ""), or E_INVAL
 * if dst is NULL or cap is 0. */
int vbx_proto_str_copy(struct vbx_proto_str s, char *dst, size_t cap);

/* A validated, encoded list of strings inside a payload (argv, env). The
 * decoder checked every entry; iterating cannot fail. The get/copy helpers
 * below trust the list: pass only lists filled by a decoder. */
struct vbx_proto_strlist {
  uint32_t count;
  const uint8_t *enc; /* first entry: u32 len + bytes, repeated */
  size_t enc_len;
};

/* vbx_proto_strlist_get - the index-th entry (0-based, walks the list: O(n)).
 * Returns 0, or E_INVAL if index >= count. */
int vbx_proto_strlist_get(const struct vbx_proto_strlist *l, uint32_t index,
                          struct vbx_proto_str *out);

/* vbx_proto_strlist_copy - build a NULL-terminated char *vec[] (execve
 * style) of NUL-terminated copies laid out in the caller's arena. vec needs
 * count + 1 slots (vec_cap), arena needs the sum of (len + 1). Returns 0, or
 * E_TOOBIG if either is too small (contents then unspecified). No
 * allocation; vec entries point into arena. */
int vbx_proto_strlist_copy(const struct vbx_proto_strlist *l, char **vec, size_t vec_cap,
                           char *arena, size_t arena_cap);

/* ---- handshake and control (docs/protocol.md 4.1) ---------------------- */

/* Feature bits offered in CHALLENGE/HELLO; the chosen set is the
 * intersection. Unknown bits are ignored by the negotiation, not refused. */
#define VBX_PROTO_FEAT_STDIN (1u << 0)
#define VBX_PROTO_FEAT_FILES (1u << 1)
#define VBX_PROTO_FEAT_TELEMETRY (1u << 2)
#define VBX_PROTO_FEAT_SIGNAL (1u << 3)
#define VBX_PROTO_FEAT_ALL_V1 0x0fu /* the four bits of the first v1 release */
/* TUNNEL_* messages (docs/protocol.md 4.5): the guest may open tunnels to
 * the host on ids it allocates itself (VBX_PROTO_GUEST_ID_BIT set). */
#define VBX_PROTO_FEAT_TUNNEL (1u << 4)
/* TELEMETRY_SAMPLE in its extended form (docs/protocol.md 4.4): network
 * bytes and open file descriptors appended. Sent only on a connection that
 * negotiated it; a receiver without it refuses the longer payload. */
#define VBX_PROTO_FEAT_TELEMETRY_EXT (1u << 5)

struct vbx_proto_challenge { /* G->H, id 0 */
  uint16_t min_version, max_version;
  uint32_t features;
  uint8_t nonce[VBX_PROTO_NONCE_SIZE];
};
struct vbx_proto_hello { /* H->G, id 0 */
  uint16_t min_version, max_version;
  uint32_t features;
  uint8_t proof[VBX_PROTO_PROOF_SIZE]; /* HMAC(secret, gnonce||"voidbox-v1") */
  uint8_t host_nonce[VBX_PROTO_NONCE_SIZE];
};
struct vbx_proto_hello_ok { /* G->H, id 0 */
  uint16_t version;
  uint32_t features;
  uint8_t proof[VBX_PROTO_PROOF_SIZE]; /* HMAC(secret, hnonce||"voidbox-v1-ok") */
};
struct vbx_proto_error {        /* either; id = failed request or 0 */
  int32_t code;                 /* negative VBX_E_* code */
  struct vbx_proto_str message; /* may be empty */
};

int vbx_proto_encode_challenge(struct vbx_proto_buf *b, const struct vbx_proto_challenge *m);
int vbx_proto_decode_challenge(const uint8_t *p, size_t len, struct vbx_proto_challenge *m);
int vbx_proto_encode_hello(struct vbx_proto_buf *b, const struct vbx_proto_hello *m);
int vbx_proto_decode_hello(const uint8_t *p, size_t len, struct vbx_proto_hello *m);
int vbx_proto_encode_hello_ok(struct vbx_proto_buf *b, const struct vbx_proto_hello_ok *m);
int vbx_proto_decode_hello_ok(const uint8_t *p, size_t len, struct vbx_proto_hello_ok *m);
int vbx_proto_encode_error(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_error *m);
int vbx_proto_decode_error(const uint8_t *p, size_t len, struct vbx_proto_error *m);
/* OK, STDIN_CLOSE and TUNNEL_OPENED have empty payloads. The decoder
 * checks len == 0. */
int vbx_proto_encode_empty(struct vbx_proto_buf *b, unsigned type, uint32_t id);
int vbx_proto_decode_empty(const uint8_t *p, size_t len);
/* PING / PONG: one u64 cookie; PONG echoes the PING's cookie and id. */
int vbx_proto_encode_ping(struct vbx_proto_buf *b, unsigned type, uint32_t id, uint64_t cookie);
int vbx_proto_decode_ping(const uint8_t *p, size_t len, uint64_t *cookie);
/* SHUTDOWN: u32 grace period in milliseconds before power-off. */
int vbx_proto_encode_shutdown(struct vbx_proto_buf *b, uint32_t grace_ms);
int vbx_proto_decode_shutdown(const uint8_t *p, size_t len, uint32_t *grace_ms);

/* ---- exec (docs/protocol.md 4.2) ---------------------------------------- */

#define VBX_PROTO_EXEC_F_STDERR_TO_STDOUT (1u << 0) /* one stream, as 2>&1 */
#define VBX_PROTO_EXEC_F_NEW_SESSION (1u << 1)      /* setsid(); signals hit the group */
#define VBX_PROTO_EXEC_F_ALL 0x3u

enum vbx_proto_stdin_mode { VBX_PROTO_STDIN_NONE = 0, VBX_PROTO_STDIN_PIPE = 1 };

/* RLIM_INFINITY on the wire. */
#define VBX_PROTO_RLIM_INFINITY UINT64_MAX

struct vbx_proto_rlimit {
  uint32_t resource;   /* Linux RLIMIT_* number, <= VBX_PROTO_MAX_RLIMIT_RES */
  uint64_t soft, hard; /* soft <= hard */
};

/* Fields of EXEC_START other than the string lists. */
struct vbx_proto_exec_params {
  uint32_t flags; /* VBX_PROTO_EXEC_F_* */
  uint32_t uid, gid;
  uint32_t timeout_ms;                                    /* 0 = no timeout */
  uint8_t stdin_mode;                                     /* enum vbx_proto_stdin_mode */
  uint32_t nrlimits;                                      /* entries used in rlimits */
  struct vbx_proto_rlimit rlimits[VBX_PROTO_MAX_RLIMITS]; /* distinct resources */
};

/* EXEC_START as given to the encoder: C strings. */
struct vbx_proto_exec_start {
  struct vbx_proto_exec_params p;
  uint32_t argc; /* >= 1; argv[0] non-empty */
  const char *const *argv;
  uint32_t envc; /* each "NAME=value", NAME non-empty */
  const char *const *envp;
  const char *cwd; /* NULL or "" = the guest's default */
};
/* EXEC_START as returned by the decoder: views into the payload. */
struct vbx_proto_exec_start_view {
  struct vbx_proto_exec_params p;
  struct vbx_proto_strlist argv;
  struct vbx_proto_strlist env;
  struct vbx_proto_str cwd; /* len 0 = default */
};
int vbx_proto_encode_exec_start(struct vbx_proto_buf *b, uint32_t id,
                                const struct vbx_proto_exec_start *m);
int vbx_proto_decode_exec_start(const uint8_t *p, size_t len, struct vbx_proto_exec_start_view *m);
/* vbx_proto_encode_exec_start_view - encode a decoded (or relayed) view;
 * the lists are re-validated, so a hand-built view cannot emit a frame the
 * decoder would refuse (E_INVAL). Used to relay and by the fuzz target. */
int vbx_proto_encode_exec_start_view(struct vbx_proto_buf *b, uint32_t id,
                                     const struct vbx_proto_exec_start_view *m);

/* STDIN_DATA, STDOUT_DATA, STDERR_DATA, FILE_DATA and TUNNEL_DATA: u64
 * offset of the first byte in its stream, then 1..VBX_PROTO_MAX_DATA data
 * bytes. The id follows the type's rule (a guest id for TUNNEL_DATA). */
struct vbx_proto_data {
  uint64_t offset;
  const uint8_t *data;
  uint32_t len;
};
int vbx_proto_encode_data(struct vbx_proto_buf *b, unsigned type, uint32_t id,
                          const struct vbx_proto_data *m);
int vbx_proto_decode_data(const uint8_t *p, size_t len, struct vbx_proto_data *m);
/* vbx_proto_data_header - write the header + offset prefix (24 bytes) of a
 * data frame carrying len bytes, so a sender can writev() the data itself
 * without copying. Same checks as vbx_proto_encode_data. */
#define VBX_PROTO_DATA_HEADER_SIZE (VBX_PROTO_HEADER_SIZE + VBX_PROTO_DATA_PREFIX)
int vbx_proto_data_header(uint8_t out[VBX_PROTO_DATA_HEADER_SIZE], unsigned type, uint32_t id,
                          uint64_t offset, uint32_t len);

/* WINDOW_UPDATE: u32 increment >= 1 (see flow.h). */
int vbx_proto_encode_window_update(struct vbx_proto_buf *b, uint32_t id, uint32_t increment);
int vbx_proto_decode_window_update(const uint8_t *p, size_t len, uint32_t *increment);

enum vbx_proto_exit_reason {
  VBX_PROTO_EXIT_EXITED = 0,   /* code = exit status 0..255 */
  VBX_PROTO_EXIT_SIGNALED = 1, /* code = signal 1..64 */
  VBX_PROTO_EXIT_TIMEOUT = 2   /* killed at timeout_ms; code = signal 1..64 */
};
struct vbx_proto_exit {
  uint8_t reason; /* enum vbx_proto_exit_reason */
  int32_t code;
  uint64_t duration_ns;
  uint64_t user_usec, sys_usec;
  uint64_t max_rss_kib;
};
int vbx_proto_encode_exit(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_exit *m);
int vbx_proto_decode_exit(const uint8_t *p, size_t len, struct vbx_proto_exit *m);

/* SIGNAL: u32 signal number 1..64, delivered to the exec `id` only. */
int vbx_proto_encode_signal(struct vbx_proto_buf *b, uint32_t id, uint32_t signo);
int vbx_proto_decode_signal(const uint8_t *p, size_t len, uint32_t *signo);

/* ---- files (docs/protocol.md 4.3) ---------------------------------------- */

struct vbx_proto_file_put_begin {
  uint32_t mode;             /* permission bits, <= 07777 */
  uint64_t size;             /* total bytes that will follow */
  struct vbx_proto_str path; /* 1..VBX_PROTO_MAX_PATH_LEN bytes, no NUL */
};
#define VBX_PROTO_FILE_END_F_ABORT (1u << 0) /* sender gives up; discard */
struct vbx_proto_file_end {
  uint32_t flags;                        /* VBX_PROTO_FILE_END_F_* */
  uint64_t size;                         /* bytes sent in FILE_DATA */
  uint8_t sha256[VBX_PROTO_DIGEST_SIZE]; /* of those bytes (zero if ABORT) */
};
struct vbx_proto_file_get {
  uint64_t max_size; /* refuse (ERROR TOOBIG) files larger than this */
  struct vbx_proto_str path;
};
#define VBX_PROTO_MKDIR_F_PARENTS (1u << 0)
struct vbx_proto_mkdir {
  uint32_t mode;  /* <= 07777 */
  uint32_t flags; /* VBX_PROTO_MKDIR_F_* */
  struct vbx_proto_str path;
};
#define VBX_PROTO_STAT_F_NOFOLLOW (1u << 0)
struct vbx_proto_stat {
  uint32_t flags; /* VBX_PROTO_STAT_F_* */
  struct vbx_proto_str path;
};
enum vbx_proto_file_type {
  VBX_PROTO_FT_REGULAR = 1,
  VBX_PROTO_FT_DIR = 2,
  VBX_PROTO_FT_SYMLINK = 3,
  VBX_PROTO_FT_OTHER = 4
};
struct vbx_proto_stat_result {
  uint8_t type;  /* enum vbx_proto_file_type */
  uint32_t mode; /* permission bits <= 07777 */
  uint64_t size;
  int64_t mtime_ns; /* since the epoch */
};
int vbx_proto_encode_file_put_begin(struct vbx_proto_buf *b, uint32_t id,
                                    const struct vbx_proto_file_put_begin *m);
int vbx_proto_decode_file_put_begin(const uint8_t *p, size_t len,
                                    struct vbx_proto_file_put_begin *m);
int vbx_proto_encode_file_end(struct vbx_proto_buf *b, uint32_t id,
                              const struct vbx_proto_file_end *m);
int vbx_proto_decode_file_end(const uint8_t *p, size_t len, struct vbx_proto_file_end *m);
int vbx_proto_encode_file_get(struct vbx_proto_buf *b, uint32_t id,
                              const struct vbx_proto_file_get *m);
int vbx_proto_decode_file_get(const uint8_t *p, size_t len, struct vbx_proto_file_get *m);
int vbx_proto_encode_mkdir(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_mkdir *m);
int vbx_proto_decode_mkdir(const uint8_t *p, size_t len, struct vbx_proto_mkdir *m);
int vbx_proto_encode_stat(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_stat *m);
int vbx_proto_decode_stat(const uint8_t *p, size_t len, struct vbx_proto_stat *m);
int vbx_proto_encode_stat_result(struct vbx_proto_buf *b, uint32_t id,
                                 const struct vbx_proto_stat_result *m);
int vbx_proto_decode_stat_result(const uint8_t *p, size_t len, struct vbx_proto_stat_result *m);

/* ---- telemetry (docs/protocol.md 4.4) ------------------------------------ */

/* TELEMETRY_SUBSCRIBE: u32 interval_ms, 0 = stop, else 100..3600000. */
int vbx_proto_encode_telemetry_subscribe(struct vbx_proto_buf *b, uint32_t id,
                                         uint32_t interval_ms);
int vbx_proto_decode_telemetry_subscribe(const uint8_t *p, size_t len, uint32_t *interval_ms);
/* Payload sizes of TELEMETRY_SAMPLE: the first v1 form, and the extended
 * one sent only with VBX_PROTO_FEAT_TELEMETRY_EXT. */
#define VBX_PROTO_TELEMETRY_SAMPLE_SIZE 40u
#define VBX_PROTO_TELEMETRY_SAMPLE_EXT_SIZE 64u
struct vbx_proto_telemetry_sample {
  uint64_t uptime_ns;
  uint64_t cpu_usec;                    /* total CPU time used by the guest */
  uint64_t mem_used_kib, mem_total_kib; /* used <= total */
  uint32_t procs;
  /* The form: 0 the 40-byte one (the fields below are 0: the encoder
   * refuses them otherwise), 1 the 64-byte one (FEAT_TELEMETRY_EXT). The
   * decoder sets it from the payload's size. */
  uint8_t ext;
  uint64_t net_rx_bytes, net_tx_bytes; /* interfaces but loopback, since boot */
  uint32_t open_fds;                   /* open descriptors of the counted processes */
};
/* vbx_proto_encode_telemetry_sample - the form m->ext selects; E_INVAL
 * when mem_used_kib > mem_total_kib, or in the 40-byte form when an
 * extended field is not 0. */
int vbx_proto_encode_telemetry_sample(struct vbx_proto_buf *b, uint32_t id,
                                      const struct vbx_proto_telemetry_sample *m);
/* vbx_proto_decode_telemetry_sample - either form (40 bytes: m->ext 0 and
 * the extended fields 0; 64 bytes: m->ext 1); any other size, a reserved
 * field not 0 or mem_used_kib > mem_total_kib is E_PROTOCOL. Whether the
 * extended form was negotiated is the endpoint's check. */
int vbx_proto_decode_telemetry_sample(const uint8_t *p, size_t len,
                                      struct vbx_proto_telemetry_sample *m);

/* ---- tunnels (docs/protocol.md 4.5; needs VBX_PROTO_FEAT_TUNNEL) -------- */

/* Ids with this bit set are allocated by the guest, and only for
 * TUNNEL_OPEN; every TUNNEL_* frame carries such an id. The host allocates
 * its request ids below it (1..0x7fffffff). */
#define VBX_PROTO_GUEST_ID_BIT 0x80000000u
/* The only service a tunnel reaches so far: the box's LLM gateway. The
 * guest names a service, never a host address or port. */
#define VBX_PROTO_TUNNEL_LLM_GATEWAY 1u
/* TUNNEL_CLOSE flags. */
#define VBX_PROTO_TUNNEL_CLOSE_F_RESET (1u << 0) /* abortive: the receiver resets its socket */

/* TUNNEL_OPEN: u32 service (VBX_PROTO_TUNNEL_LLM_GATEWAY), u32 reserved. */
int vbx_proto_encode_tunnel_open(struct vbx_proto_buf *b, uint32_t id, uint32_t service);
int vbx_proto_decode_tunnel_open(const uint8_t *p, size_t len, uint32_t *service);
/* TUNNEL_OPENED has an empty payload (vbx_proto_encode_empty /
 * vbx_proto_decode_empty); TUNNEL_DATA is a data frame
 * (vbx_proto_encode_data with type VBX_PROTO_T_TUNNEL_DATA). */
/* TUNNEL_EOF: u64 size, the bytes the sender sent on the tunnel in all. */
int vbx_proto_encode_tunnel_eof(struct vbx_proto_buf *b, uint32_t id, uint64_t size);
int vbx_proto_decode_tunnel_eof(const uint8_t *p, size_t len, uint64_t *size);
/* TUNNEL_CLOSE: u32 flags (VBX_PROTO_TUNNEL_CLOSE_F_*), u32 reserved. */
int vbx_proto_encode_tunnel_close(struct vbx_proto_buf *b, uint32_t id, uint32_t flags);
int vbx_proto_decode_tunnel_close(const uint8_t *p, size_t len, uint32_t *flags);

/* ---- generic dispatch ---------------------------------------------------- */

/* Any decoded message; which member is valid follows type. */
struct vbx_proto_msg {
  uint8_t type;
  uint32_t id;
  union {
    struct vbx_proto_challenge challenge;
    struct vbx_proto_hello hello;
    struct vbx_proto_hello_ok hello_ok;
    struct vbx_proto_error error;
    uint64_t cookie;   /* PING, PONG */
    uint32_t grace_ms; /* SHUTDOWN */
    struct vbx_proto_exec_start_view exec;
    struct vbx_proto_data data; /* STDIN/STDOUT/STDERR/FILE_DATA */
    uint32_t increment;         /* WINDOW_UPDATE */
    struct vbx_proto_exit exit;
    uint32_t signo; /* SIGNAL */
    struct vbx_proto_file_put_begin put;
    struct vbx_proto_file_end end;
    struct vbx_proto_file_get get;
    struct vbx_proto_mkdir mkdir;
    struct vbx_proto_stat stat;
    struct vbx_proto_stat_result stat_result;
    uint32_t interval_ms; /* TELEMETRY_SUBSCRIBE */
    struct vbx_proto_telemetry_sample sample;
    uint32_t service;     /* TUNNEL_OPEN */
    uint64_t size;        /* TUNNEL_EOF */
    uint32_t close_flags; /* TUNNEL_CLOSE */
  } u;                    /* OK, STDIN_CLOSE, TUNNEL_OPENED: nothing; TUNNEL_DATA: data */
};

/* vbx_proto_decode_msg - decode f's payload with the decoder for
 * f->hdr.type, and check the id rule of that type (connection-level types
 * CHALLENGE, HELLO, HELLO_OK, SHUTDOWN need id 0; request types need id != 0;
 * TUNNEL_* types need VBX_PROTO_GUEST_ID_BIT set).
 * Views in *m borrow f->payload. Returns 0 or a decoder error. */
int vbx_proto_decode_msg(const struct vbx_proto_frame *f, struct vbx_proto_msg *m);

/* vbx_proto_encode_msg - append the frame for message m (type, id, and the
 * member selected by type), with the same validation as the typed encoder.
 * Decoding a frame with vbx_proto_decode_msg and encoding the result gives
 * back the identical bytes (the encoding is canonical). */
int vbx_proto_encode_msg(struct vbx_proto_buf *b, const struct vbx_proto_msg *m);

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_PROTOCOL_MESSAGES_H */
