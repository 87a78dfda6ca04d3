/*
 * tests/unit/vmm_x86/test_tables.c - the pure boot-table builders of
 * vbx_vmm_x86 checked byte by byte at the offsets of their specifications
 * (boot.rst for the zero page, xen's start_info.h for PVH, the Intel MP
 * spec 1.4 for the MP table), plus the CPUID filter and the entry
 * registers. No KVM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "cpu.h"
#include "layout.h"
#include "tables.h"

static uint64_t le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static uint8_t sum(const uint8_t *p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; i++)
    s = (uint8_t)(s + p[i]);
  return s;
}

static void test_e820(void **state) {
  (void)state;
  vmm_x86_e820_entry m[VMM_X86_E820_MAX];
  assert_int_equal(vmm_x86_e820_build(256ull << 20, m, VMM_X86_E820_MAX), 3);
  assert_int_equal(m[0].addr, 0);
  assert_int_equal(m[0].size, 0x9fc00);
  assert_int_equal(m[0].type, VMM_X86_E820_RAM);
  assert_int_equal(m[1].addr, 0x9fc00);
  assert_int_equal(m[1].size, 0x100000 - 0x9fc00);
  assert_int_equal(m[1].type, VMM_X86_E820_RESERVED);
  assert_int_equal(m[2].addr, 0x100000);
  assert_int_equal(m[2].size, (256ull << 20) - 0x100000);
  assert_int_equal(m[2].type, VMM_X86_E820_RAM);
  /* the MP table lies in the reserved range */
  assert_true(VMM_X86_MPTABLE_GPA >= m[1].addr &&
              VMM_X86_MPTABLE_GPA + VMM_X86_MPTABLE_SIZE <= m[1].addr + m[1].size);
  assert_int_equal(vmm_x86_e820_build(3ull << 30, m, 3), 3);
  assert_int_equal(m[2].size, (3ull << 30) - 0x100000);
  assert_int_equal(vmm_x86_e820_build(256ull << 20, m, 2), 0);
  assert_int_equal(vmm_x86_e820_build(0x100000, m, 3), 0);
}

static const vmm_x86_boot_info info_256 = {.mem_size = 256ull << 20,
                                           .cmdline_gpa = VMM_X86_CMDLINE_GPA,
                                           .cmdline_len = 11,
                                           .initrd_gpa = 0xf000000,
                                           .initrd_size = 0x123456};

static void check_zero_page_common(const uint8_t *zp, const vmm_x86_boot_info *in) {
  assert_int_equal(zp[0x210], 0xff);                    /* type_of_loader */
  assert_int_equal(le(zp + 0x228, 4), in->cmdline_gpa); /* cmd_line_ptr */
  assert_int_equal(le(zp + 0x218, 4), in->initrd_gpa);  /* ramdisk_image */
  assert_int_equal(le(zp + 0x21c, 4), in->initrd_size); /* ramdisk_size */
  assert_int_equal(le(zp + 0x0c0, 4), 0);               /* ext_ramdisk_image */
  assert_int_equal(le(zp + 0x0c8, 4), 0);               /* ext_cmd_line_ptr */
  assert_int_equal(le(zp + 0x070, 8), 0);               /* acpi_rsdp_addr */
  assert_int_equal(zp[0x1e8], 3);                       /* e820_entries */
  static const uint64_t want[3][3] = {{0, 0x9fc00, 1}, {0x9fc00, 0x60400, 2}, {0x100000, 0, 1}};
  for (int i = 0; i < 3; i++) {
    const uint8_t *e = zp + 0x2d0 + 20 * i; /* boot_e820_entry: addr, size, type */
    assert_int_equal(le(e, 8), want[i][0]);
    assert_int_equal(le(e + 8, 8), i == 2 ? in->mem_size - 0x100000 : want[i][1]);
    assert_int_equal(le(e + 16, 4), want[i][2]);
  }
  assert_int_equal(le(zp + 0x2d0 + 60, 8), 0); /* nothing after the third */
}

static void test_zero_page_minimal(void **state) {
  (void)state;
  uint8_t zp[4096];
  memset(zp, 0xcc, sizeof zp);
  assert_int_equal(vmm_x86_zero_page_build(zp, NULL, 0, &info_256), 0);
  assert_int_equal(le(zp + 0x1fe, 2), 0xaa55); /* boot_flag */
  assert_memory_equal(zp + 0x202, "HdrS", 4);
  assert_int_equal(le(zp + 0x206, 2), 0x020f);    /* version */
  assert_int_equal(le(zp + 0x238, 4), 4095);      /* cmdline_size */
  assert_int_equal(le(zp + 0x230, 4), 0x1000000); /* kernel_alignment */
  check_zero_page_common(zp, &info_256);
  assert_int_equal(zp[0x1ef], 0); /* sentinel cleared: a clean page */
  assert_int_equal(zp[0xfff], 0);
}

static void test_zero_page_copies_header(void **state) {
  (void)state;
  uint8_t hdr[0x268 - 0x1f1], zp[4096];
  for (size_t i = 0; i < sizeof hdr; i++)
    hdr[i] = (uint8_t)(i * 7 + 1);
  memcpy(hdr + (0x202 - 0x1f1), "HdrS", 4);
  assert_int_equal(vmm_x86_zero_page_build(zp, hdr, sizeof hdr, &info_256), 0);
  assert_memory_equal(zp + 0x202, "HdrS", 4);
  assert_memory_equal(zp + 0x1f1, hdr, 0x210 - 0x1f1);                   /* up to type_of_loader */
  assert_memory_equal(zp + 0x22c, hdr + (0x22c - 0x1f1), 0x268 - 0x22c); /* after cmd_line_ptr */
  check_zero_page_common(zp, &info_256);
  /* a header longer than struct setup_header, or high addresses */
  uint8_t big[0x80] = {0};
  assert_int_equal(vmm_x86_zero_page_build(zp, big, sizeof big, &info_256), -EINVAL);
  vmm_x86_boot_info high = info_256;
  high.initrd_gpa = 0xfffff000;
  assert_int_equal(vmm_x86_zero_page_build(zp, NULL, 0, &high), -EINVAL);
}

static void test_start_info(void **state) {
  (void)state;
  uint8_t b[4096];
  memset(b, 0xcc, sizeof b);
  vmm_x86_boot_info in = info_256;
  in.mem_size = 512ull << 20;
  assert_int_equal(vmm_x86_start_info_build(b, sizeof b, VMM_X86_START_INFO_GPA, &in), 0);
  assert_int_equal(le(b + 0, 4), 0x336ec578); /* magic */
  assert_int_equal(le(b + 4, 4), 1);          /* version */
  assert_int_equal(le(b + 8, 4), 0);          /* flags */
  assert_int_equal(le(b + 12, 4), 1);         /* nr_modules */
  assert_int_equal(le(b + 16, 8), VMM_X86_MODLIST_GPA);
  assert_int_equal(le(b + 24, 8), VMM_X86_CMDLINE_GPA);
  assert_int_equal(le(b + 32, 8), 0); /* rsdp_paddr: no ACPI */
  assert_int_equal(le(b + 40, 8), VMM_X86_MEMMAP_GPA);
  assert_int_equal(le(b + 48, 4), 3); /* memmap_entries */
  assert_int_equal(le(b + 52, 4), 0);
  const uint8_t *mod = b + (VMM_X86_MODLIST_GPA - VMM_X86_START_INFO_GPA);
  assert_int_equal(le(mod, 8), 0xf000000);
  assert_int_equal(le(mod + 8, 8), 0x123456);
  assert_int_equal(le(mod + 16, 8), 0);
  assert_int_equal(le(mod + 24, 8), 0);
  const uint8_t *mm = b + (VMM_X86_MEMMAP_GPA - VMM_X86_START_INFO_GPA);
  assert_int_equal(le(mm + 0, 8), 0);
  assert_int_equal(le(mm + 8, 8), 0x9fc00);
  assert_int_equal(le(mm + 16, 4), 1);
  assert_int_equal(le(mm + 24 + 0, 8), 0x9fc00);
  assert_int_equal(le(mm + 24 + 16, 4), 2);
  assert_int_equal(le(mm + 48 + 0, 8), 0x100000);
  assert_int_equal(le(mm + 48 + 8, 8), (512ull << 20) - 0x100000);
  assert_int_equal(le(mm + 48 + 16, 4), 1);
  assert_int_equal(le(mm + 48 + 20, 4), 0);
  /* the three structures do not overlap */
  assert_true(VMM_X86_START_INFO_GPA + 56 <= VMM_X86_MODLIST_GPA);
  assert_true(VMM_X86_MODLIST_GPA + 32 <= VMM_X86_MEMMAP_GPA);

  in.initrd_gpa = in.initrd_size = 0;
  assert_int_equal(vmm_x86_start_info_build(b, sizeof b, VMM_X86_START_INFO_GPA, &in), 0);
  assert_int_equal(le(b + 12, 4), 0);
  assert_int_equal(le(b + 16, 8), 0);
  assert_int_equal(vmm_x86_start_info_build(b, sizeof b, 0x5000, &in), -EINVAL);
  assert_int_equal(vmm_x86_start_info_build(b, 64, VMM_X86_START_INFO_GPA, &in), -ENOSPC);
}

/* Walk and check one MP table for `n` vCPUs. */
static void check_mptable(unsigned n) {
  uint8_t b[VMM_X86_MPTABLE_SIZE];
  memset(b, 0xcc, sizeof b);
  int len = vmm_x86_mptable_build(b, sizeof b, VMM_X86_MPTABLE_GPA, n);
  assert_int_equal(len, 16 + 44 + 20 * n + 8 * (1 + 1 + 24 + 2));
  /* floating pointer */
  assert_memory_equal(b, "_MP_", 4);
  assert_int_equal(le(b + 4, 4), VMM_X86_MPTABLE_GPA + 16);
  assert_int_equal(b[8], 1);
  assert_int_equal(b[9], 4);
  assert_int_equal(sum(b, 16), 0);
  assert_int_equal(b[11], 0); /* feature byte 1: a configuration table follows */
  /* configuration table header */
  const uint8_t *c = b + 16;
  unsigned clen = (unsigned)le(c + 4, 2), count = (unsigned)le(c + 34, 2);
  assert_memory_equal(c, "PCMP", 4);
  assert_int_equal(clen, (unsigned)len - 16);
  assert_int_equal(c[6], 4);
  assert_int_equal(sum(c, clen), 0);
  assert_int_equal(le(c + 36, 4), 0xfee00000);
  assert_int_equal(le(c + 40, 2), 0); /* no extended table */
  assert_int_equal(count, n + 1 + 1 + 24 + 2);
  unsigned cpus = 0, bsp = 0, buses = 0, ioapics = 0, ints = 0, lints = 0;
  const uint8_t *e = c + 44;
  for (unsigned i = 0; i < count; i++) {
    switch (e[0]) {
    case 0:
      assert_int_equal(e[1], cpus); /* APIC ids 0..n-1 in order */
      assert_true(e[3] & 1);
      if (e[3] & 2) bsp++, assert_int_equal(e[1], 0);
      cpus++;
      e += 20;
      break;
    case 1:
      assert_int_equal(e[1], 0);
      assert_memory_equal(e + 2, "ISA   ", 6);
      buses++;
      e += 8;
      break;
    case 2:
      assert_int_equal(e[1], n); /* IOAPIC id after the LAPICs */
      assert_int_equal(e[3] & 1, 1);
      assert_int_equal(le(e + 4, 4), 0xfec00000);
      ioapics++;
      e += 8;
      break;
    case 3:
      assert_int_equal(e[1], 0); /* INT */
      assert_int_equal(le(e + 2, 2), 0);
      assert_int_equal(e[4], 0);    /* ISA bus */
      assert_int_equal(e[5], ints); /* source IRQ i ... */
      assert_int_equal(e[6], n);    /* ... to the IOAPIC ... */
      assert_int_equal(e[7], ints); /* ... pin i */
      ints++;
      e += 8;
      break;
    case 4:
      assert_int_equal(e[1], lints == 0 ? 3 : 1); /* ExtINT on LINT0, NMI on LINT1 */
      assert_int_equal(e[6], 0xff);
      assert_int_equal(e[7], lints);
      lints++;
      e += 8;
      break;
    default: fail_msg("unknown MP entry type %u", e[0]);
    }
  }
  assert_ptr_equal(e, c + clen);
  assert_int_equal(cpus, n);
  assert_int_equal(bsp, 1);
  assert_int_equal(buses, 1);
  assert_int_equal(ioapics, 1);
  assert_int_equal(ints, 24); /* ISA IRQs 0-15 and the virtio GSIs 16-23 */
  assert_int_equal(lints, 2);
}

static void test_mptable(void **state) {
  (void)state;
  check_mptable(1);
  check_mptable(2);
  check_mptable(4);
  check_mptable(VMM_X86_MAX_VCPUS);
  uint8_t b[VMM_X86_MPTABLE_SIZE];
  assert_int_equal(vmm_x86_mptable_build(b, sizeof b, VMM_X86_MPTABLE_GPA, 0), -EINVAL);
  assert_int_equal(vmm_x86_mptable_build(b, sizeof b, VMM_X86_MPTABLE_GPA, VMM_X86_MAX_VCPUS + 1),
                   -EINVAL);
  assert_int_equal(vmm_x86_mptable_build(b, 100, VMM_X86_MPTABLE_GPA, 1), -ENOSPC);
  /* a corrupted byte breaks the checksum the kernel checks */
  int len = vmm_x86_mptable_build(b, sizeof b, VMM_X86_MPTABLE_GPA, 2);
  b[16 + 44 + 1] ^= 1;
  assert_int_not_equal(sum(b + 16, (size_t)len - 16), 0);
}

static void test_gdt_and_page_tables(void **state) {
  (void)state;
  uint64_t g[VMM_X86_GDT_ENTRIES];
  vmm_x86_gdt_build(g);
  assert_int_equal(g[0], 0);
  assert_int_equal(g[1], 0x00cf9b000000ffffull); /* code32: G, D, present, exec/read */
  assert_int_equal(g[2], 0x00af9b000000ffffull); /* code64: G, L */
  assert_int_equal(g[3], 0x00cf93000000ffffull); /* data: G, B, read/write */
  assert_int_equal(g[4], 0x00008b0000000067ull); /* TSS: base 0, limit 0x67, busy 32-bit */
  assert_true(VMM_X86_GDT_GPA + sizeof g <= VMM_X86_IDT_GPA);

  static uint8_t pt[6 * 4096];
  memset(pt, 0xcc, sizeof pt);
  vmm_x86_page_tables_build(pt);
  const uint64_t *pml4 = (const uint64_t *)pt, *pdpt = pml4 + 512, *pd = pml4 + 1024;
  assert_int_equal(pml4[0], VMM_X86_PDPT_GPA | 3);
  assert_int_equal(pml4[1], 0);
  for (unsigned i = 0; i < 4; i++)
    assert_int_equal(pdpt[i], (VMM_X86_PD_GPA + i * 4096) | 3);
  assert_int_equal(pdpt[4], 0);
  assert_int_equal(pd[0], 0x83);
  assert_int_equal(pd[8], (16ull << 20) | 0x83);          /* the kernel at 16 MiB */
  assert_int_equal(pd[2047], (4096ull - 2) << 20 | 0x83); /* the last 2 MiB below 4 GiB */
  assert_int_equal(VMM_X86_PD_GPA + 4 * 4096, 0xf000);
}

static void test_cpuid_filter(void **state) {
  (void)state;
  struct kvm_cpuid_entry2 e[] = {
      {.function = 0, .ebx = 0x68747541 /* AuthenticAMD */},
      {.function = 1, .ebx = 0xff00abcd, .ecx = 1u << 5 /* VMX */, .edx = 0},
      {.function = 0xb, .index = 0},
      {.function = 0xb, .index = 1},
      {.function = 0xb, .index = 2, .ecx = 0x7777},
      {.function = 0x80000001, .ecx = 0xffffffff},
      {.function = 0x80000008, .ecx = 0x12345},
      {.function = 0x8000001e, .ebx = 0x1234},
  };
  vmm_x86_cpuid_filter(e, 8, 2, 3);
  assert_int_equal(e[1].ebx >> 24, 2);          /* initial APIC id */
  assert_int_equal((e[1].ebx >> 16) & 0xff, 4); /* addressable ids: 3 rounded to 4 */
  assert_int_equal(e[1].ebx & 0xffff, 0xabcd);  /* brand/clflush kept */
  assert_int_equal(e[1].ecx, 1u << 31);         /* hypervisor on, VMX off */
  assert_true(e[1].edx & (1u << 28));           /* HTT: more than one logical CPU */
  assert_int_equal(e[2].edx, 2);
  assert_int_equal(e[2].ebx, 1);
  assert_int_equal(e[2].ecx, 0x100); /* level 0, SMT */
  assert_int_equal(e[3].eax, 2);     /* 2 id bits for 3 vCPUs */
  assert_int_equal(e[3].ebx, 3);
  assert_int_equal(e[3].ecx, 0x201); /* level 1, core */
  assert_int_equal(e[4].ecx, 2);     /* level 2: invalid, the end */
  assert_int_equal(e[4].ebx, 0);
  assert_int_equal(e[5].ecx, 0xfffffffb); /* SVM hidden */
  assert_int_equal(e[6].ecx, 0x12302);    /* AMD: 3 cores, 2 id bits, [11:8] kept */
  assert_int_equal(e[7].eax, 2);
  assert_int_equal(e[7].ebx, 2); /* core id 2, threads per core - 1 = 0 */

  struct kvm_cpuid_entry2 one[] = {{.function = 0, .ebx = 0x756e6547 /* GenuineIntel */},
                                   {.function = 1, .edx = 1u << 28},
                                   {.function = 0x80000008, .ecx = 0x55}};
  vmm_x86_cpuid_filter(one, 3, 0, 1);
  assert_int_equal(one[1].ebx, 0x10000); /* id 0, one logical CPU */
  assert_int_equal(one[1].edx, 0);       /* no HTT */
  assert_int_equal(one[2].ecx, 0x55);    /* Intel: untouched */
}

static void test_entry_registers(void **state) {
  (void)state;
  struct kvm_sregs s;
  struct kvm_regs r;
  vmm_boot pvh = {.entry = 0x1000500, .pvh = true, .params_gpa = VMM_X86_START_INFO_GPA};
  memset(&s, 0xcc, sizeof s);
  vmm_x86_boot_sregs(&s, &pvh);
  assert_int_equal(s.cs.selector, 0x08);
  assert_int_equal(s.cs.db, 1);
  assert_int_equal(s.cs.l, 0);
  assert_int_equal(s.cs.limit, 0xffffffff);
  assert_int_equal(s.cs.base, 0);
  assert_int_equal(s.ds.selector, 0x18);
  assert_int_equal(s.ss.type, 3);
  assert_int_equal(s.tr.type, 11);
  assert_int_equal(s.tr.limit, 0x67);
  assert_int_equal(s.tr.base, 0);
  assert_int_equal(s.cr0 & 0x80000001, 1); /* PE on, PG off */
  assert_int_equal(s.efer, 0);
  assert_int_equal(s.cr4, 0);
  vmm_x86_boot_regs(&r, &pvh);
  assert_int_equal(r.rip, 0x1000500);
  assert_int_equal(r.rbx, VMM_X86_START_INFO_GPA);
  assert_int_equal(r.rflags, 2);

  vmm_boot lm = {.entry = 0x1000200, .pvh = false, .params_gpa = VMM_X86_ZERO_PAGE_GPA};
  vmm_x86_boot_sregs(&s, &lm);
  assert_int_equal(s.cs.selector, 0x10); /* __BOOT_CS */
  assert_int_equal(s.cs.l, 1);
  assert_int_equal(s.cs.db, 0);
  assert_int_equal(s.ds.selector, 0x18); /* __BOOT_DS */
  assert_int_equal(s.es.selector, 0x18);
  assert_int_equal(s.ss.selector, 0x18);
  assert_int_equal(s.cr0 & 0x80000001, 0x80000001);
  assert_int_equal(s.cr3, VMM_X86_PML4_GPA);
  assert_int_equal(s.cr4 & 0x20, 0x20);
  assert_int_equal(s.efer, 0x500);
  assert_int_equal(s.gdt.base, VMM_X86_GDT_GPA);
  assert_int_equal(s.gdt.limit, 39);
  vmm_x86_boot_regs(&r, &lm);
  assert_int_equal(r.rip, 0x1000200);
  assert_int_equal(r.rsi, VMM_X86_ZERO_PAGE_GPA);
  assert_int_equal(r.rbx, 0);
}

static void test_vcpu_init_arguments(void **state) {
  (void)state;
  char err[256];
  vmm_guest_mem mem = {calloc(1, 1 << 20), 1 << 20};
  assert_non_null(mem.base);
  vmm_boot b = {.entry = 0x100000 - 0x1000, .pvh = true, .params_gpa = VMM_X86_START_INFO_GPA};
  assert_int_equal(vmm_x86_vcpu_init(-1, -1, &mem, &b, 2, 2, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "vCPU 2 of 2"));
  assert_int_equal(vmm_x86_vcpu_init(-1, -1, &mem, &b, 0, 0, err, sizeof err), -EINVAL);
  b.params_gpa = (1 << 20) - 16; /* the start info would end past memory */
  assert_int_equal(vmm_x86_vcpu_init(-1, -1, &mem, &b, 0, 1, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "outside guest memory"));
  b.params_gpa = VMM_X86_START_INFO_GPA;
  /* valid arguments, no KVM: the first ioctl's failure is named */
  assert_int_equal(vmm_x86_vcpu_init(-1, -1, &mem, &b, 0, 1, err, sizeof err), -EBADF);
  assert_non_null(strstr(err, "KVM_GET_SUPPORTED_CPUID"));
  free(mem.base);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_e820),
      cmocka_unit_test(test_zero_page_minimal),
      cmocka_unit_test(test_zero_page_copies_header),
      cmocka_unit_test(test_start_info),
      cmocka_unit_test(test_mptable),
      cmocka_unit_test(test_gdt_and_page_tables),
      cmocka_unit_test(test_cpuid_filter),
      cmocka_unit_test(test_entry_registers),
      cmocka_unit_test(test_vcpu_init_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
