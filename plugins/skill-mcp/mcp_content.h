/*
 * skill-mcp/mcp_content.h - an MCP tools/call result as the text a model
 * reads: text blocks as they are, other blocks summarised ("[image:
 * image/png, 1234 bytes]", "[resource file:///a: text/plain]" then its
 * text, "[resource link: NAME <URI>]"), then structuredContent as JSON when
 * no text block already carries it (as JSON equal to it or, when it is an
 * object of one member, as that member's value: the text itself or its
 * JSON). Bounded: at most max bytes (then "\n[output truncated]").
 */
#ifndef VBX_MCP_CONTENT_H
#define VBX_MCP_CONTENT_H

#include <jansson.h>
#include <stddef.h>

#include "voidbox/errors.h"

/* The text bound used when 0 is passed: 1 MiB. */
#define VBX_MCP_TEXT_MAX ((size_t)1 << 20)

/* Flatten `result` (the tools/call result object) into *out (malloc'd,
 * NUL-terminated) and set *is_error from its isError. 0, VBX_E_PROTOCOL
 * when result is not an object or content is not an array (*out then says
 * so), or VBX_E_NOMEM. */
int vbx_mcp_content_text(const json_t *result, size_t max, char **out, int *is_error);

#endif
