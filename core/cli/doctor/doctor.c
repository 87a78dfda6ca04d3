/*
 * doctor/doctor.c - assembling and printing the host capability report.
 */
#include "doctor/doctor.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "util/cachedir.h"
#include "voidbox/voidbox.h"

json_t *vbx__doctor_run(const char *cache_dir) {
  struct utsname u;
  char dir[4096];
  const char *cache = NULL;
  if (cache_dir && *cache_dir)
    cache = cache_dir;
  else if (vbx__cache_dir(NULL, dir, sizeof(dir)) == 0)
    cache = dir;
  if (uname(&u)) memset(&u, 0, sizeof(u));
  json_t *caps = json_object();
  if (!caps) return NULL;
  vbx__doctor_probe_virt(caps);
  vbx__doctor_probe_host(caps);
  vbx__doctor_probe_images(caps, cache);
  /* qemu_kvm needs both probe groups. */
  int q = json_is_true(json_object_get(json_object_get(caps, "qemu"), "available"));
  int k = json_is_true(json_object_get(json_object_get(caps, "kvm_hardware"), "available"));
  vbx__doctor_cap(caps, "qemu_kvm", q && k,
                  q && k ? "QEMU can run guests with -accel kvm"
                         : (q ? "QEMU runs guests with software emulation (TCG)" : ""),
                  !q ? "qemu-system-x86_64 not available"
                     : "no hardware virtualization: QEMU falls back to software emulation (TCG)");
  vbx__doctor_probe_kvm_backend(caps);
  vbx__doctor_probe_netstack(caps);
  return json_pack("{s:s,s:{s:s,s:s},s:s?,s:o}", "voidbox_version", vbx_version(), "host", "kernel",
                   u.release, "machine", u.machine, "cache_dir", cache, "capabilities", caps);
}

void vbx__doctor_print(const json_t *doc, FILE *out) {
  json_t *host = json_object_get(doc, "host");
  fprintf(out, "voidbox doctor (voidbox %s, Linux %s %s)\n",
          json_string_value(json_object_get(doc, "voidbox_version")),
          json_string_value(json_object_get(host, "kernel")),
          json_string_value(json_object_get(host, "machine")));
  const char *cache = json_string_value(json_object_get(doc, "cache_dir"));
  fprintf(out, "image cache: %s\n\n", cache ? cache : "(none: no HOME)");
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(doc, "capabilities"), key, v) {
    int ok = json_is_true(json_object_get(v, "available"));
    const char *detail = json_string_value(json_object_get(v, "detail"));
    const char *reason = json_string_value(json_object_get(v, "reason"));
    fprintf(out, "  %-4s %-24s %s\n", ok ? "yes" : "no", key, detail && *detail ? detail : "-");
    if (!ok && reason && *reason) fprintf(out, "       %-24s -> %s\n", "", reason);
  }
}
