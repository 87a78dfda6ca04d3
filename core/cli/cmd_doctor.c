/*
 * cmd_doctor.c - `voidbox doctor [--output json] [--cache-dir DIR]
 * [--require KEY]...`: host capabilities (docs/doctor.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doctor/doctor.h"

static void doctor_help(FILE *out) {
  fprintf(out,
          "usage: voidbox doctor [--output human|json] [--cache-dir DIR] [--require KEY]...\n"
          "\n"
          "Report what this host can run: /dev/kvm and whether it is hardware\n"
          "virtualization, /dev/vhost-vsock, QEMU, guest images in the cache, cgroups,\n"
          "user namespaces, /dev/net/tun. Every capability has a stable JSON key, an\n"
          "`available` flag and a `reason` when it is not available (docs/doctor.md).\n"
          "\n"
          "options:\n"
          "  --output FORMAT   human (default) or json\n"
          "  --cache-dir DIR   image cache to look in (default: as `voidbox image`)\n"
          "  --require KEY     exit 1 unless capability KEY is available (repeatable)\n"
          "  -h, --help        this help\n"
          "exit codes: 0 report printed (and every --require met), 1 a required\n"
          "capability is missing, 2 usage error\n");
}

int vbx__cmd_doctor(int argc, char **argv) {
  int json = 0, rc = VBX_EXIT_USAGE;
  const char *cache = NULL;
  const char *req[32];
  size_t nreq = 0;
  json_t *doc = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      doctor_help(stdout);
      return VBX_EXIT_OK;
    } else if (!strcmp(a, "--output") && i + 1 < argc) {
      const char *f = argv[++i];
      if (strcmp(f, "json") && strcmp(f, "human")) {
        vbx__cli_error("doctor: --output must be human or json, not '%s'", f);
        return VBX_EXIT_USAGE;
      }
      json = !strcmp(f, "json");
    } else if (!strcmp(a, "--cache-dir") && i + 1 < argc) {
      cache = argv[++i];
    } else if (!strcmp(a, "--require") && i + 1 < argc) {
      if (nreq == sizeof(req) / sizeof(req[0])) {
        vbx__cli_error("doctor: too many --require options");
        return VBX_EXIT_USAGE;
      }
      req[nreq++] = argv[++i];
    } else {
      vbx__cli_error("doctor: unknown or incomplete option '%s' (see `voidbox doctor --help`)", a);
      return VBX_EXIT_USAGE;
    }
  }
  if (!(doc = vbx__doctor_run(cache))) {
    vbx__cli_error("doctor: out of memory");
    return VBX_EXIT_FAILED;
  }
  json_t *caps = json_object_get(doc, "capabilities");
  for (size_t i = 0; i < nreq; i++)
    if (!json_object_get(caps, req[i])) {
      vbx__cli_error("doctor: --require: unknown capability '%s' (see `voidbox doctor`)", req[i]);
      goto out;
    }
  if (json) {
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text) printf("%s\n", text);
    free(text);
  } else {
    vbx__doctor_print(doc, stdout);
  }
  rc = VBX_EXIT_OK;
  for (size_t i = 0; i < nreq; i++) {
    json_t *c = json_object_get(caps, req[i]);
    if (json_is_true(json_object_get(c, "available"))) continue;
    vbx__cli_error("doctor: required capability %s unavailable: %s", req[i],
                   json_string_value(json_object_get(c, "reason")));
    rc = VBX_EXIT_FAILED;
  }
out:
  json_decref(doc);
  return rc;
}
