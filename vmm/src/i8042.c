/*
 * vmm/i8042.c - reset through the keyboard controller (i8042.h).
 */
#include "i8042.h"

#include <string.h>

#define CMD_PULSE_RESET 0xfe
/* Status for "a byte waits, input buffer empty": Linux's reboot=k path
 * (kb_wait) sees it can send 0xfe at once, and its i8042 driver, reading
 * 0xff bytes until its flush gives up, finds no controller within
 * microseconds. */
#define STATUS_NO_CONTROLLER 0xfd

void vmm_i8042_io(void *ctx, uint64_t offset, uint8_t *data, uint32_t len, bool is_write) {
  vmm_i8042 *k = ctx;
  uint64_t port = VMM_I8042_DATA + offset;
  if (!is_write) {
    /* No controller answers: reads float high, which Linux's i8042 driver
     * takes as "no controller" at once. (Reading 0, an idle controller,
     * made it wait ~1.3 s for replies that never came.) */
    memset(data, 0xff, len);
    if (port == VMM_I8042_CMD) data[0] = STATUS_NO_CONTROLLER;
    return;
  }
  if (port == VMM_I8042_CMD && data[0] == CMD_PULSE_RESET) k->reset(k->ctx);
}
