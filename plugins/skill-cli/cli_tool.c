/*
 * skill-cli/cli_tool.c - the tool "cli__NAME": the program run directly
 * (argv, no shell, so nothing in an argument is interpreted) inside the
 * sandbox, its output and exit status as the tool result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

vbx_json *cli_tool_def(const cli_skill *s) {
  const vbx_host_services *h = s->host;
  char desc[1400];
  snprintf(desc, sizeof desc,
           "Run the program `%s` in the sandbox with these arguments (passed as they are, no "
           "shell). Returns stdout, then stderr, then the exit status when it is not zero.%s%s",
           s->name, s->description ? " About the program: " : "",
           s->description ? s->description : "");
  const char *schema =
      "{\"type\":\"object\",\"properties\":{"
      "\"args\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
      "\"description\":\"the arguments after the program's name\"},"
      "\"stdin\":{\"type\":\"string\",\"description\":\"text given on standard input\"}}}";
  vbx_json *def = h->json_object_new();
  vbx_json *sch = h->json_parse(schema, strlen(schema), NULL);
  vbx_json *name = h->json_string_new(s->tool, strlen(s->tool));
  vbx_json *d = h->json_string_new(desc, strlen(desc));
  if (def == NULL || sch == NULL || name == NULL || d == NULL) goto fail;
  int rc = h->json_object_set(def, "name", name);
  name = NULL;
  rc |= h->json_object_set(def, "description", d);
  d = NULL;
  rc |= h->json_object_set(def, "input_schema", sch);
  sch = NULL;
  if (rc != 0) goto fail;
  return def;
fail:
  if (def) h->json_decref(def);
  if (sch) h->json_decref(sch);
  if (name) h->json_decref(name);
  if (d) h->json_decref(d);
  return NULL;
}

/* A tool error with text `msg`: *is_error set, 0 returned. */
static int tool_error(const vbx_host_services *h, char **out, int *is_error, const char *msg,
                      vbx_call *call) {
  *is_error = 1;
  *out = h->strdup(msg);
  return *out ? 0 : h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
}

/* argv from the input's "args": argv[0] the program. Returns 0, or a
 * message for the model in why (1) or VBX_E_NOMEM (-). */
static int build_argv(const cli_skill *s, const vbx_json *input, const char ***argv, char *why,
                      size_t cap) {
  const vbx_host_services *h = s->host;
  const vbx_json *args = input ? h->json_object_get(input, "args") : NULL;
  size_t n = 0;
  if (input != NULL && h->json_type(input) != VBX_JSON_OBJECT) {
    snprintf(why, cap, "the input must be an object {\"args\": [...], \"stdin\": \"...\"}");
    return 1;
  }
  if (args != NULL && h->json_type(args) != VBX_JSON_ARRAY) {
    snprintf(why, cap, "`args` must be a list of strings");
    return 1;
  }
  n = args ? h->json_array_size(args) : 0;
  if (n > CLI_MAX_ARGS) {
    snprintf(why, cap, "`args` has %zu items; at most %d", n, CLI_MAX_ARGS);
    return 1;
  }
  const char **v = calloc(n + 2, sizeof *v);
  if (v == NULL) return VBX_E_NOMEM;
  v[0] = s->run_path;
  for (size_t i = 0; i < n; i++) {
    const vbx_json *a = h->json_array_get(args, i);
    const char *str = h->json_string_value(a);
    if (str == NULL || h->json_string_length(a) != strlen(str) ||
        h->json_string_length(a) > CLI_ARG_MAX) {
      snprintf(why, cap, "`args[%zu]` must be a string without NUL of at most %u bytes", i,
               CLI_ARG_MAX);
      free(v);
      return 1;
    }
    v[i + 1] = str;
  }
  *argv = v;
  return 0;
}

int cli_tool_run(const cli_skill *s, const vbx_sandbox_ref *sb, const vbx_json *input,
                 char **out_text, int *is_error, vbx_call *call) {
  const vbx_host_services *h = s->host;
  char why[256];
  const char **argv = NULL;
  *out_text = NULL;
  *is_error = 0;
  int rc = build_argv(s, input, &argv, why, sizeof why);
  if (rc == VBX_E_NOMEM) return h->set_error(call, rc, NULL, "out of memory");
  if (rc != 0) return tool_error(h, out_text, is_error, why, call);
  const vbx_json *in = input ? h->json_object_get(input, "stdin") : NULL;
  if (in != NULL && h->json_string_value(in) == NULL) {
    free(argv);
    return tool_error(h, out_text, is_error, "`stdin` must be a string", call);
  }
  vbx_exec_request req = {.struct_size = sizeof req};
  req.argv = argv;
  req.stdin_data = in ? h->json_string_value(in) : NULL;
  req.stdin_len = in ? h->json_string_length(in) : 0;
  req.timeout_ms = s->timeout_ms;
  req.max_output_bytes = CLI_OUTPUT_MAX;
  vbx_exec_result res = {.struct_size = sizeof res};
  rc = sb->exec(sb->handle, &req, &res, call);
  free(argv);
  if (rc != 0) return rc; /* the sandbox's failure, its message set */
  char status[160] = "";
  if (res.timed_out)
    snprintf(status, sizeof status, "[%s: timed out after %u ms]\n", s->name, s->timeout_ms);
  else if (res.term_signal != 0)
    snprintf(status, sizeof status, "[%s: killed by signal %d]\n", s->name, res.term_signal);
  else if (res.exit_code != 0)
    snprintf(status, sizeof status, "[%s: exit status %d]\n", s->name, res.exit_code);
  const char *trunc = res.stdout_truncated || res.stderr_truncated ? "[output truncated]\n" : "";
  size_t n = res.stdout_len + res.stderr_len + strlen(status) + strlen(trunc) + 3;
  char *text = h->alloc(n);
  if (text != NULL) {
    size_t k = 0;
    if (res.stdout_len) memcpy(text + k, res.stdout_data, res.stdout_len), k += res.stdout_len;
    if (res.stderr_len) {
      if (k > 0 && text[k - 1] != '\n') text[k++] = '\n';
      memcpy(text + k, res.stderr_data, res.stderr_len), k += res.stderr_len;
    }
    if (status[0] && k > 0 && text[k - 1] != '\n') text[k++] = '\n';
    memcpy(text + k, status, strlen(status)), k += strlen(status);
    memcpy(text + k, trunc, strlen(trunc)), k += strlen(trunc);
    text[k] = '\0';
  }
  h->free(res.stdout_data);
  h->free(res.stderr_data);
  if (text == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  *out_text = text;
  *is_error = status[0] != '\0';
  return 0;
}
