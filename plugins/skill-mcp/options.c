/*
 * skill-mcp/options.c - the spec's declaration of an MCP server checked and
 * copied (skill_mcp.h). Each refusal names the spec key, so the error
 * points at its line.
 */
#include <stdlib.h>
#include <string.h>

#include "mcp_names.h"
#include "popt.h"
#include "skill_mcp.h"

#define STR_MAX 4096
#define ARGS_MAX 256
#define ENV_MAX 64
#define ENV_KEY_MAX 128
#define ROOTS_MAX 16
#define ROOT_LEN_MAX 1024
#define KNOWN "command, args, env, timeout_secs, startup_timeout_secs, roots"

typedef struct parse {
  const vbx_host_services *h;
  vbx_call *call;
} parse;

static vbx_popt popt(parse *p, const char *field, const char *what) {
  vbx_popt o = {p->h, p->call, field, what, VBX_E_SPEC, VBX_POPT_PRECISE};
  return o;
}

/* A NULL-terminated array of n + extra slots (calloc'd). */
static char **slots(size_t n) { return calloc(n + 1, sizeof(char *)); }

static int env_key_ok(const char *k) {
  size_t n = strlen(k);
  if (n == 0 || n > ENV_KEY_MAX || (k[0] >= '0' && k[0] <= '9')) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)k[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
  return 0;
}

static int parse_args(parse *p, const vbx_json *v, mcp_opts *o, const char *command) {
  const vbx_host_services *h = p->h;
  size_t n = v ? h->json_array_size(v) : 0;
  if (v != NULL && h->json_type(v) != VBX_JSON_ARRAY)
    return h->set_error(p->call, VBX_E_SPEC, "args", "args must be a list of strings");
  if (n > ARGS_MAX)
    return h->set_error(p->call, VBX_E_SPEC, "args", "args has %zu entries, over the limit of %d",
                        n, ARGS_MAX);
  if ((o->argv = slots(n + 1)) == NULL)
    return h->set_error(p->call, VBX_E_NOMEM, NULL, "out of memory");
  o->argv[0] = strdup(command);
  if (o->argv[0] == NULL) return h->set_error(p->call, VBX_E_NOMEM, NULL, "out of memory");
  o->argc = 1;
  for (size_t i = 0; i < n; i++) {
    vbx_popt po = popt(p, "args", "an entry of args");
    char *s = NULL;
    int rc = vbx_popt_string(&po, h->json_array_get(v, i), 0, STR_MAX, &s);
    if (rc != 0) return rc;
    o->argv[o->argc++] = s;
  }
  return 0;
}

static int parse_env(parse *p, const vbx_json *v, mcp_opts *o) {
  const vbx_host_services *h = p->h;
  if (v != NULL && h->json_type(v) != VBX_JSON_OBJECT)
    return h->set_error(p->call, VBX_E_SPEC, "env", "env must be a map of NAME: value");
  size_t n = v ? h->json_object_size(v) : 0;
  if (n > ENV_MAX)
    return h->set_error(p->call, VBX_E_SPEC, "env", "env has %zu entries, over the limit of %d", n,
                        ENV_MAX);
  if ((o->env = slots(n)) == NULL) return h->set_error(p->call, VBX_E_NOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    vbx_json *val;
    const char *k = h->json_object_key_at(v, i, &val);
    if (k == NULL) break;
    if (!env_key_ok(k))
      return h->set_error(p->call, VBX_E_SPEC, "env",
                          "env name '%.128s' must be letters, digits and _ (not "
                          "starting with a digit), at most %d bytes",
                          k, ENV_KEY_MAX);
    vbx_popt po = popt(p, "env", "a value of env");
    char *s = NULL;
    int rc = vbx_popt_string(&po, val, 0, STR_MAX, &s);
    if (rc != 0) return rc;
    size_t len = strlen(k) + strlen(s) + 2;
    char *kv = malloc(len);
    if (kv != NULL) {
      strcpy(kv, k);
      strcat(kv, "=");
      strcat(kv, s);
    }
    free(s);
    if (kv == NULL) return h->set_error(p->call, VBX_E_NOMEM, NULL, "out of memory");
    o->env[o->n_env++] = kv;
  }
  return 0;
}

static int root_ok(const char *r) {
  if (r[0] != '/' || strlen(r) > ROOT_LEN_MAX || has_control(r)) return 0;
  for (const char *s = r; (s = strstr(s, "..")) != NULL; s += 2)
    if ((s == r || s[-1] == '/') && (s[2] == '/' || s[2] == '\0')) return 0;
  return 1;
}

static int parse_roots(parse *p, const vbx_json *v, mcp_opts *o) {
  const vbx_host_services *h = p->h;
  if (v == NULL) {
    if ((o->roots = slots(1)) == NULL || (o->roots[0] = strdup("/workspace")) == NULL)
      return h->set_error(p->call, VBX_E_NOMEM, NULL, "out of memory");
    o->n_roots = 1;
    return 0;
  }
  size_t n = h->json_type(v) == VBX_JSON_ARRAY ? h->json_array_size(v) : 0;
  if (h->json_type(v) != VBX_JSON_ARRAY || n > ROOTS_MAX)
    return h->set_error(p->call, VBX_E_SPEC, "roots",
                        "roots must be a list of at most %d absolute paths", ROOTS_MAX);
  if ((o->roots = slots(n)) == NULL)
    return h->set_error(p->call, VBX_E_NOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    vbx_popt po = popt(p, "roots", "an entry of roots");
    char *s = NULL;
    int rc = vbx_popt_string(&po, h->json_array_get(v, i), 1, ROOT_LEN_MAX, &s);
    if (rc != 0) return rc;
    o->roots[o->n_roots++] = s;
    if (!root_ok(s))
      return h->set_error(p->call, VBX_E_SPEC, "roots",
                          "root '%.200s' must be an absolute path without '..' or "
                          "control characters",
                          s);
  }
  return 0;
}

static int parse_secs(parse *p, const vbx_json *v, const char *key, int64_t hi, uint32_t dflt,
                      uint32_t *ms) {
  int64_t secs = dflt;
  vbx_popt po = popt(p, key, key);
  if (v != NULL) {
    int rc = vbx_popt_int(&po, v, 1, hi, &secs);
    if (rc != 0) return rc;
  }
  *ms = (uint32_t)secs * 1000u;
  return 0;
}

static int parse_all(parse *p, const vbx_skill_config *cfg, mcp_opts *o) {
  const vbx_host_services *h = p->h;
  const vbx_json *opts = cfg->options;
  if (cfg->value == NULL || cfg->value[0] == '\0')
    return h->set_error(p->call, VBX_E_SPEC, "value",
                        "needs a server name: \"mcp:NAME\" or `value: NAME`");
  if (!vbx_mcp_server_name_ok(cfg->value))
    return h->set_error(p->call, VBX_E_SPEC, "value",
                        "server name '%.64s' must be 1..%d characters of a-z, 0-9, _ "
                        "and - (it becomes part of the tool names mcp__NAME__TOOL)",
                        cfg->value, VBX_MCP_SERVER_NAME_MAX);
  if ((o->server = strdup(cfg->value)) == NULL)
    return h->set_error(p->call, VBX_E_NOMEM, NULL, "out of memory");
  if (opts != NULL && h->json_type(opts) != VBX_JSON_OBJECT) opts = NULL; /* the host's check */
  for (size_t i = 0; opts != NULL; i++) {
    const char *k = h->json_object_key_at(opts, i, NULL);
    if (k == NULL) break;
    if (strcmp(k, "command") && strcmp(k, "args") && strcmp(k, "env") &&
        strcmp(k, "timeout_secs") && strcmp(k, "startup_timeout_secs") && strcmp(k, "roots"))
      return h->set_error(p->call, VBX_E_SPEC, k, "unknown option '%.64s' (known: " KNOWN ")", k);
  }
  const vbx_json *cmd = opts ? h->json_object_get(opts, "command") : NULL;
  if (cmd == NULL)
    return h->set_error(p->call, VBX_E_SPEC, NULL,
                        "needs `command`: the program that runs the server inside "
                        "the sandbox (npx, node, a path)");
  char *command = NULL;
  vbx_popt po = popt(p, "command", "command");
  int rc = vbx_popt_string(&po, cmd, 1, STR_MAX, &command);
  if (rc == 0 && has_control(command))
    rc = h->set_error(p->call, VBX_E_SPEC, "command", "command '%.200s' has control characters",
                      command);
  if (rc == 0) rc = parse_args(p, h->json_object_get(opts, "args"), o, command);
  free(command);
  if (rc == 0) rc = parse_env(p, h->json_object_get(opts, "env"), o);
  if (rc == 0) rc = parse_roots(p, h->json_object_get(opts, "roots"), o);
  if (rc == 0)
    rc = parse_secs(p, h->json_object_get(opts, "timeout_secs"), "timeout_secs", 3600,
                    MCP_TIMEOUT_SECS, &o->timeout_ms);
  if (rc == 0)
    rc = parse_secs(p, h->json_object_get(opts, "startup_timeout_secs"), "startup_timeout_secs",
                    600, MCP_STARTUP_TIMEOUT_SECS, &o->startup_ms);
  return rc;
}

int mcp_opts_parse(const vbx_host_services *h, const vbx_skill_config *cfg, mcp_opts *o,
                   vbx_call *call) {
  memset(o, 0, sizeof *o);
  parse p = {h, call};
  int rc = parse_all(&p, cfg, o);
  if (rc != 0) mcp_opts_clear(o);
  return rc;
}

static void free_list(char **l) {
  for (size_t i = 0; l && l[i]; i++)
    free(l[i]);
  free(l);
}

void mcp_opts_clear(mcp_opts *o) {
  free(o->server);
  free_list(o->argv);
  free_list(o->env);
  free_list(o->roots);
  memset(o, 0, sizeof *o);
}
