/*
 * tests/unit/guest/test_guest_policy.c - what the guest agent asks its
 * policy (may this command run, may this path be written; the file's
 * parser is the protocol's, tested in tests/unit/protocol) and the jail's
 * path mapping (pure functions), plus openat2 refusals on a real directory
 * tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "voidbox/errors.h"

static int parse(const char *t, struct vbx_proto_policy *p, char *err) {
  vbx_proto_policy_init(p);
  return vbx_proto_policy_parse(t, strlen(t), p, err, 256);
}

static void test_policy_ok(void **s) {
  (void)s;
  struct vbx_proto_policy p;
  char err[256];
  assert_int_equal(parse("# c\nallow = sh\nallow=/usr/bin/python3  # inline\nuid = 65534\n"
                         "gid=100\nmax_procs = 64\nmax_execs = 8\nmax_output_bytes = 2m\n"
                         "rlimit.nofile = 256:512\nrlimit.as = unlimited\nwritable = /workspace/\n"
                         "writable = /tmp\n\n",
                         &p, err),
                   0);
  assert_int_equal(p.n_allow, 2);
  assert_true(p.have_uid && p.uid == 65534 && p.have_gid && p.gid == 100);
  assert_int_equal(p.max_procs, 64);
  assert_int_equal(p.max_execs, 8);
  assert_int_equal(p.max_output, 2u << 20);
  assert_int_equal(p.n_rlimits, 2);
  assert_int_equal(p.rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal(p.rlimits[0].soft, 256);
  assert_int_equal(p.rlimits[0].hard, 512);
  assert_true(p.rlimits[1].soft == UINT64_MAX);
  assert_true(vbx__policy_allows(&p, "sh"));
  assert_true(vbx__policy_allows(&p, "/usr/bin/python3"));
  assert_false(vbx__policy_allows(&p, "/bin/sh")); /* exact names only */
  assert_false(vbx__policy_allows(&p, "python3"));
  assert_false(vbx__policy_allows(&p, "/tmp/sh"));
  assert_false(vbx__policy_allows(&p, ""));
  assert_true(vbx__policy_writable(&p, "workspace"));
  assert_true(vbx__policy_writable(&p, "workspace/a/b"));
  assert_true(vbx__policy_writable(&p, "tmp/x"));
  assert_false(vbx__policy_writable(&p, "workspace2"));
  assert_false(vbx__policy_writable(&p, "etc/passwd"));
  assert_false(vbx__policy_writable(&p, "."));
  assert_int_equal(parse("allow = *\n", &p, err), 0);
  assert_true(vbx__policy_allows(&p, "anything"));
  assert_true(vbx__policy_writable(&p, "etc")); /* no writable lines: all */
  assert_int_equal(parse("", &p, err), 0);
  assert_false(vbx__policy_allows(&p, "sh")); /* empty policy allows nothing */
}

static void test_relpath(void **s) {
  (void)s;
  char out[64];
  assert_int_equal(vbx__jail_relpath("/", "/etc/passwd", out, sizeof out), 0);
  assert_string_equal(out, "etc/passwd");
  assert_int_equal(vbx__jail_relpath("/", "/", out, sizeof out), 0);
  assert_string_equal(out, ".");
  assert_int_equal(vbx__jail_relpath("/srv/box", "/srv/box/a//./b/", out, sizeof out), 0);
  assert_string_equal(out, "a/b");
  assert_int_equal(vbx__jail_relpath("/srv/box", "/srv/box", out, sizeof out), 0);
  assert_string_equal(out, ".");
  assert_int_equal(vbx__jail_relpath("/srv/box", "rel/x", out, sizeof out), 0);
  assert_string_equal(out, "rel/x");
  assert_int_equal(vbx__jail_relpath("/srv/box", "../x", out, sizeof out), 0);
  assert_string_equal(out, "../x"); /* left for openat2 to refuse */
  assert_int_equal(vbx__jail_relpath("/srv/box", "/srv/boxer/x", out, sizeof out), VBX_E_PERM);
  assert_int_equal(vbx__jail_relpath("/srv/box", "/etc/passwd", out, sizeof out), VBX_E_PERM);
  assert_int_equal(vbx__jail_relpath("/srv/box", "", out, sizeof out), VBX_E_INVAL);
  char longp[200];
  memset(longp, 'x', sizeof longp - 1);
  longp[sizeof longp - 1] = '\0';
  assert_int_equal(vbx__jail_relpath("/", longp, out, sizeof out), VBX_E_INVAL);
}

static void test_jail_open(void **s) {
  (void)s;
  char dir[] = "/tmp/vbx-jail-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char p[128];
  snprintf(p, sizeof p, "%s/d", dir);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/d/f", dir);
  close(open(p, O_CREAT | O_WRONLY, 0644));
  snprintf(p, sizeof p, "%s/d/up", dir);
  assert_int_equal(symlink("..", p), 0);
  snprintf(p, sizeof p, "%s/d", dir);
  int root = open(p, O_PATH | O_DIRECTORY);
  assert_true(root >= 0);
  int fd = vbx__jail_open(root, "f", O_RDONLY, 0);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(vbx__jail_open(root, "../d/f", O_RDONLY, 0), -EXDEV);
  assert_int_equal(vbx__jail_open(root, "up/d/f", O_RDONLY, 0), -ELOOP);
  assert_int_equal(vbx__jail_open(root, "/etc/passwd", O_RDONLY, 0), -EXDEV);
  const char *leaf = NULL;
  fd = vbx__jail_open_parent(root, "f", &leaf);
  assert_true(fd >= 0);
  assert_string_equal(leaf, "f");
  close(fd);
  assert_int_equal(vbx__jail_open_parent(root, ".", &leaf), -EINVAL);
  assert_int_equal(vbx__jail_open_parent(root, "up/x", &leaf), -ELOOP);
  assert_int_equal(vbx__errno_code(EXDEV), VBX_E_PERM);
  assert_int_equal(vbx__errno_code(ENOENT), VBX_E_NOTFOUND);
  close(root);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_policy_ok),
      cmocka_unit_test(test_relpath),
      cmocka_unit_test(test_jail_open),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
