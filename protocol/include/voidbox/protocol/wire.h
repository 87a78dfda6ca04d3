/*
 * voidbox/protocol/wire.h - host<->guest wire format v1: frame header,
 * limits, error codes, output buffers and the incremental stream decoder.
 *
 * Pure code: no sockets, no threads, no global state. Only plain libc
 * (memcpy, malloc/realloc/free), so it builds for the static guest agent
 * as well as for the host. docs/protocol.md is the byte-exact specification;
 * this header and that document must agree.
 *
 * Thread rules for the whole library: every object (buffer, decoder, credit
 * or window) belongs to one thread at a time; functions keep no hidden state
 * and are safe to call concurrently on distinct objects.
 */
#ifndef VOIDBOX_PROTOCOL_WIRE_H
#define VOIDBOX_PROTOCOL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. Values equal the SDK's VBX_E_* codes of the same name. */
#define VBX_PROTO_OK 0
#define VBX_PROTO_E_NOMEM (-2)     /* allocation failed (growable buffers) */
#define VBX_PROTO_E_INVAL (-3)     /* caller passed an invalid argument */
#define VBX_PROTO_E_PROTOCOL (-20) /* malformed frame or payload */
#define VBX_PROTO_E_TOOBIG (-21)   /* a length or count exceeds its bound */
#define VBX_PROTO_E_AGAIN (-22)    /* need more bytes / no credit yet */
#define VBX_PROTO_E_VERSION (-23)  /* wrong wire version / no common version */
#define VBX_PROTO_E_AUTH (-24)     /* handshake proof did not verify */

/* Frame header: 16 bytes, little-endian. See docs/protocol.md section 2. */
#define VBX_PROTO_HEADER_SIZE 16u
#define VBX_PROTO_MAGIC0 0x56u    /* 'V' */
#define VBX_PROTO_MAGIC1 0x42u    /* 'B' */
#define VBX_PROTO_WIRE_VERSION 1u /* framing version carried in every header */
/* Hard upper bound on any payload; a decoder may be configured lower. */
#define VBX_PROTO_MAX_PAYLOAD (1024u * 1024u)

/* Message types (header byte 3). Direction: H = host, G = guest. */
enum vbx_proto_type {
  VBX_PROTO_T_CHALLENGE = 0x01,           /* G->H first frame: nonce, versions */
  VBX_PROTO_T_HELLO = 0x02,               /* H->G: versions, features, proof */
  VBX_PROTO_T_HELLO_OK = 0x03,            /* G->H: chosen version, guest proof */
  VBX_PROTO_T_ERROR = 0x04,               /* either: code + message */
  VBX_PROTO_T_OK = 0x05,                  /* G->H: empty success reply */
  VBX_PROTO_T_PING = 0x06,                /* either: cookie */
  VBX_PROTO_T_PONG = 0x07,                /* either: echoed cookie */
  VBX_PROTO_T_SHUTDOWN = 0x08,            /* H->G: power off after grace */
  VBX_PROTO_T_EXEC_START = 0x10,          /* H->G: start a process */
  VBX_PROTO_T_STDIN_DATA = 0x11,          /* H->G: bytes for the exec's stdin */
  VBX_PROTO_T_STDIN_CLOSE = 0x12,         /* H->G: close the exec's stdin */
  VBX_PROTO_T_STDOUT_DATA = 0x13,         /* G->H */
  VBX_PROTO_T_STDERR_DATA = 0x14,         /* G->H */
  VBX_PROTO_T_WINDOW_UPDATE = 0x15,       /* either: grant credit on an id */
  VBX_PROTO_T_EXIT = 0x16,                /* G->H: exec finished (terminal) */
  VBX_PROTO_T_SIGNAL = 0x17,              /* H->G: send a signal to one exec */
  VBX_PROTO_T_FILE_PUT_BEGIN = 0x20,      /* H->G */
  VBX_PROTO_T_FILE_DATA = 0x21,           /* either (direction of the transfer) */
  VBX_PROTO_T_FILE_END = 0x22,            /* either (direction of the transfer) */
  VBX_PROTO_T_FILE_GET = 0x23,            /* H->G */
  VBX_PROTO_T_MKDIR = 0x24,               /* H->G */
  VBX_PROTO_T_STAT = 0x25,                /* H->G */
  VBX_PROTO_T_STAT_RESULT = 0x26,         /* G->H */
  VBX_PROTO_T_TELEMETRY_SUBSCRIBE = 0x30, /* H->G */
  VBX_PROTO_T_TELEMETRY_SAMPLE = 0x31,    /* G->H */
  VBX_PROTO_T_TUNNEL_OPEN = 0x40,         /* G->H: a guest connection to tunnel (FEAT_TUNNEL) */
  VBX_PROTO_T_TUNNEL_OPENED = 0x41,       /* H->G: the host end is connected */
  VBX_PROTO_T_TUNNEL_DATA = 0x42,         /* either: bytes of a tunnel */
  VBX_PROTO_T_TUNNEL_EOF = 0x43,          /* either: the sender's side is half-closed */
  VBX_PROTO_T_TUNNEL_CLOSE = 0x44         /* either: the sender is done with the tunnel */
};

/* A decoded frame header. */
struct vbx_proto_header {
  uint8_t version; /* always VBX_PROTO_WIRE_VERSION once parsed */
  uint8_t type;    /* enum vbx_proto_type */
  uint16_t flags;  /* no flags are defined in v1: must be 0 */
  uint32_t id;     /* request/stream id; 0 = the connection itself */
  uint32_t length; /* payload length in bytes */
};

/* A whole frame: header plus a borrowed view of its payload. */
struct vbx_proto_frame {
  struct vbx_proto_header hdr;
  const uint8_t *payload; /* hdr.length bytes; NULL only when length is 0 */
};

/* vbx_proto_type_name - the fixed name of a message type ("EXEC_START"), or
 * NULL for a value that is not a v1 type (the TUNNEL_* types of the TUNNEL
 * feature are v1 types). Static string; thread-safe. */
const char *vbx_proto_type_name(unsigned type);

/* vbx_proto_header_pack - write hdr as the 16 wire bytes into out. The
 * version and magic are always the v1 values; hdr->version is ignored.
 * Never fails; does not validate (encoders validate). */
void vbx_proto_header_pack(const struct vbx_proto_header *hdr, uint8_t out[VBX_PROTO_HEADER_SIZE]);

/* vbx_proto_header_parse - parse and validate 16 header bytes, checking in
 * this order: magic (E_PROTOCOL), wire version (E_VERSION), known type,
 * zero flags and reserved bytes (E_PROTOCOL), length <= max_payload
 * (E_TOOBIG). max_payload 0 or above VBX_PROTO_MAX_PAYLOAD means
 * VBX_PROTO_MAX_PAYLOAD.
 * On error *out is left unspecified. Pure function. */
int vbx_proto_header_parse(const uint8_t in[VBX_PROTO_HEADER_SIZE], uint32_t max_payload,
                           struct vbx_proto_header *out);

/* vbx_proto_frame_parse - parse one whole frame from the start of a
 * contiguous buffer. Returns 0 and sets *out (payload points into buf) and
 * *frame_len (header + payload); VBX_PROTO_E_AGAIN if buf holds less than a
 * whole frame (a bad header is reported as soon as 16 bytes are present);
 * or the header errors above. Never reads past buf + len. */
int vbx_proto_frame_parse(const uint8_t *buf, size_t len, uint32_t max_payload,
                          struct vbx_proto_frame *out, size_t *frame_len);

/* ------------------------------------------------------------------------
 * Output buffers. Encoders append whole frames to a vbx_proto_buf. Either
 * fixed (caller memory; running out gives E_TOOBIG) or growable (malloc'ed
 * by the buffer, never beyond `limit` bytes; running out of memory gives
 * E_NOMEM, exceeding limit gives E_TOOBIG). An encoder that fails leaves the
 * buffer exactly as it was (no partial frame).
 * ---------------------------------------------------------------------- */
struct vbx_proto_buf {
  uint8_t *data; /* bytes written so far start here */
  size_t len;    /* bytes written */
  size_t cap;    /* bytes available at data */
  size_t limit;  /* growable: maximum cap; fixed: == cap */
  int owned;     /* 1 if data is malloc'ed by the buffer */
  int err;       /* sticky error of the frame being built (internal) */
};

/* vbx_proto_buf_init_fixed - wrap caller memory `mem` of `cap` bytes. The
 * caller keeps ownership of mem and must keep it alive while the buffer is
 * used. Never allocates. */
void vbx_proto_buf_init_fixed(struct vbx_proto_buf *b, void *mem, size_t cap);

/* vbx_proto_buf_init_growable - an empty buffer that allocates on demand,
 * never holding more than `limit` bytes (0 means VBX_PROTO_HEADER_SIZE +
 * VBX_PROTO_MAX_PAYLOAD, room for one largest frame). Release with
 * vbx_proto_buf_fini. */
void vbx_proto_buf_init_growable(struct vbx_proto_buf *b, size_t limit);

/* vbx_proto_buf_reset - forget the contents (len = 0), keep the memory. */
void vbx_proto_buf_reset(struct vbx_proto_buf *b);

/* vbx_proto_buf_consume - drop the first n bytes (e.g. after a partial
 * write to a socket), moving the rest to the front. n > len is clamped. */
void vbx_proto_buf_consume(struct vbx_proto_buf *b, size_t n);

/* vbx_proto_buf_fini - free owned memory; the buffer becomes empty and may
 * be initialised again. Safe on a fixed buffer (frees nothing). */
void vbx_proto_buf_fini(struct vbx_proto_buf *b);

/* vbx_proto_encode_frame - append a frame of `type` and `id` whose payload
 * is the len bytes at payload (copied). For types with a typed encoder
 * prefer that: this function does not validate the payload, only that the
 * type is a v1 type (E_INVAL) and len <= VBX_PROTO_MAX_PAYLOAD (E_TOOBIG). */
int vbx_proto_encode_frame(struct vbx_proto_buf *b, unsigned type, uint32_t id, const void *payload,
                           size_t len);

/* ------------------------------------------------------------------------
 * Incremental stream decoder: feed it bytes as they arrive from the
 * transport, get whole frames out. It validates each header before storing
 * any payload byte and never holds more than one frame of max_payload bytes.
 * Any error is sticky: the connection is broken and must be closed (only
 * that connection: the decoder touches nothing else).
 * ---------------------------------------------------------------------- */
struct vbx_proto_decoder {
  uint32_t max_payload; /* configured limit, <= VBX_PROTO_MAX_PAYLOAD */
  uint8_t hdr[VBX_PROTO_HEADER_SIZE];
  size_t hdr_have;             /* header bytes collected */
  struct vbx_proto_header cur; /* valid once hdr_have == 16 */
  uint8_t *store;              /* payload storage */
  size_t store_cap;
  size_t have; /* payload bytes collected */
  int owned;   /* store is malloc'ed by the decoder */
  int error;   /* sticky error, 0 if healthy */
};

/* vbx_proto_decoder_init - prepare a decoder accepting payloads up to
 * max_payload bytes (0 or anything above VBX_PROTO_MAX_PAYLOAD means
 * VBX_PROTO_MAX_PAYLOAD). If storage is non-NULL the decoder uses those
 * storage_cap caller-owned bytes and never allocates; max_payload is then
 * lowered to storage_cap. If storage is NULL the decoder allocates payload
 * storage itself, only after a header has been validated and only as much
 * as that frame needs. Release with vbx_proto_decoder_fini. */
void vbx_proto_decoder_init(struct vbx_proto_decoder *d, uint32_t max_payload, void *storage,
                            size_t storage_cap);

/* vbx_proto_decoder_feed - consume bytes from data[0..len) until one whole
 * frame is complete or the input is exhausted. *consumed receives the bytes
 * used (always set). Returns:
 *   0                  a frame is in *out; call again with the remaining
 *                      input (data + *consumed) for further frames;
 *   VBX_PROTO_E_AGAIN  all input consumed, no whole frame yet;
 *   other negative     header error (E_PROTOCOL, E_VERSION, E_TOOBIG) or
 *                      E_NOMEM; sticky - close the connection.
 * out->payload points either into `data` (whole frame present in one call:
 * zero copy) or into decoder storage. It stays valid until the next call to
 * feed/fini on this decoder, and (in the first case) while the caller keeps
 * data unchanged. */
int vbx_proto_decoder_feed(struct vbx_proto_decoder *d, const uint8_t *data, size_t len,
                           size_t *consumed, struct vbx_proto_frame *out);

/* vbx_proto_decoder_pending - bytes of a partial frame currently held
 * (header + payload). 0 means the decoder sits on a frame boundary, which a
 * caller can check at EOF to tell a clean close from a truncated frame. */
size_t vbx_proto_decoder_pending(const struct vbx_proto_decoder *d);

/* vbx_proto_decoder_fini - free decoder-owned storage. The caller's storage
 * is never freed. Frames previously returned become invalid. */
void vbx_proto_decoder_fini(struct vbx_proto_decoder *d);

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_PROTOCOL_WIRE_H */
