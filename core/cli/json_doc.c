/*
 * json_doc.c - with `--output json`, stdout carries exactly one JSON
 * document: the run report, or, when no run happened or it could not
 * report, an error document (docs/cli.md, "JSON output"):
 *
 *   {"schema_version": 1, "status": "error", "exit_code": 2,
 *    "error": {"code": "VBX_E_SPEC", "message": "...",
 *              "file": "spec.yaml", "line": 4, "column": 3}}
 *
 * "file", "line" and "column" appear when the error has a position.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run/result.h"
#include "util/error.h"

char *vbx__cli_error_doc(int exit_code, const vbx_error *err) {
  char name[32];
  vbx__error_name(err->code, name, sizeof(name));
  const char *msg = err->message[0] ? err->message : vbx_strerror(err->code);
  json_t *e = json_pack("{s:s, s:s}", "code", name, "message", msg);
  if (e != NULL && err->file[0] != '\0' && err->line > 0 &&
      (json_object_set_new(e, "file", json_string(err->file)) != 0 ||
       json_object_set_new(e, "line", json_integer(err->line)) != 0 ||
       json_object_set_new(e, "column", json_integer(err->column)) != 0)) {
    json_decref(e);
    e = NULL;
  }
  json_t *doc = e ? json_pack("{s:i, s:s, s:i, s:o}", "schema_version", VBX__REPORT_SCHEMA,
                              "status", "error", "exit_code", exit_code, "error", e)
                  : NULL;
  char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
  json_decref(doc);
  return text;
}

int vbx__cli_print_error_doc(int exit_code, int code, const char *msg, const vbx_error *err) {
  vbx_error e;
  if (err != NULL) {
    e = *err;
  } else {
    memset(&e, 0, sizeof(e));
    e.code = code;
    snprintf(e.message, sizeof(e.message), "%s", msg ? msg : "");
  }
  char *doc = vbx__cli_error_doc(exit_code, &e);
  int rc = exit_code;
  errno = 0;
  if (doc == NULL || fputs(doc, stdout) == EOF || fputc('\n', stdout) == EOF ||
      fflush(stdout) != 0) {
    vbx__cli_error("cannot write the error document to stdout: %s",
                   doc == NULL ? "out of memory" : strerror(errno ? errno : EIO));
    rc = VBX_EXIT_FAILED;
  }
  free(doc);
  return rc;
}
