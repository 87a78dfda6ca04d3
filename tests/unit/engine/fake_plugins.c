/*
 * fake_plugins.c - see fake_plugins.h.
 */
#include "fake_plugins.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static const vbx_host_services *H;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char *log_lines[4096];
static size_t n_log;
static int barrier_in;
static int blocked;
static int exp_events, exp_flushes;
static fake_span spans[FAKE_SPANS_MAX];
static size_t n_spans;
static int validations[3]; /* sandbox, llm, skill */

void fake_logf(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  pthread_mutex_lock(&mu);
  if (n_log < 4096) log_lines[n_log++] = strdup(buf);
  pthread_mutex_unlock(&mu);
}

void fake_reset(void) {
  pthread_mutex_lock(&mu);
  for (size_t i = 0; i < n_log; i++)
    free(log_lines[i]);
  n_log = 0;
  barrier_in = 0;
  blocked = 0;
  exp_events = exp_flushes = 0;
  n_spans = 0;
  memset(validations, 0, sizeof(validations));
  pthread_mutex_unlock(&mu);
}

size_t fake_log_count(void) { return n_log; }
const char *fake_log_at(size_t i) { return i < n_log ? log_lines[i] : NULL; }
int fake_log_find(const char *s) {
  for (size_t i = 0; i < n_log; i++)
    if (strcmp(log_lines[i], s) == 0) return (int)i;
  return -1;
}
int fake_exporter_events(void) { return exp_events; }
size_t fake_span_count(void) { return n_spans; }
const fake_span *fake_span_at(size_t i) { return i < n_spans ? &spans[i] : NULL; }
const fake_span *fake_span_named(const char *name) {
  for (size_t i = 0; i < n_spans; i++)
    if (strcmp(spans[i].name, name) == 0) return &spans[i];
  return NULL;
}
const fake_span *fake_span_by_id(uint64_t id) {
  for (size_t i = 0; i < n_spans; i++)
    if (spans[i].id == id) return &spans[i];
  return NULL;
}

static void count_validation(int kind) {
  pthread_mutex_lock(&mu);
  validations[kind]++;
  pthread_mutex_unlock(&mu);
}

int fake_validations(const char *kind) {
  int i = !strcmp(kind, "sandbox") ? 0 : !strcmp(kind, "llm") ? 1 : !strcmp(kind, "skill") ? 2 : -1;
  if (i < 0) return -1;
  pthread_mutex_lock(&mu);
  int n = validations[i];
  pthread_mutex_unlock(&mu);
  return n;
}
int fake_exporter_flushes(void) { return exp_flushes; }

void fake_wait_blocked(void) {
  pthread_mutex_lock(&mu);
  while (!blocked)
    pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
}

/* ---- sandbox ----------------------------------------------------------- */

typedef struct fsb {
  char *box;
  json_t *files; /* path -> string */
} fsb;

static int sb_validate(void *st, const vbx_json *options, vbx_call *call) {
  (void)st;
  count_validation(0);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)options, key, v) {
    if (strcmp(key, "ok") != 0)
      return H->set_error(call, VBX_E_INVAL, key, "unknown option '%s'", key);
  }
  return 0;
}

static int sb_create(void *st, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  (void)st;
  (void)call;
  fsb *s = calloc(1, sizeof(*s));
  s->box = strdup(cfg->box_name);
  s->files = json_object();
  fake_logf("sandbox.create:%s", cfg->box_name);
  *out = s;
  return 0;
}

static void sb_destroy(void *p) {
  fsb *s = p;
  fake_logf("sandbox.destroy:%s", s->box);
  json_decref(s->files);
  free(s->box);
  free(s);
}

static int emit(const vbx_exec_request *req, vbx_stream st, const char *s, char **dst,
                size_t *len) {
  *dst = H->strdup(s);
  *len = strlen(s);
  return req->on_output ? req->on_output(req->user, st, s, strlen(s)) : 0;
}

static int barrier(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 10;
  pthread_mutex_lock(&mu);
  barrier_in++;
  pthread_cond_broadcast(&cv);
  int rc = 0;
  while (barrier_in < 2 && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&cv, &mu, &ts);
  int ok = barrier_in >= 2;
  pthread_mutex_unlock(&mu);
  return ok;
}

static int sb_exec(void *p, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call) {
  fsb *s = p;
  (void)call;
  const char *cmd = req->argv[2] ? req->argv[2] : "";
  fake_logf("exec:%s:%s", s->box, cmd);
  int rc = 0;
  if (strncmp(cmd, "echo ", 5) == 0) {
    char buf[256];
    snprintf(buf, sizeof(buf), "%s\n", cmd + 5);
    rc = emit(req, VBX_STREAM_STDOUT, buf, &res->stdout_data, &res->stdout_len);
  } else if (strcmp(cmd, "fail") == 0) {
    rc = emit(req, VBX_STREAM_STDERR, "boom\n", &res->stderr_data, &res->stderr_len);
    res->exit_code = 3;
  } else if (strcmp(cmd, "barrier") == 0) {
    if (barrier()) {
      rc = emit(req, VBX_STREAM_STDOUT, "passed", &res->stdout_data, &res->stdout_len);
    } else {
      rc = emit(req, VBX_STREAM_STDERR, "barrier timed out", &res->stderr_data, &res->stderr_len);
      res->exit_code = 1;
    }
  } else {
    rc = emit(req, VBX_STREAM_STDOUT, cmd, &res->stdout_data, &res->stdout_len);
  }
  return rc;
}

static int sb_write(void *p, const char *path, const void *data, size_t len, uint32_t mode,
                    vbx_call *call) {
  (void)mode;
  (void)call;
  fsb *s = p;
  json_object_set_new(s->files, path, json_stringn(data, len));
  fake_logf("write:%s:%s", s->box, path);
  return 0;
}

static int sb_read(void *p, const char *path, size_t max, char **out, size_t *out_len,
                   vbx_call *call) {
  fsb *s = p;
  json_t *f = json_object_get(s->files, path);
  if (f == NULL) return H->set_error(call, VBX_E_NOTFOUND, NULL, "no such file: %s", path);
  if (json_string_length(f) > max) return H->set_error(call, VBX_E_TOOBIG, NULL, "too big");
  *out = H->strndup(json_string_value(f), json_string_length(f));
  *out_len = json_string_length(f);
  return 0;
}

static const vbx_sandbox_backend_vtable sb_vt = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "fake",
    .description = "fake sandbox",
    .flags = VBX_SANDBOX_IS_SIMULATED,
    .validate_options = sb_validate,
    .create = sb_create,
    .destroy = sb_destroy,
    .exec = sb_exec,
    .file_write = sb_write,
    .file_read = sb_read,
    .telemetry = NULL,
};

/* ---- llm --------------------------------------------------------------- */

typedef struct fllm {
  char *box;
  json_t *script;
  size_t turn;
} fllm;

static int llm_validate(void *st, const vbx_json *options, vbx_call *call) {
  (void)st;
  count_validation(1);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)options, key, v) {
    if (strcmp(key, "script") != 0)
      return H->set_error(call, VBX_E_INVAL, key, "unknown option '%s' (known: script)", key);
  }
  return 0;
}

static int llm_create(void *st, const vbx_llm_config *cfg, vbx_call *call, void **out) {
  (void)st;
  /* script "file:NAME": NAME must exist in the spec's directory (what
   * only create can check); script "auth": no API key. */
  const char *s = json_string_value(json_object_get((json_t *)cfg->options, "script"));
  if (s != NULL && strcmp(s, "auth") == 0)
    return H->set_error(call, VBX_E_AUTH, NULL, "the API key variable is not set");
  if (s != NULL && strncmp(s, "file:", 5) == 0) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", cfg->spec_dir ? cfg->spec_dir : ".", s + 5);
    if (access(path, R_OK) != 0)
      return H->set_error(call, VBX_E_NOTFOUND, "script", "%s: cannot open", path);
  }
  fllm *l = calloc(1, sizeof(*l));
  l->box = strdup(cfg->box_name);
  l->script = json_incref(json_object_get((json_t *)cfg->options, "script"));
  fake_logf("llm.create:%s", cfg->box_name);
  *out = l;
  return 0;
}

static void llm_destroy(void *p) {
  fllm *l = p;
  fake_logf("llm.destroy:%s", l->box);
  json_decref(l->script);
  free(l->box);
  free(l);
}

/* The stage input given in the first user message, or "none". */
static const char *stage_input(const json_t *messages) {
  const char *t = json_string_value(json_object_get(
      json_array_get(json_object_get(json_array_get(messages, 0), "content"), 0), "text"));
  const char *in = t ? strstr(t, "\n\nInput:\n") : NULL;
  return in ? in + 9 : "none";
}

static json_t *tool_use(const char *name, json_t *input, size_t n) {
  char id[32];
  snprintf(id, sizeof(id), "tu_%zu", n);
  return json_pack("{s:s, s:s, s:s, s:O}", "type", "tool_use", "id", id, "name", name, "input",
                   input ? input : json_object());
}

static int llm_complete(void *p, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call) {
  fllm *l = p;
  size_t n = json_array_size(l->script);
  json_t *turn = json_array_get(l->script, l->turn < n ? l->turn : n - 1);
  l->turn++;
  fake_logf("llm.complete:%s", l->box);
  if (l->turn == 1) {
    fake_logf("system:%s:%.400s", l->box, req->system ? req->system : "");
    char names[400] = "";
    size_t i;
    json_t *t;
    json_array_foreach((const json_t *)req->tools, i, t) {
      strncat(names, json_string_value(json_object_get(t, "name")),
              sizeof(names) - strlen(names) - 2);
      strcat(names, ",");
    }
    fake_logf("tools:%s:%s", l->box, names);
  }
  resp->usage.input_tokens = 10;
  resp->usage.output_tokens = 5;
  resp->usage.cost_usd = 0.25;
  json_t *content = json_array();
  const char *stop = "end_turn";
  const char *err = json_string_value(json_object_get(turn, "error"));
  if (err) {
    json_decref(content);
    return H->set_error(call, VBX_E_PROVIDER, NULL, "%s", err);
  }
  if (json_is_true(json_object_get(turn, "block"))) {
    json_decref(content);
    pthread_mutex_lock(&mu);
    blocked = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    while (!H->is_cancelled(call))
      usleep(1000);
    return H->set_error(call, VBX_E_CANCELLED, NULL, "fake provider stopped waiting");
  }
  const char *text = json_string_value(json_object_get(turn, "text"));
  const char *echo = json_string_value(json_object_get(turn, "echo"));
  json_t *tool = json_object_get(turn, "tool");
  json_t *tools = json_object_get(turn, "tools");
  char buf[4096];
  if (echo) {
    snprintf(buf, sizeof(buf), "%s[%s]", echo, stage_input((const json_t *)req->messages));
    text = buf;
  }
  if (text) {
    size_t half = strlen(text) / 2;
    if (req->on_text) {
      req->on_text(req->user, text, half);
      req->on_text(req->user, text + half, strlen(text) - half);
    }
    json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text", text));
  } else if (tool) {
    json_array_append_new(
        content, tool_use(json_string_value(tool), json_object_get(turn, "input"), l->turn));
    stop = "tool_use";
  } else if (tools) {
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) json_array_append_new(
        content,
        tool_use(json_string_value(json_array_get(t, 0)), json_array_get(t, 1), l->turn * 100 + i));
    stop = "tool_use";
  }
  resp->content = (vbx_json *)content;
  resp->stop_reason = H->strdup(stop);
  resp->model = H->strdup("fake-1");
  return 0;
}

static const vbx_llm_provider_vtable llm_vt = {sizeof(vbx_llm_provider_vtable),
                                               "fake",
                                               "fake provider",
                                               0,
                                               llm_validate,
                                               llm_create,
                                               llm_destroy,
                                               llm_complete};

/* ---- skill ------------------------------------------------------------- */

typedef struct fskill {
  char *value;
  char *box;
} fskill;

static int sk_validate(void *st, const vbx_skill_config *cfg, vbx_call *call) {
  (void)st;
  count_validation(2);
  if (cfg->options && json_object_get((json_t *)cfg->options, "bad"))
    return H->set_error(call, VBX_E_INVAL, "bad", "option 'bad' is bad");
  return 0;
}

static int sk_create(void *st, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  (void)st;
  (void)call;
  fskill *k = calloc(1, sizeof(*k));
  k->value = strdup(cfg->value ? cfg->value : "none");
  k->box = strdup(cfg->box_name);
  fake_logf("skill.create:%s:%s", cfg->box_name, k->value);
  *out = k;
  return 0;
}

static void sk_destroy(void *p) {
  fskill *k = p;
  fake_logf("skill.destroy:%s:%s", k->box, k->value);
  free(k->value);
  free(k->box);
  free(k);
}

static int sk_provision(void *p, const vbx_sandbox_ref *sb, vbx_skill_contrib *out,
                        vbx_call *call) {
  fskill *k = p;
  char path[256], prompt[256];
  snprintf(path, sizeof(path), "/skills/%s", k->value);
  int rc = sb->file_write(sb->handle, path, "x", 1, 0644, call);
  if (rc != 0) return rc;
  snprintf(prompt, sizeof(prompt), "SKILL %s", k->value);
  out->system_prompt = H->strdup(prompt);
  out->tools = (vbx_json *)json_pack("[{s:s, s:s, s:{s:s}}]", "name", k->value, "description",
                                     "fake tool", "input_schema", "type", "object");
  return 0;
}

static int sk_call(void *p, const vbx_sandbox_ref *sb, const char *tool, const vbx_json *input,
                   char **out_text, int *is_error, vbx_call *call) {
  (void)sb;
  (void)call;
  fskill *k = p;
  char *in = json_dumps((const json_t *)input, JSON_COMPACT);
  char buf[512];
  snprintf(buf, sizeof(buf), "tool %s got %s", tool, in);
  free(in);
  fake_logf("skill.call:%s:%s", k->box, tool);
  *out_text = H->strdup(buf);
  *is_error = 0;
  return 0;
}

static const vbx_skill_type_vtable sk_vt = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "fake",
    .description = "fake skill",
    .flags = 0,
    .validate = sk_validate,
    .create = sk_create,
    .destroy = sk_destroy,
    .provision = sk_provision,
    .call_tool = sk_call,
};

/* ---- exporter ---------------------------------------------------------- */

static int ex_create(void *st, const vbx_json *options, vbx_call *call, void **out) {
  (void)st;
  (void)options;
  (void)call;
  *out = calloc(1, 1);
  return 0;
}
static void ex_destroy(void *p) { free(p); }
static void ex_event(void *p, const vbx_event *ev) {
  (void)p;
  (void)ev;
  exp_events++; /* serialised by the host (not VBX_VT_THREAD_SAFE) */
}
static int ex_flush(void *p, vbx_call *call) {
  (void)p;
  (void)call;
  exp_flushes++;
  return 0;
}

static void ex_span(void *p, const vbx_span_data *sp) {
  (void)p;
  pthread_mutex_lock(&mu);
  if (n_spans < FAKE_SPANS_MAX) {
    fake_span *f = &spans[n_spans++];
    snprintf(f->name, sizeof(f->name), "%s", sp->name);
    snprintf(f->box, sizeof(f->box), "%s", sp->box ? sp->box : "");
    f->trace_hi = sp->trace_id_hi;
    f->trace_lo = sp->trace_id_lo;
    f->id = sp->span_id;
    f->parent = sp->parent_span_id;
    f->start_ns = sp->start_ns;
    f->end_ns = sp->end_ns;
    f->status = sp->status;
    f->kind = sp->kind;
    f->attrs[0] = '\0';
    for (size_t i = 0; sp->attrs && sp->attrs[i] && sp->attrs[i + 1]; i += 2) {
      size_t n = strlen(f->attrs);
      snprintf(f->attrs + n, sizeof(f->attrs) - n, "%s=%s;", sp->attrs[i], sp->attrs[i + 1]);
    }
  }
  pthread_mutex_unlock(&mu);
}
static void ex_metric(void *p, const vbx_metric_data *m) {
  (void)p;
  fake_logf("exp.metric:%s", m->name);
}
static void ex_log(void *p, const vbx_log_data *r) {
  (void)p;
  fake_logf("exp.log:%s:%s", r->box ? r->box : "", r->span_id ? "span" : "nospan");
}

static const vbx_exporter_vtable ex_vt = {.struct_size = sizeof(vbx_exporter_vtable),
                                          .name = "fake",
                                          .description = "fake exporter",
                                          .create = ex_create,
                                          .destroy = ex_destroy,
                                          .on_event = ex_event,
                                          .on_span = ex_span,
                                          .flush = ex_flush,
                                          .on_metric = ex_metric,
                                          .on_log = ex_log};

/* ---- descriptor -------------------------------------------------------- */

static int fake_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  if (H == NULL) H = host; /* the first runtime outlives the others in a test */
  *state = NULL;
  if (reg->register_sandbox_backend(reg->reg, &sb_vt) != 0) return VBX_E_GENERIC;
  if (reg->register_llm_provider(reg->reg, &llm_vt) != 0) return VBX_E_GENERIC;
  if (reg->register_skill_type(reg->reg, &sk_vt) != 0) return VBX_E_GENERIC;
  if (reg->register_exporter(reg->reg, &ex_vt) != 0) return VBX_E_GENERIC;
  return 0;
}

static const vbx_plugin_descriptor fake_desc = {
    VBX_PLUGIN_MAGIC,         VBX_ABI_MAJOR, VBX_ABI_MINOR, sizeof(vbx_plugin_descriptor),
    VBX_ABI_FINGERPRINT,      "fake",        "1.0.0",       "MIT",
    "fake plugins for tests", fake_init,     NULL};

static const vbx_plugin_descriptor *fake_entry(void) { return &fake_desc; }

vbx_runtime *fake_runtime(void) { return fake_runtime_with(NULL, NULL); }

vbx_runtime *fake_runtime_with(vbx_plugin_entry_fn extra, const char *extra_name) {
  vbx_runtime *rt = calloc(1, sizeof(*rt));
  if (rt == NULL) return NULL;
  atomic_init(&rt->cancel.cancelled, 0);
  rt->log.level = VBX_LOG_WARN;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  if (vbx__registry_new(&rt->log, NULL, &rt->reg) != 0 ||
      vbx__registry_load_entry(rt->reg, fake_entry, "fake", &err) != 0 ||
      (extra != NULL && vbx__registry_load_entry(rt->reg, extra, extra_name, &err) != 0)) {
    fprintf(stderr, "fake_runtime: %s\n", err.message);
    vbx_runtime_free(rt);
    return NULL;
  }
  vbx__registry_freeze(rt->reg);
  return rt;
}
