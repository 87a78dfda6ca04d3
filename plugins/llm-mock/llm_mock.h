/*
 * llm-mock/llm_mock.h - internals of the scripted "mock" LLM provider: a
 * small document tree (from a YAML/JSON script file, with positions, or
 * from the host's JSON for inline `turns:`), the parsed script, and the
 * {{input}} / {{last_tool_output}} templates.
 *
 * Threads: a script is read-only after parsing; a provider instance is used
 * by one thread at a time.
 */
#ifndef VBX_LLM_MOCK_H
#define VBX_LLM_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/plugin.h"

#define LM_MAX_SCRIPT_BYTES (4u << 20)
#define LM_MAX_NODES 200000
#define LM_MAX_DEPTH 64
#define LM_MAX_TURNS 10000
#define LM_MAX_TEXT (4u << 20) /* a substituted text or string */
#define LM_DEFAULT_PRICE_IN 3.0
#define LM_DEFAULT_PRICE_OUT 15.0

typedef enum lm_kind { LM_SCALAR = 0, LM_SEQ = 1, LM_MAP = 2 } lm_kind;

/* A document node. Scalars keep their text and whether they were plain
 * (unquoted: may be a number, bool or null) or quoted (always a string). */
typedef struct lm_node {
  lm_kind kind;
  char *str; /* scalar text (malloc'd) */
  size_t len;
  int plain;
  struct lm_node **kids; /* sequence items / map values */
  char **keys;           /* map keys */
  int *key_pos;          /* map keys' line,col pairs (2 per key); may be NULL */
  size_t n;
  int line, col; /* 1-based; 0 when unknown (inline options) */
} lm_node;

/* Error sink for parsing: where and what. */
typedef struct lm_err {
  int code;
  int line, col;
  char msg[512];
} lm_err;

/* ---- node.c ---- */
/* Load a YAML or JSON file (bounded) into a tree. NULL with *err filled. */
lm_node *lm_node_load_file(const char *path, lm_err *err);
/* Convert host JSON into a tree (no positions). NULL with *err filled. */
lm_node *lm_node_from_json(const vbx_host_services *h, const vbx_json *v, lm_err *err);
void lm_node_free(lm_node *n);
/* Look up a map key; NULL when absent or not a map. */
const lm_node *lm_node_get(const lm_node *map, const char *key);
/* Parse a plain scalar as a non-negative integer / a number. 0 on success. */
int lm_node_uint(const lm_node *n, uint64_t *out);
int lm_node_number(const lm_node *n, double *out);

/* ---- script.c ---- */
typedef struct lm_call {
  char *name;
  lm_node *input; /* a map, owned (copied from the document) */
} lm_call;

typedef struct lm_turn {
  char *text; /* NULL when the turn has none */
  lm_call *calls;
  size_t n_calls;
  int has_usage;
  uint64_t input_tokens, output_tokens;
} lm_turn;

typedef struct lm_script {
  char *label;                /* the script path, or "inline turns" */
  char *model;                /* NULL: from the config, else "mock" */
  double price_in, price_out; /* USD per million tokens */
  lm_turn *turns;
  size_t n_turns;
} lm_script;

/* Interpret a tree (a list of turns, or a map {price, model, turns}) into
 * a script. On error fills *err (with the node's position) and returns a
 * negative code. The tree stays owned by the caller. */
int lm_script_build(const lm_node *root, lm_script *out, lm_err *err);
void lm_script_clear(lm_script *s);
/* Parse a price map {input_per_mtok, output_per_mtok} into s (the inline
 * `price:` option). 0 or a negative code with *err filled. */
int lm_script_price(const lm_node *n, lm_script *s, lm_err *err);

/* ---- template.c ---- */
/* The text of the first user message of a canonical message array
 * (text blocks joined with "\n"); malloc'd, "" when none. */
char *lm_first_user_text(const vbx_host_services *h, const vbx_json *messages);
/* The content of the most recent tool_result block; malloc'd, "" when none. */
char *lm_last_tool_output(const vbx_host_services *h, const vbx_json *messages);
/* Replace {{input}} and {{last_tool_output}} in text. malloc'd or NULL
 * (OOM or longer than LM_MAX_TEXT). */
char *lm_substitute(const char *text, const char *input, const char *last_tool);
/* Convert a node into host JSON, substituting templates in strings. New
 * reference or NULL. */
vbx_json *lm_node_to_json(const vbx_host_services *h, const lm_node *n, const char *input,
                          const char *last_tool);

#endif
