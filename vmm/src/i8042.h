/*
 * vmm/i8042.h - the part of the PS/2 controller a micro-VM needs: command
 * 0xfe on port 0x64 (pulse the reset line) ends the VM as a reset, which
 * is how Linux's reboot=k and the tiny test guest restart the machine.
 * The status port reads "a byte waits, input buffer empty" (0xfd) and the
 * data port 0xff, so Linux's reboot=k sends the reset at once and its
 * i8042 driver, flushing 0xff bytes until it gives up, finds no controller
 * within microseconds. Port 0x61 (the PIT's speaker gate) is KVM's when
 * the VM has an in-kernel PIT, else it reads 0xff here.
 */
#ifndef VMM_I8042_H
#define VMM_I8042_H

#include <stdbool.h>
#include <stdint.h>

#define VMM_I8042_DATA 0x60
#define VMM_I8042_CMD 0x64

typedef struct vmm_i8042 {
  void (*reset)(void *ctx); /* called on the vCPU thread that wrote 0xfe */
  void *ctx;
} vmm_i8042;

/* The bus handler (vmm_bus_fn) for the port range 0x60..0x64 (size 5);
 * ctx is the vmm_i8042. Thread-safe. */
void vmm_i8042_io(void *ctx, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
