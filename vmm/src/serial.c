/*
 * vmm/serial.c - the 16550A UART (serial.h).
 *
 * Transmit completes at once: THR is always empty, so LSR always reports
 * THRE|TEMT and a THR-empty interrupt is pending whenever the guest enables
 * it (IER bit 1) until it reads IIR or writes THR again. The line is
 * level-triggered: high while an enabled interrupt is pending.
 */
#include "serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LCR_DLAB 0x80
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_FIFO 0xc0 /* FIFOs enabled (16550A) */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MSR_LOOP_BITS 0xf0 /* loopback: DCD RI DSR CTS follow OUT2 OUT1 RTS DTR */

static void write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the log is best effort: a full disk never stops the guest */
    p += w, n -= (size_t)w;
  }
}

static void flush_locked(vmm_serial *s) {
  if (s->line_len == 0) return;
  if (s->out_fd >= 0) {
    size_t n = s->line_len;
    if (s->logged + n > VMM_SERIAL_MAX_LOG) n = (size_t)(VMM_SERIAL_MAX_LOG - s->logged);
    write_all(s->out_fd, s->line, n);
    s->logged += n;
    s->dropped += s->line_len - n;
  }
  s->line_len = 0;
}

static void update_irq_locked(vmm_serial *s) {
  bool high = (s->ier & IER_THRI) && s->iir_thri;
  if (high != s->irq_high && s->set_irq != NULL) s->set_irq(s->irq_ctx, VMM_SERIAL_IRQ, high);
  s->irq_high = high;
}

void vmm_serial_init(vmm_serial *s, int out_fd, void (*set_irq)(void *, unsigned, int),
                     void *irq_ctx) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  s->out_fd = out_fd;
  s->set_irq = set_irq;
  s->irq_ctx = irq_ctx;
}

static void put_char_locked(vmm_serial *s, uint8_t c) {
  s->line[s->line_len++] = c;
  if (c == '\n' || s->line_len == sizeof s->line) flush_locked(s);
  s->iir_thri = 1; /* transmitted at once: THR empty again */
}

static uint8_t read_reg_locked(vmm_serial *s, unsigned reg) {
  switch (reg) {
  case RBR_THR: return (s->lcr & LCR_DLAB) ? s->dll : 0;
  case IER: return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
  case IIR_FCR: {
    uint8_t fifo = (s->fcr & 1) ? IIR_FIFO : 0;
    if ((s->ier & IER_THRI) && s->iir_thri) {
      s->iir_thri = 0; /* reading IIR clears a THR-empty interrupt */
      return fifo | IIR_THRI;
    }
    return fifo | IIR_NONE;
  }
  case LCR: return s->lcr;
  case MCR: return s->mcr;
  case LSR: return LSR_THRE | LSR_TEMT;
  case MSR: return (s->mcr & MCR_LOOP) ? (uint8_t)((s->mcr & 0x0f) << 4) & MSR_LOOP_BITS : 0xb0;
  default: return s->scr;
  }
}

static void write_reg_locked(vmm_serial *s, unsigned reg, uint8_t v) {
  switch (reg) {
  case RBR_THR:
    if (s->lcr & LCR_DLAB)
      s->dll = v;
    else if (!(s->mcr & MCR_LOOP))
      put_char_locked(s, v);
    else
      s->iir_thri = 1;
    break;
  case IER:
    if (s->lcr & LCR_DLAB) {
      s->dlm = v;
    } else {
      if ((v & IER_THRI) && !(s->ier & IER_THRI)) s->iir_thri = 1; /* THR is empty */
      s->ier = v & 0x0f;
    }
    break;
  case IIR_FCR: s->fcr = v & 0xc9; break;
  case LCR: s->lcr = v; break;
  case MCR: s->mcr = v & 0x1f; break;
  case SCR: s->scr = v; break;
  default: break; /* LSR and MSR are read-only */
  }
}

void vmm_serial_io(void *ctx, uint64_t offset, uint8_t *data, uint32_t len, bool is_write) {
  vmm_serial *s = ctx;
  if (offset >= 8) return;
  pthread_mutex_lock(&s->mu);
  if (is_write)
    write_reg_locked(s, (unsigned)offset, data[0]);
  else
    data[0] = read_reg_locked(s, (unsigned)offset);
  for (uint32_t i = 1; i < len; i++)
    if (!is_write) data[i] = 0xff; /* wider accesses: one register, rest floating */
  update_irq_locked(s);
  pthread_mutex_unlock(&s->mu);
}

void vmm_serial_flush(vmm_serial *s) {
  pthread_mutex_lock(&s->mu);
  flush_locked(s);
  pthread_mutex_unlock(&s->mu);
}

void vmm_serial_destroy(vmm_serial *s) {
  vmm_serial_flush(s);
  pthread_mutex_destroy(&s->mu);
}
