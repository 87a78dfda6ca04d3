/*
 * llm-mock/template.c - the data a mock turn can quote: {{input}} is the
 * text of the first user message, {{last_tool_output}} the content of the
 * most recent tool_result block. Substitution applies to turn text and to
 * every string inside tool-call inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "llm_mock.h"
#include "util/strbuf.h"

/* A text bounded by LM_MAX_TEXT: util's buffer, marked failed past the cap
 * as after a failed allocation, so vbx__strbuf_take yields NULL either way
 * (and "" for nothing appended). */
static void put(vbx__strbuf *b, const char *s, size_t n) {
  if (n > LM_MAX_TEXT - b->len)
    b->failed = 1;
  else
    vbx__strbuf_append(b, s, n);
}

/* Text of a content value: a string, or text blocks joined with "\n". */
static void content_text(const vbx_host_services *h, const vbx_json *c, vbx__strbuf *b) {
  if (c == NULL) return;
  if (h->json_type(c) == VBX_JSON_STRING) {
    put(b, h->json_string_value(c), h->json_string_length(c));
    return;
  }
  if (h->json_type(c) != VBX_JSON_ARRAY) return;
  int first = 1;
  for (size_t i = 0; i < h->json_array_size(c); i++) {
    const vbx_json *blk = h->json_array_get(c, i);
    const vbx_json *type = h->json_object_get(blk, "type");
    const char *ts = type ? h->json_string_value(type) : NULL;
    const vbx_json *text = h->json_object_get(blk, "text");
    if (ts == NULL || strcmp(ts, "text") != 0 || text == NULL ||
        h->json_type(text) != VBX_JSON_STRING)
      continue;
    if (!first) put(b, "\n", 1);
    put(b, h->json_string_value(text), h->json_string_length(text));
    first = 0;
  }
}

char *lm_first_user_text(const vbx_host_services *h, const vbx_json *messages) {
  vbx__strbuf b = VBX__STRBUF_INIT;
  size_t n =
      messages && h->json_type(messages) == VBX_JSON_ARRAY ? h->json_array_size(messages) : 0;
  for (size_t i = 0; i < n; i++) {
    const vbx_json *m = h->json_array_get(messages, i);
    const vbx_json *role = h->json_object_get(m, "role");
    const char *rs = role ? h->json_string_value(role) : NULL;
    if (rs != NULL && strcmp(rs, "user") == 0) {
      content_text(h, h->json_object_get(m, "content"), &b);
      break;
    }
  }
  return vbx__strbuf_take(&b);
}

char *lm_last_tool_output(const vbx_host_services *h, const vbx_json *messages) {
  vbx__strbuf b = VBX__STRBUF_INIT;
  size_t n =
      messages && h->json_type(messages) == VBX_JSON_ARRAY ? h->json_array_size(messages) : 0;
  for (size_t i = n; i-- > 0;) {
    const vbx_json *content = h->json_object_get(h->json_array_get(messages, i), "content");
    if (content == NULL || h->json_type(content) != VBX_JSON_ARRAY) continue;
    for (size_t j = h->json_array_size(content); j-- > 0;) {
      const vbx_json *blk = h->json_array_get(content, j);
      const vbx_json *type = h->json_object_get(blk, "type");
      const char *ts = type ? h->json_string_value(type) : NULL;
      if (ts != NULL && strcmp(ts, "tool_result") == 0) {
        content_text(h, h->json_object_get(blk, "content"), &b);
        return vbx__strbuf_take(&b);
      }
    }
  }
  return vbx__strbuf_take(&b);
}

char *lm_substitute(const char *text, const char *input, const char *last_tool) {
  static const char k_in[] = "{{input}}", k_tool[] = "{{last_tool_output}}";
  vbx__strbuf b = VBX__STRBUF_INIT;
  const char *p = text;
  for (;;) {
    const char *a = strstr(p, k_in), *t = strstr(p, k_tool);
    const char *hit = (a && (!t || a < t)) ? a : t;
    if (hit == NULL) {
      put(&b, p, strlen(p));
      break;
    }
    put(&b, p, (size_t)(hit - p));
    if (hit == a) {
      put(&b, input, strlen(input));
      p = hit + sizeof k_in - 1;
    } else {
      put(&b, last_tool, strlen(last_tool));
      p = hit + sizeof k_tool - 1;
    }
  }
  return vbx__strbuf_take(&b);
}

static vbx_json *scalar_json(const vbx_host_services *h, const lm_node *n, const char *input,
                             const char *last_tool) {
  if (n->plain) {
    if (strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0) return h->json_null_new();
    if (strcmp(n->str, "true") == 0 || strcmp(n->str, "false") == 0)
      return h->json_bool_new(n->str[0] == 't');
    char *end = NULL;
    long long ll = strtoll(n->str, &end, 10);
    if (n->len > 0 && end != NULL && *end == '\0') return h->json_integer_new(ll);
    double d;
    if (lm_node_number(n, &d) == 0) return h->json_real_new(d);
  }
  char *s = lm_substitute(n->str, input, last_tool);
  if (s == NULL) return NULL;
  vbx_json *v = h->json_string_new(s, strlen(s));
  free(s);
  return v;
}

vbx_json *lm_node_to_json(const vbx_host_services *h, const lm_node *n, const char *input,
                          const char *last_tool) {
  if (n->kind == LM_SCALAR) return scalar_json(h, n, input, last_tool);
  vbx_json *v = n->kind == LM_MAP ? h->json_object_new() : h->json_array_new();
  if (v == NULL) return NULL;
  for (size_t i = 0; i < n->n; i++) {
    vbx_json *kid = lm_node_to_json(h, n->kids[i], input, last_tool);
    int rc = kid == NULL         ? -1
             : n->kind == LM_MAP ? h->json_object_set(v, n->keys[i], kid)
                                 : h->json_array_append(v, kid);
    if (rc != 0) {
      h->json_decref(v);
      return NULL;
    }
  }
  return v;
}
