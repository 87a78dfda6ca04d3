/*
 * test_vmm_virtio_mmio.c - the virtio-mmio v2 transport (mmio.c), driven
 * through its registers with virtio-rng behind it: identification, feature
 * negotiation (VERSION_1 required, unknown features refused), queue setup
 * bounds, DEVICE_NEEDS_RESET on a malformed ring and recovery by reset,
 * interrupt status, odd-width accesses and config space bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_driver.h"

static int setup(void **state) {
  static fake f;
  char err[256];
  fake_init(&f);
  assert_int_equal(vmm_virtio_rng_create(&f.mem, fake_irq(&f), &f.dev, err, sizeof err), 0);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fake_fini(*state);
  return 0;
}

static void test_identity(void **state) {
  fake *f = *state;
  assert_int_equal(fake_rd(f, 0x00), 0x74726976);
  assert_int_equal(fake_rd(f, 0x04), 2);
  assert_int_equal(fake_rd(f, 0x08), 4);
  assert_int_not_equal(fake_rd(f, 0x0c), 0);
  fake_wr(f, 0x14, 1);
  assert_int_equal(fake_rd(f, 0x10), 1); /* VERSION_1 is bit 32 */
  fake_wr(f, 0x14, 7);
  assert_int_equal(fake_rd(f, 0x10), 0);
  fake_wr(f, 0x30, 0);
  assert_int_equal(fake_rd(f, 0x34), 256);
  fake_wr(f, 0x30, 5); /* no such queue */
  assert_int_equal(fake_rd(f, 0x34), 0);
}

static void test_refuses_legacy_driver(void **state) {
  fake *f = *state;
  fake_wr(f, 0x70, 1 | 2);
  fake_wr(f, 0x24, 1);
  fake_wr(f, 0x20, 0); /* does not accept VERSION_1 */
  fake_wr(f, 0x70, 1 | 2 | 8);
  assert_int_equal(fake_rd(f, 0x70) & 8, 0);
  fake_wr(f, 0x70, 1 | 2 | 8 | 4);
  assert_int_equal(fake_rd(f, 0x70) & 4, 0);
}

static void test_refuses_unoffered_feature(void **state) {
  fake *f = *state;
  assert_int_equal(fake_setup(f, 1ull << 28 /* INDIRECT_DESC */, 1, 16) & 8, 0);
  assert_int_equal(fake_setup(f, 1ull << 29 /* EVENT_IDX */, 1, 16) & 8, 0);
  assert_int_equal(fake_setup(f, 0, 1, 16), 1 | 2 | 4 | 8);
}

static void test_zero_queue_size(void **state) {
  fake *f = *state;
  fake_setup(f, 0, 0, 0);
  fake_queue(f, 0, 0);
  assert_int_equal(fake_rd(f, 0x44), 0);
  assert_true(fake_rd(f, 0x70) & 64); /* DEVICE_NEEDS_RESET */
  assert_true(fake_rd(f, 0x60) & 2);
}

static void test_malformed_ring_then_reset(void **state) {
  fake *f = *state;
  assert_int_equal(fake_setup(f, 0, 1, 16), 1 | 2 | 4 | 8);
  uint64_t b = fake_alloc(f, 8);
  fake_desc(f, 0, 0, b, 8, 2 | 1, 0); /* loops on itself */
  fake_add_head(f, 0, 0);
  int irqs = f->irqs;
  fake_kick(f, 0);
  assert_true(fake_rd(f, 0x70) & 64);
  assert_true(fake_rd(f, 0x60) & 2);
  assert_true(f->irqs > irqs);
  uint32_t id, len;
  assert_false(fake_used(f, 0, &id, &len));
  /* the driver resets; the device works again */
  assert_int_equal(fake_setup(f, 0, 1, 16), 1 | 2 | 4 | 8);
  assert_int_equal(fake_rd(f, 0x60), 0);
  fake_seg s = {b, 8, true};
  fake_add(f, 0, &s, 1);
  fake_kick(f, 0);
  assert_true(fake_used(f, 0, &id, &len));
  assert_int_equal(len, 8);
}

static void test_queue_regs_locked_when_ready(void **state) {
  fake *f = *state;
  assert_int_equal(fake_setup(f, 0, 1, 16), 1 | 2 | 4 | 8);
  fake_wr(f, 0x30, 0);
  fake_wr(f, 0x80, 0xdead0000); /* ignored: the queue is live */
  fake_wr(f, 0x38, 0);
  uint64_t b = fake_alloc(f, 8);
  fake_seg s = {b, 8, true};
  fake_add(f, 0, &s, 1);
  fake_kick(f, 0);
  uint32_t id, len;
  assert_true(fake_used(f, 0, &id, &len));
  assert_int_equal(fake_rd(f, 0x70) & 64, 0);
}

static void test_notify_before_driver_ok(void **state) {
  fake *f = *state;
  fake_wr(f, 0x70, 1 | 2);
  fake_wr(f, 0x24, 1);
  fake_wr(f, 0x20, 1);
  fake_wr(f, 0x70, 1 | 2 | 8);
  fake_queue(f, 0, 16);
  uint64_t b = fake_alloc(f, 8);
  fake_seg s = {b, 8, true};
  fake_add(f, 0, &s, 1);
  fake_kick(f, 0);
  uint32_t id, len;
  assert_false(fake_used(f, 0, &id, &len));
  fake_wr(f, 0x70, 1 | 2 | 8 | 4);
  fake_kick(f, 0);
  assert_true(fake_used(f, 0, &id, &len));
}

static void test_odd_accesses(void **state) {
  fake *f = *state;
  uint8_t d[8];
  memset(d, 0xff, sizeof d);
  vmm_virtio_mmio_access(f->dev, 0x00, d, 2, false); /* registers are 32-bit */
  assert_int_equal(d[0] | d[1], 0);
  memset(d, 0xff, sizeof d);
  vmm_virtio_mmio_access(f->dev, 0x02, d, 4, false); /* misaligned */
  assert_int_equal(d[0] | d[1] | d[2] | d[3], 0);
  memset(d, 0xff, sizeof d);
  vmm_virtio_mmio_access(f->dev, 0x100, d, 8, false); /* rng has no config */
  for (int i = 0; i < 8; i++)
    assert_int_equal(d[i], 0);
  vmm_virtio_mmio_access(f->dev, 0xff8, d, 8, true); /* ignored */
  vmm_virtio_mmio_access(f->dev, UINT64_MAX - 3, d, 4, false);
  assert_int_equal(d[0], 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refuses_legacy_driver, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refuses_unoffered_feature, setup, teardown),
      cmocka_unit_test_setup_teardown(test_zero_queue_size, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_ring_then_reset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue_regs_locked_when_ready, setup, teardown),
      cmocka_unit_test_setup_teardown(test_notify_before_driver_ok, setup, teardown),
      cmocka_unit_test_setup_teardown(test_odd_accesses, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
