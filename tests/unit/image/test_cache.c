/*
 * test_cache.c - kernel cache key and cache directory resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/cache.h"
#include "voidbox/errors.h"

static vbx__kernel_key_input base(void) {
  vbx__kernel_key_input in = {"CONFIG_SMP=y\n", 13,         "/usr/src/linux-source-6.1.tar.xz",
                              138008000,        1764177120, "1"};
  return in;
}

static void key_of(const vbx__kernel_key_input *in, char hex[VBX__SHA256_HEX]) {
  vbx__image_kernel_key(in, hex);
  assert_int_equal(strlen(hex), 64);
}

static void test_key_is_the_documented_digest(void **state) {
  (void)state;
  vbx__kernel_key_input in = base();
  char key[VBX__SHA256_HEX], frag[VBX__SHA256_HEX], want[VBX__SHA256_HEX], text[512];
  key_of(&in, key);
  vbx__sha256_buf_hex(in.fragment, in.fragment_len, frag);
  snprintf(text, sizeof(text),
           "voidbox-kernel-key\nbuilder=1\nfragment-sha256=%s\ntarball=%s\n"
           "tarball-size=138008000\ntarball-mtime=1764177120\n",
           frag, in.tarball_path);
  vbx__sha256_buf_hex(text, strlen(text), want);
  assert_string_equal(key, want);
}

static void test_key_changes_with_each_input(void **state) {
  (void)state;
  vbx__kernel_key_input in = base();
  char k0[VBX__SHA256_HEX], k[VBX__SHA256_HEX];
  key_of(&in, k0);
  key_of(&in, k);
  assert_string_equal(k0, k); /* stable */

  in = base(), in.fragment = "CONFIG_SMP=n\n";
  key_of(&in, k);
  assert_string_not_equal(k0, k);
  in = base(), in.fragment_len = 12; /* same bytes, one shorter */
  key_of(&in, k);
  assert_string_not_equal(k0, k);
  in = base(), in.tarball_path = "/usr/src/linux-source-6.2.tar.xz";
  key_of(&in, k);
  assert_string_not_equal(k0, k);
  in = base(), in.tarball_size++;
  key_of(&in, k);
  assert_string_not_equal(k0, k);
  in = base(), in.tarball_mtime++;
  key_of(&in, k);
  assert_string_not_equal(k0, k);
  in = base(), in.builder_version = "2";
  key_of(&in, k);
  assert_string_not_equal(k0, k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_is_the_documented_digest),
      cmocka_unit_test(test_key_changes_with_each_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
