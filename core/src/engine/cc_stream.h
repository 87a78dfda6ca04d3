/*
 * engine/cc_stream.h - reading claude-code's `--output-format stream-json
 * --verbose` output (one JSON object per line) into what a box result
 * records: turns, tool calls with their results, tokens, cost, the final
 * answer and whether the run failed.
 *
 * The stream is untrusted bytes from inside the sandbox: a line is at most
 * VBX__CC_LINE_MAX bytes (longer: the stream is refused), at most
 * VBX__CC_MAX_CALLS tool calls are tracked, every string is bounded, and a
 * line that is not a JSON object is counted and kept (its head) for the
 * error message, never fatal by itself.
 *
 * The shapes read (claude-code's stream-json):
 *   {"type":"system","subtype":"init","model":M,"session_id":S,...}
 *   {"type":"assistant","message":{"model":M,"content":[blocks],
 *      "usage":{"input_tokens","output_tokens",
 *               "cache_read_input_tokens","cache_creation_input_tokens"}}}
 *      blocks: {"type":"text","text"} | {"type":"tool_use","id","name","input"}
 *   {"type":"user","message":{"content":[{"type":"tool_result",
 *      "tool_use_id","content": string | [blocks],"is_error"}]}}
 *   {"type":"result","subtype":"success"|"error_...","is_error":bool,
 *      "num_turns","result","total_cost_usd","usage":{...}}
 * Failure is `is_error: true` on the result, whatever the subtype says (a
 * "success" subtype with is_error true is a failure: an API error after
 * retries reports so).
 *
 * Threads: a vbx__cc_stream belongs to one thread.
 */
#ifndef VBX_ENGINE_CC_STREAM_H
#define VBX_ENGINE_CC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define VBX__CC_LINE_MAX (4u * 1024u * 1024u)
#define VBX__CC_MAX_CALLS 4096u
#define VBX__CC_TEXT_MAX (256u * 1024u) /* final answer, kept text */
#define VBX__CC_BAD_HEAD 200u           /* bytes kept of a line that is not JSON */

/* What the stream reported, so far. Strings malloc'd, owned by the stream. */
typedef struct vbx__cc_summary {
  uint32_t turns; /* the result's num_turns, else assistant messages seen */
  uint64_t input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
  double cost_usd;
  char *model;                         /* last model named */
  char *session_id;                    /* from init or result */
  int have_result;                     /* a "result" line arrived */
  int is_error;                        /* the result's is_error */
  char *subtype;                       /* the result's subtype */
  char *result;                        /* the result's text (bounded) */
  char *last_text;                     /* the last assistant text, when no result text */
  uint32_t bad_lines;                  /* lines that were not JSON objects */
  char bad_head[VBX__CC_BAD_HEAD + 1]; /* the first such line's head */
} vbx__cc_summary;

/* Callbacks, each optional. Strings are borrowed for the call. */
typedef struct vbx__cc_events {
  void *user;
  /* A tool_use block: the model asked for a tool. input: compact JSON. */
  void (*tool_use)(void *user, const char *id, const char *name, const char *input);
  /* Its tool_result, matched by id (name and input repeated). output is
   * the result's text, bounded. */
  void (*tool_result)(void *user, const char *id, const char *name, const char *input,
                      const char *output, int is_error);
  /* Assistant text as it arrives. */
  void (*text)(void *user, const char *text, size_t len);
  /* One assistant message (an LLM turn) with its usage. */
  void (*turn)(void *user, uint64_t input_tokens, uint64_t output_tokens);
} vbx__cc_events;

typedef struct vbx__cc_pending vbx__cc_pending; /* tool_use not yet answered */

typedef struct vbx__cc_stream {
  vbx__cc_summary sum;
  vbx__cc_events ev;
  char *line; /* the partial line (malloc'd, bounded by VBX__CC_LINE_MAX) */
  size_t len, cap;
  vbx__cc_pending *pending; /* array */
  size_t n_pending, n_calls;
  int failed; /* a line over the bound or out of memory: stays failed */
} vbx__cc_stream;

/* vbx__cc_stream_init - an empty stream with callbacks ev (may be NULL). */
void vbx__cc_stream_init(vbx__cc_stream *s, const vbx__cc_events *ev);
/* vbx__cc_stream_feed - n more bytes of the stream; complete lines are
 * parsed and reported. Returns 0, VBX_E_TOOBIG (a line over the bound) or
 * VBX_E_NOMEM; after an error the stream ignores further input. */
int vbx__cc_stream_feed(vbx__cc_stream *s, const char *data, size_t n);
/* vbx__cc_stream_finish - parse a last line without a newline. Same
 * returns. */
int vbx__cc_stream_finish(vbx__cc_stream *s);
/* vbx__cc_stream_clear - free everything; *s is zeroed. */
void vbx__cc_stream_clear(vbx__cc_stream *s);

#endif
