/*
 * fuzz_x86_loader.c - libFuzzer target for the x86 kernel loaders
 * (vmm/src/x86/load_elf.c, load_bzimage.c). The input is a kernel file:
 * an ELF (by its magic) goes to the PVH loader, anything else to the
 * bzImage loader, over a 24 MiB guest memory. Whatever the bytes, a load
 * either fails with a message or returns an entry and an end inside guest
 * memory and a setup header inside the input. Invariants are checked with
 * __builtin_trap so libFuzzer reports them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "layout.h"
#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                \
  do {                          \
    if (!(c)) __builtin_trap(); \
  } while (0)

#define MEM (24u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static vmm_guest_mem mem;
  if (!mem.base) {
    mem.base = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mem.base != MAP_FAILED);
    mem.size = MEM;
  }
  char err[256];
  vmm_x86_kernel k;
  memset(&k, 0, sizeof k);
  int elf = size >= 4 && memcmp(data,
                                "\x7f"
                                "ELF",
                                4) == 0;
  int rc = elf ? vmm_x86_load_elf(&mem, data, size, "fuzz", &k, err, sizeof err)
               : vmm_x86_load_bzimage(&mem, data, size, "fuzz", &k, err, sizeof err);
  if (rc < 0) {
    CHECK(err[0] != 0 && strlen(err) < sizeof err);
    return 0;
  }
  CHECK(rc == 0);
  CHECK(k.end <= MEM && k.entry >= VMM_X86_KERNEL_MIN && k.entry < k.end);
  CHECK(k.pvh == elf);
  if (!elf) CHECK(k.setup_hdr >= data && k.setup_hdr + k.setup_hdr_len <= data + size);
  return 0;
}
