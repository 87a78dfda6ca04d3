/*
 * skill-cli/plugin.c - the plugin descriptor and the skill type "cli":
 * `cli:NAME` declares a program the box may run (looked up on the
 * sandbox's PATH), `cli:PATH` (a value with a '/') a host program,
 * statically linked, provisioned into the sandbox at /skills/bin/NAME. The
 * program is described in the system prompt and offered as the tool
 * cli__NAME, which runs it without a shell; it is also added to the box's
 * command allowlist when the box has one (`commands`). Options: `description`,
 * `timeout_secs` (per call, default 60), `check` (look the program up at
 * provisioning, default true).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "popt.h"

#define CLI_DEFAULT_TIMEOUT_SECS 60

typedef struct cli_state {
  const vbx_host_services *host;
} cli_state;

static int valid_program_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > CLI_NAME_MAX || s[0] == '.' || s[0] == '-') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '+' || c == '-'))
      return 0;
  }
  return 1;
}

static void cli_clear(cli_skill *s) {
  free(s->host_path);
  free(s->run_path);
  free(s->description);
  s->host_path = s->run_path = s->description = NULL;
}

/* The options of the map form. */
static int parse_options(cli_skill *s, const vbx_json *o, vbx_call *call) {
  const vbx_host_services *h = s->host;
  for (size_t i = 0; o != NULL; i++) {
    vbx_json *v = NULL;
    const char *k = h->json_object_key_at(o, i, &v);
    if (k == NULL) break;
    vbx_popt po = {.h = h, .call = call, .field = k, .code = VBX_E_SPEC, .precise = 1};
    int rc;
    int64_t n;
    if (strcmp(k, "description") == 0) {
      po.what = "cli option 'description'";
      rc = vbx_popt_string(&po, v, 1, 1024, &s->description);
    } else if (strcmp(k, "timeout_secs") == 0) {
      po.what = "cli option 'timeout_secs'";
      rc = vbx_popt_int(&po, v, 1, 86400, &n);
      if (rc == 0) s->timeout_ms = (uint32_t)n * 1000u;
    } else if (strcmp(k, "check") == 0) {
      po.what = "cli option 'check'";
      rc = vbx_popt_bool(&po, v, &s->check);
    } else {
      rc = h->set_error(call, VBX_E_SPEC, k,
                        "unknown option '%s' for skill type 'cli' (known: description, "
                        "timeout_secs, check)",
                        k);
    }
    if (rc != 0) return rc;
  }
  return 0;
}

/* Read the declaration into s (zeroed first). With `read_binary`, a host
 * program is also read and checked to be static (validate and create
 * both do; provisioning reads it again, so what runs is what is there
 * then). 0 or the error set on call. */
static int cli_load(const vbx_host_services *h, const vbx_skill_config *cfg, cli_skill *s,
                    vbx_call *call) {
  memset(s, 0, sizeof *s);
  s->host = h;
  s->timeout_ms = CLI_DEFAULT_TIMEOUT_SECS * 1000u;
  s->check = 1;
  const char *v = cfg->value;
  if (v == NULL || v[0] == '\0' || strlen(v) > 4096)
    return h->set_error(call, VBX_E_SPEC, NULL,
                        "a cli skill names a program: cli:NAME (on the sandbox's PATH) or "
                        "cli:PATH (a static host binary to provision)");
  const char *slash = strrchr(v, '/');
  const char *base = slash ? slash + 1 : v;
  if (!valid_program_name(base))
    return h->set_error(call, VBX_E_SPEC, NULL,
                        "cli skill '%.80s': the program's name '%.80s' must be 1..%d characters "
                        "of A-Z a-z 0-9 . _ + - not starting with '.' or '-'",
                        v, base, CLI_NAME_MAX);
  memcpy(s->name, base, strlen(base) + 1); /* valid_program_name bounded it */
  memcpy(s->tool, "cli__", 5);
  memcpy(s->tool + 5, base, strlen(base) + 1);
  for (char *p = s->tool; *p; p++)
    if (*p == '.' || *p == '+') *p = '_';
  int rc = parse_options(s, cfg->options, call);
  if (rc != 0) goto fail;
  if (slash != NULL) {
    if (v[0] == '/' || cfg->spec_dir == NULL || cfg->spec_dir[0] == '\0')
      s->host_path = strdup(v);
    else if (asprintf(&s->host_path, "%s/%s", cfg->spec_dir, v) < 0)
      s->host_path = NULL;
    if (s->host_path == NULL || asprintf(&s->run_path, "%s/%s", CLI_GUEST_BIN, base) < 0) {
      s->run_path = NULL;
      rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
      goto fail;
    }
    char msg[600], *data = NULL;
    size_t len = 0;
    rc = cli_elf_check_static(s->host_path, &data, &len, msg, sizeof msg);
    free(data);
    if (rc != 0) {
      rc = h->set_error(call, rc == VBX_E_INVAL ? VBX_E_SPEC : rc, NULL, "cli skill: %s", msg);
      goto fail;
    }
  } else if ((s->run_path = strdup(v)) == NULL) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto fail;
  }
  return 0;
fail:
  cli_clear(s);
  return rc;
}

static int cli_validate(void *state, const vbx_skill_config *cfg, vbx_call *call) {
  cli_state *st = state;
  cli_skill s;
  int rc = cli_load(st->host, cfg, &s, call);
  if (rc == 0) cli_clear(&s);
  return rc;
}

static int cli_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  cli_state *st = state;
  *out = NULL;
  cli_skill *s = malloc(sizeof *s);
  if (s == NULL) return st->host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  int rc = cli_load(st->host, cfg, s, call);
  if (rc != 0) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

static void cli_destroy(void *skill) {
  cli_skill *s = skill;
  if (s == NULL) return;
  cli_clear(s);
  free(s);
}

/* Install the host program, if any, then look the program up. */
static int cli_install(cli_skill *s, const vbx_sandbox_ref *sb, vbx_call *call) {
  const vbx_host_services *h = s->host;
  if (s->host_path != NULL) {
    char msg[600], *data = NULL;
    size_t len = 0;
    int rc = cli_elf_check_static(s->host_path, &data, &len, msg, sizeof msg);
    if (rc != 0) return h->set_error(call, rc, NULL, "cli skill: %s", msg);
    if (sb->file_write == NULL)
      rc = VBX_E_UNSUPPORTED;
    else
      rc = sb->file_write(sb->handle, s->run_path, data, len, 0755, call);
    free(data);
    if (rc == VBX_E_UNSUPPORTED && sb->file_write == NULL)
      return h->set_error(call, rc, NULL, "cli skill '%s': the sandbox cannot write files",
                          s->name);
    if (rc != 0) return rc;
  }
  if (!s->check) return 0;
  const char *argv[] = {"/bin/sh", "-c", "command -v -- \"$1\"", "sh", s->run_path, NULL};
  vbx_exec_request req = {.struct_size = sizeof req, .argv = argv, .timeout_ms = 30000};
  req.max_output_bytes = 4096;
  vbx_exec_result res = {.struct_size = sizeof res};
  int rc = sb->exec(sb->handle, &req, &res, call);
  if (rc == VBX_E_PERM)
    return h->set_error(call, rc, NULL,
                        "cli skill '%s': cannot look the program up: the box refuses /bin/sh "
                        "(its command allowlist?); set `check: false` to skip the lookup",
                        s->name);
  if (rc != 0) return rc;
  int found = res.exit_code == 0 && res.term_signal == 0 && !res.timed_out;
  h->free(res.stdout_data);
  h->free(res.stderr_data);
  if (!found)
    return h->set_error(call, VBX_E_NOTFOUND, NULL,
                        "cli skill '%s': no program '%s' in the sandbox (looked up with "
                        "`command -v` on its PATH; `check: false` skips this)",
                        s->name, s->run_path);
  return 0;
}

static int cli_provision(void *skill, const vbx_sandbox_ref *sb, vbx_skill_contrib *out,
                         vbx_call *call) {
  cli_skill *s = skill;
  const vbx_host_services *h = s->host;
  if (sb == NULL || sb->exec == NULL)
    return h->set_error(call, VBX_E_UNSUPPORTED, NULL,
                        "cli skill '%s': the sandbox cannot run "
                        "programs",
                        s->name);
  int rc = cli_install(s, sb, call);
  if (rc != 0) return rc;
  vbx_json *def = cli_tool_def(s);
  vbx_json *tools = h->json_array_new();
  char *prompt = NULL;
  if (asprintf(&prompt,
               "## CLI: %s\n%s%sThe program `%s` is installed in the sandbox. Run it with the "
               "tool %s (arguments as a list, no shell) or from bash as `%s`.",
               s->name, s->description ? s->description : "", s->description ? "\n" : "", s->name,
               s->tool, s->run_path) < 0)
    prompt = NULL;
  out->name = NULL;
  if (asprintf(&out->name, "cli:%s", s->name) < 0) out->name = NULL;
  char *p = prompt ? h->strdup(prompt) : NULL;
  char *n = out->name ? h->strdup(out->name) : NULL;
  free(prompt);
  free(out->name);
  out->name = n;
  out->system_prompt = p;
  if (def == NULL || tools == NULL || h->json_array_append(tools, def) != 0 || p == NULL ||
      n == NULL) {
    if (tools)
      h->json_decref(tools);
    else if (def)
      h->json_decref(def);
    h->free(out->name);
    h->free(out->system_prompt);
    out->name = out->system_prompt = NULL;
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  out->tools = tools;
  return 0;
}

static int cli_call_tool(void *skill, const vbx_sandbox_ref *sb, const char *tool,
                         const vbx_json *input, char **out_text, int *is_error, vbx_call *call) {
  cli_skill *s = skill;
  if (tool == NULL || strcmp(tool, s->tool) != 0)
    return s->host->set_error(call, VBX_E_NOTFOUND, NULL, "cli skill '%s' has no tool '%s'",
                              s->name, tool ? tool : "(null)");
  return cli_tool_run(s, sb, input, out_text, is_error, call);
}

/* The one program a cli skill runs, for the box's allowlist (ABI 1.3). */
static int cli_commands(void *state, const vbx_skill_config *cfg, char ***out, vbx_call *call) {
  cli_state *st = state;
  const vbx_host_services *h = st->host;
  cli_skill s;
  *out = NULL;
  int rc = cli_load(h, cfg, &s, call);
  if (rc != 0) return rc;
  char **v = h->alloc(2 * sizeof *v);
  if (v != NULL && (v[0] = h->strdup(s.run_path)) == NULL) {
    h->free(v);
    v = NULL;
  }
  cli_clear(&s);
  if (v == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  *out = v; /* v[1] is NULL: alloc zero-fills */
  return 0;
}

static const vbx_skill_type_vtable cli_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "cli",
    .description =
        "a program the box may run, described to the model and offered as the tool "
        "cli__NAME; a static host binary is provisioned at /skills/bin/NAME",
    .flags = VBX_VT_THREAD_SAFE,
    .validate = cli_validate,
    .create = cli_create,
    .destroy = cli_destroy,
    .provision = cli_provision,
    .call_tool = cli_call_tool,
    .commands = cli_commands,
};

static int cli_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  cli_state *st = calloc(1, sizeof *st);
  if (st == NULL) return VBX_E_NOMEM;
  st->host = host;
  int rc = reg->register_skill_type(reg->reg, &cli_vtable);
  if (rc != 0) {
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void cli_fini(void *state) { free(state); }

VBX_PLUGIN_DEFINE("skill-cli", "0.1.0", "Apache-2.0",
                  "skill type \"cli\": programs the box may run, offered as tools", cli_init,
                  cli_fini)
