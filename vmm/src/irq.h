/*
 * vmm/irq.h - an interrupt line as a device model raises it. In the VMM it
 * is a GSI of KVM's in-kernel IOAPIC, pulsed (edge) with KVM_IRQ_LINE; in a
 * test harness a counter. raise() is thread-safe (vCPU and loop threads).
 */
#ifndef VMM_IRQ_H
#define VMM_IRQ_H

typedef struct vmm_irq {
  void (*raise)(void *ctx, unsigned gsi);
  void *ctx;
  unsigned gsi;
} vmm_irq;

static inline void vmm_irq_raise(const vmm_irq *irq) { irq->raise(irq->ctx, irq->gsi); }

#endif
