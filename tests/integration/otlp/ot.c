/*
 * tests/integration/otlp/ot.c - the OTLP end-to-end tests' helpers (ot.h):
 * scratch files, the CLI run under wait4 (its peak RSS and its workers'),
 * and the receiver's bodies flattened into records.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ot.h"

extern char **environ;

void ot_skip(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("SKIP: ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  exit(77);
}

void ot_require_exporter(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/exporter-otlp.so", VBX_TEST_PLUGIN_DIR);
  if (access(path, R_OK) != 0)
    fail_msg("the otlp exporter plugin %s is not built (plugins/exporter-otlp): %s", path,
             strerror(errno));
}

void ot_tmpdir(char dir[64], const char *tag) {
  snprintf(dir, 64, "/tmp/vbx-otlp-%s-XXXXXX", tag);
  assert_non_null(mkdtemp(dir));
}

void ot_rmtree(const char *dir) {
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) print_message("cannot remove %s\n", dir);
}

void ot_put(const char *dir, const char *rel, const char *fmt, ...) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  assert_int_equal(fclose(f), 0);
}

void ot_pipeline(const char *dir, const char *backend, unsigned port, const char *exporter_opts) {
  ot_put(dir, "gather.yaml",
         "model: mock-gather\n"
         "turns:\n"
         "  - text: Looking around.\n"
         "    tool_calls: [{name: bash, input: {command: \"echo gathered-1\"}}]\n"
         "    usage: {input_tokens: 100, output_tokens: 10}\n"
         "  - tool_calls:\n"
         "      - {name: bash, input: {command: \"echo gathered-2\"}}\n"
         "      - {name: write_file, input: {path: notes.txt, content: \"n\\n\"}}\n"
         "      - {name: otlpfx_note, input: {text: from-gather}}\n"
         "    usage: {input_tokens: 200, output_tokens: 20}\n"
         "  - text: \"gathered {{last_tool_output}}\"\n"
         "    usage: {input_tokens: 300, output_tokens: 30}\n");
  ot_put(dir, "left.yaml",
         "model: mock-left\n"
         "turns:\n"
         "  - tool_calls: [{name: bash, input: {command: \"echo left\"}}]\n"
         "    usage: {input_tokens: 40, output_tokens: 4}\n"
         "  - text: left done\n"
         "    usage: {input_tokens: 50, output_tokens: 5}\n");
  ot_put(dir, "right.yaml",
         "model: mock-right\n"
         "turns:\n"
         "  - tool_calls:\n"
         "      - {name: bash, input: {command: \"echo right\"}}\n"
         "      - {name: bash, input: {command: \"echo tp=$TRACEPARENT\"}}\n"
         "    usage: {input_tokens: 60, output_tokens: 6}\n"
         "  - text: right done\n"
         "    usage: {input_tokens: 70, output_tokens: 7}\n");
  char observe[2048] = "";
  if (port)
    snprintf(observe, sizeof observe,
             "observe:\n  exporters:\n    - type: otlp\n      endpoint: http://127.0.0.1:%u\n"
             "      schedule_delay_ms: 200\n%s",
             port, exporter_opts ? exporter_opts : "");
  ot_put(dir, "spec.yaml",
         "api_version: v1\nkind: pipeline\nname: otlp_pipe\n"
         "sandbox: {backend: %s}\n"
         "llm: {provider: mock, model: mock-model}\n"
         "pipeline:\n"
         "  boxes:\n"
         "    - {name: gather, prompt: Gather., llm: {script: gather.yaml},\n"
         "       skills: [\"otlpfx:any\"]}\n"
         "    - {name: left, prompt: Left., llm: {script: left.yaml}}\n"
         "    - {name: right, prompt: Right., llm: {script: right.yaml}}\n"
         "  stages:\n"
         "    - box: gather\n"
         "    - fan_out: [left, right]\n"
         "%s",
         backend, observe);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return strdup("");
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t k;
  while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (cap - n < 2) buf = realloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child(const char *dir, const char *const *argv, const char *const *env) {
  char path[512];
  if (chdir(dir) != 0) _exit(126);
  snprintf(path, sizeof path, "%s/run.out", dir);
  int o = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  snprintf(path, sizeof path, "%s/run.err", dir);
  int e = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(126);
  /* the test's own OTEL_* and TRACEPARENT never leak into the run */
  for (int again = 1; again;) {
    again = 0;
    for (char **v = environ; *v; v++)
      if (strncmp(*v, "OTEL_", 5) == 0 || strncmp(*v, "TRACEPARENT=", 12) == 0) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(*v, "="), *v);
        unsetenv(name);
        again = 1;
        break;
      }
  }
  for (; env && *env; env++) {
    const char *eq = strchr(*env, '=');
    if (eq == NULL) {
      unsetenv(*env);
      continue;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(eq - *env), *env);
    setenv(name, eq + 1, 1);
  }
  execv(argv[0], (char *const *)argv);
  _exit(127);
}

void ot_voidbox(const char *dir, const char *spec, const char *const *env, const char *const *args,
                int timeout_s, ot_run *out) {
  const char *argv[64] = {
      VBX_TEST_VOIDBOX,    "run",      "--file",           spec,       "--plugin-dir",
      VBX_TEST_PLUGIN_DIR, "--plugin", VBX_TEST_FX_PLUGIN, "--output", "json"};
  size_t n = 10;
  for (; args && *args && n < 63; args++)
    argv[n++] = *args;
  argv[n] = NULL;
  memset(out, 0, sizeof *out);
  double t0 = now_s();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) child(dir, argv, env);
  struct rusage ru;
  int st = 0;
  pid_t got;
  while ((got = wait4(pid, &st, WNOHANG, &ru)) == 0) {
    if (now_s() - t0 > timeout_s) {
      kill(pid, SIGKILL);
      got = wait4(pid, &st, 0, &ru);
      print_error("voidbox did not finish within %d s: killed\n", timeout_s);
      break;
    }
    usleep(5000);
  }
  assert_int_equal(got, pid);
  out->wall_s = now_s() - t0;
  out->maxrss_kib = ru.ru_maxrss;
  out->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  char path[512];
  snprintf(path, sizeof path, "%s/run.out", dir);
  out->out = slurp(path);
  snprintf(path, sizeof path, "%s/run.err", dir);
  out->err = slurp(path);
  out->report = json_loads(out->out, 0, NULL);
}

void ot_run_free(ot_run *r) {
  free(r->out);
  free(r->err);
  json_decref(r->report);
  memset(r, 0, sizeof *r);
}

void ot_dump(const ot_run *r) {
  size_t ne = strlen(r->err), no = strlen(r->out);
  print_message(
      "voidbox exited %d after %.2f s (maxrss %ld KiB)\n--- stderr%s:\n%s\n"
      "--- stdout%s:\n%.3000s\n",
      r->status, r->wall_s, r->maxrss_kib, ne > 6000 ? " (its end)" : "",
      r->err + (ne > 6000 ? ne - 6000 : 0), no > 3000 ? " (its start)" : "", r->out);
}

/* [{key, value}] -> {key: value} */
static json_t *attr_map(const json_t *attrs) {
  json_t *m = json_object();
  size_t i;
  const json_t *kv;
  json_array_foreach(attrs, i, kv) {
    const char *k = json_string_value(json_object_get(kv, "key"));
    if (k) json_object_set(m, k, json_object_get(kv, "value"));
  }
  return m;
}

/* Every record (at resourceX[].scopeX[].LEAF[]) of sig's accepted bodies. */
static json_t *flatten(otlp_recv *r, otlp_signal sig, const char *res_key, const char *scope_key,
                       const char *leaf) {
  json_t *out = json_array(), *bodies = otlp_recv_bodies(r, sig);
  size_t b, i, j, k;
  json_t *body, *rs, *ss, *rec;
  json_array_foreach(bodies, b, body) {
    json_array_foreach(json_object_get(body, res_key), i, rs) {
      json_t *res = attr_map(json_object_get(json_object_get(rs, "resource"), "attributes"));
      json_array_foreach(json_object_get(rs, scope_key), j, ss) {
        const char *scope =
            json_string_value(json_object_get(json_object_get(ss, "scope"), "name"));
        json_array_foreach(json_object_get(ss, leaf), k, rec) {
          json_t *c = json_deep_copy(rec);
          json_object_set_new(c, "_attrs", attr_map(json_object_get(rec, "attributes")));
          json_object_set(c, "_resource", res);
          json_object_set_new(c, "_scope", json_string(scope ? scope : ""));
          json_array_append_new(out, c);
        }
      }
      json_decref(res);
    }
  }
  json_decref(bodies);
  return out;
}

json_t *ot_spans(otlp_recv *r) {
  return flatten(r, OTLP_TRACES, "resourceSpans", "scopeSpans", "spans");
}

json_t *ot_logs(otlp_recv *r) {
  return flatten(r, OTLP_LOGS, "resourceLogs", "scopeLogs", "logRecords");
}

json_t *ot_metrics(otlp_recv *r) {
  json_t *all = flatten(r, OTLP_METRICS, "resourceMetrics", "scopeMetrics", "metrics");
  json_t *by_name = json_object();
  size_t i;
  json_t *m;
  json_array_foreach(all, i, m) {
    const char *name = json_string_value(json_object_get(m, "name"));
    if (name) json_object_set(by_name, name, m);
  }
  json_decref(all);
  return by_name;
}

const char *ot_attr_str(const json_t *rec, const char *key) {
  return json_string_value(
      json_object_get(json_object_get(json_object_get(rec, "_attrs"), key), "stringValue"));
}

int ot_attr_int(const json_t *rec, const char *key, long long *v) {
  const char *s = json_string_value(
      json_object_get(json_object_get(json_object_get(rec, "_attrs"), key), "intValue"));
  if (s == NULL) return -1;
  *v = strtoll(s, NULL, 10);
  return 0;
}

const char *ot_res_str(const json_t *rec, const char *key) {
  return json_string_value(
      json_object_get(json_object_get(json_object_get(rec, "_resource"), key), "stringValue"));
}

const char *ot_str(const json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : "";
}

unsigned long long ot_u64(const json_t *obj, const char *key) {
  return strtoull(ot_str(obj, key), NULL, 10);
}

const char *ot_json(const json_t *v) {
  static char buf[2048];
  if (v == NULL) return "(absent)";
  size_t n = json_dumpb(v, buf, sizeof buf - 1, JSON_COMPACT | JSON_ENCODE_ANY);
  buf[n < sizeof buf ? n : sizeof buf - 1] = '\0';
  return buf;
}

json_t *ot_span_named(const json_t *spans, const char *name) {
  size_t i;
  json_t *s;
  json_array_foreach(spans, i, s) if (strcmp(ot_str(s, "name"), name) == 0) return s;
  return NULL;
}

size_t ot_count_children(const json_t *spans, const char *parent_id, const char *prefix) {
  size_t i, n = 0;
  json_t *s;
  json_array_foreach(spans, i, s) {
    if (strcmp(ot_str(s, "parentSpanId"), parent_id) == 0 &&
        strncmp(ot_str(s, "name"), prefix, strlen(prefix)) == 0)
      n++;
  }
  return n;
}

const char *ot_decoder_dir(char *why, size_t cap) {
  static char dir[512];
  char cmd[600];
  snprintf(cmd, sizeof cmd, "sh '%s/scripts/otlp-decoder.sh' --check 2>&1", VBX_TEST_SOURCE_DIR);
  FILE *p = popen(cmd, "r");
  if (p == NULL) return snprintf(why, cap, "cannot run %s", cmd), NULL;
  size_t n = fread(dir, 1, sizeof dir - 1, p);
  dir[n] = '\0';
  dir[strcspn(dir, "\n")] = '\0';
  int st = pclose(p);
  if (st != 0) {
    snprintf(why, cap, "%s", dir);
    return NULL;
  }
  return dir;
}
