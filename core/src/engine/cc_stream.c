/*
 * engine/cc_stream.c - claude-code's stream-json, line by line, with
 * jansson; every size bounded (cc_stream.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cc_stream.h"
#include "voidbox/errors.h"

#define ID_MAX 256
#define NAME_MAX_ 256
#define INPUT_MAX (64u * 1024u)
#define OUTPUT_MAX (64u * 1024u)

struct vbx__cc_pending {
  char *id, *name, *input;
};

void vbx__cc_stream_init(vbx__cc_stream *s, const vbx__cc_events *ev) {
  memset(s, 0, sizeof *s);
  if (ev != NULL) s->ev = *ev;
}

static void pending_free(vbx__cc_pending *p) {
  free(p->id);
  free(p->name);
  free(p->input);
}

void vbx__cc_stream_clear(vbx__cc_stream *s) {
  free(s->line);
  for (size_t i = 0; i < s->n_pending; i++)
    pending_free(&s->pending[i]);
  free(s->pending);
  free(s->sum.model);
  free(s->sum.session_id);
  free(s->sum.subtype);
  free(s->sum.result);
  free(s->sum.last_text);
  memset(s, 0, sizeof *s);
}

/* A bounded copy of string member `key` (NULL when absent or not a string). */
static char *str_copy(const json_t *o, const char *key, size_t max) {
  const json_t *v = json_object_get(o, key);
  if (!json_is_string(v)) return NULL;
  size_t n = json_string_length(v);
  return strndup(json_string_value(v), n < max ? n : max);
}

/* Replace *dst with a bounded copy of o[key] when it is a string. */
static int set_str(char **dst, const json_t *o, const char *key, size_t max) {
  if (!json_is_string(json_object_get(o, key))) return 0;
  char *c = str_copy(o, key, max);
  if (c == NULL) return VBX_E_NOMEM;
  free(*dst);
  *dst = c;
  return 0;
}

/* A non-negative integer member, 0 otherwise (a number given as a real
 * is truncated; anything else, negative or huge, is 0). */
static uint64_t count_of(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  if (json_is_integer(v)) return json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
  if (json_is_real(v) && json_real_value(v) > 0 && json_real_value(v) < 1e18)
    return (uint64_t)json_real_value(v);
  return 0;
}

/* The text of a tool_result's content: a string, or text blocks joined. */
static char *result_text(const json_t *content) {
  if (json_is_string(content)) {
    size_t n = json_string_length(content);
    return strndup(json_string_value(content), n < OUTPUT_MAX ? n : OUTPUT_MAX);
  }
  size_t cap = 0, len = 0;
  char *out = NULL;
  size_t i;
  const json_t *b;
  json_array_foreach(content, i, b) {
    const json_t *t = json_object_get(b, "text");
    if (!json_is_string(t)) continue;
    size_t n = json_string_length(t);
    if (len + n + 1 > OUTPUT_MAX) n = OUTPUT_MAX > len + 1 ? OUTPUT_MAX - len - 1 : 0;
    if (len + n + 2 > cap) {
      size_t nc = len + n + 2;
      char *g = realloc(out, nc);
      if (g == NULL) {
        free(out);
        return NULL;
      }
      out = g, cap = nc;
    }
    if (len > 0) out[len++] = '\n';
    memcpy(out + len, json_string_value(t), n);
    len += n;
    out[len] = '\0';
  }
  return out ? out : strdup("");
}

static int on_tool_use(vbx__cc_stream *s, const json_t *b) {
  if (s->n_calls >= VBX__CC_MAX_CALLS) return 0; /* past the bound: not tracked */
  vbx__cc_pending p = {0};
  p.id = str_copy(b, "id", ID_MAX);
  p.name = str_copy(b, "name", NAME_MAX_);
  char *in = json_dumps(json_object_get(b, "input") ? json_object_get(b, "input") : json_null(),
                        JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
  if (in != NULL && strlen(in) > INPUT_MAX) in[INPUT_MAX] = '\0';
  p.input = in;
  if (p.id == NULL) p.id = strdup("");
  if (p.name == NULL) p.name = strdup("?");
  if (p.id == NULL || p.name == NULL || p.input == NULL) {
    pending_free(&p);
    return VBX_E_NOMEM;
  }
  vbx__cc_pending *g = realloc(s->pending, (s->n_pending + 1) * sizeof *g);
  if (g == NULL) {
    pending_free(&p);
    return VBX_E_NOMEM;
  }
  s->pending = g;
  s->pending[s->n_pending++] = p;
  s->n_calls++;
  if (s->ev.tool_use) s->ev.tool_use(s->ev.user, p.id, p.name, p.input);
  return 0;
}

static int on_assistant(vbx__cc_stream *s, const json_t *msg) {
  int rc = set_str(&s->sum.model, msg, "model", NAME_MAX_);
  const json_t *u = json_object_get(msg, "usage");
  uint64_t in = count_of(u, "input_tokens"), out = count_of(u, "output_tokens");
  s->sum.turns++;
  s->sum.input_tokens += in;
  s->sum.output_tokens += out;
  s->sum.cache_read_tokens += count_of(u, "cache_read_input_tokens");
  s->sum.cache_write_tokens += count_of(u, "cache_creation_input_tokens");
  if (s->ev.turn) s->ev.turn(s->ev.user, in, out);
  size_t i;
  const json_t *b;
  json_array_foreach(json_object_get(msg, "content"), i, b) {
    const char *type = json_string_value(json_object_get(b, "type"));
    if (rc != 0 || type == NULL) continue;
    if (strcmp(type, "tool_use") == 0) {
      rc = on_tool_use(s, b);
    } else if (strcmp(type, "text") == 0 && json_is_string(json_object_get(b, "text"))) {
      const json_t *t = json_object_get(b, "text");
      if (s->ev.text) s->ev.text(s->ev.user, json_string_value(t), json_string_length(t));
      rc = set_str(&s->sum.last_text, b, "text", VBX__CC_TEXT_MAX);
    }
  }
  return rc;
}

static int on_user(vbx__cc_stream *s, const json_t *msg) {
  size_t i;
  const json_t *b;
  json_array_foreach(json_object_get(msg, "content"), i, b) {
    const char *type = json_string_value(json_object_get(b, "type"));
    const char *id = json_string_value(json_object_get(b, "tool_use_id"));
    if (type == NULL || strcmp(type, "tool_result") != 0 || id == NULL) continue;
    for (size_t k = 0; k < s->n_pending; k++) {
      vbx__cc_pending *p = &s->pending[k];
      if (strcmp(p->id, id) != 0) continue;
      char *text = result_text(json_object_get(b, "content"));
      if (text == NULL) return VBX_E_NOMEM;
      if (s->ev.tool_result)
        s->ev.tool_result(s->ev.user, p->id, p->name, p->input, text,
                          json_is_true(json_object_get(b, "is_error")));
      free(text);
      pending_free(p);
      s->pending[k] = s->pending[--s->n_pending];
      break;
    }
  }
  return 0;
}

static int on_result(vbx__cc_stream *s, const json_t *o) {
  s->sum.have_result = 1;
  s->sum.is_error = json_is_true(json_object_get(o, "is_error"));
  int rc = set_str(&s->sum.subtype, o, "subtype", 128);
  if (rc == 0) rc = set_str(&s->sum.result, o, "result", VBX__CC_TEXT_MAX);
  if (rc == 0) rc = set_str(&s->sum.session_id, o, "session_id", ID_MAX);
  uint64_t turns = count_of(o, "num_turns");
  if (turns > 0) s->sum.turns = turns > UINT32_MAX ? UINT32_MAX : (uint32_t)turns;
  const json_t *c = json_object_get(o, "total_cost_usd");
  if (json_is_number(c) && json_number_value(c) >= 0 && json_number_value(c) < 1e9)
    s->sum.cost_usd = json_number_value(c);
  const json_t *u = json_object_get(o, "usage");
  if (json_is_object(u)) { /* the run's totals replace the sum of turns */
    s->sum.input_tokens = count_of(u, "input_tokens");
    s->sum.output_tokens = count_of(u, "output_tokens");
    s->sum.cache_read_tokens = count_of(u, "cache_read_input_tokens");
    s->sum.cache_write_tokens = count_of(u, "cache_creation_input_tokens");
  }
  return rc;
}

static void note_bad(vbx__cc_stream *s, const char *line, size_t n) {
  if (s->sum.bad_lines++ > 0) return;
  size_t k = n < VBX__CC_BAD_HEAD ? n : VBX__CC_BAD_HEAD;
  memcpy(s->sum.bad_head, line, k);
  s->sum.bad_head[k] = '\0';
}

static int parse_line(vbx__cc_stream *s, const char *line, size_t n) {
  while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
    n--;
  if (n == 0) return 0;
  json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(o)) {
    json_decref(o);
    note_bad(s, line, n);
    return 0;
  }
  const char *type = json_string_value(json_object_get(o, "type"));
  const json_t *msg = json_object_get(o, "message");
  int rc = 0;
  if (type == NULL)
    note_bad(s, line, n);
  else if (strcmp(type, "system") == 0) {
    rc = set_str(&s->sum.model, o, "model", NAME_MAX_);
    if (rc == 0) rc = set_str(&s->sum.session_id, o, "session_id", ID_MAX);
  } else if (strcmp(type, "assistant") == 0 && json_is_object(msg))
    rc = on_assistant(s, msg);
  else if (strcmp(type, "user") == 0 && json_is_object(msg))
    rc = on_user(s, msg);
  else if (strcmp(type, "result") == 0)
    rc = on_result(s, o);
  json_decref(o);
  return rc;
}

int vbx__cc_stream_feed(vbx__cc_stream *s, const char *data, size_t n) {
  if (s->failed) return s->failed;
  while (n > 0) {
    const char *nl = memchr(data, '\n', n);
    size_t take = nl ? (size_t)(nl - data) : n;
    if (s->len + take > VBX__CC_LINE_MAX) return s->failed = VBX_E_TOOBIG;
    int rc = 0;
    if (nl != NULL && s->len == 0) {
      rc = parse_line(s, data, take); /* the whole line is here: no copy */
    } else {
      if (s->len + take + 1 > s->cap) {
        size_t nc = s->cap ? s->cap : 4096;
        while (nc < s->len + take + 1)
          nc *= 2;
        char *g = realloc(s->line, nc);
        if (g == NULL) return s->failed = VBX_E_NOMEM;
        s->line = g, s->cap = nc;
      }
      memcpy(s->line + s->len, data, take);
      s->len += take;
      if (nl != NULL) {
        rc = parse_line(s, s->line, s->len);
        s->len = 0;
      }
    }
    if (rc != 0) return s->failed = rc;
    if (nl == NULL) break;
    data += take + 1;
    n -= take + 1;
  }
  return 0;
}

int vbx__cc_stream_finish(vbx__cc_stream *s) {
  if (s->failed) return s->failed;
  int rc = s->len ? parse_line(s, s->line, s->len) : 0;
  s->len = 0;
  return rc ? (s->failed = rc) : 0;
}
