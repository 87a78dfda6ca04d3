/*
 * engine/loop.c - the native agent loop of one box (engine.h): create the
 * instances of the box as vbx_pipeline_check resolved it, then ask the
 * provider for a completion, run the tools it asks for, feed their results back, until it
 * answers without tools, max_turns is reached, the box deadline passes or
 * the run is cancelled. A box with agent:claude-code runs that engine
 * (claude_code.c) between the same setup and teardown instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/strbuf.h"

static int on_text(void *user, const char *text, size_t len) {
  vbx__box_run *br = user;
  br->streamed_text = 1;
  vbx__box_stream(br, VBX_OUT_TEXT, text, len);
  return vbx__box_stopped(br);
}

/* Concatenated text blocks of a response's content; malloc'd. */
static char *content_text(const json_t *content) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  size_t i;
  json_t *b;
  json_array_foreach(content, i, b) {
    const char *type = json_string_value(json_object_get(b, "type"));
    json_t *t = json_object_get(b, "text");
    if (type && strcmp(type, "text") == 0 && json_is_string(t))
      vbx__strbuf_append(&sb, json_string_value(t), json_string_length(t));
  }
  if (sb.failed) {
    vbx__strbuf_reset(&sb);
    return NULL;
  }
  return vbx__strbuf_take(&sb);
}

static int append_message(json_t *messages, const char *role, json_t *content) {
  json_t *m = json_pack("{s:s, s:O}", "role", role, "content", content);
  return m && json_array_append_new(messages, m) == 0 ? 0 : VBX_E_NOMEM;
}

/* One completion; usage is added and VBX_EV_LLM_TURN emitted. */
static int complete_turn(vbx__box_run *br, json_t **content, char **stop_reason) {
  vbx_llm_request req;
  memset(&req, 0, sizeof(req));
  req.struct_size = sizeof(req);
  req.system = br->system;
  req.messages = (const vbx_json *)br->messages;
  req.tools = (const vbx_json *)br->tool_defs;
  req.max_tokens = VBX__MAX_TOKENS;
  req.on_text = on_text;
  req.user = br;
  vbx_llm_response resp;
  memset(&resp, 0, sizeof(resp));
  resp.struct_size = sizeof(resp);
  resp.usage.struct_size = sizeof(resp.usage);
  vbx_call call;
  vbx__box_call(br, &call);
  br->streamed_text = 0;
  uint64_t t0 = vbx__now_ns();
  vbx__obs_scope saved;
  vbx__llm_call_info ci = {.system = br->rb->llm->name,
                           .model = br->box->llm.model,
                           .box = br->box->name,
                           .max_tokens = req.max_tokens,
                           .turn = (int64_t)br->res->turns + 1};
  vbx_span *span = vbx__obs_llm_begin(&ci, &saved);
  int rc = vbx__inst_complete(&br->provider, &req, &resp, &call);
  uint64_t dur = vbx__now_ns() - t0;
  if (rc == 0 && !json_is_array((json_t *)resp.content))
    rc = vbx__call_fail(&call, VBX_E_PROVIDER, NULL, "llm provider '%s' returned no content array",
                        br->rb->llm->name);
  vbx__obs_llm_end(&ci, span, &saved, rc, vbx__call_message(&call, rc), &resp, dur);
  vbx_box_result *res = br->res;
  res->turns++;
  res->input_tokens += resp.usage.input_tokens;
  res->output_tokens += resp.usage.output_tokens;
  res->cache_read_tokens += resp.usage.cache_read_tokens;
  res->cache_write_tokens += resp.usage.cache_write_tokens;
  res->cost_usd += resp.usage.cost_usd;
  if (resp.model != NULL) {
    free(res->model);
    res->model = resp.model;
  }
  if (rc != 0) {
    json_decref((json_t *)resp.content);
    free(resp.stop_reason);
    return vbx__box_result_fail(res, rc, "%s", vbx__call_message(&call, rc));
  }
  vbx_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = VBX_EV_LLM_TURN;
  ev.text = resp.stop_reason;
  ev.input_tokens = resp.usage.input_tokens;
  ev.output_tokens = resp.usage.output_tokens;
  ev.cost_usd = resp.usage.cost_usd;
  ev.duration_ns = dur;
  vbx__box_emit(br, &ev);
  *content = (json_t *)resp.content;
  *stop_reason = resp.stop_reason;
  return 0;
}

static int run_tools(vbx__box_run *br, const json_t *content) {
  json_t *results = json_array();
  if (results == NULL) return VBX_E_NOMEM;
  int rc = 0;
  size_t i, n = 0;
  json_t *b;
  json_array_foreach(content, i, b) {
    const char *type = json_string_value(json_object_get(b, "type"));
    if (type == NULL || strcmp(type, "tool_use") != 0) continue;
    n++;
    if ((rc = vbx__tool_dispatch(br, b, results)) != 0) break;
  }
  if (rc == 0 && n == 0)
    rc = vbx__box_result_fail(br->res, VBX_E_PROVIDER,
                              "llm provider '%s' stopped for tool_use without a tool_use block",
                              br->rb->llm->name);
  if (rc == 0) rc = append_message(br->messages, "user", results);
  json_decref(results);
  return rc;
}

static int append_partial_output(vbx_box_result *res, const char *text) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  if (res->output != NULL && res->output[0] != '\0') {
    vbx__strbuf_puts(&sb, res->output);
    vbx__strbuf_puts(&sb, "\n");
  }
  vbx__strbuf_puts(&sb, text);
  char *joined = vbx__strbuf_take(&sb);
  if (joined == NULL) return VBX_E_NOMEM;
  int rc = vbx__box_result_set_output(res, joined);
  free(joined);
  return rc;
}

static int agent_loop(vbx__box_run *br) {
  for (;;) {
    int rc = vbx__box_stopped(br);
    if (rc != 0) return rc;
    if (br->res->turns >= br->box->max_turns)
      return vbx__box_result_fail(br->res, VBX_E_LIMIT, "max_turns (%u) reached",
                                  br->box->max_turns);
    json_t *content = NULL;
    char *stop = NULL;
    if ((rc = complete_turn(br, &content, &stop)) != 0) return rc;
    char *text = content_text(content);
    if (text == NULL) rc = VBX_E_NOMEM;
    if (rc == 0 && !br->streamed_text) vbx__box_stream(br, VBX_OUT_TEXT, text, strlen(text));
    if (rc == 0) rc = append_message(br->messages, "assistant", content);
    int more = stop != NULL && strcmp(stop, "tool_use") == 0;
    /* Until the final answer, the output holds the text produced so far,
     * so a cancelled or failed box keeps its partial result. */
    if (rc == 0 && more && text[0] != '\0') rc = append_partial_output(br->res, text);
    if (rc == 0 && more) rc = run_tools(br, content);
    if (rc == 0 && !more) rc = vbx__box_result_set_output(br->res, text);
    free(text);
    free(stop);
    json_decref(content);
    if (rc != 0 || !more) return rc;
  }
}

static int read_output_file(vbx__box_run *br) {
  const char *path = br->box->output_file;
  vbx_call call;
  vbx__box_call(br, &call);
  char *data = NULL;
  size_t len = 0;
  int rc = br->ref.file_read(br, path, VBX__OUTPUT_FILE_MAX, &data, &len, &call);
  if (rc != 0) {
    free(data);
    return vbx__box_result_fail(br->res, rc, "output_file '%s': %s", path,
                                vbx__call_message(&call, rc));
  }
  if (len > VBX__OUTPUT_FILE_MAX) len = VBX__OUTPUT_FILE_MAX;
  br->res->structured_output = vbx__text_sanitize(data ? data : "", data ? len : 0);
  free(data);
  return br->res->structured_output ? 0 : VBX_E_NOMEM;
}

static int start(vbx__box_run *br, const char *input) {
  int rc = vbx__box_stopped(br);
  if (rc != 0) return rc;
  if ((rc = vbx__box_setup(br)) != 0) return rc;
  if ((rc = vbx__tools_build(br)) != 0) return rc;
  char *first = vbx__prompt_first_user(br->box, input);
  br->system = vbx__prompt_system(br);
  br->messages = json_array();
  json_t *content = first ? json_pack("[{s:s, s:s}]", "type", "text", "text", first) : NULL;
  free(first);
  if (br->system == NULL || br->messages == NULL || content == NULL ||
      append_message(br->messages, "user", content) != 0)
    rc = vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  json_decref(content);
  return rc;
}

/* Replace the box's error: a stop overrides what a plugin said. */
static void refail(vbx_box_result *res, int code, const char *text) {
  free(res->error);
  res->error = NULL;
  vbx__box_result_fail(res, code, "%s", text);
}

/* Final status from the loop's code; a stop overrides the plugin's words. */
static void finish(vbx__box_run *br, int rc) {
  vbx_box_result *res = br->res;
  int stop = rc != 0 ? vbx__box_stopped(br) : 0;
  if (stop == VBX_E_CANCELLED) {
    refail(res, stop,
           vbx__cancel_is_set(br->env->run_cancel) || vbx__cancel_is_set(br->env->rt_cancel) ||
                   br->env->stage_why == NULL
               ? "cancelled"
               : br->env->stage_why);
    res->status = VBX_STATUS_CANCELLED;
  } else if (stop == VBX_E_TIMEOUT) {
    char buf[160];
    vbx__box_timeout_text(br->box, buf, sizeof(buf));
    refail(res, stop, buf);
    res->status = VBX_STATUS_FAILED;
  } else if (rc != 0) {
    if (res->error == NULL) vbx__box_result_fail(res, rc, "%s", vbx_strerror(rc));
    res->status = VBX_STATUS_FAILED;
  } else {
    res->status = VBX_STATUS_OK;
  }
}

int vbx__engine_run_box(const vbx__engine_env *env, const vbx__resolved_box *rb, const char *input,
                        vbx_box_result *res) {
  const vbx_box *box = rb->box;
  uint64_t t0 = vbx__now_ns();
  vbx__box_run *br = calloc(1, sizeof(*br));
  if (br == NULL) {
    res->status = VBX_STATUS_FAILED;
    return vbx__box_result_fail(res, VBX_E_NOMEM, "out of memory");
  }
  br->env = env;
  br->box = box;
  br->rb = rb;
  br->res = res;
  vbx__procs_init(&br->procs);
  res->status = VBX_STATUS_RUNNING;
  br->deadline_ns = vbx__box_deadline(box, t0);
  int rc;
  if (rb->engine == VBX__ENGINE_CLAUDE_CODE) {
    rc = vbx__box_stopped(br);
    if (rc == 0) rc = vbx__claude_code_prepare(br);
    if (rc == 0) rc = vbx__box_setup(br);
    if (rc == 0) rc = vbx__claude_code_run(br, input);
  } else {
    rc = start(br, input);
    if (rc == 0) rc = agent_loop(br);
  }
  if (rc == 0 && box->output_file != NULL) rc = read_output_file(br);
  if (rc == 0 && br->sandbox_lost) rc = VBX_E_SANDBOX_LOST; /* a skill swallowed it */
  int stopped = rc != 0 ? vbx__box_stopped(br) : 0;
  finish(br, rc);
  if (stopped) rc = stopped;
  vbx__box_teardown(br);
  vbx__claude_code_cleanup(br); /* the gateway outlives the sandbox that reached it */
  vbx__procs_fini(&br->procs);
  vbx__tools_free(br);
  json_decref(br->messages);
  free(br->system);
  free(br);
  res->duration_ns = vbx__now_ns() - t0;
  return rc;
}
