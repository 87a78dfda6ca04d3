/*
 * plugin/abi.h - reading size-first structs produced by a plugin.
 */
#ifndef VBX_PLUGIN_ABI_H
#define VBX_PLUGIN_ABI_H

#include <stddef.h>

#include "plugin/call.h"

/* Copy the size-first struct `src` (its first member is uint32_t
 * struct_size, set by its producer) into `dst`, the host's version of
 * dst_size bytes. A shorter struct is zero-extended; a longer one is taken
 * only when its unknown tail is all zero, otherwise VBX_E_ABI. struct_size
 * below 4 or above 64 KiB is refused with VBX_E_ABI. `what` names the
 * struct in the error put into call (may be NULL). dst->struct_size is set
 * to dst_size. Returns 0 or VBX_E_INVAL (NULL src) / VBX_E_ABI. */
int vbx__abi_copy_in(void *dst, size_t dst_size, const void *src, const char *what, vbx_call *call);

#endif
