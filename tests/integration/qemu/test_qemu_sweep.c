/*
 * tests/integration/qemu/test_qemu_sweep.c - boxes die with their voidbox
 * process, and what a killed one leaves is removed by the next:
 *   - a child process loads sandbox-qemu, creates a box and is SIGKILLed:
 *     its QEMU dies at once (PR_SET_PDEATHSIG; this process is a child
 *     subreaper, so the orphaned QEMU is reaped here and its status seen),
 *     the box directory stays, and the next plugin init removes it;
 *   - hand-made box directories in the default work root ($TMPDIR): one of
 *     a live process and one of this process stay, one whose owner pid is
 *     alive but with another start time (pid reuse), one of a dead process
 *     (whose recorded "QEMU" - a child of ours - still runs and is
 *     SIGKILLed) and one from another boot are removed, and a recorded
 *     QEMU pid whose start time differs is not signalled; one without an
 *     owner record and a foreign directory are left alone;
 *   - a work_root given as a box option is swept at the first create that
 *     uses it, next to the new box's own directory.
 * The owner record is docs/sandbox-qemu.md's "pid=P\nstart=S\n..." format.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "qt.h"

static char root[128], opts[800];

static void fresh_root(void) {
  snprintf(root, sizeof root, "/tmp/vbx-qt-sweep-XXXXXX");
  assert_non_null(mkdtemp(root));
  snprintf(opts, sizeof opts, "\"image_dir\":\"%s\",\"work_root\":\"%s\"", QT_IMAGE_DIR, root);
}

static void drop_root(void) { th_rmtree(root); }

static int exists(const char *name) {
  char p[300];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", root, name);
  return lstat(p, &st) == 0;
}

/* A box directory root/name with an owner record (when pid > 0) of
 * pid/start, optional extra lines, and a file like a box's. */
static void fake_box(const char *name, int pid, unsigned long long start, const char *extra) {
  char p[300], text[256];
  snprintf(p, sizeof p, "%s/%s", root, name);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/%s/console.log", root, name);
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
  assert_true(fd >= 0);
  close(fd);
  if (pid <= 0) return;
  snprintf(p, sizeof p, "%s/%s/owner", root, name);
  int n = snprintf(text, sizeof text, "pid=%d\nstart=%llu\n%s", pid, start, extra ? extra : "");
  fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, (size_t)n), n);
  close(fd);
}

static void record(const char *name, const char *file, int pid, unsigned long long start) {
  char p[300], text[128];
  snprintf(p, sizeof p, "%s/%s/%s", root, name, file);
  int n = snprintf(text, sizeof text, "pid=%d\nstart=%llu\n", pid, start);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, (size_t)n), n);
  close(fd);
}

/* A child that just waits to be killed. */
static pid_t sleeper(void) {
  pid_t p = fork();
  assert_true(p >= 0);
  if (p == 0) {
    for (;;)
      pause();
  }
  return p;
}

/* Load the plugin with TMPDIR = root: its init sweeps the default work root. */
static void load_with_tmpdir(void) {
  const char *old = getenv("TMPDIR");
  char saved[512] = "";
  if (old) snprintf(saved, sizeof saved, "%s", old);
  setenv("TMPDIR", root, 1);
  th_load("sandbox-qemu.so", "qemu", opts);
  if (old)
    setenv("TMPDIR", saved, 1);
  else
    unsetenv("TMPDIR");
}

/* The child: load the plugin, create a box, report QEMU's pid (-1 on any
 * failure), wait to be killed. No cmocka assertions here: a failure in a
 * forked child must not run the remaining tests a second time. */
static void child_box(int wfd) {
  vbx__logger log = {VBX_LOG_WARN, NULL, NULL, 0};
  vbx__registry *reg = NULL;
  vbx_error err;
  memset(&err, 0, sizeof err);
  char path[1024], text[900];
  snprintf(path, sizeof path, "%s/sandbox-qemu.so", VBX_TEST_PLUGIN_DIR);
  snprintf(text, sizeof text, "{%s}", opts);
  int msg = -1, q[1];
  const vbx__impl *impl = NULL;
  if (vbx__registry_new(&log, NULL, &reg) == 0 && vbx__registry_load(reg, path, &err) == 0) {
    vbx__registry_freeze(reg);
    impl = vbx__registry_find(reg, VBX_KIND_SANDBOX, "qemu");
  }
  if (impl != NULL) {
    const vbx_sandbox_backend_vtable *vt = impl->vtable;
    const vbx_host_services *h = vbx__plugin_host(impl->plugin);
    vbx_sandbox_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.box_name = "orphan";
    cfg.memory_mb = 256;
    cfg.options = h->json_parse(text, strlen(text), NULL);
    vbx_call call;
    vbx__call_init(&call, NULL, NULL, 0);
    void *b = NULL;
    int rc = cfg.options ? vt->create(impl->plugin_state, &cfg, &call, &b) : -1;
    if (rc != 0)
      fprintf(stderr, "child: create: %d %s\n", rc, call.message);
    else if (qt_qemu_children(q, 1) == 1)
      msg = q[0];
  }
  if (write(wfd, &msg, sizeof msg) != (ssize_t)sizeof msg) _exit(3);
  for (;;)
    pause();
}

static void test_killed_owner(void **s) {
  (void)s;
  fresh_root();
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  fflush(stdout);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    close(pfd[0]);
    child_box(pfd[1]);
  }
  close(pfd[1]);
  struct pollfd p = {.fd = pfd[0], .events = POLLIN};
  int qemu = -1;
  int ready = poll(&p, 1, 120000) > 0 && read(pfd[0], &qemu, sizeof qemu) == sizeof qemu;
  close(pfd[0]);
  int entries = th_dir_entries(root);
  kill(child, SIGKILL);
  double t0 = th_now();
  int st = 0;
  assert_int_equal(waitpid(child, &st, 0), child);
  printf("child %d: box up %d, QEMU pid %d, %d box directories\n", (int)child, ready, qemu,
         entries);
  assert_true(ready);
  assert_true(qemu > 0);
  assert_int_equal(entries, 1);
  /* QEMU dies with its parent: PDEATHSIG. Orphaned, it is re-parented to
   * this process (a subreaper), so its status can be checked. */
  int qst = 0;
  pid_t w = 0;
  while ((w = waitpid(qemu, &qst, WNOHANG)) == 0 && th_now() - t0 < 10.0) {
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  double died = th_now() - t0;
  printf("QEMU %d gone %.3f s after its voidbox was killed (status 0x%x)\n", qemu, died, qst);
  assert_int_equal(w, qemu);
  assert_true(WIFSIGNALED(qst) && WTERMSIG(qst) == SIGKILL);
  assert_true(died < 2.0);
  /* the box directory outlived them both, with its owner record */
  assert_int_equal(th_dir_entries(root), 1);
  load_with_tmpdir();
  int left = th_dir_entries(root);
  th_unload();
  printf("after the next plugin init: %d entries\n", left);
  assert_int_equal(left, 0);
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
  drop_root();
}

static void test_owners(void **s) {
  (void)s;
  fresh_root();
  pid_t live = sleeper(), fake_qemu = sleeper(), dead = sleeper();
  unsigned long long live_start = qt_proc_start(live), self = qt_proc_start(getpid());
  unsigned long long dead_start = qt_proc_start(dead), q_start = qt_proc_start(fake_qemu);
  assert_true(live_start && self && dead_start && q_start);
  kill(dead, SIGKILL);
  assert_int_equal(waitpid(dead, NULL, 0), dead);
  fake_box("vbx-qemu-live-1-aaaaaa", live, live_start, NULL);
  fake_box("vbx-qemu-self-2-bbbbbb", getpid(), self, NULL);
  fake_box("vbx-qemu-reused-3-cccccc", live, live_start + 1, NULL);
  /* its "QEMU" pid is live but started at another time: not signalled */
  record("vbx-qemu-reused-3-cccccc", "qemu.pid", live, live_start + 1);
  fake_box("vbx-qemu-dead-4-dddddd", dead, dead_start, NULL);
  record("vbx-qemu-dead-4-dddddd", "qemu.pid", fake_qemu, q_start);
  fake_box("vbx-qemu-noowner-5-eeeeee", 0, 0, NULL);
  fake_box("vbx-qemu-oldboot-6-ffffff", getpid(), self,
           "boot=00000000-0000-0000-0000-000000000000\n");
  fake_box("vbx-qemu-otherns-7-gggggg", dead, dead_start, "pidns=pid:[1]\n");
  fake_box("other-8", dead, dead_start, NULL);
  double t0 = th_now();
  load_with_tmpdir();
  double secs = th_now() - t0;
  th_unload();
  int qst = 0;
  pid_t w = waitpid(fake_qemu, &qst, WNOHANG);
  printf("plugin init with the sweep: %.3f s; recorded QEMU: %s\n", secs,
         w == fake_qemu ? "killed" : "still running");
  if (w != fake_qemu) {
    kill(fake_qemu, SIGKILL);
    waitpid(fake_qemu, NULL, 0);
  }
  int live_ok = waitpid(live, NULL, WNOHANG) == 0;
  kill(live, SIGKILL);
  waitpid(live, NULL, 0);
  int kept_live = exists("vbx-qemu-live-1-aaaaaa"), kept_self = exists("vbx-qemu-self-2-bbbbbb"),
      reused = exists("vbx-qemu-reused-3-cccccc"), dead_dir = exists("vbx-qemu-dead-4-dddddd"),
      noowner = exists("vbx-qemu-noowner-5-eeeeee"), oldboot = exists("vbx-qemu-oldboot-6-ffffff"),
      otherns = exists("vbx-qemu-otherns-7-gggggg"), other = exists("other-8");
  printf(
      "kept: live %d self %d no-owner %d other-ns %d foreign %d; "
      "swept: reused %d dead %d old-boot %d\n",
      kept_live, kept_self, noowner, otherns, other, !reused, !dead_dir, !oldboot);
  drop_root();
  assert_true(live_ok); /* a pid named with the wrong start time is never signalled */
  assert_true(kept_live && kept_self && noowner && otherns && other);
  assert_false(reused);
  assert_false(dead_dir);
  assert_false(oldboot);
  assert_int_equal(w, fake_qemu);
  assert_true(WIFSIGNALED(qst) && WTERMSIG(qst) == SIGKILL);
}

/* A work_root named by a box's options is swept at the first create. */
static void test_work_root_option(void **s) {
  (void)s;
  fresh_root();
  pid_t dead = sleeper();
  unsigned long long dead_start = qt_proc_start(dead);
  kill(dead, SIGKILL);
  assert_int_equal(waitpid(dead, NULL, 0), dead);
  fake_box("vbx-qemu-dead-1-aaaaaa", dead, dead_start, NULL);
  th_load("sandbox-qemu.so", "qemu", opts); /* TMPDIR is not root */
  int before = exists("vbx-qemu-dead-1-aaaaaa");
  void *b = th_box(NULL, 0);
  int entries = th_dir_entries(root), after = exists("vbx-qemu-dead-1-aaaaaa");
  TH.vt->destroy(b);
  int left = th_dir_entries(root);
  th_unload();
  printf(
      "dead owner's directory: before create %d, after %d; entries with the box %d, after "
      "destroy %d\n",
      before, after, entries, left);
  drop_root();
  assert_true(before);
  assert_false(after);
  assert_int_equal(entries, 1);
  assert_int_equal(left, 0);
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_killed_owner),
      cmocka_unit_test(test_owners),
      cmocka_unit_test(test_work_root_option),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
