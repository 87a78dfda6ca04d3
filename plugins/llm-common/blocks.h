/*
 * llm-common/blocks.h - accumulates a streamed assistant message into the
 * canonical content blocks: [{"type":"text","text"}, {"type":"tool_use",
 * "id","name","input"}].
 *
 * Blocks are addressed by (kind, key): the stream's own index (Anthropic's
 * content block index, OpenAI's tool_call index). Blocks keep the order in
 * which they were first seen. Tool input arrives either as JSON text pieces
 * (Anthropic input_json_delta, OpenAI arguments) parsed at the end, or as a
 * whole object (Ollama). The total accumulated text is bounded by max_bytes
 * (VBX_E_TOOBIG).
 *
 * Ownership: the accumulator owns its memory (malloc and JSON references);
 * vbx_blocks_build returns a new reference. One owner; not thread-safe.
 */
#ifndef VBX_LLM_BLOCKS_H
#define VBX_LLM_BLOCKS_H

#include <stddef.h>

#include "util/strbuf.h"
#include "voidbox/plugin.h"

typedef enum vbx_block_kind { VBX_BLOCK_TEXT = 1, VBX_BLOCK_TOOL = 2 } vbx_block_kind;

typedef struct vbx_block {
  vbx_block_kind kind;
  long key;
  char *id;         /* tool_use id, malloc'd */
  char *name;       /* tool name, malloc'd */
  vbx__strbuf text; /* text, or tool input JSON text */
  vbx_json *input;  /* whole input object (owned ref) or NULL */
} vbx_block;

typedef struct vbx_blocks {
  const vbx_host_services *h;
  vbx_block *b;
  size_t n, cap;
  size_t total, max_bytes;
} vbx_blocks;

void vbx_blocks_init(vbx_blocks *bs, const vbx_host_services *h, size_t max_bytes);
/* Append text to the text block `key` (created when new). */
int vbx_blocks_text(vbx_blocks *bs, long key, const char *s, size_t n);
/* Start or name the tool block `key`; id/name may be NULL (kept as is). */
int vbx_blocks_tool(vbx_blocks *bs, long key, const char *id, const char *name);
/* Append a piece of the tool block's JSON input text. */
int vbx_blocks_tool_json(vbx_blocks *bs, long key, const char *s, size_t n);
/* Set the tool block's input to a whole value (a new reference is taken). */
int vbx_blocks_tool_input(vbx_blocks *bs, long key, const vbx_json *input);
/* Number of tool blocks. */
size_t vbx_blocks_tools(const vbx_blocks *bs);
/* Build the content array (new reference in *out). Empty text blocks are
 * dropped; empty tool input becomes {}. Input text that is not a JSON
 * object fails with VBX_E_PROVIDER naming the tool. */
int vbx_blocks_build(vbx_blocks *bs, vbx_json **out, vbx_call *call);
/* Drop everything (retried attempt); keeps h and max_bytes. */
void vbx_blocks_reset(vbx_blocks *bs);
void vbx_blocks_free(vbx_blocks *bs);

#endif
