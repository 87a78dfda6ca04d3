/*
 * test_vmm_virtio_queue.c - the split-virtqueue walker (queue.h) over a
 * fake guest memory: normal chains, and every malformed shape a guest can
 * build (loops, bad indices and addresses, zero or odd sizes, lengths past
 * memory, avail index jumps, mixed directions, indirect, oversize chains),
 * each refused without a hang.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <cmocka.h>

#include "fake_driver.h"
#include "queue.h"

typedef struct {
  fake f;
  vmm_vq q;
  vmm_vq_chain c;
} qt;

static int setup(void **state) {
  static qt t;
  memset(&t.q, 0, sizeof t.q);
  fake_init(&t.f);
  fake_q *fq = &t.f.q[0];
  fq->size = 16, fq->desc = 0x1000, fq->avail = 0x2000, fq->used = 0x3000;
  vmm_vq_reset(&t.q, 256);
  t.q.size = 16, t.q.desc_gpa = 0x1000, t.q.avail_gpa = 0x2000, t.q.used_gpa = 0x3000;
  assert_int_equal(vmm_vq_activate(&t.q, &t.f.mem, 256), 0);
  *state = &t;
  return 0;
}

static int teardown(void **state) {
  qt *t = *state;
  t->f.dev = NULL;
  fake_fini(&t->f);
  return 0;
}

/* A fresh queue within one test (the previous memory freed). */
static qt *again(void **state) {
  teardown(state);
  setup(state);
  return *state;
}

static void test_normal_chain(void **state) {
  qt *t = *state;
  uint64_t a = fake_alloc(&t->f, 100), b = fake_alloc(&t->f, 50), w = fake_alloc(&t->f, 64);
  memset(fake_ptr(&t->f, a), 'a', 100);
  memset(fake_ptr(&t->f, b), 'b', 50);
  fake_seg s[3] = {{a, 100, false}, {b, 50, false}, {w, 64, true}};
  assert_false(vmm_vq_has_avail(&t->q));
  uint16_t head = fake_add(&t->f, 0, s, 3);
  assert_true(vmm_vq_has_avail(&t->q));
  assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), 1);
  assert_int_equal(t->c.head, head);
  assert_int_equal(t->c.n_out, 2);
  assert_int_equal(t->c.n_in, 1);
  assert_int_equal(t->c.out_len, 150);
  assert_int_equal(t->c.in_len, 64);
  char buf[150];
  assert_int_equal(vmm_vq_read(&t->c, 95, buf, 10), 10);
  assert_memory_equal(buf, "aaaaabbbbb", 10);
  assert_int_equal(vmm_vq_read(&t->c, 140, buf, 100), 10); /* clipped at the end */
  assert_int_equal(vmm_vq_write(&t->c, 60, "0123456789", 10), 4);
  assert_memory_equal((char *)fake_ptr(&t->f, w) + 60, "0123", 4);
  struct iovec iov[4];
  assert_int_equal(vmm_vq_iov(&t->c, false, 99, 2, iov, 4), 2);
  assert_int_equal(iov[0].iov_len, 1);
  assert_int_equal(iov[1].iov_len, 1);
  vmm_vq_push(&t->q, head, 4);
  uint32_t id, len;
  assert_true(fake_used(&t->f, 0, &id, &len));
  assert_int_equal(id, head);
  assert_int_equal(len, 4);
  assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), 0); /* empty */
}

static void test_wraps_many(void **state) {
  qt *t = *state;
  uint64_t w = fake_alloc(&t->f, 16);
  for (int i = 0; i < 100000; i++) { /* the 16-bit indices wrap */
    fake_seg s = {w, 16, true};
    uint16_t head = fake_add(&t->f, 0, &s, 1);
    assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), 1);
    assert_int_equal(t->c.head, head);
    vmm_vq_push(&t->q, head, 16);
    uint32_t id, len;
    assert_true(fake_used(&t->f, 0, &id, &len));
    assert_int_equal(id, head);
  }
}

static void test_full_ring_ok(void **state) {
  qt *t = *state;
  uint64_t w = fake_alloc(&t->f, 16);
  fake_seg s = {w, 16, true};
  for (int i = 0; i < 16; i++)
    fake_add(&t->f, 0, &s, 1); /* exactly size ahead */
  for (int i = 0; i < 16; i++)
    assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), 1);
  assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), 0);
  assert_false(t->q.broken);
}

static void expect_broken(qt *t) {
  assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), -EIO);
  assert_true(t->q.broken);
  assert_false(vmm_vq_has_avail(&t->q));
  assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), -EIO); /* stays broken */
}

static void test_descriptor_loop(void **state) {
  qt *t = *state;
  uint64_t b = fake_alloc(&t->f, 8);
  fake_desc(&t->f, 0, 0, b, 8, 1, 1);
  fake_desc(&t->f, 0, 1, b, 8, 1, 0); /* 0 -> 1 -> 0 ... */
  fake_add_head(&t->f, 0, 0);
  expect_broken(t);
}

static void test_self_loop(void **state) {
  qt *t = *state;
  uint64_t b = fake_alloc(&t->f, 8);
  fake_desc(&t->f, 0, 3, b, 8, 1, 3);
  fake_add_head(&t->f, 0, 3);
  expect_broken(t);
}

static void test_chain_of_size_ok(void **state) {
  qt *t = *state;
  uint64_t b = fake_alloc(&t->f, 8);
  for (uint16_t i = 0; i < 16; i++)
    fake_desc(&t->f, 0, i, b, 8, i < 15 ? 1 : 0, i + 1);
  fake_add_head(&t->f, 0, 0);
  assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), 1);
  assert_int_equal(t->c.n_out, 16);
}

static void test_bad_addresses(void **state) {
  qt *t = *state;
  fake_desc(&t->f, 0, 0, FAKE_MEM - 8, 16, 0, 0); /* length past the end */
  fake_add_head(&t->f, 0, 0);
  expect_broken(t);
  t = again(state);
  fake_desc(&t->f, 0, 0, UINT64_MAX - 4, 16, 0, 0); /* wraps */
  fake_add_head(&t->f, 0, 0);
  expect_broken(t);
  t = again(state);
  fake_desc(&t->f, 0, 0, FAKE_MEM, 0, 2, 0); /* zero length at the end: valid */
  fake_add_head(&t->f, 0, 0);
  assert_int_equal(vmm_vq_pop(&t->q, &t->f.mem, &t->c), 1);
}

static void test_bad_indices(void **state) {
  qt *t = *state;
  fake_add_head(&t->f, 0, 16); /* head >= size */
  expect_broken(t);
  t = again(state);
  uint64_t b = fake_alloc(&t->f, 8);
  fake_desc(&t->f, 0, 0, b, 8, 1, 200); /* next >= size */
  fake_add_head(&t->f, 0, 0);
  expect_broken(t);
}

static void test_avail_jump(void **state) {
  qt *t = *state;
  uint8_t *a = fake_ptr(&t->f, 0x2000);
  uint16_t idx = 17; /* more than size ahead */
  memcpy(a + 2, &idx, 2);
  expect_broken(t);
  t = again(state);
  idx = 0xfff0;
  memcpy(fake_ptr(&t->f, 0x2000) + 2, &idx, 2);
  expect_broken(t);
}

static void test_bad_shapes(void **state) {
  qt *t = *state;
  uint64_t b = fake_alloc(&t->f, 8);
  fake_desc(&t->f, 0, 0, b, 8, 2 | 1, 1); /* writable, then readable */
  fake_desc(&t->f, 0, 1, b, 8, 0, 0);
  fake_add_head(&t->f, 0, 0);
  expect_broken(t);
  t = again(state);
  fake_desc(&t->f, 0, 0, b, 16, 4, 0); /* INDIRECT is not offered */
  fake_add_head(&t->f, 0, 0);
  expect_broken(t);
  t = again(state);
  uint64_t big = fake_alloc(&t->f, 700 * 1024);
  fake_desc(&t->f, 0, 0, big, 700 * 1024, 1, 1); /* 1.4 MiB > the chain cap */
  fake_desc(&t->f, 0, 1, big, 700 * 1024, 0, 0);
  fake_add_head(&t->f, 0, 0);
  expect_broken(t);
}

static void test_activate_bounds(void **state) {
  qt *t = *state;
  vmm_vq q;
  uint16_t sizes[] = {0, 3, 100, 512};
  for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    vmm_vq_reset(&q, 256);
    q.size = sizes[i], q.desc_gpa = 0x1000, q.avail_gpa = 0x2000, q.used_gpa = 0x3000;
    assert_int_equal(vmm_vq_activate(&q, &t->f.mem, 256), -EINVAL);
    assert_false(q.ready);
  }
  vmm_vq_reset(&q, 256);
  q.size = 256, q.desc_gpa = 0x1008, q.avail_gpa = 0x2000, q.used_gpa = 0x3000; /* misaligned */
  assert_int_equal(vmm_vq_activate(&q, &t->f.mem, 256), -EINVAL);
  q.desc_gpa = 0x1000, q.used_gpa = FAKE_MEM - 16; /* used ring past memory */
  assert_int_equal(vmm_vq_activate(&q, &t->f.mem, 256), -EINVAL);
  q.used_gpa = 0x3000;
  assert_int_equal(vmm_vq_activate(&q, &t->f.mem, 256), 0);
  assert_int_equal(vmm_vq_activate(&q, &t->f.mem, 128), 0 - EINVAL); /* above a smaller max */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_normal_chain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wraps_many, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_ring_ok, setup, teardown),
      cmocka_unit_test_setup_teardown(test_descriptor_loop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_self_loop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chain_of_size_ok, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_indices, setup, teardown),
      cmocka_unit_test_setup_teardown(test_avail_jump, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_shapes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_activate_bounds, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
