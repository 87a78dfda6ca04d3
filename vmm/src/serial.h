/*
 * vmm/serial.h - a 16550A UART at 0x3f8 (IRQ 4), transmit only: what the
 * guest writes goes to the box's console log (line-buffered, capped); the
 * receiver never has data. Enough of the register set for Linux's 8250
 * driver to detect it and to use it as ttyS0 with interrupts.
 */
#ifndef VMM_SERIAL_H
#define VMM_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define VMM_SERIAL_BASE 0x3f8
#define VMM_SERIAL_IRQ 4
#define VMM_SERIAL_MAX_LOG (16u << 20) /* console bytes kept; the rest counted, dropped */

typedef struct vmm_serial {
  pthread_mutex_t mu;
  int out_fd; /* not owned; -1 discards */
  void (*set_irq)(void *ctx, unsigned gsi, int level);
  void *irq_ctx;
  uint8_t ier, iir_thri, lcr, mcr, scr, dll, dlm, fcr;
  bool irq_high;
  uint64_t logged, dropped;
  uint8_t line[256];
  unsigned line_len;
} vmm_serial;

/* Set up a UART writing to out_fd (-1: discard), raising IRQ 4 through
 * set_irq(irq_ctx, 4, level). */
void vmm_serial_init(vmm_serial *s, int out_fd, void (*set_irq)(void *, unsigned, int),
                     void *irq_ctx);
/* The bus handler (vmm_bus_fn) for the 8 ports at 0x3f8; ctx is the
 * vmm_serial. Thread-safe. */
void vmm_serial_io(void *ctx, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Write out a partial line. Thread-safe. */
void vmm_serial_flush(vmm_serial *s);
/* Flush and release the lock. The fd is the caller's. */
void vmm_serial_destroy(vmm_serial *s);

#endif
