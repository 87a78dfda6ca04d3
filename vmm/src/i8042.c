/*
 * vmm/i8042.c - reset through the keyboard controller (i8042.h).
 */
#include "i8042.h"

#include <string.h>

#define CMD_PULSE_RESET 0xfe

void vmm_i8042_io(void *ctx, uint64_t offset, uint8_t *data, uint32_t len, bool is_write) {
  vmm_i8042 *k = ctx;
  uint64_t port = VMM_I8042_DATA + offset;
  if (!is_write) {
    /* No controller answers: reads float high, which Linux's i8042 driver
     * takes as "no controller" at once. (Reading 0, an idle controller,
     * made it wait ~1.3 s for replies that never came.) */
    memset(data, 0xff, len);
    return;
  }
  if (port == VMM_I8042_CMD && data[0] == CMD_PULSE_RESET) k->reset(k->ctx);
}
