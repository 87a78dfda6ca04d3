/*
 * channel.h - the frames a supervised run's worker sends its parent over a
 * pipe (docs/cli.md, "supervised runs"): stream chunks, events, each
 * finished box's report entry, the final report, load/run errors, and how
 * writing the trace file went.
 *
 * A frame is an 8-byte header (type, a, b, payload length; native byte
 * order: both ends are the same binary) and the payload. The decoder is the
 * parent's reading of bytes written by a process that runs plugin code, so
 * it bounds every length by the frame type before allocating, and refuses
 * unknown types.
 *
 * Threads: the writer serialises frames with a lock (box threads of a
 * fan-out send concurrently); a decoder is used by one thread.
 */
#ifndef VBX_CLI_CHANNEL_H
#define VBX_CLI_CHANNEL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum {
  VBX_CH_LOADED = 1,     /* plugins loaded, spec checked: the run starts */
  VBX_CH_LOAD_ERROR = 2, /* a: exit code; b: -VBX_E_*; payload: message */
  VBX_CH_STREAM = 3,     /* a: vbx_output_kind; b: box name length; payload: name, bytes */
  VBX_CH_EVENT = 4,      /* payload: the event as a JSON object */
  VBX_CH_BOX_DONE = 5,   /* payload: u32 stage, u32 index, the box's report entry (JSON) */
  VBX_CH_REPORT = 6,     /* payload: the whole report (JSON) */
  VBX_CH_RUN_ERROR = 7,  /* a: exit code; b: -VBX_E_*; payload: message (no run) */
  VBX_CH_TRACE = 8,      /* `run --trace`: payload {"spans", "dropped", "error"} (JSON) */
  VBX_CH_TYPE_MAX = 8
};

#define VBX_CH_HEADER 8u
#define VBX_CH_STREAM_CHUNK (64u * 1024u) /* stream bytes per frame */
#define VBX_CH_TEXT_MAX (4u * 1024u)      /* an event's text field */

typedef struct vbx__ch_header {
  uint8_t type;
  uint8_t a;
  uint16_t b;
  uint32_t len;
} vbx__ch_header;

/* Largest payload accepted for a frame type; 0 for an unknown type. */
size_t vbx__ch_max_payload(unsigned type);

/* ---- writer (worker side) ---- */
typedef struct vbx__ch_writer {
  int fd;
  pthread_mutex_t mu;
  int broken; /* a write failed (the parent is gone) */
} vbx__ch_writer;

void vbx__ch_writer_init(vbx__ch_writer *w, int fd);
/* Send one frame (payload split in two parts so callers need not join
 * them; p2 may be NULL). Returns 0, or -1 once a write failed (every later
 * call fails at once). Thread-safe. */
int vbx__ch_send(vbx__ch_writer *w, unsigned type, unsigned a, unsigned b, const void *p1,
                 size_t n1, const void *p2, size_t n2);

/* ---- decoder (parent side) ---- */
typedef struct vbx__ch_decoder {
  uint8_t hdr[VBX_CH_HEADER];
  size_t have_hdr;
  vbx__ch_header h;
  uint8_t *payload; /* allocated to h.len once the header is checked */
  size_t have;
} vbx__ch_decoder;

/* Called for each complete frame; the payload is borrowed for the call.
 * Return 0 to go on, non-zero to stop feeding (returned by feed). */
typedef int (*vbx__ch_frame_fn)(void *user, const vbx__ch_header *h, const uint8_t *payload);

void vbx__ch_decoder_init(vbx__ch_decoder *d);
/* Feed n bytes. Returns 0, the callback's non-zero value, or -1 for a
 * malformed frame (unknown type, length over its bound, out of memory);
 * the decoder is then unusable. */
int vbx__ch_feed(vbx__ch_decoder *d, const uint8_t *data, size_t n, vbx__ch_frame_fn fn,
                 void *user);
void vbx__ch_decoder_free(vbx__ch_decoder *d);

#endif
