/*
 * engine/builtin_tools.c - the tools every box has: bash {command},
 * read_file {path}, write_file {path, content}. They run inside the box's
 * sandbox through the backend vtable; bash streams its output to the run's
 * stream callback as it is produced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

static json_t *def(const char *name, const char *desc, json_t *props, json_t *required) {
  return json_pack("{s:s, s:s, s:{s:s, s:o, s:o}}", "name", name, "description", desc,
                   "input_schema", "type", "object", "properties", props, "required", required);
}

int vbx__builtin_tool_defs(json_t *defs) {
  json_t *d[3];
  d[0] = def(
      "bash",
      "Run a shell command in the sandbox (bash -c). Returns stdout, then stderr, then "
      "the exit code when it is not zero.",
      json_pack("{s:{s:s, s:s}}", "command", "type", "string", "description", "the command line"),
      json_pack("[s]", "command"));
  d[1] = def("read_file", "Read a text file in the sandbox.",
             json_pack("{s:{s:s, s:s}}", "path", "type", "string", "description", "file path"),
             json_pack("[s]", "path"));
  d[2] = def("write_file", "Write a text file in the sandbox, creating parent directories.",
             json_pack("{s:{s:s}, s:{s:s}}", "path", "type", "string", "content", "type", "string"),
             json_pack("[s, s]", "path", "content"));
  int rc = 0;
  for (size_t i = 0; i < 3; i++) {
    if (d[i] == NULL || json_array_append_new(defs, d[i]) != 0) rc = VBX_E_NOMEM;
  }
  return rc;
}

/* String member `key` of the input object, or NULL. */
static const char *str_arg(const json_t *input, const char *key) {
  return json_string_value(json_object_get(input, key));
}

static char *dupf(const char *fmt, const char *a, const char *b) {
  char buf[1024];
  snprintf(buf, sizeof(buf), fmt, a, b ? b : "");
  return strdup(buf);
}

static int on_output(void *user, vbx_stream stream, const char *data, size_t len) {
  vbx__box_run *br = user;
  vbx__box_stream(br, stream == VBX_STREAM_STDERR ? VBX_OUT_TOOL_STDERR : VBX_OUT_TOOL_STDOUT, data,
                  len);
  return vbx__box_stopped(br);
}

static int run_bash(vbx__box_run *br, const char *command, char **out, int *is_error) {
  const char *argv[] = {"bash", "-c", command, NULL};
  vbx_exec_request req;
  memset(&req, 0, sizeof(req));
  req.struct_size = sizeof(req);
  req.argv = argv;
  req.max_output_bytes = VBX__TOOL_OUTPUT_MAX;
  req.on_output = on_output;
  req.user = br;
  vbx_exec_result res;
  memset(&res, 0, sizeof(res));
  res.struct_size = sizeof(res);
  vbx_call call;
  vbx__box_call(br, &call);
  int rc = br->ref.exec(br, &req, &res, &call);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  int trunc = 0;
  const size_t cap = VBX__TOOL_OUTPUT_MAX - 128; /* room for the status lines */
  if (rc == 0) {
    /* Every byte counts: a NUL or binary output is escaped, not cut. */
    size_t binary = 0;
    if (res.stdout_data)
      binary += vbx__text_escape(&sb, res.stdout_data, res.stdout_len, cap, &trunc);
    if (res.stderr_data)
      binary += vbx__text_escape(&sb, res.stderr_data, res.stderr_len, cap, &trunc);
    if (sb.len && sb.data[sb.len - 1] != '\n' &&
        (res.exit_code || res.term_signal || res.timed_out || trunc || res.stdout_truncated ||
         res.stderr_truncated || binary))
      vbx__strbuf_puts(&sb, "\n");
    if (trunc || res.stdout_truncated || res.stderr_truncated)
      vbx__strbuf_puts(&sb, "[output truncated]\n");
    if (binary) vbx__strbuf_printf(&sb, VBX__BINARY_NOTE, binary);
    if (res.timed_out)
      vbx__strbuf_puts(&sb, "timed out");
    else if (res.term_signal)
      vbx__strbuf_printf(&sb, "killed by signal %d", res.term_signal);
    else if (res.exit_code != 0)
      vbx__strbuf_printf(&sb, "exit code %d", res.exit_code);
    *is_error = res.exit_code != 0 || res.term_signal != 0 || res.timed_out;
  }
  free(res.stdout_data);
  free(res.stderr_data);
  if (rc != 0) {
    vbx__strbuf_reset(&sb);
    int stop = vbx__box_stopped(br);
    if (stop) return stop;
    *is_error = 1;
    *out = dupf("bash failed: %s%s", vbx__call_message(&call, rc), NULL);
    return *out ? 0 : VBX_E_NOMEM;
  }
  if (sb.failed) {
    vbx__strbuf_reset(&sb);
    return VBX_E_NOMEM;
  }
  *out = vbx__strbuf_take(&sb);
  return *out ? 0 : VBX_E_NOMEM;
}

static int run_read(vbx__box_run *br, const char *path, char **out, int *is_error) {
  vbx_call call;
  vbx__box_call(br, &call);
  char *data = NULL;
  size_t len = 0;
  int rc = br->ref.file_read(br, path, VBX__READ_FILE_MAX, &data, &len, &call);
  if (rc != 0) {
    free(data);
    int stop = vbx__box_stopped(br);
    if (stop) return stop;
    *is_error = 1;
    *out = dupf("read_file %s: %s", path, vbx__call_message(&call, rc));
    return *out ? 0 : VBX_E_NOMEM;
  }
  if (len > VBX__READ_FILE_MAX) len = VBX__READ_FILE_MAX; /* a backend ignoring max_len */
  vbx__strbuf sb = VBX__STRBUF_INIT;
  int trunc = 0;
  size_t binary =
      vbx__text_escape(&sb, data ? data : "", data ? len : 0, VBX__TOOL_OUTPUT_MAX - 128, &trunc);
  free(data);
  if (trunc) vbx__strbuf_puts(&sb, "\n[output truncated]\n");
  if (binary) vbx__strbuf_printf(&sb, "%s" VBX__BINARY_NOTE, trunc ? "" : "\n", binary);
  if (sb.failed) {
    vbx__strbuf_reset(&sb);
    return VBX_E_NOMEM;
  }
  *out = sb.len ? vbx__strbuf_take(&sb) : strdup("");
  return *out ? 0 : VBX_E_NOMEM;
}

static int run_write(vbx__box_run *br, const char *path, const json_t *content, char **out,
                     int *is_error) {
  vbx_call call;
  vbx__box_call(br, &call);
  size_t len = json_string_length(content);
  int rc = br->ref.file_write(br, path, json_string_value(content), len, 0644, &call);
  if (rc != 0) {
    int stop = vbx__box_stopped(br);
    if (stop) return stop;
    *is_error = 1;
    *out = dupf("write_file %s: %s", path, vbx__call_message(&call, rc));
    return *out ? 0 : VBX_E_NOMEM;
  }
  char buf[64];
  snprintf(buf, sizeof(buf), "%zu", len);
  *out = dupf("wrote %s bytes to %s", buf, path);
  return *out ? 0 : VBX_E_NOMEM;
}

int vbx__builtin_tool_run(vbx__box_run *br, vbx__tool_kind kind, const json_t *input, char **out,
                          int *is_error) {
  *out = NULL;
  *is_error = 0;
  const char *path = str_arg(input, "path");
  switch (kind) {
  case VBX_TOOL_BASH: {
    const char *cmd = str_arg(input, "command");
    if (cmd != NULL) return run_bash(br, cmd, out, is_error);
    *out = strdup("bash: the input needs a string 'command'");
    break;
  }
  case VBX_TOOL_READ_FILE:
    if (path != NULL) return run_read(br, path, out, is_error);
    *out = strdup("read_file: the input needs a string 'path'");
    break;
  case VBX_TOOL_WRITE_FILE: {
    const json_t *content = json_object_get(input, "content");
    if (path != NULL && json_is_string(content)) return run_write(br, path, content, out, is_error);
    *out = strdup("write_file: the input needs strings 'path' and 'content'");
    break;
  }
  default: *out = strdup("not a built-in tool"); break;
  }
  *is_error = 1;
  return *out ? 0 : VBX_E_NOMEM;
}
