/*
 * vmm/x86/load.c - vmm_x86_load: read the kernel and initrd, pick the
 * loader by the kernel's magic, place the command line and the initrd,
 * then write the boot tables of layout.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "layout.h"
#include "loader.h"
#include "tables.h"
#include "voidbox/errors.h"

static int put_cmdline(const vmm_guest_mem *mem, const char *cmdline, const vmm_x86_kernel *k,
                       const char *kname, uint32_t *out_len, char *err, size_t errcap) {
  uint64_t max = k->cmdline_max < VMM_X86_CMDLINE_MAX ? k->cmdline_max : VMM_X86_CMDLINE_MAX;
  size_t n = strnlen(cmdline, VMM_X86_CMDLINE_MAX + 1);
  if (n > max)
    return vmm_x86_fail(err, errcap, VBX_E_TOOBIG,
                        "%s: command line of %zu%s bytes is longer than cmdline_size %llu", kname,
                        n, n > VMM_X86_CMDLINE_MAX ? "+" : "", (unsigned long long)max);
  uint8_t *dst = vmm_gpa(mem, VMM_X86_CMDLINE_GPA, n + 1);
  memcpy(dst, cmdline, n);
  dst[n] = 0;
  *out_len = (uint32_t)n;
  return 0;
}

/* Read the initrd straight into the top of RAM below initrd_addr_max,
 * page aligned, above the kernel (no copy of it in the monitor's heap). */
static int put_initrd(const vmm_guest_mem *mem, const char *path, const vmm_x86_kernel *k,
                      vmm_x86_boot_info *info, char *err, size_t errcap) {
  int fd;
  size_t len = 0;
  int rc = vmm_x86_file_open(path, mem->size, &fd, &len, err, errcap);
  if (rc < 0) return rc;
  uint64_t top = mem->size;
  if (k->initrd_addr_max < top - 1) top = k->initrd_addr_max + 1;
  uint64_t addr = len <= top ? ((top - len) & ~(VMM_X86_PAGE - 1)) : 0;
  if (len == 0 || addr < k->end) {
    rc = vmm_x86_fail(err, errcap, len ? VBX_E_TOOBIG : VBX_E_INVAL,
                      "%s: initrd of %zu bytes does not fit between the kernel's end 0x%llx and "
                      "0x%llx (initrd_addr_max / guest memory)",
                      path, len, (unsigned long long)k->end, (unsigned long long)top);
    goto out;
  }
  rc = vmm_x86_file_read_all(fd, vmm_gpa(mem, addr, len), len, path, err, errcap);
  if (rc < 0) goto out;
  info->initrd_gpa = addr;
  info->initrd_size = len;
out:
  close(fd);
  return rc;
}

static int put_tables(const vmm_guest_mem *mem, const vmm_x86_kernel *k,
                      const vmm_x86_boot_info *info, unsigned vcpus, vmm_boot *out) {
  int rc;
  if (k->pvh) {
    rc = vmm_x86_start_info_build(vmm_gpa(mem, VMM_X86_START_INFO_GPA, VMM_X86_START_INFO_SIZE),
                                  VMM_X86_START_INFO_SIZE, VMM_X86_START_INFO_GPA, info);
    out->params_gpa = VMM_X86_START_INFO_GPA;
  } else {
    rc = vmm_x86_zero_page_build(vmm_gpa(mem, VMM_X86_ZERO_PAGE_GPA, VMM_X86_PAGE), k->setup_hdr,
                                 k->setup_hdr_len, info);
    out->params_gpa = VMM_X86_ZERO_PAGE_GPA;
  }
  if (rc < 0) return rc;
  rc = vmm_x86_mptable_build(vmm_gpa(mem, VMM_X86_MPTABLE_GPA, VMM_X86_MPTABLE_SIZE),
                             VMM_X86_MPTABLE_SIZE, VMM_X86_MPTABLE_GPA, vcpus);
  if (rc < 0) return rc;
  uint64_t gdt[VMM_X86_GDT_ENTRIES];
  vmm_x86_gdt_build(gdt);
  memcpy(vmm_gpa(mem, VMM_X86_GDT_GPA, sizeof(gdt)), gdt, sizeof(gdt));
  memset(vmm_gpa(mem, VMM_X86_IDT_GPA, 8), 0, 8);
  vmm_x86_page_tables_build(vmm_gpa(mem, VMM_X86_PML4_GPA, 6 * VMM_X86_PAGE));
  out->entry = k->entry;
  out->pvh = k->pvh;
  return 0;
}

int vmm_x86_load(const vmm_guest_mem *mem, const char *kernel_path, const char *initrd_path,
                 const char *cmdline, unsigned vcpus, vmm_boot *out, char *err, size_t errcap) {
  if (errcap) err[0] = 0;
  if (!mem || !mem->base || mem->size < VMM_X86_MEM_MIN || mem->size > VMM_X86_MEM_MAX)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "guest memory of %llu MiB is outside %llu MiB..%llu MiB",
                        mem ? (unsigned long long)(mem->size >> 20) : 0ull, VMM_X86_MEM_MIN >> 20,
                        VMM_X86_MEM_MAX >> 20);
  if (vcpus == 0 || vcpus > VMM_X86_MAX_VCPUS)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL, "%u vCPUs is outside 1..%u", vcpus,
                        VMM_X86_MAX_VCPUS);
  if (!kernel_path || !cmdline)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL, "no kernel path or command line");

  uint8_t *data = NULL;
  size_t len = 0;
  int rc = vmm_x86_read_file(kernel_path, mem->size, &data, &len, err, errcap);
  if (rc < 0) return rc;
  vmm_x86_kernel k;
  if (len >= 4 && memcmp(data,
                         "\x7f"
                         "ELF",
                         4) == 0)
    rc = vmm_x86_load_elf(mem, data, len, kernel_path, &k, err, errcap);
  else
    rc = vmm_x86_load_bzimage(mem, data, len, kernel_path, &k, err, errcap);
  if (rc < 0) goto out;

  vmm_x86_boot_info info = {.mem_size = mem->size, .cmdline_gpa = VMM_X86_CMDLINE_GPA};
  rc = put_cmdline(mem, cmdline, &k, kernel_path, &info.cmdline_len, err, errcap);
  if (rc < 0) goto out;
  if (initrd_path) {
    rc = put_initrd(mem, initrd_path, &k, &info, err, errcap);
    if (rc < 0) goto out;
  }
  rc = put_tables(mem, &k, &info, vcpus, out); /* k.setup_hdr points into data */
  if (rc < 0)
    rc = vmm_x86_fail(err, errcap, VBX_E_INVAL, "%s: boot tables: %s", kernel_path, strerror(-rc));
out:
  free(data);
  return rc;
}
