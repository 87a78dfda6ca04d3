/*
 * vmm/x86/load_elf.c - an uncompressed ELF64 kernel (vmlinux) entered
 * through PVH: its PT_LOAD segments are copied to their physical
 * addresses and the entry is the XEN_ELFNOTE_PHYS32_ENTRY note (type 18,
 * owner "Xen"), found in a PT_NOTE segment. Every offset and size read
 * from the file is checked against the file length and guest memory
 * before use, with overflow-safe comparisons.
 */
#include <elf.h>
#include <string.h>

#include "layout.h"
#include "loader.h"
#include "pvh.h"
#include "voidbox/errors.h"

#define ELF_MAX_PHDRS 64

/* Whether [off, off + n) lies inside a buffer of `len` bytes. */
static int in_file(uint64_t off, uint64_t n, size_t len) { return off <= len && n <= len - off; }

static int check_header(const Elf64_Ehdr *eh, size_t len, const char *name, char *err,
                        size_t errcap) {
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL, "%s: not an ELF file (bad magic)", name);
  if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
      eh->e_machine != EM_X86_64)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: ELF e_ident/e_machine is not little-endian ELF64 x86-64", name);
  if (eh->e_type != ET_EXEC)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL, "%s: ELF e_type %u is not ET_EXEC", name,
                        (unsigned)eh->e_type);
  if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: ELF e_phentsize %u / e_phnum %u out of range (1..%d of %zu bytes)",
                        name, (unsigned)eh->e_phentsize, (unsigned)eh->e_phnum, ELF_MAX_PHDRS,
                        sizeof(Elf64_Phdr));
  if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: ELF program headers (e_phoff 0x%llx) end past the file (%zu bytes)",
                        name, (unsigned long long)eh->e_phoff, len);
  return 0;
}

static int load_segment(const vmm_guest_mem *mem, const uint8_t *data, size_t len, const char *name,
                        unsigned i, const Elf64_Phdr *ph, uint64_t *end, char *err, size_t errcap) {
  if (ph->p_filesz > ph->p_memsz)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: ELF segment %u p_filesz 0x%llx exceeds p_memsz 0x%llx", name, i,
                        (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
  if (!in_file(ph->p_offset, ph->p_filesz, len))
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: ELF segment %u (p_offset 0x%llx, p_filesz 0x%llx) ends past the "
                        "file (%zu bytes)",
                        name, i, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
                        len);
  if (ph->p_paddr < VMM_X86_KERNEL_MIN)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: ELF segment %u p_paddr 0x%llx is below 0x%llx (boot tables)", name, i,
                        (unsigned long long)ph->p_paddr, VMM_X86_KERNEL_MIN);
  uint8_t *dst = vmm_gpa(mem, ph->p_paddr, ph->p_memsz);
  if (!dst)
    return vmm_x86_fail(err, errcap, VBX_E_TOOBIG,
                        "%s: ELF segment %u ends past guest memory (0x%llx + 0x%llx > %llu MiB)",
                        name, i, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
                        (unsigned long long)(mem->size >> 20));
  memcpy(dst, data + ph->p_offset, ph->p_filesz);
  memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
  if (ph->p_paddr + ph->p_memsz > *end) *end = ph->p_paddr + ph->p_memsz;
  return 0;
}

/* Search one PT_NOTE segment's notes for the PVH entry. Returns 1 and sets
 * *entry when found, 0 when not, negative on a malformed note. */
static int find_pvh_note(const uint8_t *data, size_t len, const char *name, const Elf64_Phdr *ph,
                         uint64_t *entry, char *err, size_t errcap) {
  if (!in_file(ph->p_offset, ph->p_filesz, len))
    return vmm_x86_fail(err, errcap, VBX_E_INVAL, "%s: ELF PT_NOTE segment ends past the file",
                        name);
  const uint8_t *p = data + ph->p_offset;
  uint64_t left = ph->p_filesz;
  while (left >= sizeof(Elf64_Nhdr)) {
    Elf64_Nhdr nh;
    memcpy(&nh, p, sizeof(nh));
    uint64_t name_len = ((uint64_t)nh.n_namesz + 3) & ~3ull;
    uint64_t desc_len = ((uint64_t)nh.n_descsz + 3) & ~3ull;
    if (name_len > left - sizeof(nh) || desc_len > left - sizeof(nh) - name_len)
      return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                          "%s: ELF note (n_namesz %u, n_descsz %u) runs past its PT_NOTE segment",
                          name, nh.n_namesz, nh.n_descsz);
    const uint8_t *nm = p + sizeof(nh), *desc = nm + name_len;
    if (nh.n_type == VMM_XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
        memcmp(nm, "Xen", 4) == 0) {
      uint64_t v = 0;
      if (nh.n_descsz != 4 && nh.n_descsz != 8)
        return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                            "%s: PVH entry note n_descsz %u is neither 4 nor 8", name, nh.n_descsz);
      memcpy(&v, desc, nh.n_descsz);
      *entry = v;
      return 1;
    }
    p += sizeof(nh) + name_len + desc_len;
    left -= sizeof(nh) + name_len + desc_len;
  }
  return 0;
}

int vmm_x86_load_elf(const vmm_guest_mem *mem, const uint8_t *data, size_t len, const char *name,
                     vmm_x86_kernel *k, char *err, size_t errcap) {
  Elf64_Ehdr eh;
  if (len < sizeof(eh))
    return vmm_x86_fail(err, errcap, VBX_E_INVAL, "%s: %zu bytes is shorter than an ELF64 header",
                        name, len);
  memcpy(&eh, data, sizeof(eh));
  int rc = check_header(&eh, len, name, err, errcap);
  if (rc < 0) return rc;

  uint64_t end = 0, entry = 0;
  int found = 0;
  unsigned loads = 0;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    memcpy(&ph, data + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
    if (ph.p_type == PT_LOAD) {
      rc = load_segment(mem, data, len, name, i, &ph, &end, err, errcap);
      if (rc < 0) return rc;
      loads++;
    } else if (ph.p_type == PT_NOTE && !found) {
      found = find_pvh_note(data, len, name, &ph, &entry, err, errcap);
      if (found < 0) return found;
    }
  }
  if (loads == 0)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL, "%s: ELF has no PT_LOAD segment", name);
  if (!found)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: ELF has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, type 18, name "
                        "\"Xen\"): build the kernel with CONFIG_PVH=y or boot its bzImage",
                        name);
  if (entry < VMM_X86_KERNEL_MIN || entry >= end)
    return vmm_x86_fail(err, errcap, VBX_E_INVAL,
                        "%s: PVH entry 0x%llx lies outside the loaded segments [0x%llx, 0x%llx)",
                        name, (unsigned long long)entry, VMM_X86_KERNEL_MIN,
                        (unsigned long long)end);
  *k = (vmm_x86_kernel){.entry = entry,
                        .pvh = true,
                        .end = end,
                        .initrd_addr_max = VMM_X86_MEM_MAX - 1,
                        .cmdline_max = VMM_X86_CMDLINE_MAX};
  return 0;
}
