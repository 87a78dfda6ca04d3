/*
 * tests/integration/claude_code/test_claude_code.c - agent:claude-code end
 * to end: the real, pinned claude-code CLI inside a sandbox-local box,
 * reaching the box's LLM gateway through the guest agent's tunnel, the
 * gateway backed by the anthropic provider pointed at a scripted fake
 * Anthropic server on loopback - through one tool-use turn.
 *
 * The model (the fake server) asks claude-code's Bash tool to report what
 * the box holds: every process's command line and environment, and every
 * file under the box's writable places containing the host's API key. The
 * tool's output comes back to the model in the next request, so the test
 * reads what the box saw from the server's log and checks that the probe
 * ran (the gateway's token and claude-code's own command line are there)
 * and that the real key is nowhere in it.
 *
 * A second case gives the box an mcp skill: claude-code starts the server
 * (the pinned npm server-everything) itself from its --mcp-config inside
 * the box, the model is offered mcp__everything__echo and its answer comes
 * back.
 *
 * A third runs the first case in a QEMU micro-VM (sandbox-qemu: the CLI
 * over a read-only virtio-9p mount, host_userland for its glibc).
 *
 * Skips (77, with the reason) without root (sandbox-local) or the
 * installed CLI (scripts/claude-code.sh); the mcp case also without node or
 * the installed servers (scripts/mcp-servers.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fake_server.h"

#define KEY "sk-ant-api03-HOSTSECRET-0123456789abcdef-never-in-a-box"

#define EV(name, json) "event: " name "\ndata: " json "\n\n"
#define START(id, in)                                                            \
  EV("message_start",                                                            \
     "{\"type\":\"message_start\",\"message\":{\"id\":\"" id                     \
     "\",\"type\":"                                                              \
     "\"message\",\"role\":\"assistant\",\"model\":\"claude-fake\",\"content\":" \
     "[],\"stop_reason\":null,\"usage\":{\"input_tokens\":" in ",\"output_tokens\":1}}}")
#define STOP(reason, out)                                                                  \
  EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" reason   \
                      "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" out "}}") \
  EV("message_stop", "{\"type\":\"message_stop\"}")

/* What the box reports: every process's argv and environment, and the
 * files under its writable places that hold the key (grep prints names).
 * The probe never spells the key's marker itself (it is put together in
 * the shell), so finding the marker means the box held the key. */
#define PROBE                                                                                    \
  "for p in /proc/[0-9]*; do tr '\\\\\\\\0' ' ' < $p/cmdline; echo; tr '\\\\\\\\0' '\\\\\\\\n' " \
  "< $p/environ; done 2>/dev/null; echo FILES:; k=HOST; grep -rlF -e ${k}SECRET /tmp "           \
  "/workspace /skills /run /etc /opt 2>/dev/null; echo PROBE-DONE"

static const char TURN1[] =
    START("msg_1", "50") EV("content_block_start",
                            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{"
                            "\"type\":\"tool_use\",\"id\":\"toolu_probe\",\"name\":\"Bash\","
                            "\"input\":{}}}")
        EV("content_block_delta",
           "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
           "\"partial_json\":\"{\\\"command\\\":\\\"" PROBE
           "\\\",\\\"description\\\":\\\"probe\\\"}"
           "\"}}") EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
            STOP("tool_use", "30");

static const char TURN2[] =
    START("msg_2", "80") EV("content_block_start",
                            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{"
                            "\"type\":\"text\",\"text\":\"\"}}")
        EV("content_block_delta",
           "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
           "\"text\":\"Probe finished: nothing secret here.\"}}")
            EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                STOP("end_turn", "12");

static const fs_part P1[] = {{TURN1, 0}, {NULL, 0}};
static const fs_part P2[] = {{TURN2, 0}, {NULL, 0}};

typedef struct fx {
  char dir[128];
  char spec[256];
  char out[256];
} fx;

/* Leave with 77, which ctest counts as skipped, saying why. */
static void skip_all(const char *why) {
  printf("SKIP: %s\n", why);
  fflush(stdout);
  exit(77);
}

static int setup(void **state) {
  static fx f;
  if (geteuid() != 0) skip_all("sandbox-local needs root (namespaces, pivot_root)");
  if (system(VBX_TEST_SOURCE_DIR "/scripts/claude-code.sh --check >/dev/null") != 0)
    skip_all("the pinned claude-code CLI is not installed: run scripts/claude-code.sh");
  snprintf(f.dir, sizeof f.dir, "/tmp/vbx-cc-XXXXXX");
  if (mkdtemp(f.dir) == NULL) return -1;
  snprintf(f.spec, sizeof f.spec, "%s/spec.yaml", f.dir);
  snprintf(f.out, sizeof f.out, "%s/out.json", f.dir);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Run the CLI on the spec with the key in the environment; its exit code. */
static int run(fx *f) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "VBX_TEST_CC_KEY='" KEY
           "' %s run --file %s --plugin-dir %s --output json "
           "--trace %s/trace.json >%s 2>%s.err",
           VBX_TEST_VOIDBOX, f->spec, VBX_TEST_PLUGIN_DIR, f->dir, f->out, f->out);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (fp == NULL) return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, fp) != (size_t)n) n = 0;
  if (s) s[n] = '\0';
  fclose(fp);
  return s;
}

/* Run the spec (run()); fail with what it printed unless it exits 0. *out
 * and *err get its stdout and stderr (malloc'd). Returns the first box of
 * its JSON report; *report the whole (decref it). */
static json_t *run_ok(fx *f, char **out, char **err, json_t **report) {
  int rc = run(f);
  char errp[300];
  snprintf(errp, sizeof errp, "%s.err", f->out);
  *out = slurp(f->out);
  *err = slurp(errp);
  if (rc != 0) fail_msg("voidbox exited %d:\n%s\n%s", rc, *out ? *out : "", *err ? *err : "");
  *report = json_loads(*out, 0, NULL);
  assert_non_null(*report);
  json_t *box = json_array_get(
      json_object_get(json_array_get(json_object_get(*report, "stages"), 0), "boxes"), 0);
  assert_non_null(box);
  return box;
}

/* The span named `name` in the run's trace file (OTLP/JSON), or NULL;
 * borrowed from trace. */
static json_t *span_named(json_t *trace, const char *name) {
  size_t i, j, k;
  json_t *rs, *ss, *sp;
  json_array_foreach(json_object_get(trace, "resourceSpans"), i, rs) {
    json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss) {
      json_array_foreach(json_object_get(ss, "spans"), k, sp) {
        if (strcmp(json_string_value(json_object_get(sp, "name")), name) == 0) return sp;
      }
    }
  }
  return NULL;
}

/* The box's model calls (through its gateway) and its CLI's tool call are
 * spans of the box, in the trace --trace wrote; claude's environment had
 * the box's TRACEPARENT. */
static void check_trace(fx *f, const char *flat_env) {
  char path[300];
  snprintf(path, sizeof path, "%s/trace.json", f->dir);
  json_t *trace = json_load_file(path, 0, NULL);
  if (trace == NULL) fail_msg("no trace file %s", path);
  json_t *box = span_named(trace, "box cc-probe");
  json_t *chat = span_named(trace, "chat claude-fake");
  json_t *tool = span_named(trace, "execute_tool Bash");
  if (box == NULL || chat == NULL || tool == NULL)
    fail_msg("spans missing: box %p chat %p execute_tool %p", (void *)box, (void *)chat,
             (void *)tool);
  const char *box_id = json_string_value(json_object_get(box, "spanId"));
  assert_string_equal(json_string_value(json_object_get(chat, "parentSpanId")), box_id);
  assert_string_equal(json_string_value(json_object_get(tool, "parentSpanId")), box_id);
  assert_int_equal(json_integer_value(json_object_get(chat, "kind")), 3);
  char want[100];
  snprintf(want, sizeof want, "TRACEPARENT=00-%s-%s-01",
           json_string_value(json_object_get(box, "traceId")), box_id);
  if (strstr(flat_env, want) == NULL) fail_msg("claude's environment lacks %s", want);
  json_decref(trace);
}

/* The box's sandbox block for the case: local, or a QEMU micro-VM. */
static const char *g_sandbox = "{backend: local}";

static void test_tool_turn_without_the_key(void **state) {
  fx *f = *state;
  const fs_response script[] = {
      {.status = 200, .content_type = "text/event-stream", .parts = P1},
      {.status = 200, .content_type = "text/event-stream", .parts = P2},
  };
  fake_server *srv = fs_start(script, 2);
  assert_non_null(srv);
  FILE *sp = fopen(f->spec, "w");
  assert_non_null(sp);
  fprintf(sp,
          "api_version: v1\nkind: agent\nname: cc-probe\nsandbox: %s\n"
          "llm: {provider: anthropic, model: claude-fake, base_url: \"%s\", "
          "api_key_env: VBX_TEST_CC_KEY}\n"
          "agent:\n  prompt: Report what this box holds.\n  skills: [\"agent:claude-code\"]\n"
          "  max_turns: 4\n  timeout_secs: 200\n",
          g_sandbox, fs_url(srv));
  fclose(sp);
  char *out, *err;
  json_t *j;
  json_t *box = run_ok(f, &out, &err, &j);
  /* the box's result: claude-code's answer, its tool call, its usage */
  assert_string_equal(json_string_value(json_object_get(box, "status")), "ok");
  assert_string_equal(json_string_value(json_object_get(box, "output")),
                      "Probe finished: nothing secret here.");
  json_t *calls = json_object_get(box, "tool_calls");
  assert_int_equal(json_array_size(calls), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(calls, 0), "name")), "Bash");
  assert_true(json_integer_value(json_object_get(box, "turns")) >= 2);
  assert_true(json_integer_value(json_object_get(box, "input_tokens")) > 0);
  /* upstream: the host's key, only ever from the gateway, on two requests */
  assert_int_equal(fs_count(srv), 2);
  for (size_t i = 0; i < 2; i++) {
    char *k = fs_header(srv, i, "x-api-key");
    assert_non_null(k);
    assert_string_equal(k, KEY);
    free(k);
  }
  /* what the box saw, as the model got it back: the probe ran ... */
  char *b2 = fs_body(srv, 1);
  assert_non_null(b2);
  json_t *req = json_loads(b2, 0, NULL);
  assert_non_null(req);
  char *flat = json_dumps(req, JSON_COMPACT | JSON_ENSURE_ASCII);
  assert_non_null(strstr(b2, "PROBE-DONE"));
  assert_non_null(strstr(flat, "ANTHROPIC_API_KEY=")); /* the gateway's token, in claude's env */
  assert_non_null(strstr(flat, "stream-json"));        /* claude-code's own command line */
  assert_non_null(strstr(flat, "FILES:"));
  check_trace(f, flat);
  /* ... and the key is in no process's argv or environment, and no file */
  assert_null(strstr(b2, "HOSTSECRET"));
  assert_null(strstr(flat, "HOSTSECRET"));
  /* nor in anything the run printed */
  assert_null(strstr(out, "HOSTSECRET"));
  assert_null(strstr(err ? err : "", "HOSTSECRET"));
  free(flat);
  json_decref(req);
  free(b2);
  json_decref(j);
  free(out);
  free(err);
  fs_stop(srv);
}

/* An mcp skill on a claude-code box: claude-code starts the server itself
 * (its --mcp-config) inside the box and offers its tools to the model. */
static const char MCP_TURN1[] =
    START("msg_m1", "40") EV("content_block_start",
                             "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{"
                             "\"type\":\"tool_use\",\"id\":\"toolu_mcp\",\"name\":"
                             "\"mcp__everything__echo\",\"input\":{}}}")
        EV("content_block_delta",
           "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
           "\"partial_json\":\"{\\\"message\\\":\\\"hello via claude\\\"}\"}}")
            EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                STOP("tool_use", "20");
static const fs_part PM1[] = {{MCP_TURN1, 0}, {NULL, 0}};

static void test_mcp_server_from_the_config(void **state) {
  fx *f = *state;
  char dir[512] = "";
  FILE *p = popen(VBX_TEST_SOURCE_DIR "/scripts/mcp-servers.sh --print", "r");
  if (p == NULL || fgets(dir, sizeof dir, p) == NULL) dir[0] = '\0';
  if (p) pclose(p);
  dir[strcspn(dir, "\n")] = '\0';
  char js[700];
  snprintf(js, sizeof js, "%s/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
           dir);
  if (access("/usr/bin/node", X_OK) != 0) skip_all("no /usr/bin/node for the MCP server");
  if (dir[0] == '\0' || access(js, R_OK) != 0)
    skip_all("the pinned MCP servers are not installed: run scripts/mcp-servers.sh");
  const fs_response script[] = {
      {.status = 200, .content_type = "text/event-stream", .parts = PM1},
      {.status = 200, .content_type = "text/event-stream", .parts = P2},
  };
  fake_server *srv = fs_start(script, 2);
  assert_non_null(srv);
  FILE *sp = fopen(f->spec, "w");
  assert_non_null(sp);
  fprintf(sp,
          "api_version: v1\nkind: agent\nname: cc-mcp\n"
          "sandbox:\n  backend: local\n  mounts: [{host: \"%s\", guest: /opt/mcp}]\n"
          "llm: {provider: anthropic, model: claude-fake, base_url: \"%s\", "
          "api_key_env: VBX_TEST_CC_KEY}\n"
          "agent:\n  prompt: Echo something.\n  max_turns: 4\n  timeout_secs: 120\n"
          "  skills:\n    - agent:claude-code\n    - type: mcp\n      value: everything\n"
          "      command: node\n"
          "      args: [/opt/mcp/node_modules/@modelcontextprotocol/server-everything/dist/"
          "index.js, stdio]\n",
          dir, fs_url(srv));
  fclose(sp);
  char *out, *err;
  json_t *j;
  json_t *box = run_ok(f, &out, &err, &j);
  assert_int_equal(fs_count(srv), 2);
  /* the model was offered the server's tools ... */
  char *b1 = fs_body(srv, 0);
  assert_non_null(b1);
  assert_non_null(strstr(b1, "\"mcp__everything__echo\""));
  /* ... and the server, started by claude-code inside the box, answered */
  char *b2 = fs_body(srv, 1);
  assert_non_null(b2);
  assert_non_null(strstr(b2, "Echo: hello via claude"));
  json_t *c0 = json_array_get(json_object_get(box, "tool_calls"), 0);
  assert_string_equal(json_string_value(json_object_get(c0, "name")), "mcp__everything__echo");
  assert_non_null(
      strstr(json_string_value(json_object_get(c0, "output")), "Echo: hello via claude"));
  json_decref(j);
  free(b1);
  free(b2);
  free(out);
  free(err);
  fs_stop(srv);
}

/* One case per ctest test (argv[1]: "key" or "mcp"), so a case whose
 * prerequisites are missing is counted as skipped on its own. */
int main(int argc, char **argv) {
  const struct CMUnitTest key[] = {cmocka_unit_test(test_tool_turn_without_the_key)};
  const struct CMUnitTest mcp[] = {cmocka_unit_test(test_mcp_server_from_the_config)};
  if (argc == 2 && strcmp(argv[1], "key") == 0) return cmocka_run_group_tests(key, setup, teardown);
  if (argc == 2 && strcmp(argv[1], "mcp") == 0) return cmocka_run_group_tests(mcp, setup, teardown);
  if (argc == 2 && strcmp(argv[1], "qemu") == 0) {
    /* the same turn in a QEMU micro-VM: the CLI over a read-only 9p mount,
     * the host's userland for its glibc, the gateway through the tunnel */
    const char *cache = getenv("VBX_TEST_IMAGE_CACHE"); /* scripts/test.sh's image */
    if (cache != NULL && cache[0] != '\0') setenv("VOIDBOX_CACHE_DIR", cache, 1);
    if (system(VBX_TEST_VOIDBOX " doctor --output json | jq -e '.capabilities.qemu.available and "
                                ".capabilities.guest_initramfs.available' >/dev/null") != 0)
      skip_all("no QEMU or no guest image (voidbox doctor; voidbox image build)");
    g_sandbox = "{backend: qemu, memory_mb: 1024}";
    return cmocka_run_group_tests(key, setup, teardown);
  }
  fprintf(stderr, "usage: test_claude_code key|mcp|qemu\n");
  return 2;
}
