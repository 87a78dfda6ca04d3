/*
 * tests/abi/test_abi_load.c - loader conformance: each fixture plugin in
 * fixtures/ breaks (or keeps) one rule, and the loader must report it by
 * name with both values, leave nothing loaded, and never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/plugin_dir.h"
#include "plugin/registry.h"
#include "runtime.h"

#define FX(name) VBX_ABI_FIXTURE_DIR "/" name ".so"

static char logbuf[16384];

static void capture(void *user, vbx_log_level level, const char *origin, const char *msg) {
  (void)user;
  size_t n = strlen(logbuf);
  snprintf(logbuf + n, sizeof(logbuf) - n, "[%d %s] %s\n", (int)level, origin, msg);
}

static vbx__registry *new_reg(void) {
  vbx__logger log = {VBX_LOG_TRACE, capture, NULL, 0};
  vbx__registry *reg = NULL;
  logbuf[0] = '\0';
  assert_int_equal(vbx__registry_new(&log, NULL, &reg), 0);
  return reg;
}

static void expect_has(const char *hay, const char *needle) {
  if (strstr(hay, needle) == NULL) fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* Load one fixture into a fresh registry; it must fail with code and a
 * message holding every needle; nothing may stay loaded. */
static void expect_refused(const char *path, int code, const char *n1, const char *n2) {
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  int rc = vbx__registry_load(reg, path, &err);
  if (rc != code) fail_msg("%s: got %d (%s), want %d", path, rc, err.message, code);
  assert_int_equal(err.code, code);
  expect_has(err.message, path);
  if (n1) expect_has(err.message, n1);
  if (n2) expect_has(err.message, n2);
  assert_null(vbx__registry_plugin_at(reg, 0));
  vbx__registry_free(reg);
}

static void test_good_plugin(void **s) {
  (void)s;
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  int rc = vbx__registry_load(reg, FX("good"), &err);
  if (rc) fail_msg("%s", err.message);
  const vbx__plugin *p = vbx__registry_plugin_at(reg, 0);
  assert_non_null(p);
  assert_null(vbx__registry_plugin_at(reg, 1));
  assert_string_equal(vbx__plugin_name(p), "abi-good");
  assert_string_equal(vbx__plugin_version(p), "1.2.3");
  assert_string_equal(vbx__plugin_license(p), "MIT");
  assert_string_equal(vbx__plugin_description(p), "ABI fixture: one of each kind");
  const char *path = vbx__plugin_path(p);
  assert_true(path[0] == '/' && strstr(path, "/good.so") != NULL);
  const char *want[VBX_KIND_COUNT] = {"fx-skill", "fx-llm", "fx-sandbox", "fx-exporter"};
  for (int k = 0; k < VBX_KIND_COUNT; k++) {
    const vbx__impl *im = vbx__registry_find(reg, (vbx__kind)k, want[k]);
    assert_non_null(im);
    assert_ptr_equal(im->plugin, p);
    assert_int_equal(*(int *)im->plugin_state, 42);
    assert_ptr_equal(vbx__plugin_impl_at(p, (size_t)k), im);
    const char *const *names = vbx__registry_names(reg, (vbx__kind)k);
    assert_string_equal(names[0], want[k]);
    assert_null(names[1]);
  }
  assert_null(vbx__plugin_impl_at(p, 4));
  assert_null(vbx__registry_find(reg, VBX_KIND_SKILL, "fx-llm"));
  assert_string_equal(vbx__kind_name(VBX_KIND_EXPORTER), "exporter");
  const vbx_host_services *h = vbx__plugin_host(p);
  assert_int_equal(h->struct_size, sizeof(vbx_host_services));
  assert_int_equal(h->abi_major, VBX_ABI_MAJOR);
  vbx__registry_freeze(reg);
  rc = vbx__registry_load(reg, FX("older"), &err);
  assert_int_equal(rc, VBX_E_STATE);
  expect_has(err.message, "frozen");
  vbx__registry_free(reg);
  expect_has(logbuf, "fini abi-good state=42");
}

static void test_unload_reverse_order(void **s) {
  (void)s;
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  assert_int_equal(vbx__registry_load(reg, FX("good"), &err), 0);
  assert_int_equal(vbx__registry_load(reg, FX("older"), &err), 0);
  vbx__registry_free(reg);
  char *older = strstr(logbuf, "fini abi-older"), *good = strstr(logbuf, "fini abi-good");
  assert_non_null(older);
  assert_non_null(good);
  assert_true(older < good);
}

static void test_older_vtable(void **s) {
  (void)s;
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  int rc = vbx__registry_load(reg, FX("older"), &err);
  if (rc) fail_msg("%s", err.message);
  const vbx__impl *im = vbx__registry_find(reg, VBX_KIND_SKILL, "old-skill");
  assert_non_null(im);
  const vbx_skill_type_vtable *vt = im->vtable;
  assert_true(VBX_HAS_METHOD(vt, vbx_skill_type_vtable, provision));
  assert_false(VBX_HAS_METHOD(vt, vbx_skill_type_vtable, call_tool));
  im = vbx__registry_find(reg, VBX_KIND_SANDBOX, "old-sandbox");
  assert_non_null(im);
  const vbx_sandbox_backend_vtable *sb = im->vtable;
  assert_true(VBX_HAS_METHOD(sb, vbx_sandbox_backend_vtable, exec));
  assert_false(VBX_HAS_METHOD(sb, vbx_sandbox_backend_vtable, file_write));
  assert_false(VBX_HAS_METHOD(sb, vbx_sandbox_backend_vtable, file_read));
  vbx__registry_free(reg);
}

static void test_descriptor_checks(void **s) {
  (void)s;
  char minor[128];
  snprintf(minor, sizeof(minor), "plugin ABI minor %d is newer than host minor %d",
           VBX_ABI_MINOR + 1, VBX_ABI_MINOR);
  char major[64];
  snprintf(major, sizeof(major), "plugin ABI major 2, host %d", VBX_ABI_MAJOR);
  char fp[64];
  snprintf(fp, sizeof(fp), "host 0x%08x", (unsigned)VBX_ABI_FINGERPRINT);
  char ptr[64];
  snprintf(ptr, sizeof(ptr), "pointer size 4 vs %zu", sizeof(void *));
  expect_refused(FX("bad_magic"), VBX_E_ABI, "bad magic 0x12345678, expected 0x50584256", NULL);
  expect_refused(FX("abi_major2"), VBX_E_ABI, major, NULL);
  expect_refused(FX("newer_minor"), VBX_E_ABI, minor, NULL);
  expect_refused(FX("small_desc"), VBX_E_ABI, "descriptor struct_size 12 smaller than", NULL);
  expect_refused(FX("wrong_fp"), VBX_E_ABI, "layout fingerprint 0x56040401", fp);
  expect_refused(FX("wrong_fp"), VBX_E_ABI, ptr, NULL);
  expect_refused(FX("missing_license"), VBX_E_PLUGIN, "missing required string 'license'", NULL);
  expect_refused(FX("no_entry"), VBX_E_PLUGIN, "missing entry symbol 'vbx_plugin_entry_v1'",
                 "undefined symbol");
  expect_refused(VBX_ABI_FIXTURE_DIR "/nope.so", VBX_E_NOTFOUND, "cannot stat", NULL);
}

static void test_duplicate_plugin_name(void **s) {
  (void)s;
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  assert_int_equal(vbx__registry_load(reg, FX("dup_name_a"), &err), 0);
  int rc = vbx__registry_load(reg, FX("dup_name_b"), &err);
  assert_int_equal(rc, VBX_E_EXISTS);
  expect_has(err.message, "plugin name 'abi-dup' already loaded from ");
  expect_has(err.message, "/dup_name_a.so");
  assert_string_equal(vbx__plugin_version(vbx__registry_plugin_at(reg, 0)), "1.0.0");
  assert_null(vbx__registry_plugin_at(reg, 1));
  vbx__registry_free(reg);
}

static void test_duplicate_registration(void **s) {
  (void)s;
  expect_refused(FX("dup_reg"), VBX_E_EXISTS, "skill 'fx-dup' already registered by plugin",
                 "registration failed");
}

/* An in-process plugin that registers a name "good" already holds. */
static const vbx_skill_type_vtable clash_vt;
static int clash_create(void *st, const vbx_skill_config *c, vbx_call *call, void **out) {
  (void)st;
  (void)c;
  (void)call;
  *out = NULL;
  return 0;
}
static void clash_destroy(void *x) { (void)x; }
static const vbx_skill_type_vtable clash_vt = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "fx-skill",
    .description = "clash",
    .flags = 0,
    .validate = NULL,
    .create = clash_create,
    .destroy = clash_destroy,
    .provision = NULL,
    .call_tool = NULL,
};
static int clash_init(const vbx_host_services *h, const vbx_registrar *r, void **st) {
  (void)h;
  *st = NULL;
  return r->register_skill_type(r->reg, &clash_vt) == VBX_E_EXISTS ? 0 : VBX_E_GENERIC;
}
static const vbx_plugin_descriptor clash_desc = {VBX_PLUGIN_MAGIC,
                                                 VBX_ABI_MAJOR,
                                                 VBX_ABI_MINOR,
                                                 sizeof(vbx_plugin_descriptor),
                                                 VBX_ABI_FINGERPRINT,
                                                 "clash",
                                                 "1.0.0",
                                                 "MIT",
                                                 "clash",
                                                 clash_init,
                                                 NULL};
static const vbx_plugin_descriptor *clash_entry(void) { return &clash_desc; }

static void test_cross_plugin_clash(void **s) {
  (void)s;
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  assert_int_equal(vbx__registry_load(reg, FX("good"), &err), 0);
  int rc = vbx__registry_load_entry(reg, clash_entry, "in-process:clash", &err);
  assert_int_equal(rc, VBX_E_EXISTS);
  expect_has(err.message, "in-process:clash");
  expect_has(err.message, "skill 'fx-skill' already registered by plugin 'abi-good'");
  assert_null(vbx__registry_plugin_at(reg, 1));
  vbx__registry_free(reg);
}

static void test_register_outside_init(void **s) {
  (void)s;
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  assert_int_equal(vbx__registry_load(reg, FX("late_register"), &err), 0);
  vbx__registry_freeze(reg);
  const vbx__impl *im = vbx__registry_find(reg, VBX_KIND_SKILL, "fx-late");
  assert_non_null(im);
  const vbx_skill_type_vtable *vt = im->vtable;
  assert_int_equal(vt->validate(im->plugin_state, NULL, NULL), VBX_E_STATE);
  expect_has(logbuf, "register_skill_type called outside init()");
  assert_null(vbx__registry_find(reg, VBX_KIND_SKILL, "fx-late2"));
  vbx__registry_free(reg);
}

static void test_init_failure(void **s) {
  (void)s;
  expect_refused(FX("init_fail"), VBX_E_PLUGIN, "init failed: VBX_E_INVAL",
                 "api_key: fixture init refuses: no key configured");
  expect_refused(FX("bad_vtable"), VBX_E_PLUGIN, "vtable struct_size", "smaller than");
}

static void copy_file(const char *from, const char *to) {
  char cmd[1024];
  snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
  assert_int_equal(system(cmd), 0);
}

static void test_file_checks(void **s) {
  (void)s;
  char dir[] = "/tmp/vbx-abi-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char so[256];
  snprintf(so, sizeof(so), "%s/copy.so", dir);
  copy_file(FX("good"), so);
  assert_int_equal(chmod(so, 0666), 0);
  expect_refused(so, VBX_E_PERM, "group- or world-writable", "mode 0666");
  assert_int_equal(chmod(so, 0620), 0);
  expect_refused(so, VBX_E_PERM, "mode 0620", NULL);
  assert_int_equal(chmod(so, 0755), 0);
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  assert_int_equal(vbx__registry_load(reg, so, &err), 0);
  vbx__registry_free(reg);
  expect_refused(dir, VBX_E_PERM, "not a regular file", "mode 040");
  unlink(so);
  rmdir(dir);
}

/* The same file named twice (the plugin directory and --plugin, or a
 * symlink to it) is one plugin; another file with that name stays refused. */
static void test_same_file_twice(void **s) {
  (void)s;
  char dir[] = "/tmp/vbx-abi-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char so[256], link[256];
  snprintf(so, sizeof(so), "%s/good.so", dir);
  snprintf(link, sizeof(link), "%s/link.so", dir);
  copy_file(FX("good"), so);
  assert_int_equal(symlink(so, link), 0);
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  assert_int_equal(vbx__registry_load(reg, so, &err), 0);
  assert_int_equal(vbx__registry_load(reg, so, &err), 0);
  assert_int_equal(vbx__registry_load(reg, link, &err), 0);
  expect_has(logbuf, "already loaded from this file");
  assert_non_null(vbx__registry_plugin_at(reg, 0));
  assert_null(vbx__registry_plugin_at(reg, 1));
  /* A copy is another file: the plugin name clashes. */
  assert_int_equal(vbx__registry_load(reg, FX("good"), &err), VBX_E_EXISTS);
  expect_has(err.message, "plugin name 'abi-good' already loaded from ");
  vbx__registry_free(reg);
  unlink(link);
  unlink(so);
  rmdir(dir);
}

static void test_load_dir(void **s) {
  (void)s;
  char dir[] = "/tmp/vbx-abi-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char a[256], b[256], t[256];
  snprintf(a, sizeof(a), "%s/b-good.so", dir);
  snprintf(b, sizeof(b), "%s/a-older.so", dir);
  snprintf(t, sizeof(t), "%s/readme.txt", dir);
  copy_file(FX("good"), a);
  copy_file(FX("older"), b);
  copy_file(FX("bad_magic"), t); /* not *.so: ignored */
  vbx__registry *reg = new_reg();
  vbx_error err = {0};
  /* Whoever may write to the directory may add a plugin: refused. */
  assert_int_equal(chmod(dir, 0777), 0);
  assert_int_equal(vbx__registry_load_dir(reg, dir, &err), VBX_E_PERM);
  expect_has(err.message, "group- or world-writable plugin directory (mode 0777)");
  assert_int_equal(chmod(dir, 0775), 0);
  assert_int_equal(vbx__registry_load_dir(reg, dir, &err), VBX_E_PERM);
  assert_null(vbx__registry_plugin_at(reg, 0));
  assert_int_equal(chmod(dir, 0755), 0);
  int rc = vbx__registry_load_dir(reg, dir, &err);
  if (rc) fail_msg("%s", err.message);
  assert_string_equal(vbx__plugin_name(vbx__registry_plugin_at(reg, 0)), "abi-older");
  assert_string_equal(vbx__plugin_name(vbx__registry_plugin_at(reg, 1)), "abi-good");
  assert_null(vbx__registry_plugin_at(reg, 2));
  vbx__registry_free(reg);
  reg = new_reg();
  assert_int_equal(vbx__registry_load_dir(reg, "/nonexistent/vbx-plugins", &err), VBX_E_NOTFOUND);
  assert_non_null(strstr(err.message, "/nonexistent/vbx-plugins"));
  assert_null(vbx__registry_plugin_at(reg, 0));
  vbx__registry_free(reg);
  unlink(a);
  unlink(b);
  unlink(t);
  rmdir(dir);
}

static void test_runtime(void **s) {
  (void)s;
  const char *paths[] = {FX("good"), NULL};
  const char *config[] = {"answer=42", NULL};
  vbx_runtime_options o;
  memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.plugin_paths = paths;
  o.skip_plugin_dir = 1;
  o.log_level_set = 1;
  o.log_level = VBX_LOG_INFO;
  o.log_fn = capture;
  o.config = config;
  logbuf[0] = '\0';
  vbx_runtime *rt = NULL;
  vbx_error err = {0};
  int rc = vbx_runtime_new(&o, &rt, &err);
  if (rc) fail_msg("%s", err.message);
  const vbx__impl *im = vbx__registry_find(rt->reg, VBX_KIND_LLM, "fx-llm");
  assert_non_null(im);
  const vbx_host_services *h = vbx__plugin_host(im->plugin);
  assert_string_equal(h->config_get(h->ctx, "answer"), "42");
  assert_int_equal(vbx__cancel_is_set(&rt->cancel), 0);
  vbx_runtime_cancel(rt);
  assert_int_equal(vbx__cancel_is_set(&rt->cancel), 1);
  vbx__runtime_log(rt, VBX_LOG_WARN, "hello %d", 7);
  vbx__runtime_log(rt, VBX_LOG_DEBUG, "filtered");
  expect_has(logbuf, "[3 voidbox] hello 7");
  assert_null(strstr(logbuf, "filtered"));
  vbx_runtime_free(rt);
  expect_has(logbuf, "fini abi-good");
  assert_true(strlen(vbx_version()) >= 5);

  /* A failing plugin: nothing is kept, err names it, good's fini ran. */
  const char *bad[] = {FX("good"), FX("bad_magic"), NULL};
  o.plugin_paths = bad;
  logbuf[0] = '\0';
  rc = vbx_runtime_new(&o, &rt, &err);
  assert_int_equal(rc, VBX_E_ABI);
  assert_null(rt);
  expect_has(err.message, "bad_magic.so: bad magic");
  expect_has(logbuf, "fini abi-good");

  /* plugin_dir override, and a longer options struct with a dirty tail. */
  struct {
    vbx_runtime_options o;
    uint64_t future;
  } big;
  memset(&big, 0, sizeof(big));
  big.o.struct_size = sizeof(big);
  char empty[] = "/tmp/vbx-abi-XXXXXX";
  assert_non_null(mkdtemp(empty));
  big.o.plugin_dir = empty;
  rc = vbx_runtime_new(&big.o, &rt, &err);
  if (rc) fail_msg("%s", err.message);
  assert_null(vbx__registry_plugin_at(rt->reg, 0));
  vbx_runtime_free(rt);
  big.future = 1;
  assert_int_equal(vbx_runtime_new(&big.o, &rt, &err), VBX_E_ABI);
  assert_null(rt);
  expect_has(err.message, "tail is not zero");
  rmdir(empty);

  /* A named plugin directory must exist (a typo loads nothing otherwise). */
  o.plugin_paths = NULL;
  o.skip_plugin_dir = 0;
  o.plugin_dir = VBX_ABI_FIXTURE_DIR "/none";
  assert_int_equal(vbx_runtime_new(&o, &rt, &err), VBX_E_NOTFOUND);
  assert_null(rt);
  expect_has(err.message, "plugin directory " VBX_ABI_FIXTURE_DIR "/none does not exist");
  o.plugin_dir = NULL;
  setenv("VOIDBOX_PLUGIN_DIR", VBX_ABI_FIXTURE_DIR "/none", 1);
  assert_int_equal(vbx_runtime_new(&o, &rt, &err), VBX_E_NOTFOUND);
  unsetenv("VOIDBOX_PLUGIN_DIR");
  expect_has(err.message, "VOIDBOX_PLUGIN_DIR");
}

static void test_default_dir(void **s) {
  (void)s;
  char buf[4096];
  int required = 0;
  setenv("VOIDBOX_PLUGIN_DIR", "/opt/vbx-plugins", 1);
  assert_string_equal(vbx__plugin_default_dir(buf, sizeof(buf), &required), "/opt/vbx-plugins");
  assert_int_equal(required, 1);
  unsetenv("VOIDBOX_PLUGIN_DIR");
  /* This test binary is in BUILD/tests/abi: neither in a build tree's bin/
   * nor installed, so there is no default (no absolute fallback). */
  assert_null(vbx__plugin_default_dir(buf, sizeof(buf), &required));
  assert_int_equal(required, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_plugin),
      cmocka_unit_test(test_unload_reverse_order),
      cmocka_unit_test(test_older_vtable),
      cmocka_unit_test(test_descriptor_checks),
      cmocka_unit_test(test_duplicate_plugin_name),
      cmocka_unit_test(test_same_file_twice),
      cmocka_unit_test(test_duplicate_registration),
      cmocka_unit_test(test_cross_plugin_clash),
      cmocka_unit_test(test_register_outside_init),
      cmocka_unit_test(test_init_failure),
      cmocka_unit_test(test_file_checks),
      cmocka_unit_test(test_load_dir),
      cmocka_unit_test(test_runtime),
      cmocka_unit_test(test_default_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
