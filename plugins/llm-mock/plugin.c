/*
 * llm-mock/plugin.c - the plugin descriptor and the "mock" LLM provider:
 * answers come from a script (option `script: PATH` or inline `turns:`),
 * one turn per completion, in order; see docs/mock.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_mock.h"

typedef struct lm_state {
  const vbx_host_services *host;
} lm_state;

typedef struct lm_provider {
  const vbx_host_services *host;
  lm_script script;
  char *cfg_model;
  size_t next;       /* next turn */
  uint64_t tool_ids; /* toolu_mock_N counter */
} lm_provider;

/* Report a parse error: "LABEL:LINE:COL: msg" when positioned. */
static int report(const vbx_host_services *h, vbx_call *call, const char *field, const char *label,
                  const lm_err *e) {
  int code = e->code ? e->code : VBX_E_SPEC;
  if (e->line > 0)
    return h->set_error(call, code, field, "%s:%d:%d: %s", label, e->line, e->col, e->msg);
  return h->set_error(call, code, field, "%s: %s", label, e->msg);
}

/* Parse the options into a script. spec_dir NULL: validation only (the
 * script file is not read, its path cannot be resolved yet). */
static int load_options(const vbx_host_services *h, const vbx_json *options, const char *spec_dir,
                        int read_file, lm_script *s, vbx_call *call) {
  lm_err e = {0};
  const vbx_json *script = NULL, *turns = NULL, *price = NULL;
  lm_node *tree = NULL;
  char *path = NULL;
  int rc = 0;
  memset(s, 0, sizeof *s);
  if (options == NULL || h->json_type(options) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_INVAL, NULL,
                        "the mock provider needs option `script: PATH` or inline `turns:`");
  vbx_json *val;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(options, i, &val)) != NULL; i++) {
    if (strcmp(key, "script") == 0)
      script = val;
    else if (strcmp(key, "turns") == 0)
      turns = val;
    else if (strcmp(key, "price") == 0)
      price = val;
    else
      return h->set_error(call, VBX_E_INVAL, key,
                          "unknown mock provider option `%s` (expected script, turns, price)", key);
  }
  if ((script == NULL) == (turns == NULL))
    return h->set_error(call, VBX_E_INVAL, script ? "turns" : "script",
                        "the mock provider needs exactly one of `script: PATH` and `turns:`");
  if (script != NULL) {
    const char *p = h->json_string_value(script);
    if (p == NULL || p[0] == '\0' || h->json_string_length(script) > 4096)
      return h->set_error(call, VBX_E_INVAL, "script", "script must be a path (1..4096 bytes)");
    if (!read_file) goto price;
    size_t n = strlen(p) + (spec_dir ? strlen(spec_dir) : 0) + 2;
    path = malloc(n);
    if (path == NULL) {
      rc = h->set_error(call, VBX_E_NOMEM, "script", "out of memory");
      goto out;
    }
    if (p[0] == '/' || spec_dir == NULL || spec_dir[0] == '\0')
      snprintf(path, n, "%s", p);
    else
      snprintf(path, n, "%s/%s", spec_dir, p);
    tree = lm_node_load_file(path, &e);
    if (tree == NULL || (rc = lm_script_build(tree, s, &e)) != 0) {
      rc = report(h, call, "script", path, &e);
      goto out;
    }
    s->label = path;
    path = NULL;
  } else {
    tree = lm_node_from_json(h, turns, &e);
    if (tree == NULL || (rc = lm_script_build(tree, s, &e)) != 0 || tree->kind != LM_SEQ) {
      if (rc == 0 && tree != NULL)
        e.code = VBX_E_SPEC, snprintf(e.msg, sizeof e.msg, "turns must be a list");
      rc = report(h, call, "turns", "turns", &e);
      goto out;
    }
    s->label = strdup("inline turns");
    if (s->label == NULL) {
      rc = h->set_error(call, VBX_E_NOMEM, "turns", "out of memory");
      goto out;
    }
  }
price:
  if (price != NULL) {
    lm_node_free(tree);
    tree = lm_node_from_json(h, price, &e);
    if (tree == NULL || (rc = lm_script_price(tree, s, &e)) != 0) {
      rc = report(h, call, "price", "price", &e);
      goto out;
    }
  }
out:
  lm_node_free(tree);
  free(path);
  if (rc != 0) lm_script_clear(s);
  return rc;
}

static int lm_validate(void *state, const vbx_json *options, vbx_call *call) {
  lm_state *st = state;
  lm_script s;
  int rc = load_options(st->host, options, NULL, 0, &s, call);
  if (rc == 0) {
    /* inline turns were fully checked; a script file is read at create */
    lm_script_clear(&s);
  }
  return rc;
}

static int lm_create(void *state, const vbx_llm_config *cfg, vbx_call *call, void **out) {
  lm_state *st = state;
  const vbx_host_services *h = st->host;
  *out = NULL;
  lm_provider *p = calloc(1, sizeof *p);
  if (p == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  p->host = h;
  int rc = load_options(h, cfg->options, cfg->spec_dir, 1, &p->script, call);
  if (rc == 0 && cfg->model != NULL && (p->cfg_model = strdup(cfg->model)) == NULL)
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  if (rc != 0) {
    lm_script_clear(&p->script);
    free(p);
    return rc;
  }
  *out = p;
  return 0;
}

static void lm_destroy(void *provider) {
  lm_provider *p = provider;
  if (p == NULL) return;
  lm_script_clear(&p->script);
  free(p->cfg_model);
  free(p);
}

/* Stream text as words, each with its following whitespace. */
static int stream_words(const vbx_llm_request *req, const char *text) {
  if (req->on_text == NULL) return 0;
  const char *p = text;
  while (*p != '\0') {
    const char *q = p;
    while (*q != '\0' && *q != ' ' && *q != '\n' && *q != '\t')
      q++;
    while (*q == ' ' || *q == '\n' || *q == '\t')
      q++;
    int rc = req->on_text(req->user, p, (size_t)(q - p));
    if (rc != 0) return rc;
    p = q;
  }
  return 0;
}

static int lm_complete(void *provider, const vbx_llm_request *req, vbx_llm_response *resp,
                       vbx_call *call) {
  lm_provider *p = provider;
  const vbx_host_services *h = p->host;
  char *input = NULL, *last = NULL, *text = NULL, *dump = NULL;
  vbx_json *content = NULL;
  int rc = 0;
  if (h->is_cancelled(call))
    return h->set_error(call, VBX_E_CANCELLED, NULL, "mock completion cancelled");
  if (p->next >= p->script.n_turns)
    return h->set_error(call, VBX_E_PROVIDER, NULL, "mock script %s exhausted after %zu turns",
                        p->script.label, p->script.n_turns);
  const lm_turn *t = &p->script.turns[p->next++];
  input = lm_first_user_text(h, req->messages);
  last = lm_last_tool_output(h, req->messages);
  content = h->json_array_new();
  if (input == NULL || last == NULL || content == NULL) goto nomem;
  size_t out_bytes = 0;
  if (t->text != NULL) {
    text = lm_substitute(t->text, input, last);
    if (text == NULL) goto nomem;
    out_bytes += strlen(text);
    if (text[0] != '\0') {
      vbx_json *b = h->json_object_new();
      h->json_object_set(b, "type", h->json_string_new("text", 4));
      h->json_object_set(b, "text", h->json_string_new(text, strlen(text)));
      h->json_array_append(content, b);
    }
  }
  for (size_t i = 0; i < t->n_calls; i++) {
    char id[48];
    snprintf(id, sizeof id, "toolu_mock_%llu", (unsigned long long)++p->tool_ids);
    vbx_json *in = t->calls[i].input ? lm_node_to_json(h, t->calls[i].input, input, last)
                                     : h->json_object_new();
    if (in == NULL) goto nomem;
    char *s = h->json_dump(in);
    out_bytes += s ? strlen(s) : 0;
    h->free(s);
    vbx_json *b = h->json_object_new();
    h->json_object_set(b, "type", h->json_string_new("tool_use", 8));
    h->json_object_set(b, "id", h->json_string_new(id, strlen(id)));
    h->json_object_set(b, "name", h->json_string_new(t->calls[i].name, strlen(t->calls[i].name)));
    h->json_object_set(b, "input", in);
    h->json_array_append(content, b);
  }
  if (text != NULL && (rc = stream_words(req, text)) != 0) {
    rc = h->set_error(call, rc < 0 ? rc : VBX_E_CANCELLED, NULL,
                      "mock completion stopped by the text callback");
    goto out;
  }
  if (t->has_usage) {
    resp->usage.input_tokens = t->input_tokens;
    resp->usage.output_tokens = t->output_tokens;
  } else { /* deterministic estimate: ~4 bytes per token */
    dump = req->messages ? h->json_dump(req->messages) : NULL;
    size_t in_bytes = (dump ? strlen(dump) : 0) + (req->system ? strlen(req->system) : 0);
    resp->usage.input_tokens = in_bytes / 4 + 1;
    resp->usage.output_tokens = out_bytes / 4 + 1;
  }
  resp->usage.struct_size = sizeof resp->usage;
  resp->usage.cost_usd = ((double)resp->usage.input_tokens * p->script.price_in +
                          (double)resp->usage.output_tokens * p->script.price_out) /
                         1e6;
  const char *model = p->script.model ? p->script.model : p->cfg_model ? p->cfg_model : "mock";
  resp->stop_reason = h->strdup(t->n_calls > 0 ? "tool_use" : "end_turn");
  resp->model = h->strdup(model);
  if (resp->stop_reason == NULL || resp->model == NULL) {
    h->free(resp->stop_reason);
    h->free(resp->model);
    resp->stop_reason = resp->model = NULL;
    goto nomem;
  }
  resp->content = content;
  content = NULL;
  goto out;
nomem:
  rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
out:
  if (content != NULL) h->json_decref(content);
  h->free(dump);
  free(input);
  free(last);
  free(text);
  return rc;
}

static const vbx_llm_provider_vtable lm_vtable = {
    .struct_size = sizeof(vbx_llm_provider_vtable),
    .name = "mock",
    .description = "deterministic scripted LLM provider (turns from a YAML/JSON script)",
    .flags = 0,
    .validate_options = lm_validate,
    .create = lm_create,
    .destroy = lm_destroy,
    .complete = lm_complete,
};

static int lm_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  lm_state *st = calloc(1, sizeof *st);
  if (st == NULL) return VBX_E_NOMEM;
  st->host = host;
  int rc = reg->register_llm_provider(reg->reg, &lm_vtable);
  if (rc != 0) {
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void lm_fini(void *state) { free(state); }

VBX_PLUGIN_DEFINE("llm-mock", "0.1.0", "Apache-2.0",
                  "scripted LLM provider \"mock\" for tests and demos", lm_init, lm_fini)
