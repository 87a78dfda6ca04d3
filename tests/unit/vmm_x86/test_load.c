/*
 * tests/unit/vmm_x86/test_load.c - vmm_x86_load on crafted ELF and bzImage
 * files written to a temporary directory: the good case lands every byte
 * where layout.h says, and each malformed file (truncated, segment past
 * memory, missing PVH note, bad magic, old protocol, ...) is refused with
 * a message naming the file and the field. No KVM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "layout.h"
#include "voidbox/errors.h"

#define MEM (64ull << 20)

static char dir[64], kpath[128], ipath[128], err[512];
static vmm_guest_mem mem;
static vmm_boot boot;

static uint64_t le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void put(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static int setup(void **state) {
  (void)state;
  memset(mem.base, 0xaa, mem.size);
  memset(&boot, 0, sizeof boot);
  err[0] = 0;
  return 0;
}

/* ---- ELF ---------------------------------------------------------------- */

typedef struct elf_opts {
  uint64_t paddr, memsz;
  int note; /* 0 none, 4 or 8: the PVH note's descsz */
  int truncate;
} elf_opts;

#define ELF_DATA_OFF 0x1000
#define ELF_FILESZ 0x100
#define ELF_NOTE_OFF 0x800

/* ELF64 header, PT_LOAD (0x100 payload bytes at ELF_DATA_OFF), PT_NOTE. */
static size_t make_elf(uint8_t *b, const elf_opts *o) {
  memset(b, 0, ELF_DATA_OFF + ELF_FILESZ);
  Elf64_Ehdr eh = {.e_type = ET_EXEC,
                   .e_machine = EM_X86_64,
                   .e_version = EV_CURRENT,
                   .e_entry = o->paddr,
                   .e_phoff = sizeof(Elf64_Ehdr),
                   .e_ehsize = sizeof(Elf64_Ehdr),
                   .e_phentsize = sizeof(Elf64_Phdr),
                   .e_phnum = 2};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  Elf64_Phdr ph[2] = {{.p_type = PT_LOAD,
                       .p_offset = ELF_DATA_OFF,
                       .p_paddr = o->paddr,
                       .p_vaddr = o->paddr,
                       .p_filesz = ELF_FILESZ,
                       .p_memsz = o->memsz},
                      {.p_type = PT_NOTE, .p_offset = ELF_NOTE_OFF, .p_filesz = 12 + 4 + 8}};
  uint8_t *n = b + ELF_NOTE_OFF;
  put(n, 4, 4); /* namesz */
  put(n + 4, o->note ? (uint64_t)o->note : 4, 4);
  put(n + 8, o->note ? 18 : 17, 4); /* type: PHYS32_ENTRY, or another Xen note */
  memcpy(n + 12, "Xen", 4);
  put(n + 16, o->paddr + 0x10, (size_t)(o->note ? o->note : 4));
  if (o->note == 4) ph[1].p_filesz = 12 + 4 + 4;
  memcpy(b, &eh, sizeof eh);
  memcpy(b + sizeof eh, ph, sizeof ph);
  for (unsigned i = 0; i < ELF_FILESZ; i++)
    b[ELF_DATA_OFF + i] = (uint8_t)(i + 1);
  return o->truncate ? (size_t)o->truncate : ELF_DATA_OFF + ELF_FILESZ;
}

static int load_elf(const elf_opts *o, const char *initrd, const char *cmdline) {
  static uint8_t b[ELF_DATA_OFF + ELF_FILESZ];
  write_file(kpath, b, make_elf(b, o));
  return vmm_x86_load(&mem, kpath, initrd, cmdline, 2, &boot, err, sizeof err);
}

static const elf_opts good_elf = {.paddr = 0x100000, .memsz = 0x200, .note = 4};

static void test_elf_good(void **state) {
  (void)state;
  uint8_t initrd[5000];
  for (unsigned i = 0; i < sizeof initrd; i++)
    initrd[i] = (uint8_t)(i * 3);
  write_file(ipath, initrd, sizeof initrd);
  assert_int_equal(load_elf(&good_elf, ipath, "console=ttyS0"), 0);
  assert_true(boot.pvh);
  assert_int_equal(boot.entry, 0x100010);
  assert_int_equal(boot.params_gpa, VMM_X86_START_INFO_GPA);
  const uint8_t *m = mem.base;
  for (unsigned i = 0; i < ELF_FILESZ; i++)
    assert_int_equal(m[0x100000 + i], (uint8_t)(i + 1));
  for (unsigned i = ELF_FILESZ; i < 0x200; i++)
    assert_int_equal(m[0x100000 + i], 0); /* bss */
  assert_int_equal(m[0x100200], 0xaa);    /* untouched */
  assert_string_equal((const char *)m + VMM_X86_CMDLINE_GPA, "console=ttyS0");
  uint64_t initrd_gpa = (MEM - sizeof initrd) & ~0xfffull;
  assert_memory_equal(m + initrd_gpa, initrd, sizeof initrd);
  const uint8_t *si = m + VMM_X86_START_INFO_GPA;
  assert_int_equal(le(si, 4), 0x336ec578);
  assert_int_equal(le(si + 12, 4), 1);
  assert_int_equal(le(si + 24, 8), VMM_X86_CMDLINE_GPA);
  assert_int_equal(le(m + VMM_X86_MODLIST_GPA, 8), initrd_gpa);
  assert_int_equal(le(m + VMM_X86_MODLIST_GPA + 8, 8), sizeof initrd);
  assert_int_equal(le(si + 48, 4), 3);
  assert_memory_equal(m + VMM_X86_MPTABLE_GPA, "_MP_", 4);
  assert_int_equal(le(m + VMM_X86_GDT_GPA + 8, 8), 0x00cf9b000000ffffull);
  assert_int_equal(le(m + VMM_X86_PML4_GPA, 8), VMM_X86_PDPT_GPA | 3);
  /* an 8-byte note descriptor works too */
  elf_opts o = good_elf;
  o.note = 8;
  assert_int_equal(load_elf(&o, NULL, ""), 0);
  assert_int_equal(boot.entry, 0x100010);
  assert_int_equal(le(si + 12, 4), 0); /* no initrd, no module */
}

static void expect(int rc, int want, const char *text) {
  if (rc != want || !strstr(err, text) || !strstr(err, kpath))
    fail_msg("got %d \"%s\", want %d and \"%s\" naming %s", rc, err, want, text, kpath);
}

static void test_elf_bad(void **state) {
  (void)state;
  elf_opts o = good_elf;
  o.truncate = ELF_DATA_OFF + 0x80;
  expect(load_elf(&o, NULL, ""), VBX_E_INVAL,
         "ELF segment 0 (p_offset 0x1000, p_filesz 0x100) ends past the file");
  o = good_elf;
  o.truncate = 100;
  expect(load_elf(&o, NULL, ""), VBX_E_INVAL, "ELF program headers");
  o = good_elf;
  o.truncate = 10;
  expect(load_elf(&o, NULL, ""), VBX_E_INVAL, "shorter than an ELF64 header");
  o = good_elf;
  o.paddr = MEM - 0x100;
  expect(load_elf(&o, NULL, ""), VBX_E_TOOBIG, "ELF segment 0 ends past guest memory");
  o = good_elf;
  o.paddr = 0x3fffffffffffff00ull;
  o.memsz = 0xc000000000000200ull; /* paddr + memsz wraps */
  expect(load_elf(&o, NULL, ""), VBX_E_TOOBIG, "past guest memory");
  o = good_elf;
  o.memsz = 0x80;
  expect(load_elf(&o, NULL, ""), VBX_E_INVAL, "p_filesz 0x100 exceeds p_memsz 0x80");
  o = good_elf;
  o.paddr = 0x8000;
  expect(load_elf(&o, NULL, ""), VBX_E_INVAL, "below 0x100000");
  o = good_elf;
  o.note = 0;
  expect(load_elf(&o, NULL, ""), VBX_E_INVAL, "no PVH entry note");

  static uint8_t b[ELF_DATA_OFF + ELF_FILESZ];
  size_t len = make_elf(b, &good_elf);
  b[ELF_NOTE_OFF + 4] = 0xf0; /* descsz runs past the PT_NOTE segment */
  write_file(kpath, b, len);
  expect(vmm_x86_load(&mem, kpath, NULL, "", 1, &boot, err, sizeof err), VBX_E_INVAL,
         "runs past its PT_NOTE segment");
  make_elf(b, &good_elf);
  put(b + offsetof(Elf64_Ehdr, e_phnum), 5000, 2);
  write_file(kpath, b, len);
  expect(vmm_x86_load(&mem, kpath, NULL, "", 1, &boot, err, sizeof err), VBX_E_INVAL,
         "e_phnum 5000");
  make_elf(b, &good_elf);
  b[EI_CLASS] = ELFCLASS32;
  write_file(kpath, b, len);
  expect(vmm_x86_load(&mem, kpath, NULL, "", 1, &boot, err, sizeof err), VBX_E_INVAL, "ELF64");
  make_elf(b, &good_elf);
  put(b + ELF_NOTE_OFF + 16, 0x10, 4); /* entry outside the segments */
  write_file(kpath, b, len);
  expect(vmm_x86_load(&mem, kpath, NULL, "", 1, &boot, err, sizeof err), VBX_E_INVAL,
         "PVH entry 0x10 lies outside");
}

static void test_load_args(void **state) {
  (void)state;
  static uint8_t b[ELF_DATA_OFF + ELF_FILESZ];
  write_file(kpath, b, make_elf(b, &good_elf));
  assert_int_equal(vmm_x86_load(&mem, kpath, NULL, "", 0, &boot, err, sizeof err), VBX_E_INVAL);
  assert_int_equal(
      vmm_x86_load(&mem, kpath, NULL, "", VMM_X86_MAX_VCPUS + 1, &boot, err, sizeof err),
      VBX_E_INVAL);
  vmm_guest_mem small = {mem.base, 16ull << 20};
  assert_int_equal(vmm_x86_load(&small, kpath, NULL, "", 1, &boot, err, sizeof err), VBX_E_INVAL);
  assert_non_null(strstr(err, "16 MiB"));
  char missing[160];
  snprintf(missing, sizeof missing, "%s/missing", dir);
  assert_int_equal(vmm_x86_load(&mem, missing, NULL, "", 1, &boot, err, sizeof err), VBX_E_IO);
  assert_non_null(strstr(err, missing));
  assert_int_equal(vmm_x86_load(&mem, kpath, missing, "", 1, &boot, err, sizeof err), VBX_E_IO);
  /* a command line longer than the layout's buffer */
  static char longline[VMM_X86_CMDLINE_MAX + 2];
  memset(longline, 'x', sizeof longline - 1);
  expect(vmm_x86_load(&mem, kpath, NULL, longline, 1, &boot, err, sizeof err), VBX_E_TOOBIG,
         "longer than cmdline_size");
  /* an initrd that cannot fit above the kernel */
  FILE *f = fopen(ipath, "wb");
  assert_non_null(f);
  assert_int_equal(ftruncate(fileno(f), (off_t)(MEM - 0x80000)), 0);
  fclose(f);
  int rc = vmm_x86_load(&mem, kpath, ipath, "", 1, &boot, err, sizeof err);
  assert_int_equal(rc, VBX_E_TOOBIG);
  assert_non_null(strstr(err, "does not fit"));
  /* an error message is cut to the caller's buffer, always terminated */
  char tiny[8];
  assert_int_equal(vmm_x86_load(&mem, missing, NULL, "", 1, &boot, tiny, sizeof tiny), VBX_E_IO);
  assert_int_equal(strlen(tiny), 7);
}

/* ---- bzImage ------------------------------------------------------------ */

#define BZ_SETUP_SECTS 1
#define BZ_PM_LEN 0x3000
#define BZ_LEN ((BZ_SETUP_SECTS + 1) * 512 + BZ_PM_LEN)

static void make_bz(uint8_t *b) {
  memset(b, 0, BZ_LEN);
  b[0x1f1] = BZ_SETUP_SECTS;
  put(b + 0x1fe, 0xaa55, 2);
  b[0x200] = 0xeb;
  b[0x201] = 0x66; /* header ends at 0x268 */
  memcpy(b + 0x202, "HdrS", 4);
  put(b + 0x206, 0x020f, 2);
  put(b + 0x22c, 0x7fffffff, 4); /* initrd_addr_max */
  put(b + 0x230, 0x200000, 4);   /* kernel_alignment */
  b[0x234] = 1;                  /* relocatable_kernel */
  put(b + 0x236, 1, 2);          /* xloadflags: XLF_KERNEL_64 */
  put(b + 0x238, 2047, 4);       /* cmdline_size */
  put(b + 0x258, 0x1000000, 8);  /* pref_address */
  put(b + 0x260, 0x400000, 4);   /* init_size */
  for (unsigned i = 0; i < BZ_PM_LEN; i++)
    b[1024 + i] = (uint8_t)(i ^ 0x5a);
}

static int load_bz(const uint8_t *b, size_t len, const char *initrd, const char *cmdline) {
  write_file(kpath, b, len);
  return vmm_x86_load(&mem, kpath, initrd, cmdline, 4, &boot, err, sizeof err);
}

static void test_bz_good(void **state) {
  (void)state;
  static uint8_t b[BZ_LEN], initrd[10000];
  make_bz(b);
  memset(initrd, 0x77, sizeof initrd);
  write_file(ipath, initrd, sizeof initrd);
  assert_int_equal(load_bz(b, BZ_LEN, ipath, "root=/dev/vda"), 0);
  assert_false(boot.pvh);
  assert_int_equal(boot.entry, 0x1000200);
  assert_int_equal(boot.params_gpa, VMM_X86_ZERO_PAGE_GPA);
  const uint8_t *m = mem.base, *zp = m + VMM_X86_ZERO_PAGE_GPA;
  assert_memory_equal(m + 0x1000000, b + 1024, BZ_PM_LEN);
  assert_int_equal(m[0x1000000 + BZ_PM_LEN], 0); /* up to init_size cleared */
  assert_int_equal(m[0x1000000 + 0x400000 - 1], 0);
  assert_int_equal(m[0x1000000 + 0x400000], 0xaa);
  assert_memory_equal(zp + 0x202, "HdrS", 4);
  assert_int_equal(le(zp + 0x206, 2), 0x020f);
  assert_int_equal(zp[0x210], 0xff);
  assert_int_equal(le(zp + 0x228, 4), VMM_X86_CMDLINE_GPA);
  uint64_t initrd_gpa = (MEM - sizeof initrd) & ~0xfffull;
  assert_int_equal(le(zp + 0x218, 4), initrd_gpa);
  assert_int_equal(le(zp + 0x21c, 4), sizeof initrd);
  assert_memory_equal(m + initrd_gpa, initrd, sizeof initrd);
  assert_int_equal(zp[0x1e8], 3);
  assert_int_equal(le(zp + 0x2d0 + 40 + 8, 8), MEM - 0x100000);
  assert_string_equal((const char *)m + VMM_X86_CMDLINE_GPA, "root=/dev/vda");
  assert_int_equal(zp[0x268], 0); /* nothing copied past the header */
  /* the MP table lists 4 vCPUs */
  assert_int_equal(le(m + VMM_X86_MPTABLE_GPA + 16 + 34, 2), 4 + 28);

  /* initrd_addr_max below the top of RAM: the initrd ends below it */
  put(b + 0x22c, 0x1ffffff, 4);
  assert_int_equal(load_bz(b, BZ_LEN, ipath, ""), 0);
  assert_int_equal(le(zp + 0x218, 4), (0x2000000 - sizeof initrd) & ~0xfffull);
  /* a relocatable kernel with no usable pref_address goes to 16 MiB */
  put(b + 0x22c, 0x7fffffff, 4);
  put(b + 0x258, 0, 8);
  assert_int_equal(load_bz(b, BZ_LEN, NULL, ""), 0);
  assert_int_equal(boot.entry, 0x1000200);
  /* ... rounded up to kernel_alignment */
  put(b + 0x260, 0x1000, 4);
  put(b + 0x230, 0x800000, 4); /* 8 MiB: 16 MiB is aligned already */
  assert_int_equal(load_bz(b, BZ_LEN, NULL, ""), 0);
  assert_int_equal(boot.entry, 0x1000200);
  put(b + 0x230, 0x2000000, 4); /* 32 MiB */
  assert_int_equal(load_bz(b, BZ_LEN, NULL, ""), 0);
  assert_int_equal(boot.entry, 0x2000200);
}

static void test_bz_bad(void **state) {
  (void)state;
  static uint8_t b[BZ_LEN];
  make_bz(b);
  memcpy(b + 0x202, "HdrX", 4);
  expect(load_bz(b, BZ_LEN, NULL, ""), VBX_E_INVAL, "not a bzImage");
  make_bz(b);
  put(b + 0x206, 0x0209, 2);
  expect(load_bz(b, BZ_LEN, NULL, ""), VBX_E_VERSION,
         "boot protocol version 2.09 is older than 2.12");
  make_bz(b);
  put(b + 0x236, 0, 2);
  expect(load_bz(b, BZ_LEN, NULL, ""), VBX_E_INVAL, "XLF_KERNEL_64");
  make_bz(b);
  expect(load_bz(b, 0x200, NULL, ""), VBX_E_INVAL, "too short for a bzImage setup header");
  b[0x1f1] = 200;
  expect(load_bz(b, BZ_LEN, NULL, ""), VBX_E_INVAL, "setup_sects 200");
  make_bz(b);
  expect(load_bz(b, 1024 + 0x200, NULL, ""), VBX_E_INVAL, "ends before its 64-bit entry");
  put(b + 0x260, 0x4000000, 4); /* init_size: 64 MiB from 16 MiB */
  expect(load_bz(b, BZ_LEN, NULL, ""), VBX_E_TOOBIG, "init_size");
  make_bz(b);
  b[0x234] = 0;
  put(b + 0x258, 0x1000, 8);
  expect(load_bz(b, BZ_LEN, NULL, ""), VBX_E_INVAL, "pref_address 0x1000 is unusable");
  make_bz(b);
  put(b + 0x230, 0x300000, 4);
  expect(load_bz(b, BZ_LEN, NULL, ""), VBX_E_INVAL, "kernel_alignment 0x300000");
  make_bz(b);
  put(b + 0x238, 16, 4);
  expect(load_bz(b, BZ_LEN, NULL, "console=ttyS0 quiet"), VBX_E_TOOBIG,
         "command line of 19 bytes is longer than cmdline_size 16");
  /* neither ELF nor bzImage */
  memset(b, 0x41, 0x300);
  expect(load_bz(b, 0x300, NULL, ""), VBX_E_INVAL, "not a bzImage");
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/vmm_x86_load.XXXXXX");
  if (!mkdtemp(dir)) return 1;
  snprintf(kpath, sizeof kpath, "%s/kernel", dir);
  snprintf(ipath, sizeof ipath, "%s/initrd", dir);
  mem.size = MEM;
  mem.base = malloc(MEM);
  if (!mem.base) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_elf_good, setup),  cmocka_unit_test_setup(test_elf_bad, setup),
      cmocka_unit_test_setup(test_load_args, setup), cmocka_unit_test_setup(test_bz_good, setup),
      cmocka_unit_test_setup(test_bz_bad, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  unlink(kpath);
  unlink(ipath);
  rmdir(dir);
  free(mem.base);
  return rc;
}
