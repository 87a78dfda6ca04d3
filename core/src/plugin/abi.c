/*
 * plugin/abi.c - see abi.h.
 */
#include "plugin/abi.h"

#include <stdint.h>
#include <string.h>

#define ABI_STRUCT_MAX 65536u

int vbx__abi_copy_in(void *dst, size_t dst_size, const void *src, const char *what,
                     vbx_call *call) {
  if (what == NULL) what = "struct";
  memset(dst, 0, dst_size);
  if (src == NULL) return vbx__call_fail(call, VBX_E_INVAL, NULL, "%s is NULL", what);
  uint32_t size;
  memcpy(&size, src, sizeof(size));
  if (size < sizeof(uint32_t) || size > ABI_STRUCT_MAX)
    return vbx__call_fail(call, VBX_E_ABI, NULL, "%s struct_size %u is out of range (4..%u)", what,
                          (unsigned)size, ABI_STRUCT_MAX);
  if (size > dst_size) {
    const unsigned char *tail = (const unsigned char *)src + dst_size;
    for (size_t i = 0; i < size - dst_size; i++)
      if (tail[i] != 0)
        return vbx__call_fail(call, VBX_E_ABI, NULL,
                              "%s struct_size %u is larger than the host's %zu and its unknown "
                              "tail is not zero (byte %zu)",
                              what, (unsigned)size, dst_size, dst_size + i);
  }
  memcpy(dst, src, size < dst_size ? size : dst_size);
  uint32_t mine = (uint32_t)dst_size;
  memcpy(dst, &mine, sizeof(mine));
  return 0;
}
