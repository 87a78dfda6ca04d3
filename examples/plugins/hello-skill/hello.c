/*
 * hello.c - an out-of-tree voidbox plugin: the skill type "hello".
 *
 * A spec declares `skills: ["hello:world"]`. The skill adds one line to the
 * box's system prompt and one tool, `hello` {name}, which answers
 * "Hello, NAME!" (NAME defaults to the skill's value). It is built only
 * against the installed SDK headers: see the Makefile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voidbox/plugin.h>

typedef struct hello_state {
  const vbx_host_services *host;
} hello_state;

typedef struct hello_skill {
  const vbx_host_services *host;
  char *who; /* the value after "hello:" */
} hello_skill;

static int hello_validate(void *state, const vbx_skill_config *cfg, vbx_call *call) {
  const vbx_host_services *h = ((hello_state *)state)->host;
  if (cfg->value == NULL || cfg->value[0] == '\0' || strlen(cfg->value) > 128)
    return h->set_error(call, VBX_E_INVAL, NULL,
                        "the hello skill needs a name of 1..128 bytes: hello:NAME");
  if (cfg->options != NULL && h->json_object_size(cfg->options) > 0) {
    vbx_json *v;
    const char *key = h->json_object_key_at(cfg->options, 0, &v);
    return h->set_error(call, VBX_E_INVAL, key, "the hello skill takes no option `%s`", key);
  }
  return 0;
}

static int hello_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  hello_state *st = state;
  int rc = hello_validate(state, cfg, call);
  if (rc != 0) return rc;
  hello_skill *s = calloc(1, sizeof *s);
  if (s == NULL || (s->who = strdup(cfg->value)) == NULL) {
    free(s);
    return st->host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  s->host = st->host;
  *out = s;
  return 0;
}

static void hello_destroy(void *skill) {
  hello_skill *s = skill;
  if (s != NULL) free(s->who);
  free(s);
}

static int hello_provision(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                           vbx_call *call) {
  hello_skill *s = skill;
  const vbx_host_services *h = s->host;
  char prompt[256];
  (void)sandbox; /* nothing to install */
  snprintf(prompt, sizeof prompt,
           "You can greet anyone with the `hello` tool; greet %s when nobody else is named.",
           s->who);
  static const char *TOOLS =
      "[{\"name\": \"hello\", \"description\": \"Greet someone by name.\","
      " \"input_schema\": {\"type\": \"object\","
      " \"properties\": {\"name\": {\"type\": \"string\", \"description\": \"who to greet\"}},"
      " \"required\": []}}]";
  out->name = h->strdup("hello");
  out->system_prompt = h->strdup(prompt);
  out->tools = h->json_parse(TOOLS, strlen(TOOLS), call);
  if (out->name == NULL || out->system_prompt == NULL || out->tools == NULL) {
    h->free(out->name);
    h->free(out->system_prompt);
    if (out->tools != NULL) h->json_decref(out->tools);
    out->name = out->system_prompt = NULL;
    out->tools = NULL;
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  return 0;
}

static int hello_call_tool(void *skill, const vbx_sandbox_ref *sandbox, const char *tool,
                           const vbx_json *input, char **out_text, int *is_error, vbx_call *call) {
  hello_skill *s = skill;
  const vbx_host_services *h = s->host;
  (void)sandbox; /* the greeting runs on the host, nothing touches the sandbox */
  if (strcmp(tool, "hello") != 0)
    return h->set_error(call, VBX_E_NOTFOUND, NULL, "the hello skill has no tool '%s'", tool);
  const vbx_json *name = input ? h->json_object_get(input, "name") : NULL;
  const char *who = name ? h->json_string_value(name) : NULL;
  if (who == NULL || who[0] == '\0') who = s->who;
  size_t n = strlen(who) + 16;
  if (n > 4096) {
    *is_error = 1;
    *out_text = h->strdup("name too long");
    return *out_text ? 0 : h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  *out_text = h->alloc(n);
  if (*out_text == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  snprintf(*out_text, n, "Hello, %s!", who);
  *is_error = 0;
  return 0;
}

static const vbx_skill_type_vtable hello_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "hello",
    .description = "example skill: a `hello` tool that greets by name",
    .flags = VBX_VT_THREAD_SAFE,
    .validate = hello_validate,
    .create = hello_create,
    .destroy = hello_destroy,
    .provision = hello_provision,
    .call_tool = hello_call_tool,
};

static int hello_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  hello_state *st = calloc(1, sizeof *st);
  if (st == NULL) return VBX_E_NOMEM;
  st->host = host;
  int rc = reg->register_skill_type(reg->reg, &hello_vtable);
  if (rc != 0) {
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void hello_fini(void *state) { free(state); }

VBX_PLUGIN_DEFINE("hello-skill", "1.0.0", "MIT", "example out-of-tree skill type \"hello\"",
                  hello_init, hello_fini)
