/*
 * test_vmm_virtio_rng.c - virtio-rng through its MMIO registers: buffers
 * are filled with random bytes, requests are capped at VMM_RNG_MAX_REQ,
 * multi-descriptor chains are filled across descriptors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_driver.h"
#include "rng.h"

static int setup(void **state) {
  static fake f;
  char err[256];
  fake_init(&f);
  assert_int_equal(vmm_virtio_rng_create(&f.mem, fake_irq(&f), &f.dev, err, sizeof err), 0);
  assert_int_equal(fake_rd(&f, 0x08), 4);
  assert_int_equal(fake_setup(&f, 0, 1, 64), 1 | 2 | 4 | 8);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fake_fini(*state);
  return 0;
}

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

static void test_fill(void **state) {
  fake *f = *state;
  uint64_t a = fake_alloc(f, 64), b = fake_alloc(f, 64);
  fake_seg s1 = {a, 64, true}, s2 = {b, 64, true};
  fake_add(f, 0, &s1, 1);
  fake_add(f, 0, &s2, 1);
  fake_kick(f, 0);
  uint32_t id, len;
  assert_true(fake_used(f, 0, &id, &len));
  assert_int_equal(len, 64);
  assert_true(fake_used(f, 0, &id, &len));
  assert_int_equal(len, 64);
  assert_false(fake_used(f, 0, &id, &len));
  assert_false(all_zero(fake_ptr(f, a), 64));
  assert_memory_not_equal(fake_ptr(f, a), fake_ptr(f, b), 64);
  assert_true(f->irqs >= 1);
  assert_int_equal(fake_rd(f, 0x60) & 1, 1);
  fake_wr(f, 0x64, 1);
  assert_int_equal(fake_rd(f, 0x60) & 1, 0);
}

static void test_capped_and_split(void **state) {
  fake *f = *state;
  uint64_t big = fake_alloc(f, 3 * VMM_RNG_MAX_REQ);
  fake_seg s = {big, 3 * VMM_RNG_MAX_REQ, true};
  fake_add(f, 0, &s, 1);
  fake_kick(f, 0);
  uint32_t id, len;
  assert_true(fake_used(f, 0, &id, &len));
  assert_int_equal(len, VMM_RNG_MAX_REQ);
  assert_true(all_zero((uint8_t *)fake_ptr(f, big) + VMM_RNG_MAX_REQ, 2 * VMM_RNG_MAX_REQ));
  uint64_t x = fake_alloc(f, 8), y = fake_alloc(f, 56);
  fake_seg two[2] = {{x, 8, true}, {y, 56, true}};
  fake_add(f, 0, two, 2);
  fake_kick(f, 0);
  assert_true(fake_used(f, 0, &id, &len));
  assert_int_equal(len, 64);
  assert_false(all_zero(fake_ptr(f, y), 56));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fill, setup, teardown),
      cmocka_unit_test_setup_teardown(test_capped_and_split, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
