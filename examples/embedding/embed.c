/*
 * examples/embedding/embed.c - the smallest embedder: load a spec file, run
 * it on a runtime with the install's own plugins (no plugin directory given:
 * libvoidbox finds PREFIX/lib/voidbox/plugins next to itself), print the
 * final text and the status.
 *
 *   embed SPEC [PLUGIN...]
 *
 * Built against an installed voidbox only, with pkg-config (voidbox.pc) or
 * CMake (find_package(voidbox)); see README.md. Exit 0 when the run ends
 * ok, 1 otherwise.
 */
#include <stdio.h>

#include "voidbox/voidbox.h"

int main(int argc, char **argv) {
  vbx_error err = {0};
  vbx_runtime *rt = NULL;
  vbx_pipeline *p = NULL;
  vbx_result *res = NULL;
  int status = 1;
  if (argc < 2) {
    fprintf(stderr, "usage: embed SPEC [PLUGIN...]\n");
    return 2;
  }
  vbx_runtime_options ro = {.struct_size = sizeof ro};
  ro.plugin_paths = (const char *const *)(argv + 2); /* argv[argc] is NULL */
  if (vbx_runtime_new(&ro, &rt, &err) != 0 || vbx_pipeline_load_file(argv[1], &p, &err) != 0)
    goto out;
  if (vbx_pipeline_run(rt, p, NULL, &res, &err) != 0) goto out;
  printf("%s\n", vbx_result_text(res));
  printf("== %s: %s (%s)\n", argv[1], vbx_status_name(vbx_result_status(res)), vbx_version());
  if (vbx_result_status(res) == VBX_STATUS_OK)
    status = 0;
  else
    fprintf(stderr, "embed: %s\n", vbx_result_error(res) ? vbx_result_error(res) : "failed");
out:
  if (err.code != 0) fprintf(stderr, "embed: %s (%s)\n", err.message, vbx_strerror(err.code));
  vbx_result_free(res);
  vbx_pipeline_free(p);
  vbx_runtime_free(rt);
  return status;
}
