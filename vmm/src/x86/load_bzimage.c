/*
 * vmm/x86/load_bzimage.c - a bzImage entered through the 64-bit boot
 * protocol (Linux Documentation/x86/boot.rst). The file is the real-mode
 * setup ((setup_sects + 1) * 512 bytes, setup header at 0x1f1) followed by
 * the protected-mode kernel, which is copied to its load address; the
 * 64-bit entry is that address + 0x200. All header offsets below are
 * boot.rst's; every one is read only after the length check.
 */
#include <asm/bootparam.h>
#include <string.h>

#include "layout.h"
#include "loader.h"
#include "voidbox/errors.h"

#define HDR_OFF 0x1f1     /* the setup header in the file and the zero page */
#define HDR_MIN_END 0x268 /* file bytes up to kernel_info_offset (2.15) */
#define PROTO_MIN 0x020c  /* 2.12: xloadflags, the 64-bit entry */
#define ENTRY64_OFF 0x200 /* 64-bit entry from the load address */

static uint64_t rd(const uint8_t *data, size_t off, size_t n) {
  uint64_t v = 0;
  memcpy(&v, data + off, n);
  return v;
}

/* Where the protected-mode kernel goes: pref_address when usable, else
 * (relocatable kernels only) 16 MiB rounded up to kernel_alignment. */
static int load_address(const uint8_t *data, const char *name, uint64_t *addr, char *err,
                        size_t errcap) {
  uint64_t pref = rd(data, 0x258, 8), align = rd(data, 0x230, 4);
  int relocatable = rd(data, 0x234, 1) != 0;
  if (align == 0 || (align & (align - 1)) || align > (1ull << 30))
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: setup header kernel_alignment 0x%llx is not a power of two <= 1 GiB",
                        name, (unsigned long long)align);
  if (pref >= VMM_X86_KERNEL_MIN && pref < VMM_X86_MEM_MAX && (!relocatable || pref % align == 0)) {
    *addr = pref;
    return 0;
  }
  if (!relocatable)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: setup header pref_address 0x%llx is unusable and the kernel is not "
                        "relocatable",
                        name, (unsigned long long)pref);
  *addr = (VMM_X86_KERNEL_GPA + align - 1) & ~(align - 1);
  return 0;
}

static int check_header(const uint8_t *data, size_t len, const char *name, char *err,
                        size_t errcap) {
  if (len < HDR_MIN_END)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: %zu bytes is too short for a bzImage setup header", name, len);
  if (rd(data, 0x202, 4) != 0x53726448 || rd(data, 0x1fe, 2) != 0xaa55)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: not a bzImage (setup header magic \"HdrS\" / boot_flag 0xaa55 "
                        "missing)",
                        name);
  uint64_t version = rd(data, 0x206, 2);
  if (version < PROTO_MIN)
    return vmm_x86_fail(
        err, errcap, VBX_E_VERSION,
        "%s: boot protocol version %llu.%02llu is older than 2.12 (no 64-bit entry)", name,
        (unsigned long long)(version >> 8), (unsigned long long)(version & 0xff));
  if (!(rd(data, 0x236, 2) & XLF_KERNEL_64))
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: setup header xloadflags lacks XLF_KERNEL_64 (no 64-bit entry)", name);
  return 0;
}

int vmm_x86_load_bzimage(const vmm_guest_mem *mem, const uint8_t *data, size_t len,
                         const char *name, vmm_x86_kernel *k, char *err, size_t errcap) {
  int rc = check_header(data, len, name, err, errcap);
  if (rc < 0) return rc;
  uint64_t sects = rd(data, 0x1f1, 1);
  uint64_t setup = ((sects ? sects : 4) + 1) * 512;
  if (setup >= len)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: setup_sects %llu puts the kernel past the end of the file (%zu bytes)",
                        name, (unsigned long long)sects, len);
  if (len - setup <= ENTRY64_OFF)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: protected-mode kernel of %llu bytes (after setup_sects %llu) ends "
                        "before its 64-bit entry at +0x200",
                        name, (unsigned long long)(len - setup), (unsigned long long)sects);
  uint64_t hdr_end = 0x202 + rd(data, 0x201, 1); /* boot.rst: end of the setup header */
  uint64_t hdr_len = hdr_end - HDR_OFF;
  if (hdr_len > sizeof(struct setup_header)) hdr_len = sizeof(struct setup_header);

  uint64_t addr = 0, pm_len = len - setup, init_size = rd(data, 0x260, 4);
  rc = load_address(data, name, &addr, err, errcap);
  if (rc < 0) return rc;
  uint64_t need = init_size > pm_len ? init_size : pm_len;
  uint8_t *dst = vmm_gpa(mem, addr, need);
  if (!dst)
    return vmm_x86_fail(err, errcap, VBX_E_TOOBIG,
                        "%s: kernel at 0x%llx needs 0x%llx bytes (init_size) past guest memory "
                        "(%llu MiB)",
                        name, (unsigned long long)addr, (unsigned long long)need,
                        (unsigned long long)(mem->size >> 20));
  memcpy(dst, data + setup, pm_len);
  memset(dst + pm_len, 0, need - pm_len);

  uint64_t initrd_max = rd(data, 0x22c, 4);
  *k = (vmm_x86_kernel){.entry = addr + ENTRY64_OFF,
                        .pvh = false,
                        .end = addr + need,
                        .initrd_addr_max = initrd_max ? initrd_max : 0x37ffffff,
                        .cmdline_max = rd(data, 0x238, 4),
                        .setup_hdr = data + HDR_OFF,
                        .setup_hdr_len = (size_t)hdr_len};
  return 0;
}
