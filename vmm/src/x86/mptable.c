/*
 * vmm/x86/mptable.c - an Intel MultiProcessor Specification 1.4 table: the
 * floating pointer structure ("_MP_", 16 bytes) followed directly by the
 * configuration table ("PCMP" header of 44 bytes, then the entries). It is
 * how a kernel without ACPI finds the vCPUs, the IOAPIC and the routing of
 * ISA IRQs and the virtio GSIs. Written byte by byte at the spec's offsets.
 */
#include <errno.h>
#include <string.h>

#include "layout.h"
#include "tables.h"

#define MPF_LEN 16
#define MPC_HDR_LEN 44
#define MPC_CPU_LEN 20
#define MPC_ENTRY_LEN 8 /* bus, IOAPIC, IO and local interrupt entries */
#define LAPIC_VERSION 0x14
#define IOAPIC_VERSION 0x11

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, (uint16_t)v);
  put16(p + 2, (uint16_t)(v >> 16));
}

/* The byte that makes the sum of p[0..len) zero, given p[ck] is 0 now. */
static uint8_t checksum(const uint8_t *p, size_t len) {
  uint8_t sum = 0;
  for (size_t i = 0; i < len; i++)
    sum = (uint8_t)(sum + p[i]);
  return (uint8_t)(0x100 - sum);
}

/* An interrupt entry: IO (type 3) or local (type 4); flags 0 "conforms to
 * the bus" (ISA: edge, active high). */
static uint8_t *irq_entry(uint8_t *p, uint8_t type, uint8_t irqtype, uint8_t src_irq,
                          uint8_t dst_id, uint8_t dst_pin) {
  p[0] = type;
  p[1] = irqtype;
  put16(p + 2, 0);
  p[4] = 0; /* source bus: the ISA bus, id 0 */
  p[5] = src_irq;
  p[6] = dst_id;
  p[7] = dst_pin;
  return p + MPC_ENTRY_LEN;
}

static uint8_t *cpu_entries(uint8_t *p, unsigned vcpus) {
  for (unsigned i = 0; i < vcpus; i++) {
    memset(p, 0, MPC_CPU_LEN);
    p[0] = 0; /* processor */
    p[1] = (uint8_t)i;
    p[2] = LAPIC_VERSION;
    p[3] = (uint8_t)(0x01 | (i == 0 ? 0x02 : 0)); /* enabled, BSP */
    put32(p + 4, 0x600);                          /* signature: family 6 */
    put32(p + 8, 0x201);                          /* features: FPU, APIC */
    p += MPC_CPU_LEN;
  }
  return p;
}

int vmm_x86_mptable_build(uint8_t *buf, size_t cap, uint64_t buf_gpa, unsigned vcpus) {
  if (vcpus == 0 || vcpus > VMM_X86_MAX_VCPUS || (buf_gpa + cap) >> 32) return -EINVAL;
  size_t len = MPF_LEN + MPC_HDR_LEN + vcpus * MPC_CPU_LEN +
               (2 + VMM_X86_IOAPIC_PINS + 2) * (size_t)MPC_ENTRY_LEN;
  if (len > cap) return -ENOSPC;
  memset(buf, 0, len);
  uint8_t ioapic_id = (uint8_t)vcpus;

  uint8_t *mpc = buf + MPF_LEN, *p = mpc + MPC_HDR_LEN;
  p = cpu_entries(p, vcpus);
  p[0] = 1; /* bus 0, ISA */
  memcpy(p + 2, "ISA   ", 6);
  p += MPC_ENTRY_LEN;
  p[0] = 2; /* the IOAPIC, enabled */
  p[1] = ioapic_id;
  p[2] = IOAPIC_VERSION;
  p[3] = 1;
  put32(p + 4, (uint32_t)VMM_X86_IOAPIC_GPA);
  p += MPC_ENTRY_LEN;
  for (unsigned i = 0; i < VMM_X86_IOAPIC_PINS; i++)
    p = irq_entry(p, 3, 0 /* INT */, (uint8_t)i, ioapic_id, (uint8_t)i);
  p = irq_entry(p, 4, 3 /* ExtINT */, 0, 0xff, 0);
  p = irq_entry(p, 4, 1 /* NMI */, 0, 0xff, 1);

  size_t mpc_len = (size_t)(p - mpc);
  memcpy(mpc, "PCMP", 4);
  put16(mpc + 4, (uint16_t)mpc_len);
  mpc[6] = 4; /* spec 1.4 */
  memcpy(mpc + 8, "VOIDBOX ", 8);
  memcpy(mpc + 16, "VBX-VMM     ", 12);
  put16(mpc + 34, (uint16_t)(vcpus + 2 + VMM_X86_IOAPIC_PINS + 2));
  put32(mpc + 36, (uint32_t)VMM_X86_LAPIC_GPA);
  mpc[7] = checksum(mpc, mpc_len);

  memcpy(buf, "_MP_", 4);
  put32(buf + 4, (uint32_t)(buf_gpa + MPF_LEN));
  buf[8] = 1; /* length in 16-byte units */
  buf[9] = 4; /* spec 1.4 */
  /* feature bytes 1..5 stay 0: a configuration table is present, no IMCR */
  buf[10] = checksum(buf, MPF_LEN);
  return (int)len;
}
