/*
 * tests/install/plugins/c_skill.c - the install test's C plugin: skill type
 * "cskill" with one tool, `shout` {text}, answering "C says: TEXT" in upper
 * case and logging the warning "cskill: shouting 'TEXT'" (on the box's
 * thread: a log record the run's exporters receive). Built against an
 * installed SDK only (pkg-config or find_package).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voidbox/plugin.h>

static const vbx_host_services *host;

static int cskill_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  (void)state, (void)cfg, (void)call;
  *out = (void *)&host; /* no per-box state */
  return 0;
}

static void cskill_destroy(void *skill) { (void)skill; }

static int cskill_provision(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                            vbx_call *call) {
  static const char *TOOLS =
      "[{\"name\": \"shout\", \"description\": \"Repeat a text in upper case.\","
      " \"input_schema\": {\"type\": \"object\","
      " \"properties\": {\"text\": {\"type\": \"string\"}}, \"required\": [\"text\"]}}]";
  (void)skill, (void)sandbox;
  out->name = host->strdup("cskill");
  out->tools = host->json_parse(TOOLS, strlen(TOOLS), call);
  if (out->name == NULL || out->tools == NULL)
    return host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  return 0;
}

static int cskill_call_tool(void *skill, const vbx_sandbox_ref *sandbox, const char *tool,
                            const vbx_json *input, char **out_text, int *is_error, vbx_call *call) {
  (void)skill, (void)sandbox;
  if (strcmp(tool, "shout") != 0)
    return host->set_error(call, VBX_E_NOTFOUND, NULL, "cskill has no tool '%s'", tool);
  const vbx_json *t = input ? host->json_object_get(input, "text") : NULL;
  const char *text = t ? host->json_string_value(t) : NULL;
  if (text == NULL) text = "";
  host->log(host->ctx, VBX_LOG_WARN, "cskill: shouting '%s'", text);
  size_t n = strlen(text) + sizeof("C says: ");
  if ((*out_text = host->alloc(n)) == NULL)
    return host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  char *p = *out_text + snprintf(*out_text, n, "C says: ");
  for (; *text; text++)
    *p++ = (char)toupper((unsigned char)*text);
  *p = '\0';
  *is_error = 0;
  return 0;
}

static const vbx_skill_type_vtable cskill_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "cskill",
    .description = "install test: a `shout` tool written in C",
    .flags = VBX_VT_THREAD_SAFE,
    .create = cskill_create,
    .destroy = cskill_destroy,
    .provision = cskill_provision,
    .call_tool = cskill_call_tool,
};

static int cskill_init(const vbx_host_services *h, const vbx_registrar *reg, void **state) {
  host = h;
  *state = NULL;
  return reg->register_skill_type(reg->reg, &cskill_vtable);
}

VBX_PLUGIN_DEFINE("install-c-skill", "1.0.0", "MIT", "install test plugin in C", cskill_init, NULL)
