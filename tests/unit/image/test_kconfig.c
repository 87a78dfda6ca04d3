/*
 * test_kconfig.c - fragment parsing and the "no silent drift" check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "image/kconfig.h"
#include "voidbox/errors.h"

static const char fragment[] =
    "# a comment\n"
    "CONFIG_SMP=y\n"
    "CONFIG_NR_CPUS=8\n"
    "\n"
    "# CONFIG_PCI is not set\n"
    "CONFIG_VIRTIO_MMIO=y\n"
    "CONFIG_CMDLINE=\"console=ttyS0\"\n"
    "# CONFIG_ACPI is not set\n";

static void test_parse_fragment(void **state) {
  (void)state;
  vbx__kconfig k = {0};
  vbx_error err = {0};
  assert_int_equal(vbx__kconfig_parse(fragment, strlen(fragment), "frag", 1, &k, &err), 0);
  assert_int_equal(k.n, 6);
  assert_string_equal(k.opts[0].name, "CONFIG_SMP");
  assert_string_equal(k.opts[0].value, "y");
  assert_int_equal(k.opts[0].line, 2);
  assert_null(k.opts[2].value); /* PCI is not set */
  assert_int_equal(k.opts[2].line, 5);
  int present;
  assert_string_equal(vbx__kconfig_get(&k, "CONFIG_CMDLINE", &present), "\"console=ttyS0\"");
  assert_null(vbx__kconfig_get(&k, "CONFIG_ACPI", &present));
  assert_int_equal(present, 1);
  assert_null(vbx__kconfig_get(&k, "CONFIG_NOPE", &present));
  assert_int_equal(present, 0);
  vbx__kconfig_free(&k);
  assert_int_equal(k.n, 0);
}

static void test_parse_errors(void **state) {
  (void)state;
  vbx__kconfig k = {0};
  vbx_error err = {0};
  const char dup[] = "CONFIG_A=y\nCONFIG_B=y\n# CONFIG_A is not set\n";
  assert_int_equal(vbx__kconfig_parse(dup, strlen(dup), "frag", 1, &k, &err), VBX_E_SPEC);
  assert_non_null(strstr(err.message, "frag:3: CONFIG_A already set on line 1"));
  const char junk[] = "CONFIG_A=y\nSMP=y\n";
  assert_int_equal(vbx__kconfig_parse(junk, strlen(junk), "frag", 1, &k, &err), VBX_E_SPEC);
  assert_non_null(strstr(err.message, "frag:2:"));
  const char empty_val[] = "CONFIG_A=\n";
  assert_int_equal(vbx__kconfig_parse(empty_val, strlen(empty_val), "f", 1, &k, &err), VBX_E_SPEC);
  /* non-strict (a generated .config) skips what it does not understand */
  assert_int_equal(vbx__kconfig_parse(junk, strlen(junk), "cfg", 0, &k, &err), 0);
  assert_int_equal(k.n, 1);
  vbx__kconfig_free(&k);
}

static void test_verify_reports_drift(void **state) {
  (void)state;
  vbx__kconfig want = {0}, have = {0};
  vbx_error err = {0};
  const char final[] =
      "#\n# Automatically generated file; DO NOT EDIT.\n"
      "CONFIG_SMP=y\n"
      "CONFIG_NR_CPUS=64\n"               /* wrong value */
      "CONFIG_PCI=y\n"                    /* should be off */
      "# CONFIG_VIRTIO_MMIO is not set\n" /* dropped */
      "CONFIG_CMDLINE=\"console=ttyS0\"\n";
  /* CONFIG_ACPI absent: fine, "not set" */
  assert_int_equal(vbx__kconfig_parse(fragment, strlen(fragment), "frag", 1, &want, &err), 0);
  assert_int_equal(vbx__kconfig_parse(final, strlen(final), ".config", 0, &have, &err), 0);
  vbx__strbuf r = VBX__STRBUF_INIT;
  assert_int_equal(vbx__kconfig_verify(&want, &have, &r), 3);
  assert_non_null(strstr(r.data, "CONFIG_NR_CPUS: wanted 8, got 64 (fragment line 3)\n"));
  assert_non_null(strstr(r.data, "CONFIG_PCI: wanted is not set, got y (fragment line 5)\n"));
  assert_non_null(
      strstr(r.data, "CONFIG_VIRTIO_MMIO: wanted y, got is not set (fragment line 6)\n"));
  assert_null(strstr(r.data, "CONFIG_SMP"));
  assert_null(strstr(r.data, "CONFIG_ACPI"));
  vbx__strbuf_reset(&r);
  /* an option missing entirely from .config is reported as absent */
  const char missing[] = "CONFIG_SMP=y\n";
  vbx__kconfig_free(&have);
  assert_int_equal(vbx__kconfig_parse(missing, strlen(missing), ".config", 0, &have, &err), 0);
  assert_int_equal(vbx__kconfig_verify(&want, &have, &r), 3);
  assert_non_null(strstr(r.data, "CONFIG_NR_CPUS: wanted 8, got absent"));
  vbx__strbuf_reset(&r);
  /* the fragment against itself: nothing unmet */
  assert_int_equal(vbx__kconfig_verify(&want, &want, NULL), 0);
  vbx__kconfig_free(&want);
  vbx__kconfig_free(&have);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_fragment),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_verify_reports_drift),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
