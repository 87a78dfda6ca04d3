/*
 * tests/integration/mcp/test_mcp_npm.c - the skill type "mcp" end to end:
 * a native-engine box on sandbox-local (or, with argument "qemu", in a QEMU
 * guest with the host's userland) whose scripted mock model calls the
 * tools of real MCP servers from npm (server-everything's echo and get-sum,
 * server-filesystem's read_file on a file written into /workspace,
 * server-memory's create_entities and read_graph), each server started
 * inside the box by node over stdio; then a deliberately broken server
 * (tests/data/mcp-servers/faulty-server.mjs) that crashes mid-call, stalls
 * and writes garbage, each a tool error naming it while the box goes on.
 *
 * The servers are the pinned ones scripts/mcp-servers.sh installs into the
 * user cache, bind-mounted read-only at /opt/mcp; node is the host's, which
 * the box sees through its read-only /usr. Skips (77, with the reason)
 * without root and namespaces, the built guest agent, node >= 20 under /usr
 * or /bin, or the installed servers.
 */
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "voidbox/voidbox.h"

static char servers[PATH_MAX]; /* the installed servers (node_modules' parent) */
static char tmp[PATH_MAX];     /* this run's spec directory */

#define MOD "/opt/mcp/node_modules/@modelcontextprotocol/"

static void skip_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void skip_all(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("SKIP: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  exit(77);
}

/* The first `node` on PATH, resolved, or "". */
static void find_node(char *out, size_t cap) {
  out[0] = '\0';
  const char *path = getenv("PATH");
  char buf[PATH_MAX], dirs[4096];
  snprintf(dirs, sizeof dirs, "%s", path ? path : "/usr/bin:/bin");
  for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    snprintf(buf, sizeof buf, "%s/node", d);
    if (access(buf, X_OK) == 0 && realpath(buf, out) != NULL) return;
  }
  (void)cap;
  out[0] = '\0';
}

/* The backend the boxes run on: "local" (default) or "qemu" (argv[1]). */
static const char *g_backend = "local";

static void require(void) {
  if (strcmp(g_backend, "qemu") == 0) {
    const char *cache = getenv("VBX_TEST_IMAGE_CACHE"); /* scripts/test.sh's image */
    if (cache != NULL && cache[0] != '\0') setenv("VOIDBOX_CACHE_DIR", cache, 1);
    if (system(VBX_TEST_VOIDBOX " doctor --output json | jq -e '.capabilities.qemu.available "
                                "and .capabilities.guest_initramfs.available' >/dev/null") != 0)
      skip_all("no QEMU or no guest image (voidbox doctor; voidbox image build)");
  } else if (geteuid() != 0) {
    skip_all("sandbox-local needs root (namespaces, pivot_root); uid %u", geteuid());
  }
  if (strcmp(g_backend, "local") == 0) {
    pid_t p = fork();
    if (p == 0)
      _exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0
                ? 0
                : 1);
    int st = 0;
    waitpid(p, &st, 0);
    if (p < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
      skip_all("cannot create mount/pid/net/ipc/uts namespaces here");
  }
  if (access(VBX_TEST_AGENT, X_OK) != 0) skip_all("guest agent %s not built", VBX_TEST_AGENT);
  char node[PATH_MAX];
  find_node(node, sizeof node);
  if (node[0] == '\0') skip_all("node is not installed (the MCP servers need node >= 20)");
  if (strncmp(node, "/usr/", 5) != 0 && strncmp(node, "/bin/", 5) != 0)
    skip_all("node is %s, which a local box does not see (it sees the host's /usr and /bin)", node);
  FILE *f = popen("node -p 'process.versions.node.split(\".\")[0]' 2>/dev/null", "r");
  int major = 0;
  if (f == NULL || fscanf(f, "%d", &major) != 1) major = 0;
  if (f) pclose(f);
  if (major < 20)
    skip_all("node %s is major version %d; the pinned MCP servers need >= 20", node, major);
  const char *dir = getenv("VOIDBOX_MCP_SERVERS_DIR");
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (dir != NULL && dir[0] != '\0')
    snprintf(servers, sizeof servers, "%s", dir);
  else if (xdg != NULL && xdg[0] == '/')
    snprintf(servers, sizeof servers, "%s/voidbox/mcp-servers", xdg);
  else
    snprintf(servers, sizeof servers, "%s/.cache/voidbox/mcp-servers", getenv("HOME"));
  static const char *const need[] = {"server-everything", "server-filesystem", "server-memory"};
  for (size_t i = 0; i < 3; i++) {
    char js[PATH_MAX + 128];
    snprintf(js, sizeof js, "%s/node_modules/@modelcontextprotocol/%s/dist/index.js", servers,
             need[i]);
    if (access(js, R_OK) != 0)
      skip_all("%s is missing: run scripts/mcp-servers.sh to install the pinned MCP servers", js);
  }
  printf("node %s (major %d), MCP servers in %s\n", node, major, servers);
}

static void put(const char *name, const char *text) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/%s", tmp, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fputs(text, f) >= 0, 1);
  fclose(f);
}

/* The backend line's value: on qemu node comes from the host's userland. */
static const char *g_sandbox_line(void) {
  return strcmp(g_backend, "qemu") == 0 ? "qemu\n  host_userland: true" : "local";
}

/* Run spec.yaml of tmp; returns the box's report entry (parsed) and sets
 * *ok when the box ended OK. */
static json_t *run(const char *spec, const char *script, double *secs) {
  put("spec.yaml", spec);
  put("model.yaml", script);
  const char *paths[] = {VBX_TEST_PLUGIN_DIR "/sandbox-local.so",
                         VBX_TEST_PLUGIN_DIR "/sandbox-qemu.so", VBX_TEST_PLUGIN_DIR "/llm-mock.so",
                         VBX_TEST_PLUGIN_DIR "/skill-mcp.so", NULL};
  vbx_runtime_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.plugin_paths = paths;
  o.skip_plugin_dir = 1;
  vbx_runtime *rt = NULL;
  vbx_error err;
  memset(&err, 0, sizeof err);
  if (vbx_runtime_new(&o, &rt, &err) != 0) fail_msg("runtime: %s", err.message);
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/spec.yaml", tmp);
  vbx_pipeline *p = NULL;
  if (vbx_pipeline_load_file(path, &p, &err) != 0) fail_msg("spec: %s", err.message);
  if (vbx_pipeline_check(rt, p, &err) != 0) fail_msg("check: %s", err.message);
  vbx_run_options ro;
  memset(&ro, 0, sizeof ro);
  ro.struct_size = sizeof ro;
  vbx_result *res = NULL;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (vbx_pipeline_run(rt, p, &ro, &res, &err) != 0) fail_msg("run: %s", err.message);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  *secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  const vbx_box_result *b = vbx_result_box(res, 0, 0);
  assert_non_null(b);
  char *text = vbx_box_result_to_json(b);
  assert_non_null(text);
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  if (vbx_result_status(res) != VBX_STATUS_OK)
    fail_msg("box status %s: %s\n%s", vbx_status_name(vbx_result_status(res)),
             vbx_result_error(res) ? vbx_result_error(res) : "(no error)", text);
  vbx_free(text);
  vbx_result_free(res);
  vbx_pipeline_free(p);
  vbx_runtime_free(rt);
  return j;
}

/* Tool call i of the report: its name, output and is_error checked. */
static void call_is(const json_t *box, size_t i, const char *name, int is_error,
                    const char *needle) {
  const json_t *c = json_array_get(json_object_get(box, "tool_calls"), i);
  const char *n = json_string_value(json_object_get(c, "name"));
  const char *out = json_string_value(json_object_get(c, "output"));
  if (n == NULL || strcmp(n, name) != 0 || out == NULL || strstr(out, needle) == NULL ||
      json_is_true(json_object_get(c, "is_error")) != is_error)
    fail_msg("tool call %zu: %s (error %d): %s\nwant %s (error %d) with ...%s...", i, n ? n : "?",
             json_is_true(json_object_get(c, "is_error")), out ? out : "?", name, is_error, needle);
  printf("  %s -> %.160s\n", n, out);
}

/* The spec's head: backend (and, on qemu, host_userland for node), the
 * servers' install and the test servers mounted read-only. */
#define HEAD                                                      \
  "api_version: v1\n"                                             \
  "kind: agent\n"                                                 \
  "name: mcp-e2e\n"                                               \
  "sandbox:\n"                                                    \
  "  backend: %s\n"                                               \
  "  memory_mb: 1024\n"                                           \
  "  network: false\n"                                            \
  "  mounts:\n"                                                   \
  "    - {host: \"%s\", guest: /opt/mcp, read_only: true}\n"      \
  "    - {host: \"%s\", guest: /opt/mcp-test, read_only: true}\n" \
  "llm: {provider: mock, script: model.yaml}\n"

static void test_real_servers(void **state) {
  (void)state;
  char spec[16384];
  snprintf(spec, sizeof spec,
           HEAD
           "agent:\n"
           "  prompt: Use the MCP tools.\n"
           "  max_turns: 10\n"
           "  timeout_secs: 110\n"
           "  skills:\n"
           "    - type: mcp\n"
           "      value: everything\n"
           "      command: node\n"
           "      args: [" MOD
           "server-everything/dist/index.js, stdio]\n"
           "    - type: mcp\n"
           "      value: filesystem\n"
           "      command: node\n"
           "      args: [" MOD
           "server-filesystem/dist/index.js, /workspace]\n"
           "    - type: mcp\n"
           "      value: memory\n"
           "      command: node\n"
           "      args: [" MOD
           "server-memory/dist/index.js]\n"
           "      env: {MEMORY_FILE_PATH: /workspace/memory.jsonl}\n"
           "      timeout_secs: 20\n",
           g_sandbox_line(), servers, VBX_TEST_MCP_DATA);
  const char *script =
      "turns:\n"
      "  - tool_calls: [{name: mcp__everything__echo, input: {message: hello from voidbox}}]\n"
      "  - tool_calls: [{name: mcp__everything__get-sum, input: {a: 2, b: 40}}]\n"
      "  - tool_calls: [{name: write_file, input: {path: /workspace/notes.txt, content: "
      "\"provisioned-line-42\\n\"}}]\n"
      "  - tool_calls: [{name: mcp__filesystem__read_file, input: {path: /workspace/notes.txt}}]\n"
      "  - tool_calls:\n"
      "      - {name: mcp__memory__create_entities, input: {entities: [{name: voidbox, "
      "entityType: project, observations: [runs MCP servers in its boxes]}]}}\n"
      "      - {name: mcp__memory__read_graph, input: {}}\n"
      "  - text: \"done: {{last_tool_output}}\"\n";
  double secs = 0;
  json_t *box = run(spec, script, &secs);
  printf("real servers: %.1f s\n", secs);
  assert_int_equal(json_array_size(json_object_get(box, "tool_calls")), 6);
  call_is(box, 0, "mcp__everything__echo", 0, "Echo: hello from voidbox");
  call_is(box, 1, "mcp__everything__get-sum", 0, "The sum of 2 and 40 is 42.");
  call_is(box, 2, "write_file", 0, "");
  call_is(box, 3, "mcp__filesystem__read_file", 0, "provisioned-line-42");
  call_is(box, 4, "mcp__memory__create_entities", 0, "voidbox");
  call_is(box, 5, "mcp__memory__read_graph", 0, "runs MCP servers in its boxes");
  json_decref(box);
}

static void test_broken_server(void **state) {
  (void)state;
  char spec[16384];
  const char *faulty =
      "      command: node\n"
      "      args: [/opt/mcp-test/faulty-server.mjs]\n";
  snprintf(
      spec, sizeof spec,
      HEAD
      "agent:\n"
      "  prompt: Call the broken tools.\n"
      "  max_turns: 10\n"
      "  timeout_secs: 110\n"
      "  skills:\n"
      "    - {type: mcp, value: crashy, command: node, args: [/opt/mcp-test/faulty-server.mjs]}\n"
      "    - type: mcp\n"
      "      value: stally\n"
      "%s"
      "      timeout_secs: 2\n"
      "    - {type: mcp, value: garbage, command: node, args: [/opt/mcp-test/faulty-server.mjs]}\n",
      g_sandbox_line(), servers, VBX_TEST_MCP_DATA, faulty);
  const char *script =
      "turns:\n"
      "  - tool_calls: [{name: mcp__crashy__boom}]\n"
      "  - tool_calls: [{name: mcp__stally__wait}]\n"
      "  - tool_calls: [{name: mcp__garbage__talk}]\n"
      "  - tool_calls: [{name: mcp__crashy__wait}]\n"
      "  - text: the broken servers were reported\n";
  double secs = 0;
  json_t *box = run(spec, script, &secs);
  printf("broken server: %.1f s\n", secs);
  assert_true(secs < 60);
  assert_int_equal(json_array_size(json_object_get(box, "tool_calls")), 4);
  call_is(box, 0, "mcp__crashy__boom", 1,
          "mcp server 'crashy': tools/call: the server ended (it exited with status 3; last "
          "stderr: faulty: about to crash | faulty: fatal error E42)");
  call_is(box, 1, "mcp__stally__wait", 1, "mcp server 'stally': tools/call: no answer within 2 s");
  call_is(box, 2, "mcp__garbage__talk", 1,
          "mcp server 'garbage': tools/call: the server wrote a line that is not JSON");
  call_is(box, 3, "mcp__crashy__wait", 1, "mcp server 'crashy' is not running any more");
  json_decref(box);
}

static int setup(void **state) {
  (void)state;
  snprintf(tmp, sizeof tmp, "/tmp/vbx-mcp-e2e-XXXXXX");
  assert_non_null(mkdtemp(tmp));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "qemu") == 0) g_backend = "qemu";
  require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_real_servers),
      cmocka_unit_test(test_broken_server),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
