/*
 * test_manifest.c - the initramfs tree (sorting, parent checks) and the
 * manifest document describing it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "image/manifest.h"
#include "image/tree.h"
#include "voidbox/errors.h"

static void build_tree(vbx__tree *t) {
  assert_int_equal(vbx__tree_add_file(t, "init", 0755, "ELF", 3), 0);
  assert_int_equal(vbx__tree_add_dirs(t, "usr/bin", 0755), 0);
  assert_int_equal(vbx__tree_add_symlink(t, "usr/bin/wc", "/bin/busybox"), 0);
  assert_int_equal(vbx__tree_add_dirs(t, "bin", 0755), 0);
  assert_int_equal(vbx__tree_add_file(t, "bin/busybox", 0755, "BB", 2), 0);
  assert_int_equal(vbx__tree_add_dirs(t, "dev", 0755), 0);
  assert_int_equal(vbx__tree_add_chardev(t, "dev/console", 0600, 5, 1), 0);
  assert_int_equal(vbx__tree_add_dirs(t, "home", 0755), 0);
  assert_int_equal(vbx__tree_add_dir(t, "home/sandbox", 0755, 1000, 1000), 0);
}

static void test_tree_sorted_and_checked(void **state) {
  (void)state;
  vbx__tree t = {0};
  vbx_error err = {0};
  build_tree(&t);
  assert_int_equal(vbx__tree_finalize(&t, &err), 0);
  const char *order[] = {"bin",          "bin/busybox", "dev", "dev/console", "home",
                         "home/sandbox", "init",        "usr", "usr/bin",     "usr/bin/wc"};
  assert_int_equal(t.n, 10);
  for (size_t i = 0; i < t.n; i++)
    assert_string_equal(t.e[i].name, order[i]);
  /* a missing parent is refused, naming the entry */
  assert_int_equal(vbx__tree_add_file(&t, "etc/passwd", 0644, "x", 1), 0);
  assert_int_equal(vbx__tree_finalize(&t, &err), VBX_E_INVAL);
  assert_non_null(strstr(err.message, "'etc/passwd' has no parent directory 'etc'"));
  vbx__tree_free(&t);
  /* so is a duplicate */
  build_tree(&t);
  assert_int_equal(vbx__tree_add_file(&t, "init", 0755, "ELF", 3), 0);
  assert_int_equal(vbx__tree_finalize(&t, &err), VBX_E_INVAL);
  assert_non_null(strstr(err.message, "'init' added twice"));
  vbx__tree_free(&t);
}

static void test_manifest_shape(void **state) {
  (void)state;
  vbx__tree t = {0};
  vbx_error err = {0};
  build_tree(&t);
  assert_int_equal(vbx__tree_finalize(&t, &err), 0);
  vbx__kernel_result k = {0};
  strcpy(k.key, "k1");
  strcpy(k.release, "6.1.0");
  strcpy(k.fragment_sha256, "f1");
  strcpy(k.config_sha256, "c1");
  vbx__manifest_input in = {&t,
                            "initramfs-0123.cpio",
                            "0123abc",
                            1024,
                            &k,
                            "/a/agent",
                            "aa",
                            "/bin/busybox",
                            "BusyBox v1.35.0",
                            "/etc/ssl/ca.crt"};
  json_t *m = vbx__image_manifest(&in);
  assert_non_null(m);
  assert_string_equal(json_string_value(json_object_get(m, "format")),
                      "voidbox-initramfs-manifest");
  assert_int_equal(json_integer_value(json_object_get(m, "source_date_epoch")), 0);
  json_t *ir = json_object_get(m, "initramfs");
  assert_string_equal(json_string_value(json_object_get(ir, "sha256")), "0123abc");
  assert_string_equal(json_string_value(json_object_get(ir, "format")), "newc");
  assert_int_equal(json_integer_value(json_object_get(ir, "size")), 1024);
  assert_int_equal(json_integer_value(json_object_get(ir, "entries")), 10);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(m, "kernel"), "config_sha256")), "c1");
  json_t *files = json_object_get(m, "files");
  assert_int_equal(json_array_size(files), 10);
  json_t *bb = json_array_get(files, 1);
  assert_string_equal(json_string_value(json_object_get(bb, "path")), "/bin/busybox");
  assert_string_equal(json_string_value(json_object_get(bb, "type")), "file");
  assert_string_equal(json_string_value(json_object_get(bb, "mode")), "0755");
  assert_int_equal(json_integer_value(json_object_get(bb, "size")), 2);
  char sha[VBX__SHA256_HEX];
  vbx__sha256_buf_hex("BB", 2, sha);
  assert_string_equal(json_string_value(json_object_get(bb, "sha256")), sha);
  json_t *con = json_array_get(files, 3);
  assert_string_equal(json_string_value(json_object_get(con, "type")), "chardev");
  assert_string_equal(json_string_value(json_object_get(con, "rdev")), "5:1");
  assert_string_equal(json_string_value(json_object_get(con, "mode")), "0600");
  json_t *home = json_array_get(files, 5);
  assert_int_equal(json_integer_value(json_object_get(home, "uid")), 1000);
  json_t *wc = json_array_get(files, 9);
  assert_string_equal(json_string_value(json_object_get(wc, "target")), "/bin/busybox");
  assert_null(json_object_get(wc, "sha256"));
  /* deterministic: same inputs, same text */
  char *a = json_dumps(m, JSON_PRESERVE_ORDER);
  json_t *m2 = vbx__image_manifest(&in);
  char *b = json_dumps(m2, JSON_PRESERVE_ORDER);
  assert_string_equal(a, b);
  free(a);
  free(b);
  json_decref(m2);
  json_decref(m);
  /* no kernel: null */
  in.kernel = NULL;
  m = vbx__image_manifest(&in);
  assert_true(json_is_null(json_object_get(m, "kernel")));
  json_decref(m);
  vbx__tree_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tree_sorted_and_checked),
      cmocka_unit_test(test_manifest_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
