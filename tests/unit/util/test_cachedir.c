/*
 * test_cachedir.c - core/util's cache directories: the image cache (the
 * explicit directory, then VOIDBOX_CACHE_DIR, XDG_CACHE_HOME (absolute
 * only), HOME) and its siblings (the same without VOIDBOX_CACHE_DIR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "util/cachedir.h"
#include "voidbox/errors.h"

static void test_cache_dir_precedence(void **state) {
  (void)state;
  char out[512];
  setenv("HOME", "/home/u", 1);
  unsetenv("XDG_CACHE_HOME");
  unsetenv("VOIDBOX_CACHE_DIR");
  assert_int_equal(vbx__cache_dir(NULL, out, sizeof(out)), 0);
  assert_string_equal(out, "/home/u/.cache/voidbox/images");
  setenv("XDG_CACHE_HOME", "relative/ignored", 1); /* XDG says: absolute only */
  assert_int_equal(vbx__cache_dir(NULL, out, sizeof(out)), 0);
  assert_string_equal(out, "/home/u/.cache/voidbox/images");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  assert_int_equal(vbx__cache_dir(NULL, out, sizeof(out)), 0);
  assert_string_equal(out, "/xdg/voidbox/images");
  setenv("VOIDBOX_CACHE_DIR", "/vb", 1);
  assert_int_equal(vbx__cache_dir(NULL, out, sizeof(out)), 0);
  assert_string_equal(out, "/vb");
  assert_int_equal(vbx__cache_dir("/explicit", out, sizeof(out)), 0);
  assert_string_equal(out, "/explicit");
  unsetenv("VOIDBOX_CACHE_DIR");
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  assert_int_equal(vbx__cache_dir(NULL, out, sizeof(out)), VBX_E_NOTFOUND);
  assert_int_equal(vbx__cache_dir("/a/very/long/path", out, 8), VBX_E_TOOBIG);
}

static void test_cache_subdir_precedence(void **state) {
  (void)state;
  char out[512];
  setenv("HOME", "/home/u", 1);
  unsetenv("XDG_CACHE_HOME");
  setenv("VOIDBOX_CACHE_DIR", "/vb", 1); /* the image cache only */
  assert_int_equal(vbx__cache_subdir("skills", NULL, out, sizeof(out)), 0);
  assert_string_equal(out, "/home/u/.cache/voidbox/skills");
  setenv("XDG_CACHE_HOME", "relative/ignored", 1);
  assert_int_equal(vbx__cache_subdir("skills", "", out, sizeof(out)), 0);
  assert_string_equal(out, "/home/u/.cache/voidbox/skills");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  assert_int_equal(vbx__cache_subdir("skills", NULL, out, sizeof(out)), 0);
  assert_string_equal(out, "/xdg/voidbox/skills");
  assert_int_equal(vbx__cache_subdir("skills", "/explicit", out, sizeof(out)), 0);
  assert_string_equal(out, "/explicit");
  unsetenv("VOIDBOX_CACHE_DIR");
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  assert_int_equal(vbx__cache_subdir("skills", NULL, out, sizeof(out)), VBX_E_NOTFOUND);
  assert_int_equal(vbx__cache_subdir("skills", "/a/very/long/path", out, 8), VBX_E_TOOBIG);
  setenv("HOME", "/home/u", 1);
  assert_int_equal(vbx__cache_subdir("skills", NULL, out, 10), VBX_E_TOOBIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cache_dir_precedence),
      cmocka_unit_test(test_cache_subdir_precedence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
