/*
 * tests/integration/qemu/test_qemu_mounts.c - the spec's mounts on the qemu
 * backend: host directories shared read-only over virtio-9p, and the host
 * userland option.
 *   - a host directory mounted at /mnt/data: its files read back (a small
 *     one's text, a 20 MiB file's sha256; VBX_TEST_9P_MB changes the size
 *     and the read rate is printed), mounted 9p ro,nosuid,nodev; writes,
 *     creates, removals and mkdir fail with "Read-only file system";
 *   - symlinks in it pointing outside it (absolute and ../) show their
 *     text but never the target's contents (QEMU's local backend never
 *     follows them on the host; the guest resolves them in its own tree);
 *     a file of mode 0600 cannot be read by the commands' uid 65534;
 *   - a command running as root in the guest: remounting read-write does
 *     not make it writable (QEMU's readonly=on refuses), and nothing
 *     appears on the host; it reads the 0600 file (QEMU serves as us);
 *   - refused at create, nothing left in the work root: a missing host
 *     path, a file, read_only false, bad guest paths, nested mounts, too
 *     many mounts, a host_userland that is not a boolean;
 *   - host_userland: true - `/usr/bin/env bash -c 'echo ok'` and the host's
 *     bash, awk through /etc/alternatives, `node -e 'console.log(1+1)'`
 *     (when the host has /usr/bin/node; skipped with the reason
 *     otherwise), /bin/sh still busybox, with a mount of its own beside
 *     (a host directory with a comma in its name);
 *     the claude-code CLI's --version from its mounted directory (skipped
 *     with the reason when it is not installed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/sha256.h"
#include "qt.h"

#define SECRET "TOP SECRET host file"

static char ROOT[64];   /* a fresh host directory of this test */
static char SHARE[128]; /* ROOT/share: what the boxes mount */
static char BIG_SHA[VBX__SHA256_HEX];
static unsigned BIG_MB = 20;

static void write_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  assert_int_equal(fchmod(fd, mode), 0);
  close(fd);
}

/* ROOT/share with text files, a sub-directory, a BIG_MB MiB random file,
 * a 0600 file and two symlinks out of it to ROOT/secret.txt; ROOT/afile. */
static void make_tree(void) {
  char p[256];
  snprintf(ROOT, sizeof ROOT, "/tmp/vbx-qtm-XXXXXX");
  assert_non_null(mkdtemp(ROOT));
  assert_int_equal(chmod(ROOT, 0755), 0);
  snprintf(SHARE, sizeof SHARE, "%s/share", ROOT);
  assert_int_equal(mkdir(SHARE, 0755), 0);
  snprintf(p, sizeof p, "%s/sub", SHARE);
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/hello.txt", SHARE);
  write_file(p, "hello from the host\n", 0644);
  snprintf(p, sizeof p, "%s/sub/nested.txt", SHARE);
  write_file(p, "nested\n", 0644);
  snprintf(p, sizeof p, "%s/private.txt", SHARE);
  write_file(p, "private\n", 0600);
  snprintf(p, sizeof p, "%s/secret.txt", ROOT);
  write_file(p, SECRET "\n", 0644);
  snprintf(p, sizeof p, "%s/afile.txt", ROOT);
  write_file(p, "a file\n", 0644);
  char target[128];
  snprintf(target, sizeof target, "%s/secret.txt", ROOT);
  snprintf(p, sizeof p, "%s/escape", SHARE);
  assert_int_equal(symlink(target, p), 0);
  snprintf(p, sizeof p, "%s/rel-escape", SHARE);
  assert_int_equal(symlink("../secret.txt", p), 0);
  /* the big file: random bytes, hashed as written */
  snprintf(p, sizeof p, "%s/big.bin", SHARE);
  int in = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  int out = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true(in >= 0 && out >= 0);
  static char buf[1 << 20];
  vbx__sha256 c;
  vbx__sha256_init(&c);
  for (unsigned i = 0; i < BIG_MB; i++) {
    assert_int_equal(read(in, buf, sizeof buf), (ssize_t)sizeof buf);
    assert_int_equal(write(out, buf, sizeof buf), (ssize_t)sizeof buf);
    vbx__sha256_update(&c, buf, sizeof buf);
  }
  uint8_t d[VBX__SHA256_LEN];
  vbx__sha256_final(&c, d);
  vbx__sha256_hex(d, BIG_SHA);
  close(in);
  close(out);
}

static vbx_mount mnt(const char *host, const char *guest, int ro) {
  vbx_mount m = {.struct_size = sizeof m, .host_path = host, .guest_path = guest, .read_only = ro};
  return m;
}

static void *mount_box(const char *opts, const char *guest) {
  vbx_mount m = mnt(SHARE, guest, 1);
  th_box_cfg c = {.name = "mnt", .opts_json = opts, .mounts = &m, .n_mounts = 1};
  return th_box_cfg_box(&c);
}

/* sh -c cmd in b: its stdout; asserts the exit code. */
static void expect(void *b, const char *cmd, int code, const char *out) {
  vbx_exec_result r;
  int got = th_sh(b, cmd, &r);
  printf("$ %s\n-> exit %d, stdout: %s, stderr: %s\n", cmd, got, r.stdout_data, r.stderr_data);
  assert_int_equal(got, code);
  if (out != NULL) assert_string_equal(r.stdout_data, out);
  th_res_free(&r);
}

static void test_read_back(void **s) {
  (void)s;
  void *b = mount_box(NULL, "/mnt/data");
  expect(b, "cat /mnt/data/hello.txt /mnt/data/sub/nested.txt", 0, "hello from the host\nnested\n");
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "awk '$2 == \"/mnt/data\" { print $3, $4 }' /proc/mounts", &r), 0);
  printf("/mnt/data in /proc/mounts: %s", r.stdout_data);
  assert_true(strncmp(r.stdout_data, "9p ro,", 6) == 0);
  assert_non_null(strstr(r.stdout_data, ",nosuid"));
  assert_non_null(strstr(r.stdout_data, ",nodev"));
  assert_non_null(strstr(r.stdout_data, "trans=virtio"));
  th_res_free(&r);
  /* the big file: its hash, and the read rate cold and from the guest's cache */
  char cmd[200], want[200];
  snprintf(want, sizeof want, "%s  /mnt/data/big.bin\n", BIG_SHA);
  double t0 = th_now();
  expect(b, "sha256sum /mnt/data/big.bin", 0, want);
  double t1 = th_now();
  snprintf(cmd, sizeof cmd, "cat /mnt/data/big.bin > /dev/null");
  expect(b, cmd, 0, "");
  double t2 = th_now();
  printf("%u MiB through 9p: sha256sum (first read) %.2f s, cat again %.2f s (%.0f MiB/s)\n",
         BIG_MB, t1 - t0, t2 - t1, BIG_MB / (t2 - t1));
  /* nothing can be written */
  static const char *const writes[] = {"echo x > /mnt/data/hello.txt",
                                       "touch /mnt/data/new",
                                       "rm /mnt/data/hello.txt",
                                       "mkdir /mnt/data/d",
                                       "mv /mnt/data/hello.txt /mnt/data/moved",
                                       "chmod 777 /mnt/data/hello.txt"};
  for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
    int code = th_sh(b, writes[i], &r);
    printf("$ %s\n-> exit %d, stderr: %s", writes[i], code, r.stderr_data);
    assert_int_not_equal(code, 0);
    assert_true(strstr(r.stderr_data, "Read-only file system") != NULL ||
                strstr(r.stderr_data, "Operation not permitted") != NULL);
    th_res_free(&r);
  }
  expect(b, "cat /mnt/data/hello.txt; ls /mnt/data | tr '\\n' ' '", 0,
         "hello from the host\nbig.bin escape hello.txt private.txt rel-escape sub ");
  /* symlinks out of the share: their text crosses, their targets do not */
  snprintf(want, sizeof want, "%s/secret.txt\n", ROOT);
  expect(b, "readlink /mnt/data/escape", 0, want);
  expect(b, "readlink /mnt/data/rel-escape", 0, "../secret.txt\n");
  static const char *const escapes[] = {"cat /mnt/data/escape", "cat /mnt/data/rel-escape",
                                        "cat /mnt/data/../secret.txt"};
  for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
    int code = th_sh(b, escapes[i], &r);
    printf("$ %s\n-> exit %d, stdout: %s, stderr: %s", escapes[i], code, r.stdout_data,
           r.stderr_data);
    assert_int_not_equal(code, 0);
    assert_null(strstr(r.stdout_data, SECRET));
    assert_non_null(strstr(r.stderr_data, "No such file or directory"));
    th_res_free(&r);
  }
  /* the host's modes hold for the commands' uid */
  int code = th_sh(b, "cat /mnt/data/private.txt", &r);
  printf("private.txt as uid 65534: exit %d, stderr: %s", code, r.stderr_data);
  assert_int_not_equal(code, 0);
  assert_non_null(strstr(r.stderr_data, "Permission denied"));
  th_res_free(&r);
  TH.vt->destroy(b);
}

static void test_root_cannot_write(void **s) {
  (void)s;
  void *b = mount_box("\"uid\":0,\"gid\":0", "/opt/ro");
  vbx_exec_result r;
  int code = th_sh(b,
                   "mount -o remount,rw /opt/ro && awk '$2 == \"/opt/ro\" { print $4 }' "
                   "/proc/mounts; touch /opt/ro/by-root",
                   &r);
  printf("remount rw, touch as root: exit %d, stdout: %s, stderr: %s", code, r.stdout_data,
         r.stderr_data);
  /* the guest's own flag is gone (the remount works); QEMU still refuses */
  assert_int_not_equal(code, 0);
  assert_non_null(strstr(r.stderr_data, "Read-only file system"));
  th_res_free(&r);
  char p[256];
  snprintf(p, sizeof p, "%s/by-root", SHARE);
  assert_int_equal(access(p, F_OK), -1);
  /* QEMU serves the share as this process's user: guest root reads what
   * it can */
  expect(b, "cat /opt/ro/private.txt", 0, "private\n");
  TH.vt->destroy(b);
}

/* A create of c refused with code, field "mounts" (or field) and a message
 * holding want; nothing left in the work root. */
static void refused(const th_box_cfg *c, int code, const char *field, const char *want) {
  vbx_call call;
  void *b = NULL;
  int rc = th_box_try(c, &call, &b);
  printf("rc %d field '%s': %s\n", rc, call.field, call.message);
  if (b != NULL) TH.vt->destroy(b);
  assert_null(b);
  assert_int_equal(rc, code);
  assert_string_equal(call.field, field);
  assert_non_null(strstr(call.message, want));
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

static void test_refusals(void **s) {
  (void)s;
  char missing[128], file[128];
  snprintf(missing, sizeof missing, "%s/no-such-dir", ROOT);
  snprintf(file, sizeof file, "%s/afile.txt", ROOT);
  vbx_mount m[6];
  th_box_cfg c = {.name = "refused", .mounts = m, .n_mounts = 1};
  m[0] = mnt(missing, "/mnt/x", 1);
  refused(&c, VBX_E_NOTFOUND, "mounts", "no-such-dir does not exist");
  m[0] = mnt(file, "/mnt/x", 1);
  refused(&c, VBX_E_INVAL, "mounts", "is a file; a VM mounts directories only");
  m[0] = mnt(SHARE, "/mnt/x", 0);
  refused(&c, VBX_E_UNSUPPORTED, "mounts", "mount 1 (");
  refused(&c, VBX_E_UNSUPPORTED, "mounts", "/mnt/x) is writable");
  static const struct {
    const char *guest, *why;
  } bad[] = {
      {"mnt/x", "is not an absolute path"},
      {"/", "is the guest's root"},
      {"/proc/x", "kernel interface"},
      {"/dev", "kernel interface"},
      {"/workspace", "a directory of the box's own"},
      {"/mnt/../etc", "'.' or '..' component"},
      {"/mnt//x", "empty"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    m[0] = mnt(SHARE, bad[i].guest, 1);
    refused(&c, VBX_E_SPEC, "mounts", bad[i].why);
  }
  m[0] = mnt(SHARE, "/mnt/a", 1);
  m[1] = mnt(ROOT, "/mnt/a/b", 1);
  c.n_mounts = 2;
  refused(&c, VBX_E_SPEC, "mounts",
          "mount 2: guest path /mnt/a/b is inside another mount's /mnt/a");
  for (int i = 0; i < 6; i++)
    m[i] = mnt(SHARE, "/mnt/many", 1);
  c.n_mounts = 6;
  refused(&c, VBX_E_LIMIT, "mounts", "6 mounts; a box shares at most 5 host directories");
  th_box_cfg u = {.name = "userland", .opts_json = "\"host_userland\":\"yes\""};
  refused(&u, VBX_E_SPEC, "host_userland", "must be true or false");
  m[0] = mnt(SHARE, "/usr/local/data", 1);
  th_box_cfg uc = {
      .name = "userland", .opts_json = "\"host_userland\":true", .mounts = m, .n_mounts = 1};
  refused(&uc, VBX_E_SPEC, "mounts", "is in the host userland's");
}

/* A QEMU that drops the 9p devices from its command line: the guest's
 * mount of the share fails at boot. */
static const char NO_9P_QEMU[] =
    "#!/bin/sh\n"
    "count=$#; i=0; drop=0\n"
    "while [ $i -lt $count ]; do\n"
    "  a=$1; shift; i=$((i + 1))\n"
    "  if [ $drop = 1 ]; then drop=0; continue; fi\n"
    "  case \"$a\" in -fsdev) drop=1; continue ;; esac\n"
    "  if [ \"$a\" = -device ]; then\n"
    "    case \"$1\" in virtio-9p-device*) drop=1; continue ;; esac\n"
    "  fi\n"
    "  set -- \"$@\" \"$a\"\n"
    "done\n"
    "exec qemu-system-x86_64 \"$@\"\n";

static void test_boot_mount_failure(void **s) {
  (void)s;
  char qemu[128], opts[200];
  snprintf(qemu, sizeof qemu, "%s/no-9p-qemu", ROOT);
  write_file(qemu, NO_9P_QEMU, 0755);
  snprintf(opts, sizeof opts, "\"qemu\":\"%s\"", qemu);
  vbx_mount m = mnt(SHARE, "/mnt/data", 1);
  th_box_cfg c = {.name = "no9p", .opts_json = opts, .mounts = &m, .n_mounts = 1};
  vbx_call call;
  void *b = NULL;
  int rc = th_box_try(&c, &call, &b);
  printf("rc %d: %s\n", rc, call.message);
  if (b != NULL) TH.vt->destroy(b);
  assert_null(b);
  assert_int_equal(rc, VBX_E_SANDBOX);
  assert_non_null(strstr(call.message, "the guest agent did not come up"));
  assert_non_null(strstr(call.message, "host share vbx0 on /mnt/data: No such file or directory"));
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

static void test_host_userland(void **s) {
  (void)s;
  /* a host directory with a comma in its name (QEMU's option syntax) */
  char comma[128], p[200];
  snprintf(comma, sizeof comma, "%s/with,comma", ROOT);
  assert_int_equal(mkdir(comma, 0755), 0);
  snprintf(p, sizeof p, "%s/hello.txt", comma);
  write_file(p, "hello from a,comma\n", 0644);
  vbx_mount m = mnt(comma, "/opt/data", 1);
  th_box_cfg c = {
      .name = "userland", .opts_json = "\"host_userland\":true", .mounts = &m, .n_mounts = 1};
  void *b = th_box_cfg_box(&c);
  const char *argv[] = {"/usr/bin/env", "bash", "-c", "echo ok", NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = th_exec(b, argv, NULL, 0, 120000, &r, &call);
  printf("/usr/bin/env bash -c 'echo ok': rc %d exit %d, stdout: %s, stderr: %s\n", rc, r.exit_code,
         rc ? "" : r.stdout_data, rc ? call.message : r.stderr_data);
  assert_int_equal(rc, 0);
  assert_int_equal(r.exit_code, 0);
  assert_string_equal(r.stdout_data, "ok\n");
  th_res_free(&r);
  /* the host's own bash (dynamically linked: the host's loader and libc
   * through the /lib links or shares), busybox still at /bin */
  expect(b, "bash --version | head -1 | cut -d, -f1", 0, "GNU bash\n");
  expect(b, "/bin/busybox true && echo busybox", 0, "busybox\n");
  expect(b, "cat /opt/data/hello.txt", 0, "hello from a,comma\n");
  if (access("/usr/bin/awk", X_OK) == 0)
    expect(b, "awk 'BEGIN { print 3 }'", 0, "3\n"); /* /etc/alternatives/awk on Debian */
  if (access("/usr/bin/node", X_OK) != 0) {
    printf("# node: skipped: the host has no /usr/bin/node\n");
  } else {
    const char *node[] = {"node", "-e", "console.log(1+1)", NULL};
    double t0 = th_now();
    vbx__call_init(&call, NULL, NULL, 0);
    rc = th_exec(b, node, NULL, 0, 180000, &r, &call);
    printf("node -e 'console.log(1+1)': rc %d exit %d in %.1f s, stdout: %s, stderr: %s\n", rc,
           r.exit_code, th_now() - t0, rc ? "" : r.stdout_data, rc ? call.message : r.stderr_data);
    assert_int_equal(rc, 0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.stdout_data, "2\n");
    th_res_free(&r);
  }
  TH.vt->destroy(b);
}

/* The claude-code CLI's directory: $VOIDBOX_CLAUDE_CODE's, else the
 * first version installed in the user cache (scripts/claude-code.sh). 0,
 * or -1 when there is none. */
static int claude_code_dir(char *out, size_t cap) {
  const char *env = getenv("VOIDBOX_CLAUDE_CODE");
  char cache[512], p[1024];
  if (env != NULL && env[0] != '\0') {
    snprintf(out, cap, "%s", env);
    char *slash = strrchr(out, '/');
    if (slash == NULL || access(env, X_OK) != 0) return -1;
    *slash = '\0';
    return 0;
  }
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (xdg != NULL && xdg[0] == '/')
    snprintf(cache, sizeof cache, "%s/voidbox/claude-code", xdg);
  else if (home != NULL)
    snprintf(cache, sizeof cache, "%s/.cache/voidbox/claude-code", home);
  else
    return -1;
  DIR *d = opendir(cache);
  if (d == NULL) return -1;
  struct dirent *e;
  int rc = -1;
  while (rc != 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%.200s/node_modules/@anthropic-ai/claude-code-linux-x64", cache,
             e->d_name);
    char cli[1100];
    snprintf(cli, sizeof cli, "%s/claude", p);
    if (access(cli, X_OK) == 0 && strlen(p) < cap) {
      snprintf(out, cap, "%s", p);
      rc = 0;
    }
  }
  closedir(d);
  return rc;
}

/* host_userland's purpose: the claude-code CLI (a glibc executable of
 * 244 MB built for x86-64-v3: under TCG it needs -cpu max) runs from its
 * mounted directory. */
static void test_claude_code_cli(void **s) {
  (void)s;
  char dir[600];
  if (claude_code_dir(dir, sizeof dir) != 0) {
    printf(
        "# claude-code: skipped: not installed (scripts/claude-code.sh, or set "
        "VOIDBOX_CLAUDE_CODE)\n");
    skip();
  }
  vbx_mount m = mnt(dir, "/opt/voidbox/claude-code", 1);
  th_box_cfg c = {.name = "cc", .opts_json = "\"host_userland\":true", .mounts = &m, .n_mounts = 1};
  void *b = th_box_cfg_box(&c);
  const char *argv[] = {"/bin/sh", "-c", "HOME=/tmp exec /opt/voidbox/claude-code/claude --version",
                        NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  double t0 = th_now();
  int rc = th_exec(b, argv, NULL, 0, 180000, &r, &call);
  printf("claude --version from %s: rc %d exit %d in %.1f s, stdout: %s, stderr: %s\n", dir, rc,
         r.exit_code, th_now() - t0, rc ? "" : r.stdout_data, rc ? call.message : r.stderr_data);
  assert_int_equal(rc, 0);
  assert_int_equal(r.exit_code, 0);
  assert_non_null(strstr(r.stdout_data, "(Claude Code)"));
  th_res_free(&r);
  TH.vt->destroy(b);
}

static int setup(void **state) {
  const char *mb = getenv("VBX_TEST_9P_MB");
  if (mb != NULL && atoi(mb) > 0 && atoi(mb) <= 1024) BIG_MB = (unsigned)atoi(mb);
  make_tree();
  return qt_group_setup(state);
}

static int teardown(void **state) {
  th_rmtree(ROOT);
  return qt_group_teardown(state);
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refusals),          cmocka_unit_test(test_read_back),
      cmocka_unit_test(test_root_cannot_write), cmocka_unit_test(test_boot_mount_failure),
      cmocka_unit_test(test_host_userland),     cmocka_unit_test(test_claude_code_cli),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
