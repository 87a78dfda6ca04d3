/*
 * sandbox-mock/options.c - parsing and checking the backend options
 * (`commands`, `record`, `barrier`, `fail_exec`) from the host's JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "popt.h"

/* The mock's wording: precise ("commands[0].exit_code is 300, must be
 * 0..255"), VBX_E_INVAL, the error at `field`. */
static vbx_popt mock_opt(const vbx_host_services *h, vbx_call *call, const char *field,
                         const char *what) {
  vbx_popt o = {
      .h = h, .call = call, .field = field, .what = what, .code = VBX_E_INVAL, .precise = 1};
  return o;
}

static int get_uint(const vbx_host_services *h, const vbx_json *v, int64_t max, const char *field,
                    const char *what, int64_t *out, vbx_call *call) {
  vbx_popt o = mock_opt(h, call, field, what);
  return vbx_popt_int(&o, v, 0, max, out);
}

static int get_string(const vbx_host_services *h, const vbx_json *v, const char *field,
                      const char *what, char **out, vbx_call *call) {
  vbx_popt o = mock_opt(h, call, field, what);
  return vbx_popt_string(&o, v, 0, MOCK_MAX_STRING, out);
}

static int parse_command(const vbx_host_services *h, const vbx_json *v, size_t idx, mock_command *c,
                         vbx_call *call) {
  char what[96];
  int rc = 0;
  if (h->json_type(v) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_INVAL, "commands",
                        "commands[%zu] must be a map {match, stdout, stderr, exit_code, delay_ms}",
                        idx);
  vbx_json *val;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(v, i, &val)) != NULL; i++) {
    snprintf(what, sizeof what, "commands[%zu].%s", idx, key);
    if (strcmp(key, "match") == 0) {
      rc = get_string(h, val, "commands", what, &c->match, call);
    } else if (strcmp(key, "stdout") == 0) {
      rc = get_string(h, val, "commands", what, &c->out, call);
    } else if (strcmp(key, "stderr") == 0) {
      rc = get_string(h, val, "commands", what, &c->err, call);
    } else if (strcmp(key, "exit_code") == 0) {
      int64_t n = 0;
      rc = get_uint(h, val, 255, "commands", what, &n, call);
      c->exit_code = (int)n;
    } else if (strcmp(key, "delay_ms") == 0) {
      int64_t n = 0;
      rc = get_uint(h, val, MOCK_MAX_DELAY_MS, "commands", what, &n, call);
      c->delay_ms = (uint32_t)n;
    } else {
      rc = h->set_error(call, VBX_E_INVAL, "commands",
                        "unknown key %s (expected match, stdout, stderr, exit_code, delay_ms)",
                        what);
    }
    if (rc != 0) return rc;
  }
  if (c->match == NULL)
    return h->set_error(call, VBX_E_INVAL, "commands", "commands[%zu] has no `match` pattern", idx);
  return 0;
}

static int parse_commands(const vbx_host_services *h, const vbx_json *v, mock_options *o,
                          vbx_call *call) {
  if (h->json_type(v) != VBX_JSON_ARRAY)
    return h->set_error(call, VBX_E_INVAL, "commands", "commands must be a list");
  size_t n = h->json_array_size(v);
  if (n > MOCK_MAX_COMMANDS)
    return h->set_error(call, VBX_E_LIMIT, "commands", "%zu commands, over the limit of %d", n,
                        MOCK_MAX_COMMANDS);
  if (n == 0) return 0;
  o->commands = calloc(n, sizeof *o->commands);
  if (o->commands == NULL) return h->set_error(call, VBX_E_NOMEM, "commands", "out of memory");
  for (size_t i = 0; i < n; i++) {
    o->n_commands = i + 1;
    int rc = parse_command(h, h->json_array_get(v, i), i, &o->commands[i], call);
    if (rc != 0) return rc;
  }
  return 0;
}

static int parse_barrier(const vbx_host_services *h, const vbx_json *v, mock_options *o,
                         vbx_call *call) {
  int rc = 0;
  if (h->json_type(v) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_INVAL, "barrier",
                        "barrier must be a map {name, parties, timeout_ms}");
  int64_t parties = 0, timeout = MOCK_DEFAULT_BARRIER_MS;
  vbx_json *val;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(v, i, &val)) != NULL; i++) {
    if (strcmp(key, "name") == 0) {
      rc = get_string(h, val, "barrier", "barrier.name", &o->barrier_name, call);
      if (rc == 0 && (o->barrier_name[0] == '\0' || strlen(o->barrier_name) > 256))
        rc = h->set_error(call, VBX_E_INVAL, "barrier", "barrier.name must be 1..256 bytes");
    } else if (strcmp(key, "parties") == 0) {
      rc = get_uint(h, val, MOCK_MAX_PARTIES, "barrier", "barrier.parties", &parties, call);
      if (rc == 0 && parties < 1)
        rc = h->set_error(call, VBX_E_INVAL, "barrier", "barrier.parties must be at least 1");
    } else if (strcmp(key, "timeout_ms") == 0) {
      rc = get_uint(h, val, MOCK_MAX_DELAY_MS, "barrier", "barrier.timeout_ms", &timeout, call);
    } else {
      rc = h->set_error(call, VBX_E_INVAL, "barrier",
                        "unknown key barrier.%s (expected name, parties, timeout_ms)", key);
    }
    if (rc != 0) return rc;
  }
  if (o->barrier_name == NULL || parties == 0)
    return h->set_error(call, VBX_E_INVAL, "barrier", "barrier needs both `name` and `parties`");
  o->barrier_parties = (uint32_t)parties;
  o->barrier_timeout_ms = (uint32_t)timeout;
  return 0;
}

static int set_record(const vbx_host_services *h, const vbx_json *v, const char *spec_dir,
                      mock_options *o, vbx_call *call) {
  char *p = NULL;
  int rc = get_string(h, v, "record", "record", &p, call);
  if (rc != 0) return rc;
  if (p[0] == '\0' || strlen(p) > 4096) {
    free(p);
    return h->set_error(call, VBX_E_INVAL, "record", "record must be a path of 1..4096 bytes");
  }
  if (p[0] != '/' && spec_dir != NULL && spec_dir[0] != '\0') {
    size_t n = strlen(spec_dir) + strlen(p) + 2;
    char *full = malloc(n);
    if (full == NULL) {
      free(p);
      return h->set_error(call, VBX_E_NOMEM, "record", "out of memory");
    }
    snprintf(full, n, "%s/%s", spec_dir, p);
    free(p);
    p = full;
  }
  o->record = p;
  return 0;
}

int mock_options_parse(const vbx_host_services *h, const vbx_json *options, const char *spec_dir,
                       mock_options *out, vbx_call *call) {
  int rc = 0;
  memset(out, 0, sizeof *out);
  if (options == NULL || h->json_type(options) == VBX_JSON_NULL) return 0;
  if (h->json_type(options) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_INVAL, NULL, "mock sandbox options must be a map");
  vbx_json *val;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(options, i, &val)) != NULL; i++) {
    if (strcmp(key, "commands") == 0) {
      rc = parse_commands(h, val, out, call);
    } else if (strcmp(key, "record") == 0) {
      rc = set_record(h, val, spec_dir, out, call);
    } else if (strcmp(key, "barrier") == 0) {
      rc = parse_barrier(h, val, out, call);
    } else if (strcmp(key, "fail_exec") == 0) {
      vbx_popt o = mock_opt(h, call, "fail_exec", "fail_exec");
      rc = vbx_popt_bool(&o, val, &out->fail_exec);
    } else {
      rc = h->set_error(call, VBX_E_INVAL, key,
                        "unknown mock sandbox option `%s` (expected commands, record, barrier, "
                        "fail_exec)",
                        key);
    }
    if (rc != 0) goto fail;
  }
  return 0;
fail:
  mock_options_clear(out);
  return rc;
}

void mock_options_clear(mock_options *o) {
  for (size_t i = 0; i < o->n_commands; i++) {
    free(o->commands[i].match);
    free(o->commands[i].out);
    free(o->commands[i].err);
  }
  free(o->commands);
  free(o->record);
  free(o->barrier_name);
  memset(o, 0, sizeof *o);
}
