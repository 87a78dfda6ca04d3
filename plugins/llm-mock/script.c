/*
 * llm-mock/script.c - turning a document tree into a mock script: a list
 * of turns, or a map {price: {input_per_mtok, output_per_mtok}, model,
 * turns}. Each turn is {text, tool_calls: [{name, input}], usage:
 * {input_tokens, output_tokens}}; every unknown key is an error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_mock.h"

static int fail(lm_err *err, const lm_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(lm_err *err, const lm_node *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  err->code = VBX_E_SPEC;
  err->line = at ? at->line : 0;
  err->col = at ? at->col : 0;
  return VBX_E_SPEC;
}

/* Fail at the position of map key i (its value's position if unknown). */
static int fail_key(lm_err *err, const lm_node *map, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_key(lm_err *err, const lm_node *map, size_t i, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  err->code = VBX_E_SPEC;
  err->line = map->key_pos ? map->key_pos[2 * i] : map->kids[i]->line;
  err->col = map->key_pos ? map->key_pos[2 * i + 1] : map->kids[i]->col;
  return VBX_E_SPEC;
}

static lm_node *node_copy(const lm_node *n) {
  lm_node *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  *c = *n;
  c->str = NULL;
  c->kids = NULL;
  c->keys = NULL;
  c->key_pos = NULL;
  c->n = 0;
  if (n->str != NULL && (c->str = strndup(n->str, n->len)) == NULL) goto fail;
  if (n->n > 0) {
    c->kids = calloc(n->n, sizeof *c->kids);
    if (c->kids == NULL) goto fail;
    if (n->keys != NULL && (c->keys = calloc(n->n, sizeof *c->keys)) == NULL) goto fail;
    for (size_t i = 0; i < n->n; i++) {
      c->kids[i] = node_copy(n->kids[i]);
      if (c->kids[i] == NULL || (n->keys != NULL && (c->keys[i] = strdup(n->keys[i])) == NULL)) {
        c->n = i + 1;
        goto fail;
      }
    }
    c->n = n->n;
  }
  return c;
fail:
  lm_node_free(c);
  return NULL;
}

/* Format a key path ("turns[1].usage") into dst; long paths are cut. */
static void keypath(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void keypath(char *dst, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, n, fmt, ap);
  va_end(ap);
}

static int get_string(const lm_node *n, const char *where, char **out, lm_err *err) {
  if (n->kind != LM_SCALAR || (n->plain && strcmp(n->str, "null") == 0))
    return fail(err, n, "%s must be a string", where);
  if (n->len > LM_MAX_TEXT) return fail(err, n, "%s is longer than %u bytes", where, LM_MAX_TEXT);
  *out = strndup(n->str, n->len);
  if (*out == NULL) {
    err->code = VBX_E_NOMEM;
    snprintf(err->msg, sizeof err->msg, "out of memory");
    return VBX_E_NOMEM;
  }
  return 0;
}

static int parse_call(const lm_node *n, const char *where, lm_call *c, lm_err *err) {
  char w[160];
  if (n->kind != LM_MAP) return fail(err, n, "%s must be a map {name, input}", where);
  for (size_t i = 0; i < n->n; i++) {
    const lm_node *v = n->kids[i];
    keypath(w, sizeof w, "%s.%s", where, n->keys[i]);
    int rc = 0;
    if (strcmp(n->keys[i], "name") == 0) {
      rc = get_string(v, w, &c->name, err);
      if (rc == 0 && c->name[0] == '\0') rc = fail(err, v, "%s must not be empty", w);
    } else if (strcmp(n->keys[i], "input") == 0) {
      if (v->kind != LM_MAP) return fail(err, v, "%s must be a map of tool arguments", w);
      c->input = node_copy(v);
      if (c->input == NULL) rc = fail(err, v, "out of memory");
    } else {
      rc = fail_key(err, n, i, "unknown key %s (expected name, input)", w);
    }
    if (rc != 0) return rc;
  }
  if (c->name == NULL) return fail(err, n, "%s has no `name`", where);
  return 0;
}

static int parse_usage(const lm_node *n, const char *where, lm_turn *t, lm_err *err) {
  if (n->kind != LM_MAP)
    return fail(err, n, "%s must be a map {input_tokens, output_tokens}", where);
  for (size_t i = 0; i < n->n; i++) {
    uint64_t v = 0;
    if (strcmp(n->keys[i], "input_tokens") != 0 && strcmp(n->keys[i], "output_tokens") != 0)
      return fail_key(err, n, i, "unknown key %s.%s (expected input_tokens, output_tokens)", where,
                      n->keys[i]);
    if (lm_node_uint(n->kids[i], &v) != 0 || v > 1000000000000ull)
      return fail(err, n->kids[i], "%s.%s must be a non-negative integer", where, n->keys[i]);
    if (n->keys[i][0] == 'i')
      t->input_tokens = v;
    else
      t->output_tokens = v;
  }
  t->has_usage = 1;
  return 0;
}

static int parse_turn(const lm_node *n, size_t idx, lm_turn *t, lm_err *err) {
  char w[160];
  if (n->kind != LM_MAP)
    return fail(err, n, "turns[%zu] must be a map {text, tool_calls, usage}", idx);
  for (size_t i = 0; i < n->n; i++) {
    const lm_node *v = n->kids[i];
    const char *k = n->keys[i];
    keypath(w, sizeof w, "turns[%zu].%s", idx, k);
    int rc = 0;
    if (strcmp(k, "text") == 0) {
      rc = get_string(v, w, &t->text, err);
    } else if (strcmp(k, "usage") == 0) {
      rc = parse_usage(v, w, t, err);
    } else if (strcmp(k, "tool_calls") == 0) {
      if (v->kind != LM_SEQ) return fail(err, v, "%s must be a list of {name, input}", w);
      if (v->n > 0 && (t->calls = calloc(v->n, sizeof *t->calls)) == NULL)
        return fail(err, v, "out of memory");
      for (size_t j = 0; j < v->n && rc == 0; j++) {
        char wj[200];
        keypath(wj, sizeof wj, "%s[%zu]", w, j);
        t->n_calls = j + 1;
        rc = parse_call(v->kids[j], wj, &t->calls[j], err);
      }
    } else {
      rc = fail_key(err, n, i, "unknown key %s (expected text, tool_calls, usage)", w);
    }
    if (rc != 0) return rc;
  }
  if (t->text == NULL && t->n_calls == 0)
    return fail(err, n, "turns[%zu] has neither `text` nor `tool_calls`", idx);
  return 0;
}

static int parse_turns(const lm_node *n, lm_script *s, lm_err *err) {
  if (n->kind != LM_SEQ) return fail(err, n, "turns must be a list");
  if (n->n == 0) return fail(err, n, "turns is empty");
  if (n->n > LM_MAX_TURNS)
    return fail(err, n, "%zu turns, over the limit of %d", n->n, LM_MAX_TURNS);
  s->turns = calloc(n->n, sizeof *s->turns);
  if (s->turns == NULL) return fail(err, n, "out of memory");
  for (size_t i = 0; i < n->n; i++) {
    s->n_turns = i + 1;
    int rc = parse_turn(n->kids[i], i, &s->turns[i], err);
    if (rc != 0) return rc;
  }
  return 0;
}

static int parse_price(const lm_node *n, lm_script *s, lm_err *err) {
  if (n->kind != LM_MAP)
    return fail(err, n, "price must be a map {input_per_mtok, output_per_mtok}");
  for (size_t i = 0; i < n->n; i++) {
    double v = 0;
    if (lm_node_number(n->kids[i], &v) != 0 || v < 0 || v > 1e6)
      return fail(err, n->kids[i], "price.%s must be a number from 0 to 1000000", n->keys[i]);
    if (strcmp(n->keys[i], "input_per_mtok") == 0)
      s->price_in = v;
    else if (strcmp(n->keys[i], "output_per_mtok") == 0)
      s->price_out = v;
    else
      return fail_key(err, n, i,
                      "unknown key price.%s (expected input_per_mtok, "
                      "output_per_mtok)",
                      n->keys[i]);
  }
  return 0;
}

int lm_script_price(const lm_node *n, lm_script *s, lm_err *err) { return parse_price(n, s, err); }

int lm_script_build(const lm_node *root, lm_script *out, lm_err *err) {
  int rc = 0;
  out->price_in = LM_DEFAULT_PRICE_IN;
  out->price_out = LM_DEFAULT_PRICE_OUT;
  if (root->kind == LM_SEQ) return parse_turns(root, out, err);
  if (root->kind != LM_MAP)
    return fail(err, root, "a mock script is a list of turns or a map {price, model, turns}");
  const lm_node *turns = NULL;
  for (size_t i = 0; i < root->n && rc == 0; i++) {
    const char *k = root->keys[i];
    if (strcmp(k, "turns") == 0)
      turns = root->kids[i];
    else if (strcmp(k, "price") == 0)
      rc = parse_price(root->kids[i], out, err);
    else if (strcmp(k, "model") == 0)
      rc = get_string(root->kids[i], "model", &out->model, err);
    else
      rc = fail_key(err, root, i, "unknown key '%s' (expected price, model, turns)", k);
  }
  if (rc != 0) return rc;
  if (turns == NULL) return fail(err, root, "the script has no `turns`");
  return parse_turns(turns, out, err);
}

void lm_script_clear(lm_script *s) {
  for (size_t i = 0; i < s->n_turns; i++) {
    lm_turn *t = &s->turns[i];
    free(t->text);
    for (size_t j = 0; j < t->n_calls; j++) {
      free(t->calls[j].name);
      lm_node_free(t->calls[j].input);
    }
    free(t->calls);
  }
  free(s->turns);
  free(s->model);
  free(s->label);
  memset(s, 0, sizeof *s);
}
