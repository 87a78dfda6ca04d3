/*
 * tests/unit/vmm_x86/test_images.c - vmm_x86_load on real kernels: the
 * cached guest image's vmlinux (PVH) and bzImage (64-bit boot protocol)
 * from $VBX_TEST_IMAGE_CACHE, $VOIDBOX_CACHE_DIR or
 * ~/.cache/voidbox/images, and the tiny test guest from the build tree.
 * Each missing file is a printed skip; with none at all the program exits
 * 77 (ctest: skipped). No KVM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boot.h"
#include "layout.h"
#include "voidbox/errors.h"

#ifndef TINY_GUEST_ELF
#define TINY_GUEST_ELF ""
#endif

static char vmlinux[512], bzimage[512], initrd[512], err[512];
static vmm_guest_mem mem;

static uint64_t le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static int regular(const char *path) {
  struct stat st;
  return path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void need(const char *path, const char *what) {
  if (!regular(path)) {
    printf("SKIP: no %s at %s\n", what, path[0] ? path : "(unknown path)");
    skip();
  }
}

static const char *initrd_or_null(void) { return regular(initrd) ? initrd : NULL; }

static void test_tiny_guest(void **state) {
  (void)state;
  need(TINY_GUEST_ELF, "tiny_guest.elf (the tiny_guest target)");
  vmm_boot b;
  int rc = vmm_x86_load(&mem, TINY_GUEST_ELF, NULL, "", 1, &b, err, sizeof err);
  if (rc != 0) fail_msg("%d %s", rc, err);
  assert_true(b.pvh);
  assert_int_equal(b.entry, 0x100000); /* _start, linked at 1 MiB */
  assert_int_equal(b.params_gpa, VMM_X86_START_INFO_GPA);
  assert_int_equal(mem.base[0x100000], 0xfa); /* cli */
}

static void test_vmlinux(void **state) {
  (void)state;
  need(vmlinux, "cached vmlinux");
  vmm_boot b;
  int rc = vmm_x86_load(&mem, vmlinux, initrd_or_null(), "console=ttyS0", 2, &b, err, sizeof err);
  if (rc != 0) fail_msg("%d %s", rc, err);
  printf("vmlinux: PVH entry 0x%llx\n", (unsigned long long)b.entry);
  assert_true(b.pvh);
  assert_true(b.entry >= VMM_X86_KERNEL_GPA && b.entry < mem.size);
  const uint8_t *si = mem.base + VMM_X86_START_INFO_GPA;
  assert_int_equal(le(si, 4), 0x336ec578);
  assert_int_equal(le(si + 12, 4), initrd_or_null() ? 1 : 0);
  assert_string_equal((const char *)mem.base + VMM_X86_CMDLINE_GPA, "console=ttyS0");
  /* the same kernel in 32 MiB: its segments end past guest memory */
  vmm_guest_mem small = {mem.base, VMM_X86_MEM_MIN};
  rc = vmm_x86_load(&small, vmlinux, NULL, "", 1, &b, err, sizeof err);
  printf("vmlinux in 32 MiB: %d %s\n", rc, err);
  assert_int_equal(rc, VBX_E_TOOBIG);
  assert_non_null(strstr(err, "past guest memory"));
}

static void test_bzimage(void **state) {
  (void)state;
  need(bzimage, "cached bzImage");
  vmm_boot b;
  int rc = vmm_x86_load(&mem, bzimage, initrd_or_null(), "console=ttyS0", 2, &b, err, sizeof err);
  if (rc != 0) fail_msg("%d %s", rc, err);
  const uint8_t *zp = mem.base + VMM_X86_ZERO_PAGE_GPA;
  printf("bzImage: protocol %x, entry 0x%llx, initrd at 0x%llx\n", (unsigned)le(zp + 0x206, 2),
         (unsigned long long)b.entry, (unsigned long long)le(zp + 0x218, 4));
  assert_false(b.pvh);
  assert_int_equal(b.entry, 0x1000200);
  assert_memory_equal(zp + 0x202, "HdrS", 4);
  assert_true(le(zp + 0x206, 2) >= 0x020c);
  assert_true(le(zp + 0x236, 2) & 1); /* XLF_KERNEL_64 */
  assert_int_equal(zp[0x210], 0xff);
  assert_int_equal(le(zp + 0x228, 4), VMM_X86_CMDLINE_GPA);
  if (initrd_or_null()) {
    uint64_t at = le(zp + 0x218, 4), size = le(zp + 0x21c, 4);
    assert_true(at % 4096 == 0 && at + size <= mem.size && at + size > mem.size - 4096);
  }
  /* the protected-mode kernel is the file after (setup_sects + 1) * 512 */
  FILE *f = fopen(bzimage, "rb");
  assert_non_null(f);
  uint8_t head[0x400], pm[4096];
  assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
  unsigned sects = head[0x1f1] ? head[0x1f1] : 4;
  assert_int_equal(fseek(f, (long)(sects + 1) * 512, SEEK_SET), 0);
  assert_int_equal(fread(pm, 1, sizeof pm, f), sizeof pm);
  fclose(f);
  assert_memory_equal(mem.base + 0x1000000, pm, sizeof pm);
}

static void image_dir(char *out, size_t cap) {
  const char *test = getenv("VBX_TEST_IMAGE_CACHE"), *env = getenv("VOIDBOX_CACHE_DIR"),
             *home = getenv("HOME");
  if (test && test[0])
    snprintf(out, cap, "%s", test);
  else if (env && env[0])
    snprintf(out, cap, "%s", env);
  else if (home && home[0])
    snprintf(out, cap, "%s/.cache/voidbox/images", home);
  else
    out[0] = 0;
}

int main(void) {
  char dir[400];
  image_dir(dir, sizeof dir);
  if (dir[0]) {
    snprintf(vmlinux, sizeof vmlinux, "%s/vmlinux", dir);
    snprintf(bzimage, sizeof bzimage, "%s/bzImage", dir);
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio", dir);
  }
  if (!regular(vmlinux) && !regular(bzimage) && !regular(TINY_GUEST_ELF)) {
    printf("SKIP: no kernel to load: no vmlinux or bzImage in %s (`voidbox image build`), no %s\n",
           dir[0] ? dir : "(no image directory: set HOME)", TINY_GUEST_ELF);
    return 77;
  }
  mem.size = 256ull << 20;
  mem.base = calloc(1, mem.size);
  if (!mem.base) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiny_guest),
      cmocka_unit_test(test_vmlinux),
      cmocka_unit_test(test_bzimage),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  free(mem.base);
  return rc;
}
