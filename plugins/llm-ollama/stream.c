/*
 * llm-ollama/stream.c - the /api/chat answer: NDJSON chunks {"message":
 * {"content","tool_calls"},"done":false} ... {"done":true,"done_reason",
 * "prompt_eval_count","eval_count"}, or one object when `stream: false`.
 * Ollama gives tool calls no ids; they are generated ("call_ollama_N",
 * unique per process).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "jsonh.h"
#include "ollama.h"

/* Tool-call id counter, shared by all instances (fan-out boxes run
 * concurrently, hence atomic). */
static atomic_ulong g_call_seq;

static int take_tool_call(vbx_llm_turn *t, const vbx_json *tc) {
  const vbx_host_services *h = t->h;
  vbx_json *fn = vbx_lj_get_typed(h, tc, "function", VBX_JSON_OBJECT);
  const char *name = vbx_lj_get_str(h, fn, "name");
  vbx_json *args = fn ? h->json_object_get(fn, "arguments") : NULL;
  if (!name) return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "tool call without function.name");
  char id[64];
  snprintf(id, sizeof(id), "call_ollama_%lu", atomic_fetch_add(&g_call_seq, 1) + 1);
  long key = t->ntools++;
  int rc = vbx_blocks_tool(&t->blocks, key, id, name);
  if (rc) return rc;
  if (args && h->json_type(args) == VBX_JSON_OBJECT)
    return vbx_blocks_tool_input(&t->blocks, key, args);
  if (args && h->json_type(args) == VBX_JSON_STRING) /* tolerate JSON text */
    return vbx_blocks_tool_json(&t->blocks, key, h->json_string_value(args),
                                h->json_string_length(args));
  if (args && h->json_type(args) != VBX_JSON_NULL)
    return vbx_llm_turn_fail(t, VBX_E_PROTOCOL, "arguments of tool call '%s' are not an object",
                             name);
  return 0;
}

static int take_chunk(vbx_llm_turn *t, const vbx_json *doc) {
  const vbx_host_services *h = t->h;
  int rc = 0;
  vbx_json *err = h->json_object_get(doc, "error");
  if (err) {
    const char *m = h->json_string_value(err);
    if (!m) m = vbx_lj_get_str(h, err, "message");
    return vbx_llm_turn_fail(t, VBX_E_PROVIDER, "ollama error: %s", m ? m : "no message");
  }
  vbx_llm_turn_copy(t->model, sizeof(t->model), vbx_lj_get_str(h, doc, "model"));
  vbx_json *m = vbx_lj_get_typed(h, doc, "message", VBX_JSON_OBJECT);
  vbx_json *c = vbx_lj_get_typed(h, m, "content", VBX_JSON_STRING);
  if (c && h->json_string_length(c) > 0)
    rc = vbx_llm_turn_text(t, VBX_LLM_TEXT_KEY, h->json_string_value(c), h->json_string_length(c));
  vbx_json *tcs = vbx_lj_get_typed(h, m, "tool_calls", VBX_JSON_ARRAY);
  for (size_t i = 0; tcs && i < h->json_array_size(tcs) && !rc; i++)
    rc = take_tool_call(t, h->json_array_get(tcs, i));
  vbx_json *done = h->json_object_get(doc, "done");
  if (!rc && done && h->json_is_true(done)) {
    t->done = 1;
    vbx_llm_turn_copy(t->stop, sizeof(t->stop), vbx_lj_get_str(h, doc, "done_reason"));
    t->usage.input_tokens = vbx_lj_get_u64(h, doc, "prompt_eval_count");
    t->usage.output_tokens = vbx_lj_get_u64(h, doc, "eval_count");
  }
  return rc;
}

int vbx_ollama_line(vbx_llm_turn *t, const char *event, const char *line, size_t len) {
  (void)event;
  vbx_json *doc = vbx_llm_turn_object(t, line, len);
  if (!doc) {
    char what[48];
    snprintf(what, sizeof(what), "%zu", t->nd.lines);
    return vbx_llm_turn_fail(t, VBX_E_PROTOCOL,
                             "malformed JSON in NDJSON line %s of the /api/chat stream", what);
  }
  int rc = take_chunk(t, doc);
  t->h->json_decref(doc);
  if (rc && !t->msg_set) vbx_llm_turn_fail(t, rc, "failed handling an /api/chat chunk");
  return rc;
}

/* Tool calls win over a length stop; otherwise the defaults apply. */
const char *vbx_ollama_stop(const vbx_llm_turn *t) {
  return !vbx_blocks_tools(&t->blocks) && !strcmp(t->stop, "length") ? "max_tokens" : NULL;
}
