/*
 * gateway/request.c - reading an Anthropic Messages request body and
 * normalising it into the canonical voidbox shape a provider's complete()
 * takes (plugin.h): string content becomes a text block; blocks keep only
 * their canonical fields (cache_control, citations... are dropped);
 * thinking blocks echoed back by the client are dropped; system blocks are
 * joined with a blank line. Block types the canonical shape cannot carry
 * (image, document, server tools) are refused, never passed on silently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/internal.h"

typedef struct ctx {
  char *why;
  size_t cap;
} ctx;

static int bad(ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(ctx *x, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(x->why, x->cap, fmt, ap);
  va_end(ap);
  return VBX_E_INVAL;
}

static json_t *text_block(const char *s, size_t n) {
  return json_pack("{s:s, s:s%}", "type", "text", "text", s, n);
}

/* tool_result content: a string, or text blocks (kept as text blocks). */
static int tool_result_content(ctx *x, const json_t *c, const char *at, json_t **out) {
  if (c == NULL) {
    *out = json_string("");
    return *out ? 0 : VBX_E_NOMEM;
  }
  if (json_is_string(c)) {
    *out = json_incref((json_t *)c);
    return 0;
  }
  if (!json_is_array(c)) return bad(x, "%s.content: must be a string or an array of blocks", at);
  json_t *arr = json_array();
  if (arr == NULL) return VBX_E_NOMEM;
  size_t i;
  json_t *b;
  json_array_foreach(c, i, b) {
    const char *t = json_string_value(json_object_get(b, "type"));
    json_t *tx = json_object_get(b, "text");
    if (t == NULL || strcmp(t, "text") != 0 || !json_is_string(tx)) {
      json_decref(arr);
      return bad(x,
                 "%s.content[%zu]: block type '%s' is not supported by the voidbox gateway "
                 "(tool results carry text only)",
                 at, i, t ? t : "?");
    }
    if (json_array_append_new(arr, text_block(json_string_value(tx), json_string_length(tx)))) {
      json_decref(arr);
      return VBX_E_NOMEM;
    }
  }
  *out = arr;
  return 0;
}

/* One content block into canonical shape; *out NULL when it is dropped. */
static int norm_block(ctx *x, const json_t *b, const char *at, json_t **out) {
  *out = NULL;
  const char *t = json_string_value(json_object_get(b, "type"));
  if (!json_is_object(b) || t == NULL)
    return bad(x, "%s: a block must be an object with a \"type\"", at);
  if (strcmp(t, "text") == 0) {
    json_t *tx = json_object_get(b, "text");
    if (!json_is_string(tx)) return bad(x, "%s.text: must be a string", at);
    *out = text_block(json_string_value(tx), json_string_length(tx));
  } else if (strcmp(t, "tool_use") == 0) {
    const char *id = json_string_value(json_object_get(b, "id"));
    const char *name = json_string_value(json_object_get(b, "name"));
    json_t *in = json_object_get(b, "input");
    if (id == NULL || name == NULL)
      return bad(x, "%s: tool_use needs string \"id\" and \"name\"", at);
    if (in != NULL && !json_is_object(in)) return bad(x, "%s.input: must be an object", at);
    json_t *input = in ? json_incref(in) : json_object();
    if (input == NULL) return VBX_E_NOMEM;
    *out = json_pack("{s:s, s:s, s:s, s:o}", "type", "tool_use", "id", id, "name", name, "input",
                     input);
  } else if (strcmp(t, "tool_result") == 0) {
    const char *id = json_string_value(json_object_get(b, "tool_use_id"));
    if (id == NULL) return bad(x, "%s: tool_result needs a string \"tool_use_id\"", at);
    json_t *content = NULL;
    int rc = tool_result_content(x, json_object_get(b, "content"), at, &content);
    if (rc) return rc;
    *out =
        json_pack("{s:s, s:s, s:o}", "type", "tool_result", "tool_use_id", id, "content", content);
    if (*out && json_is_true(json_object_get(b, "is_error")))
      json_object_set_new(*out, "is_error", json_true());
  } else if (strcmp(t, "thinking") == 0 || strcmp(t, "redacted_thinking") == 0) {
    return 0; /* reasoning echoed back: no provider consumes it */
  } else {
    return bad(x, "%s: block type '%s' is not supported by the voidbox gateway", at, t);
  }
  return *out ? 0 : VBX_E_NOMEM;
}

static int norm_message(ctx *x, const json_t *m, size_t idx, json_t **out) {
  const char *role = json_string_value(json_object_get(m, "role"));
  if (!json_is_object(m)) return bad(x, "messages[%zu]: must be an object", idx);
  if (role == NULL || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0))
    return bad(x, "messages[%zu].role: must be \"user\", \"assistant\" or \"system\"", idx);
  json_t *c = json_object_get(m, "content");
  json_t *blocks = json_array();
  if (blocks == NULL) return VBX_E_NOMEM;
  int rc = 0;
  if (json_is_string(c)) {
    if (json_array_append_new(blocks, text_block(json_string_value(c), json_string_length(c))))
      rc = VBX_E_NOMEM;
  } else if (json_is_array(c)) {
    size_t i;
    json_t *b;
    json_array_foreach(c, i, b) {
      char at[64];
      snprintf(at, sizeof(at), "messages[%zu].content[%zu]", idx, i);
      json_t *nb = NULL;
      if ((rc = norm_block(x, b, at, &nb)) != 0) break;
      if (nb && json_array_append_new(blocks, nb)) rc = VBX_E_NOMEM;
      if (rc) break;
    }
  } else {
    rc = bad(x, "messages[%zu].content: must be a string or an array of blocks", idx);
  }
  if (rc == 0) {
    *out = json_pack("{s:s, s:o}", "role", role, "content", blocks);
    if (*out == NULL) rc = VBX_E_NOMEM;
    blocks = NULL;
  }
  json_decref(blocks);
  return rc;
}

/* A message with role "system" in `messages` (claude-code sends them
 * between turns): its text joins the system prompt, in order, since the
 * canonical request has one system prompt and user/assistant turns only. */
static int system_message(ctx *x, const json_t *m, size_t idx, vbx__strbuf *sys) {
  json_t *c = json_object_get(m, "content");
  if (json_is_string(c)) {
    vbx__strbuf_puts(sys, "\n\n");
    vbx__strbuf_append(sys, json_string_value(c), json_string_length(c));
    return sys->failed ? VBX_E_NOMEM : 0;
  }
  if (!json_is_array(c))
    return bad(x, "messages[%zu].content: must be a string or an array of text blocks", idx);
  size_t i;
  json_t *b;
  json_array_foreach(c, i, b) {
    const char *t = json_string_value(json_object_get(b, "type"));
    json_t *tx = json_object_get(b, "text");
    if (t == NULL || strcmp(t, "text") != 0 || !json_is_string(tx))
      return bad(x, "messages[%zu].content[%zu]: a system message holds text blocks only", idx, i);
    vbx__strbuf_puts(sys, "\n\n");
    vbx__strbuf_append(sys, json_string_value(tx), json_string_length(tx));
  }
  return sys->failed ? VBX_E_NOMEM : 0;
}

static int norm_system(ctx *x, const json_t *s, char **out) {
  *out = NULL;
  if (s == NULL || json_is_null(s)) return 0;
  if (json_is_string(s)) return (*out = strdup(json_string_value(s))) ? 0 : VBX_E_NOMEM;
  if (!json_is_array(s)) return bad(x, "system: must be a string or an array of text blocks");
  vbx__strbuf sb = VBX__STRBUF_INIT;
  size_t i;
  json_t *b;
  json_array_foreach(s, i, b) {
    const char *t = json_string_value(json_object_get(b, "type"));
    json_t *tx = json_object_get(b, "text");
    if (t == NULL || strcmp(t, "text") != 0 || !json_is_string(tx)) {
      vbx__strbuf_reset(&sb);
      return bad(x, "system[%zu]: must be a text block", i);
    }
    if (i > 0) vbx__strbuf_puts(&sb, "\n\n");
    vbx__strbuf_append(&sb, json_string_value(tx), json_string_length(tx));
  }
  if (sb.failed) {
    vbx__strbuf_reset(&sb);
    return VBX_E_NOMEM;
  }
  *out = vbx__strbuf_take(&sb);
  return *out ? 0 : VBX_E_NOMEM;
}

static int norm_tools(ctx *x, const json_t *t, json_t **out) {
  *out = NULL;
  if (t == NULL || json_is_null(t)) return 0;
  if (!json_is_array(t)) return bad(x, "tools: must be an array");
  json_t *arr = json_array();
  if (arr == NULL) return VBX_E_NOMEM;
  size_t i;
  json_t *d;
  json_array_foreach(t, i, d) {
    const char *name = json_string_value(json_object_get(d, "name"));
    json_t *schema = json_object_get(d, "input_schema");
    json_t *desc = json_object_get(d, "description");
    if (name == NULL) {
      json_decref(arr);
      return bad(x, "tools[%zu].name: must be a string", i);
    }
    if (!json_is_object(schema)) {
      json_decref(arr);
      return bad(x,
                 "tools[%zu] ('%s'): needs an \"input_schema\" object (server tools are not "
                 "supported by the voidbox gateway)",
                 i, name);
    }
    if (desc != NULL && !json_is_string(desc)) {
      json_decref(arr);
      return bad(x, "tools[%zu].description: must be a string", i);
    }
    json_t *nd = json_pack("{s:s, s:O}", "name", name, "input_schema", schema);
    if (nd && desc) json_object_set(nd, "description", desc);
    if (nd == NULL || json_array_append_new(arr, nd)) {
      json_decref(arr);
      return VBX_E_NOMEM;
    }
  }
  *out = arr;
  return 0;
}

int vbx__gw_parse_request(const char *body, size_t len, vbx__gw_msgreq *out, char *why,
                          size_t why_cap) {
  ctx x = {why, why_cap};
  memset(out, 0, sizeof(*out));
  vbx__strbuf later_sys = VBX__STRBUF_INIT; /* system messages, in order */
  json_error_t e;
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
  int rc = 0;
  if (root == NULL) {
    snprintf(why, why_cap, "request body is not valid JSON: line %d column %d: %s", e.line,
             e.column, e.text);
    return VBX_E_PROTOCOL;
  }
  if (!json_is_object(root)) {
    rc = bad(&x, "request body must be a JSON object");
    goto done;
  }
  json_t *mt = json_object_get(root, "max_tokens");
  if (!json_is_integer(mt) || json_integer_value(mt) < 1 ||
      json_integer_value(mt) > (json_int_t)VBX__GW_MAX_TOKENS) {
    rc = bad(&x, "max_tokens: required, an integer from 1 to %u", VBX__GW_MAX_TOKENS);
    goto done;
  }
  out->max_tokens = (uint32_t)json_integer_value(mt);
  json_t *st = json_object_get(root, "stream");
  if (st != NULL && !json_is_boolean(st)) {
    rc = bad(&x, "stream: must be true or false");
    goto done;
  }
  out->stream = json_is_true(st);
  json_t *msgs = json_object_get(root, "messages");
  if (!json_is_array(msgs) || json_array_size(msgs) == 0 ||
      json_array_size(msgs) > VBX__GW_MAX_MESSAGES) {
    rc = bad(&x, "messages: required, a non-empty array (at most %u)", VBX__GW_MAX_MESSAGES);
    goto done;
  }
  if ((out->messages = json_array()) == NULL) {
    rc = VBX_E_NOMEM;
    goto done;
  }
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    json_t *nm = NULL;
    const char *role = json_string_value(json_object_get(m, "role"));
    if (role != NULL && strcmp(role, "system") == 0) {
      if ((rc = system_message(&x, m, i, &later_sys)) != 0) goto done;
      continue;
    }
    if ((rc = norm_message(&x, m, i, &nm)) != 0) goto done;
    if (json_array_append_new(out->messages, nm)) {
      rc = VBX_E_NOMEM;
      goto done;
    }
  }
  if ((rc = norm_system(&x, json_object_get(root, "system"), &out->system)) != 0) goto done;
  if (later_sys.len > 0) {
    vbx__strbuf all = VBX__STRBUF_INIT;
    if (out->system) vbx__strbuf_puts(&all, out->system);
    vbx__strbuf_append(&all, later_sys.data + (out->system ? 0 : 2),
                       later_sys.len - (out->system ? 0 : 2)); /* no leading blank line */
    free(out->system);
    out->system = all.failed ? NULL : vbx__strbuf_take(&all);
    if (out->system == NULL) {
      vbx__strbuf_reset(&all);
      rc = VBX_E_NOMEM;
      goto done;
    }
  }
  if (json_array_size(out->messages) == 0) {
    rc = bad(&x, "messages: no user or assistant message");
    goto done;
  }
  rc = norm_tools(&x, json_object_get(root, "tools"), &out->tools);
done:
  vbx__strbuf_reset(&later_sys);
  if (rc == VBX_E_NOMEM) snprintf(why, why_cap, "out of memory");
  if (rc) vbx__gw_msgreq_free(out);
  json_decref(root);
  return rc;
}

void vbx__gw_msgreq_free(vbx__gw_msgreq *r) {
  if (r == NULL) return;
  json_decref(r->messages);
  json_decref(r->tools);
  free(r->system);
  memset(r, 0, sizeof(*r));
}
