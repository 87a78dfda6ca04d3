/*
 * engine/box_result.h - the result of one box run (struct vbx_box_result
 * behind voidbox.h): status, final answer, error, usage, tool calls.
 *
 * Ownership: every string is malloc'd and owned by the result; a result is
 * cleared with vbx__box_result_clear. Threads: written only by the thread
 * running the box, read by others after that thread was joined.
 */
#ifndef VBX_ENGINE_BOX_RESULT_H
#define VBX_ENGINE_BOX_RESULT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "voidbox/voidbox.h"
#include "tool_api.h"

/* One executed tool call. */
typedef struct vbx__tool_call {
  char *name;
  char *input;  /* the tool_use input as compact JSON text */
  char *output; /* the tool_result text (bounded, valid UTF-8) */
  int is_error;
  uint64_t duration_ns;
} vbx__tool_call;

struct vbx_box_result {
  char *name;
  vbx_status status;
  char *output;            /* final answer; never NULL once initialised */
  char *error;             /* NULL when none */
  int error_code;          /* VBX_E_* of error, 0 when none */
  char *structured_output; /* content of output_file, or NULL */
  char *model;             /* model that answered last, or NULL */
  uint32_t turns;          /* provider completions made */
  uint64_t input_tokens;
  uint64_t output_tokens;
  uint64_t cache_read_tokens;
  uint64_t cache_write_tokens;
  double cost_usd;
  uint64_t duration_ns;
  vbx__tool_call *calls;
  size_t n_calls, cap_calls;
};

/* Initialise r for box `name` (copied): status pending, output "".
 * Returns 0 or VBX_E_NOMEM (r is then cleared). */
int vbx__box_result_init(vbx_box_result *r, const char *name);
/* Free everything r owns and zero it. */
VBX__TOOL_API void vbx__box_result_clear(vbx_box_result *r);
/* Append a tool call; the strings are copied. Returns 0 or VBX_E_NOMEM. */
VBX__TOOL_API int vbx__box_result_add_call(vbx_box_result *r, const char *name, const char *input,
                                           const char *output, int is_error, uint64_t duration_ns);
/* Set the error text and code unless an error is already set (the first
 * error wins). Returns `code`. */
VBX__TOOL_API int vbx__box_result_fail(vbx_box_result *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replace the final answer with a copy of text. Returns 0 or VBX_E_NOMEM. */
int vbx__box_result_set_output(vbx_box_result *r, const char *text);

#endif
