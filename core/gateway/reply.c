/*
 * gateway/reply.c - Anthropic-shaped response bodies: messages, usage,
 * content blocks, error objects, the model list, and the mapping from a
 * provider's VBX_E_* failure to an HTTP status and Anthropic error type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/internal.h"

char *vbx__gw_error_json(const char *type, const char *message) {
  json_t *j = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type", type, "message",
                        message ? message : "");
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return s;
}

int vbx__gw_status_for(int code, const char *message, const char **type) {
  switch (code) {
  case VBX_E_INVAL:
  case VBX_E_SPEC: *type = "invalid_request_error"; return 400;
  case VBX_E_NOTFOUND: *type = "not_found_error"; return 404;
  case VBX_E_TIMEOUT: *type = "api_error"; return 504;
  case VBX_E_CANCELLED: *type = "overloaded_error"; return 503;
  case VBX_E_NOMEM: *type = "api_error"; return 500;
  case VBX_E_PROVIDER:
    /* The provider refused the prompt's size: a client error the engine
       * can act on (compact its context). */
    if (message && strstr(message, "context too long") != NULL) {
      *type = "invalid_request_error";
      return 400;
    }
    *type = "api_error";
    return 502;
  default:
    /* AUTH (the host's key, which the guest cannot fix), HTTP, PROTOCOL,
       * TOOBIG...: an upstream failure. */
    *type = "api_error";
    return 502;
  }
}

json_t *vbx__gw_block(const json_t *b) {
  const char *t = json_string_value(json_object_get(b, "type"));
  if (t == NULL) return NULL;
  if (strcmp(t, "text") == 0) {
    json_t *tx = json_object_get(b, "text");
    if (!json_is_string(tx)) return NULL;
    return json_pack("{s:s, s:s%}", "type", "text", "text", json_string_value(tx),
                     json_string_length(tx));
  }
  if (strcmp(t, "tool_use") == 0) {
    const char *id = json_string_value(json_object_get(b, "id"));
    const char *name = json_string_value(json_object_get(b, "name"));
    json_t *in = json_object_get(b, "input");
    if (id == NULL || name == NULL) return NULL;
    json_t *input = json_is_object(in) ? json_incref(in) : json_object();
    if (input == NULL) return NULL;
    return json_pack("{s:s, s:s, s:s, s:o}", "type", "tool_use", "id", id, "name", name, "input",
                     input);
  }
  return NULL;
}

json_t *vbx__gw_usage(const vbx_llm_usage *u) {
  return json_pack("{s:I, s:I, s:I, s:I}", "input_tokens", (json_int_t)u->input_tokens,
                   "output_tokens", (json_int_t)u->output_tokens, "cache_creation_input_tokens",
                   (json_int_t)u->cache_write_tokens, "cache_read_input_tokens",
                   (json_int_t)u->cache_read_tokens);
}

char *vbx__gw_message_json(const vbx_llm_response *resp, const char *id, const char *model) {
  json_t *content = json_array();
  json_t *in = (json_t *)resp->content;
  size_t i;
  json_t *b;
  if (content == NULL) return NULL;
  if (json_is_array(in)) {
    json_array_foreach(in, i, b) {
      json_t *nb = vbx__gw_block(b);
      if (nb) json_array_append_new(content, nb);
    }
  }
  json_t *msg = json_pack(
      "{s:s, s:s, s:s, s:s, s:o, s:s, s:n, s:o}", "id", id, "type", "message", "role", "assistant",
      "model", resp->model ? resp->model : (model ? model : "unknown"), "content", content,
      "stop_reason", resp->stop_reason ? resp->stop_reason : "end_turn", "stop_sequence", "usage",
      vbx__gw_usage(&resp->usage));
  char *s = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  json_decref(msg);
  return s;
}

void vbx__gw_message_id(char *buf, size_t cap) {
  char hex[25];
  if (vbx__gw_random_hex(hex, sizeof(hex), 12) != 0) snprintf(hex, sizeof(hex), "%s", "0");
  snprintf(buf, cap, "msg_vbx_%s", hex);
}

char *vbx__gw_models_json(const char *model) {
  const char *m = model ? model : "default";
  json_t *j = json_pack("{s:[{s:s, s:s, s:s, s:s}], s:b, s:s, s:s}", "data", "type", "model", "id",
                        m, "display_name", m, "created_at", "1970-01-01T00:00:00Z", "has_more", 0,
                        "first_id", m, "last_id", m);
  char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return s;
}
