/*
 * engine/claude_code.c - the agent:claude-code engine of one box: the real
 * claude-code CLI runs inside the box's sandbox and talks to the box's LLM
 * gateway (core/gateway) on the host, which holds the provider and its key;
 * the box only ever gets the gateway's per-box token. Its stream-json output
 * (cc_stream.h) becomes the box's events and result.
 *
 * The order: find the CLI on the host and start the gateway (before the
 * sandbox exists, so the sandbox is created knowing the gateway's port and
 * with the CLI's directory mounted read-only), then - after the instances
 * are created - copy each provisioned skill into ~/.claude/skills, run the
 * CLI, read its stream, and stop the gateway at the end.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/cc_stream.h"
#include "engine/internal.h"
#include "gateway/gateway.h"
#include "util/cachedir.h"

#define CC_GUEST_DIR "/opt/voidbox/claude-code"
#define CC_HOME "/tmp/voidbox-claude"
#define CC_STDERR_TAIL 2048u

/* The host path of the pinned CLI: $VOIDBOX_CLAUDE_CODE, else the user
 * cache's install of the pinned version (scripts/claude-code.sh). */
static int find_cli(char *out, size_t cap, char *why, size_t why_cap) {
  const char *env = getenv("VOIDBOX_CLAUDE_CODE");
  if (env != NULL && env[0] != '\0') {
    if (strlen(env) >= cap) {
      snprintf(why, why_cap, "VOIDBOX_CLAUDE_CODE is longer than %zu bytes", cap - 1);
      return VBX_E_TOOBIG;
    }
    snprintf(out, cap, "%s", env);
  } else {
    char dir[PATH_MAX];
    if (vbx__cache_subdir("claude-code", NULL, dir, sizeof(dir)) != 0) {
      snprintf(why, why_cap, "no user cache directory (set HOME or XDG_CACHE_HOME)");
      return VBX_E_NOTFOUND;
    }
    int n = snprintf(out, cap, "%s/%s/node_modules/@anthropic-ai/claude-code-linux-x64/claude", dir,
                     VBX_CLAUDE_CODE_VERSION);
    if (n < 0 || (size_t)n >= cap) {
      snprintf(why, why_cap, "the cache path is too long");
      return VBX_E_TOOBIG;
    }
  }
  struct stat st;
  if (stat(out, &st) != 0 || !S_ISREG(st.st_mode) || access(out, X_OK) != 0) {
    snprintf(why, why_cap,
             "the claude-code CLI is not installed at %.600s (install the pinned version %s "
             "with scripts/claude-code.sh, or set VOIDBOX_CLAUDE_CODE to its path)",
             out, VBX_CLAUDE_CODE_VERSION);
    return VBX_E_NOTFOUND;
  }
  return 0;
}

int vbx__claude_code_prepare(vbx__box_run *br) {
  vbx__cc_engine *cc = &br->cc;
  char cli[PATH_MAX], why[900];
  int rc = find_cli(cli, sizeof(cli), why, sizeof(why));
  if (rc != 0) return vbx__box_result_fail(br->res, rc, "agent:claude-code: %s", why);
  char *slash = strrchr(cli, '/');
  *slash = '\0';
  cc->host_dir = strdup(cli);
  cc->cli_name = strdup(slash + 1);
  if (cc->host_dir == NULL || cc->cli_name == NULL)
    return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  vbx_llm_config llm;
  vbx__llm_config(br->box, &llm);
  vbx__gateway_config g;
  memset(&g, 0, sizeof(g));
  g.impl = br->rb->llm;
  g.llm = &llm;
  g.cancel = br->env->run_cancel;
  g.obs = vbx__obs_current(); /* the box's: its agent's model calls are its chat spans */
  vbx_error err;
  memset(&err, 0, sizeof(err));
  rc = vbx__gateway_start(&g, &cc->gw, &err);
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "agent:claude-code: the LLM gateway: %s", err.message);
  memset(&cc->mount, 0, sizeof(cc->mount));
  cc->mount.struct_size = sizeof(cc->mount);
  cc->mount.host_path = cc->host_dir;
  cc->mount.guest_path = CC_GUEST_DIR;
  cc->mount.read_only = 1;
  return 0;
}

void vbx__claude_code_cleanup(vbx__box_run *br) {
  vbx__cc_engine *cc = &br->cc;
  vbx__gateway_stop(cc->gw);
  free(cc->host_dir);
  free(cc->cli_name);
  memset(cc, 0, sizeof(*cc));
}

int vbx__claude_code_owns_skill(const vbx__box_run *br, size_t i) {
  const char *t = br->box->skills[i].type;
  return br->rb->engine == VBX__ENGINE_CLAUDE_CODE && t != NULL && strcmp(t, "mcp") == 0;
}

/* A string-array option of an mcp declaration as a JSON array copy, or an
 * empty array. */
static json_t *array_opt(const json_t *o, const char *key) {
  const json_t *v = json_object_get(o, key);
  return json_is_array(v) ? json_deep_copy(v) : json_array();
}

/* {"mcpServers": {NAME: {command, args, env}}} of the box's mcp skills,
 * which claude-code starts itself inside the sandbox; NULL when none (or
 * out of memory: *failed). */
static char *mcp_config(const vbx__box_run *br, int *failed) {
  json_t *servers = json_object();
  *failed = servers == NULL;
  for (size_t i = 0; servers && i < br->box->n_skills; i++) {
    if (!vbx__claude_code_owns_skill(br, i)) continue;
    const vbx__skill_decl *s = &br->box->skills[i];
    const json_t *o = s->options.obj;
    json_t *srv = json_object();
    json_t *cmd = json_object_get(o, "command");
    json_t *env = json_object_get(o, "env");
    if (srv == NULL ||
        json_object_set_new(srv, "command",
                            json_is_string(cmd) ? json_copy(cmd) : json_string("")) ||
        json_object_set_new(srv, "args", array_opt(o, "args")) ||
        json_object_set_new(srv, "env",
                            json_is_object(env) ? json_deep_copy(env) : json_object()) ||
        json_object_set_new(servers, s->value ? s->value : "mcp", srv)) {
      *failed = 1;
      break;
    }
  }
  char *text = NULL;
  if (!*failed && json_object_size(servers) > 0) {
    json_t *root = json_pack("{s:O}", "mcpServers", servers);
    text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    *failed = text == NULL;
    json_decref(root);
  }
  json_decref(servers);
  return text;
}

/* The head of claude-code's --append-system-prompt, before the skills'
 * sections. The native engine's preamble is not given: claude-code has its
 * own tools. */
static const char cc_head[] =
    "You run inside an isolated, disposable voidbox sandbox; /workspace is the working directory.";

/* Run a shell snippet in the box as the command user; 0 when it exited 0,
 * else the box fails with `what` and the snippet's stderr. */
static int box_sh(vbx__box_run *br, const char *script, const char *const *env, const char *what) {
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  vbx_exec_request req = {.struct_size = sizeof(req), .argv = argv, .env = env};
  req.timeout_ms = 60000;
  req.max_output_bytes = 4096;
  vbx_exec_result res = {.struct_size = sizeof(res)};
  vbx_call call;
  vbx__box_call(br, &call);
  int rc = br->ref.exec(br, &req, &res, &call);
  if (rc != 0)
    rc = vbx__box_result_fail(br->res, rc, "agent:claude-code: %s: %s", what,
                              vbx__call_message(&call, rc));
  else if (res.exit_code != 0 || res.term_signal != 0)
    rc = vbx__box_result_fail(br->res, VBX_E_SANDBOX, "agent:claude-code: %s: exit %d: %.500s",
                              what, res.exit_code, res.stderr_data ? res.stderr_data : "");
  free(res.stdout_data);
  free(res.stderr_data);
  return rc;
}

/* A tool call of the CLI's, between its tool_use and its tool_result. */
typedef struct cc_tool {
  char id[96], name[128];
  vbx_span *span;
  uint64_t t0;
} cc_tool;
#define CC_OPEN_TOOLS 64 /* tool calls awaiting their result that get a span */

/* What the run's stream callbacks need. */
typedef struct cc_run {
  vbx__box_run *br;
  vbx__cc_stream st;
  uint64_t tool_t0;
  cc_tool open[CC_OPEN_TOOLS];
  size_t n_open;
  char err_tail[CC_STDERR_TAIL + 1];
  size_t err_len;
  int rc; /* out of memory while recording */
} cc_run;

static void ev_tool_use(void *user, const char *id, const char *name, const char *input) {
  cc_run *r = user;
  vbx_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = VBX_EV_TOOL_CALL;
  ev.tool = name;
  ev.text = input;
  ev.status = VBX_STATUS_RUNNING;
  vbx__box_emit(r->br, &ev);
  r->tool_t0 = vbx__now_ns();
  if (r->n_open < CC_OPEN_TOOLS && id != NULL) {
    cc_tool *t = &r->open[r->n_open++];
    snprintf(t->id, sizeof(t->id), "%s", id);
    snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
    t->span = vbx__obs_tool_span(name, id, input ? strlen(input) : 0);
    t->t0 = r->tool_t0;
  }
}

/* The open tool call with `id` taken out of r->open into *out; 0 when it
 * has none. */
static int take_tool(cc_run *r, const char *id, cc_tool *out) {
  for (size_t i = 0; id != NULL && i < r->n_open; i++) {
    if (strncmp(r->open[i].id, id, sizeof(r->open[i].id) - 1) != 0) continue;
    *out = r->open[i];
    r->open[i] = r->open[--r->n_open];
    return 1;
  }
  return 0;
}

/* Tool calls the stream never answered: their spans end as failed. */
static void close_open_tools(cc_run *r) {
  uint64_t now = vbx__now_ns();
  while (r->n_open > 0) {
    cc_tool *t = &r->open[--r->n_open];
    vbx__obs_tool_finish(r->br, t->span, t->name, 1, 0, now - t->t0);
  }
}

static void ev_tool_result(void *user, const char *id, const char *name, const char *input,
                           const char *output, int is_error) {
  cc_run *r = user;
  cc_tool t;
  int have = take_tool(r, id, &t);
  uint64_t t0 = have ? t.t0 : r->tool_t0;
  uint64_t dur = t0 ? vbx__now_ns() - t0 : 0;
  if (have) vbx__obs_tool_finish(r->br, t.span, name, is_error, strlen(output), dur);
  char *text = vbx__text_sanitize(output, strlen(output));
  if (text == NULL || vbx__box_result_add_call(r->br->res, name, input, text, is_error, dur) != 0)
    r->rc = VBX_E_NOMEM;
  free(text);
  vbx_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = VBX_EV_TOOL_CALL;
  ev.tool = name;
  ev.text = input;
  ev.status = is_error ? VBX_STATUS_FAILED : VBX_STATUS_OK;
  ev.duration_ns = dur;
  vbx__box_emit(r->br, &ev);
}

static void ev_text(void *user, const char *text, size_t len) {
  cc_run *r = user;
  vbx__box_stream(r->br, VBX_OUT_TEXT, text, len);
}

static void ev_turn(void *user, uint64_t in, uint64_t out) {
  cc_run *r = user;
  vbx_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = VBX_EV_LLM_TURN;
  ev.input_tokens = in;
  ev.output_tokens = out;
  vbx__box_emit(r->br, &ev);
}

/* stdout is the stream; stderr is shown and its tail kept for errors. */
static int on_output(void *user, vbx_stream stream, const char *data, size_t len) {
  cc_run *r = user;
  if (stream == VBX_STREAM_STDOUT) {
    int rc = vbx__cc_stream_feed(&r->st, data, len);
    if (rc != 0) return rc;
  } else {
    vbx__box_stream(r->br, VBX_OUT_TOOL_STDERR, data, len);
    if (len >= CC_STDERR_TAIL) {
      memcpy(r->err_tail, data + len - CC_STDERR_TAIL, CC_STDERR_TAIL);
      r->err_len = CC_STDERR_TAIL;
    } else {
      size_t keep = r->err_len + len > CC_STDERR_TAIL ? CC_STDERR_TAIL - len : r->err_len;
      memmove(r->err_tail, r->err_tail + r->err_len - keep, keep);
      memcpy(r->err_tail + keep, data, len);
      r->err_len = keep + len;
    }
    r->err_tail[r->err_len] = '\0';
  }
  return r->rc ? r->rc : vbx__box_stopped(r->br);
}

/* The summary into the box's result; the box fails when claude-code said
 * is_error or gave no result. */
static int record(cc_run *r, const vbx_exec_result *x) {
  vbx_box_result *res = r->br->res;
  const vbx__cc_summary *m = &r->st.sum;
  res->turns = m->turns;
  res->input_tokens = m->input_tokens;
  res->output_tokens = m->output_tokens;
  res->cache_read_tokens = m->cache_read_tokens;
  res->cache_write_tokens = m->cache_write_tokens;
  res->cost_usd = m->cost_usd;
  if (m->model) {
    free(res->model);
    res->model = strdup(m->model);
  }
  const char *answer = m->result ? m->result : m->last_text ? m->last_text : "";
  char *clean = vbx__text_sanitize(answer, strlen(answer));
  int rc = clean ? vbx__box_result_set_output(res, clean) : VBX_E_NOMEM;
  free(clean);
  if (rc != 0) return vbx__box_result_fail(res, rc, "out of memory");
  if (!m->have_result) {
    char status[64];
    if (x->timed_out)
      snprintf(status, sizeof(status), "timed out");
    else if (x->term_signal)
      snprintf(status, sizeof(status), "was killed by signal %d", x->term_signal);
    else
      snprintf(status, sizeof(status), "exited with status %d", x->exit_code);
    return vbx__box_result_fail(
        res, VBX_E_TOOL, "agent:claude-code: the CLI %s without a result%s%.200s%s%s", status,
        m->bad_lines ? "; it printed: " : "", m->bad_lines ? m->bad_head : "",
        r->err_len ? "; stderr: " : "", r->err_tail);
  }
  if (m->is_error)
    return vbx__box_result_fail(
        res, VBX_E_PROVIDER, "agent:claude-code reported an error (%s): %.600s",
        m->subtype ? m->subtype : "no subtype", m->result ? m->result : "no message");
  return 0;
}

int vbx__claude_code_run(vbx__box_run *br, const char *input) {
  vbx__cc_engine *cc = &br->cc;
  char home_env[] = "HOME=" CC_HOME;
  const char *setup_env[] = {home_env, NULL};
  int rc = box_sh(br,
                  "set -e; mkdir -p \"$HOME/.claude/skills\"; for d in /skills/*/; do "
                  "[ -f \"${d}SKILL.md\" ] || continue; n=$(basename \"$d\"); "
                  "rm -rf \"$HOME/.claude/skills/$n\"; cp -R \"$d\" \"$HOME/.claude/skills/$n\"; "
                  "done",
                  setup_env, "installing the skills into ~/.claude/skills");
  if (rc != 0) return rc;
  int mcp_failed = 0;
  char *mcp = mcp_config(br, &mcp_failed);
  char *prompt = vbx__prompt_first_user(br->box, input);
  char *system = vbx__prompt_with_skills(br, cc_head);
  char cli[PATH_MAX], turns[16], key_env[VBX__GATEWAY_TOKEN_MAX + 32];
  snprintf(cli, sizeof(cli), "%s/%s", CC_GUEST_DIR, cc->cli_name);
  snprintf(turns, sizeof(turns), "%u", br->box->max_turns);
  snprintf(key_env, sizeof(key_env), "ANTHROPIC_API_KEY=%s", vbx__gateway_token(cc->gw));
  if (mcp_failed || prompt == NULL || system == NULL) {
    free(mcp);
    free(prompt);
    free(system);
    return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  }
  /* The backend puts the in-box gateway address in VOIDBOX_LLM_GATEWAY_URL;
   * the wrapper hands it to the CLI and refuses to start without it, so the
   * CLI never falls back to the public API with the token. */
  const char *argv[24] = {
      "/bin/sh",
      "-c",
      "[ -n \"$VOIDBOX_LLM_GATEWAY_URL\" ] || { echo 'voidbox: no LLM gateway address in the "
      "box (VOIDBOX_LLM_GATEWAY_URL)' >&2; exit 127; }; "
      "ANTHROPIC_BASE_URL=\"$VOIDBOX_LLM_GATEWAY_URL\" exec \"$@\"",
      "claude",
      cli,
      "-p",
      prompt,
      "--output-format",
      "stream-json",
      "--verbose",
      "--max-turns",
      turns,
      "--dangerously-skip-permissions",
      "--append-system-prompt",
      system};
  size_t n = 15;
  if (mcp != NULL) {
    argv[n++] = "--mcp-config";
    argv[n++] = mcp;
    argv[n++] = "--strict-mcp-config";
  }
  argv[n] = NULL;
  const char *env[] = {home_env,
                       key_env,
                       "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
                       "DISABLE_AUTOUPDATER=1",
                       "DISABLE_TELEMETRY=1",
                       "DISABLE_ERROR_REPORTING=1",
                       NULL};
  cc_run r;
  memset(&r, 0, sizeof(r));
  r.br = br;
  vbx__cc_events ev = {.user = &r,
                       .tool_use = ev_tool_use,
                       .tool_result = ev_tool_result,
                       .text = ev_text,
                       .turn = ev_turn};
  vbx__cc_stream_init(&r.st, &ev);
  vbx_exec_request req = {.struct_size = sizeof(req), .argv = argv, .env = env};
  req.cwd = "/workspace";
  req.max_output_bytes = 64 * 1024; /* the stream is read as it comes; this is the capture */
  req.on_output = on_output;
  req.user = &r;
  vbx_exec_result x = {.struct_size = sizeof(x)};
  vbx_call call;
  vbx__box_call(br, &call);
  rc = br->ref.exec(br, &req, &x, &call);
  close_open_tools(&r);
  if (rc == 0) rc = r.rc;
  if (rc == 0) rc = vbx__cc_stream_finish(&r.st);
  if (rc == 0)
    rc = record(&r, &x);
  else if (r.st.failed == VBX_E_TOOBIG)
    rc = vbx__box_result_fail(br->res, rc, "agent:claude-code: a stream-json line is over %u bytes",
                              VBX__CC_LINE_MAX);
  else if (rc != VBX_E_CANCELLED && rc != VBX_E_TIMEOUT)
    rc = vbx__box_result_fail(br->res, rc, "agent:claude-code: %s", vbx__call_message(&call, rc));
  vbx__cc_stream_clear(&r.st);
  free(x.stdout_data);
  free(x.stderr_data);
  free(mcp);
  free(prompt);
  free(system);
  return rc;
}
