/*
 * tests/unit/plugin/test_call.c - vbx_call: error slot, cancellation from
 * either source, deadlines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/call.h"
#include "voidbox/voidbox.h"

static void test_error_slot(void **s) {
  (void)s;
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(c.code, 0);
  assert_string_equal(vbx__call_message(&c, VBX_E_NOMEM), vbx_strerror(VBX_E_NOMEM));
  assert_int_equal(vbx__call_fail(&c, VBX_E_INVAL, "model", "bad model %d", 3), VBX_E_INVAL);
  assert_int_equal(c.code, VBX_E_INVAL);
  assert_string_equal(c.field, "model");
  assert_string_equal(vbx__call_message(&c, VBX_E_INVAL), "bad model 3");
  vbx__call_fail(&c, VBX_E_IO, NULL, "%s", "x");
  assert_string_equal(c.field, "");
  char big[3000];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  vbx__call_fail(&c, VBX_E_IO, big, "%s", big); /* truncated, not overflowed */
  assert_int_equal(strlen(c.message), sizeof(c.message) - 1);
  assert_int_equal(strlen(c.field), sizeof(c.field) - 1);
  vbx__call_clear(&c);
  assert_int_equal(c.code, 0);
  assert_string_equal(c.message, "");
  assert_int_equal(vbx__call_fail(NULL, VBX_E_IO, NULL, "ignored"), VBX_E_IO);
}

static void test_cancel_sources(void **s) {
  (void)s;
  vbx__cancel a, b;
  atomic_init(&a.cancelled, 0);
  atomic_init(&b.cancelled, 0);
  vbx_call c;
  vbx__call_init(&c, &a, &b, 0);
  assert_int_equal(vbx__call_stopped(&c), 0);
  vbx__cancel_set(&b);
  assert_true(vbx__cancel_is_set(&b));
  assert_false(vbx__cancel_is_set(&a));
  assert_int_equal(vbx__call_stopped(&c), 1);
  vbx__call_clear(&c); /* clearing keeps cancellation */
  assert_int_equal(vbx__call_stopped(&c), 1);
  vbx__call_init(&c, &a, NULL, 0);
  assert_int_equal(vbx__call_stopped(&c), 0);
  vbx__cancel_set(&a);
  assert_int_equal(vbx__call_stopped(&c), 1);
  assert_int_equal(vbx__call_stopped(NULL), 0);
  assert_false(vbx__cancel_is_set(NULL));
}

static void test_deadline(void **s) {
  (void)s;
  vbx_call c;
  uint64_t now = vbx__now_ns();
  vbx__call_init(&c, NULL, NULL, now + 60ull * 1000000000ull);
  assert_int_equal(vbx__call_stopped(&c), 0);
  vbx__call_init(&c, NULL, NULL, now - 1);
  assert_int_equal(vbx__call_stopped(&c), 1);
  assert_true(vbx__now_ns() >= now);
  assert_true(vbx__wall_ns() > 1600000000ull * 1000000000ull); /* after 2020 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_slot),
      cmocka_unit_test(test_cancel_sources),
      cmocka_unit_test(test_deadline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
