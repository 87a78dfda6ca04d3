/*
 * doctor/probe_images.c - guest kernel and initramfs in the image cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "doctor/doctor.h"
#include "image/fsutil.h"

static int present(const char *dir, const char *name, char *path, size_t size, long long *bytes) {
  struct stat st;
  if (vbx__img_path(path, size, "%s/%s", dir, name) || stat(path, &st) || !S_ISREG(st.st_mode))
    return 0;
  *bytes = (long long)st.st_size;
  return 1;
}

void vbx__doctor_probe_images(json_t *caps, const char *cache_dir) {
  char bz[4096], vm[4096], ird[4096], detail[8400], reason[4400];
  long long bzs = 0, vms = 0, irs = 0;
  if (!cache_dir) {
    vbx__doctor_cap(caps, "guest_kernel", 0, "no image cache directory",
                    "no image cache directory (set HOME or VOIDBOX_CACHE_DIR)");
    vbx__doctor_cap(caps, "guest_initramfs", 0, "no image cache directory",
                    "no image cache directory (set HOME or VOIDBOX_CACHE_DIR)");
    return;
  }
  int k = present(cache_dir, "bzImage", bz, sizeof(bz), &bzs) &&
          present(cache_dir, "vmlinux", vm, sizeof(vm), &vms);
  snprintf(detail, sizeof(detail), k ? "%s (%lld bytes), vmlinux %lld bytes" : "none in %s",
           k ? bz : cache_dir, bzs, vms);
  snprintf(reason, sizeof(reason),
           "no guest kernel in %s: run `voidbox image build` (needs linux-source)", cache_dir);
  json_t *o = vbx__doctor_cap(caps, "guest_kernel", k, detail, reason);
  if (o && k) {
    json_object_set_new(o, "bzimage", json_string(bz));
    json_object_set_new(o, "vmlinux", json_string(vm));
  }
  int i = present(cache_dir, "initramfs.cpio", ird, sizeof(ird), &irs);
  snprintf(detail, sizeof(detail), i ? "%s (%lld bytes)" : "none in %s", i ? ird : cache_dir, irs);
  snprintf(reason, sizeof(reason),
           "no guest initramfs in %s: run `voidbox image build` (needs the guest agent)",
           cache_dir);
  o = vbx__doctor_cap(caps, "guest_initramfs", i, detail, reason);
  if (o && i) json_object_set_new(o, "path", json_string(ird));
}
