/*
 * engine/dispatch.c - the box's tool table (built-ins plus every skill's
 * tools, names unique) and running one tool_use block into a tool_result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

#define MAX_TOOLS 512

static int add_tool(vbx__box_run *br, const char *name, vbx__tool_kind kind, size_t skill) {
  for (size_t i = 0; i < br->n_tools; i++) {
    if (strcmp(br->tools[i].name, name) != 0) continue;
    if (br->tools[i].kind != VBX_TOOL_SKILL)
      return vbx__box_result_fail(br->res, VBX_E_INVAL,
                                  "skill '%s' declares tool '%s', the name of a built-in tool",
                                  br->skills[skill].label, name);
    return vbx__box_result_fail(
        br->res, VBX_E_INVAL, "tool name '%s' is declared by both skill '%s' and skill '%s'", name,
        br->skills[br->tools[i].skill].label, br->skills[skill].label);
  }
  if (br->n_tools >= MAX_TOOLS)
    return vbx__box_result_fail(br->res, VBX_E_LIMIT, "more than %d tools", MAX_TOOLS);
  vbx__tool_entry *t = &br->tools[br->n_tools++];
  t->name = name;
  t->kind = kind;
  t->skill = skill;
  return 0;
}

int vbx__tools_build(vbx__box_run *br) {
  br->tool_defs = json_array();
  br->tools = calloc(MAX_TOOLS, sizeof(*br->tools));
  if (br->tool_defs == NULL || br->tools == NULL || vbx__builtin_tool_defs(br->tool_defs) != 0)
    return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  static const vbx__tool_kind kinds[] = {VBX_TOOL_BASH, VBX_TOOL_READ_FILE, VBX_TOOL_WRITE_FILE};
  for (size_t i = 0; i < 3; i++) {
    const char *n = json_string_value(json_object_get(json_array_get(br->tool_defs, i), "name"));
    int rc = add_tool(br, n, kinds[i], 0);
    if (rc != 0) return rc;
  }
  for (size_t s = 0; s < br->n_skills; s++) {
    const json_t *tools = br->skills[s].tools;
    size_t i;
    json_t *def;
    json_array_foreach(tools, i, def) {
      const char *name = json_string_value(json_object_get(def, "name"));
      if (!json_is_object(def) || name == NULL || name[0] == '\0')
        return vbx__box_result_fail(br->res, VBX_E_PLUGIN,
                                    "skill '%s': tool %zu has no string 'name'",
                                    br->skills[s].label, i);
      int rc = add_tool(br, name, VBX_TOOL_SKILL, s);
      if (rc != 0) return rc;
      if (json_array_append(br->tool_defs, def) != 0)
        return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
    }
  }
  return 0;
}

void vbx__tools_free(vbx__box_run *br) {
  free(br->tools);
  br->tools = NULL;
  br->n_tools = 0;
  json_decref(br->tool_defs);
  br->tool_defs = NULL;
}

static const vbx__tool_entry *find_tool(const vbx__box_run *br, const char *name) {
  for (size_t i = 0; name && i < br->n_tools; i++)
    if (strcmp(br->tools[i].name, name) == 0) return &br->tools[i];
  return NULL;
}

static int run_skill_tool(vbx__box_run *br, const vbx__tool_entry *t, const json_t *input,
                          char **out, int *is_error) {
  vbx__skill_inst *si = &br->skills[t->skill];
  *out = NULL;
  *is_error = 0;
  if (!vbx__impl_has(si->inst.impl, VBX_M_CALL_TOOL)) {
    *is_error = 1;
    *out = strdup("the skill declaring this tool cannot run tools (no call_tool method)");
    return *out ? 0 : VBX_E_NOMEM;
  }
  vbx_call call;
  vbx__box_call(br, &call);
  char *text = NULL;
  int err = 0;
  int rc = vbx__inst_call_tool(&si->inst, &br->ref, t->name, (const vbx_json *)input, &text, &err,
                               &call);
  if (rc != 0) {
    free(text);
    int stop = vbx__box_stopped(br);
    if (stop) return stop;
    char buf[1200];
    snprintf(buf, sizeof(buf), "skill '%s' tool '%s' failed: %s", si->label, t->name,
             vbx__call_message(&call, rc));
    *is_error = 1;
    *out = strdup(buf);
    return *out ? 0 : VBX_E_NOMEM;
  }
  *is_error = err != 0;
  *out = text ? text : strdup("");
  return *out ? 0 : VBX_E_NOMEM;
}

/* Run the tool named in block; *text is malloc'd. */
static int run_tool(vbx__box_run *br, const char *name, const json_t *input, char **text,
                    int *is_error) {
  char buf[512];
  const vbx__tool_entry *t = find_tool(br, name);
  if (name == NULL || t == NULL || !json_is_object(input)) {
    if (name == NULL)
      snprintf(buf, sizeof(buf), "tool_use block without a string 'name'");
    else if (t == NULL)
      snprintf(buf, sizeof(buf), "unknown tool '%.200s'", name);
    else
      snprintf(buf, sizeof(buf), "tool '%.200s': the input must be a JSON object", name);
    *is_error = 1;
    *text = strdup(buf);
    return *text ? 0 : VBX_E_NOMEM;
  }
  if (t->kind == VBX_TOOL_SKILL) return run_skill_tool(br, t, input, text, is_error);
  return vbx__builtin_tool_run(br, t->kind, input, text, is_error);
}

int vbx__tool_dispatch(vbx__box_run *br, const json_t *block, json_t *results) {
  const char *name = json_string_value(json_object_get(block, "name"));
  const char *id = json_string_value(json_object_get(block, "id"));
  const json_t *input = json_object_get(block, "input");
  char *in_text = input ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("null");
  if (in_text == NULL) return VBX_E_NOMEM;
  /* Announce the call before it runs (status RUNNING) so observers see a
   * long tool call while it happens; a second event reports the outcome. */
  vbx_event start;
  memset(&start, 0, sizeof(start));
  start.type = VBX_EV_TOOL_CALL;
  start.tool = name ? name : "";
  start.text = in_text;
  start.status = VBX_STATUS_RUNNING;
  vbx__box_emit(br, &start);
  uint64_t t0 = vbx__now_ns();
  char *raw = NULL;
  int is_error = 0;
  vbx__obs_scope saved;
  vbx_span *span = vbx__obs_tool_begin(name, id, strlen(in_text), &saved);
  int rc = run_tool(br, name, input, &raw, &is_error);
  uint64_t dur = vbx__now_ns() - t0;
  vbx__obs_tool_end(br, span, &saved, name, rc != 0 || is_error, raw ? strlen(raw) : 0, dur);
  if (rc != 0) {
    free(raw);
    free(in_text);
    return rc;
  }
  size_t n = strlen(raw);
  int cut = n > VBX__TOOL_OUTPUT_MAX;
  char *text = vbx__text_sanitize(raw, cut ? VBX__TOOL_OUTPUT_MAX : n);
  free(raw);
  if (text != NULL && cut) {
    vbx__strbuf sb = VBX__STRBUF_INIT;
    vbx__strbuf_puts(&sb, text);
    vbx__strbuf_puts(&sb, "\n[output truncated]");
    free(text);
    text = sb.failed ? NULL : vbx__strbuf_take(&sb);
    if (text == NULL) vbx__strbuf_reset(&sb);
  }
  json_t *res = NULL;
  if (text != NULL)
    res = json_pack("{s:s, s:s, s:s, s:b}", "type", "tool_result", "tool_use_id", id ? id : "",
                    "content", text, "is_error", is_error);
  if (res == NULL || json_array_append_new(results, res) != 0 ||
      vbx__box_result_add_call(br->res, name ? name : "", in_text, text, is_error, dur) != 0)
    rc = VBX_E_NOMEM;
  if (rc == 0) {
    vbx_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = VBX_EV_TOOL_CALL;
    ev.tool = name ? name : "";
    ev.text = in_text;
    ev.status = is_error ? VBX_STATUS_FAILED : VBX_STATUS_OK;
    ev.duration_ns = dur;
    vbx__box_emit(br, &ev);
  }
  free(text);
  free(in_text);
  return rc;
}
