/*
 * tests/integration/local/test_local_containment.c - what keeps a local box
 * contained (docs/sandbox-local.md "Containment"):
 *  - boxes die with their voidbox process (PR_SET_PDEATHSIG) and the next
 *    plugin init sweeps what a dead owner left (box directory, registry
 *    entry, cgroups), also when the owner's pid is alive again as another
 *    process (start time differs), never a live owner's box;
 *  - read-only mounts are read-only in their submounts too, for commands
 *    and file_write, with mount_setattr and with the mountinfo walk;
 *  - /tmp and /workspace share one tmpfs of disk_mb: ENOSPC to the
 *    command, nothing on the host's disk, memory cgroup = memory + disk;
 *  - one uid per box from the configured range: a fork bomb in one box
 *    does not stop another; box directories are 0700;
 *  - loopback works without network; no host path of the box directory or
 *    the agent binary in the box's mountinfo.
 *
 * The test process runs in a private mount namespace of its own (main), so
 * the submounts it makes for the read-only checks never reach the host.
 * White box where it must be: it reads the agent pid and the box directory
 * from local_box (local.h) and writes owner records in the documented
 * format to fake a stale box.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "local.h"
#include "lt.h"

#define RUN_DIR "/run/voidbox-local"
#define CG "/sys/fs/cgroup"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Create a box with the fields the harness does not offer (disk_mb,
 * mounts). Returns the create rc; the error in *call. */
static int box_try(const char *name, const char *opts, int network, uint32_t memory_mb,
                   uint32_t disk_mb, const vbx_mount *mounts, size_t n_mounts, vbx_call *call,
                   void **out) {
  char text[1024];
  snprintf(text, sizeof text, "{%s%s%s}", TH.default_opts, opts && opts[0] ? "," : "",
           opts ? opts : "");
  vbx_json *o = TH.h->json_parse(text, strlen(text), NULL);
  if (o == NULL) fail_msg("bad options JSON: %s", text);
  vbx_sandbox_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.struct_size = sizeof cfg;
  cfg.box_name = name;
  cfg.memory_mb = memory_mb;
  cfg.vcpus = 1;
  cfg.network = network;
  cfg.mounts = mounts;
  cfg.n_mounts = n_mounts;
  cfg.options = o;
  cfg.disk_mb = disk_mb;
  vbx__call_init(call, NULL, NULL, 0);
  *out = NULL;
  int rc = TH.vt->create(TH.state, &cfg, call, out);
  TH.h->json_decref(o);
  return rc;
}

static void *box(const char *name, const char *opts, int network, uint32_t memory_mb,
                 uint32_t disk_mb, const vbx_mount *mounts, size_t n_mounts) {
  vbx_call call;
  void *b = NULL;
  int rc = box_try(name, opts, network, memory_mb, disk_mb, mounts, n_mounts, &call, &b);
  if (rc != 0) fail_msg("create %s: %d %s", name, rc, call.message);
  return b;
}

static pid_t agent_of(void *b) { return ((local_box *)b)->box.pid; }
/* A copy (one at a time): the box's own array confuses GCC's
 * -Wdangling-pointer at the callers. */
static const char *workdir_of(void *b) {
  static char d[sizeof(((local_box *)0)->box.dir)];
  snprintf(d, sizeof d, "%s", ((local_box *)b)->box.dir);
  return d;
}

/* The cgroup directory of pid in hierarchy ctrl ("memory", "pids"). */
static int cgroup_of(pid_t pid, const char *ctrl, char *out, size_t cap) {
  char p[64], line[512], want[64];
  snprintf(p, sizeof p, "/proc/%d/cgroup", (int)pid);
  snprintf(want, sizeof want, ":%s:", ctrl);
  FILE *f = fopen(p, "r");
  int found = -1;
  while (f && fgets(line, sizeof line, f)) {
    char *c = strstr(line, want);
    if (c == NULL) continue;
    c += strlen(want);
    c[strcspn(c, "\n")] = '\0';
    snprintf(out, cap, CG "/%s%s", ctrl, c);
    found = 0;
  }
  if (f) fclose(f);
  return found;
}

/* Dead: no such process or a zombie (its parent died; init reaps it). */
static int dead(pid_t pid) {
  char p[64], st[512];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  int fd = open(p, O_RDONLY);
  if (fd < 0) return 1;
  ssize_t n = read(fd, st, sizeof st - 1);
  close(fd);
  if (n <= 0) return 1;
  st[n] = '\0';
  char *s = strrchr(st, ')');
  return s && (s[2] == 'Z' || s[2] == 'X');
}

static unsigned long long start_time(pid_t pid) {
  char p[64], st[1024];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  int fd = open(p, O_RDONLY);
  assert_true(fd >= 0);
  ssize_t n = read(fd, st, sizeof st - 1);
  close(fd);
  assert_true(n > 0);
  st[n] = '\0';
  char *s = strrchr(st, ')') + 1;
  for (int f = 3; f < 22; f++)
    s = strchr(s + 1, ' ');
  return strtoull(s + 1, NULL, 10);
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

static long long tree_bytes;
static int add_blocks(const char *p, const struct stat *st, int type, struct FTW *ftw) {
  (void)p, (void)type, (void)ftw;
  tree_bytes += (long long)st->st_blocks * 512;
  return 0;
}
/* Bytes a directory tree takes on its file system (this mount only). */
static long long du(const char *path) {
  tree_bytes = 0;
  nftw(path, add_blocks, 16, FTW_PHYS | FTW_MOUNT);
  return tree_bytes;
}

/* A plugin init in a second registry of this process: what the next
 * voidbox start does (the sweep), while TH and its boxes stay loaded. The
 * plugin's INFO lines are collected into log. */
static char sweep_log[8192];
static void collect(void *user, vbx_log_level level, const char *origin, const char *msg) {
  (void)user, (void)level, (void)origin;
  size_t n = strlen(sweep_log);
  snprintf(sweep_log + n, sizeof sweep_log - n, "%s\n", msg);
}
static uint64_t next_init(void) {
  sweep_log[0] = '\0';
  vbx__logger log = {VBX_LOG_INFO, collect, NULL, 0};
  vbx__registry *reg = NULL;
  vbx_error err;
  memset(&err, 0, sizeof err);
  assert_int_equal(vbx__registry_new(&log, NULL, &reg), 0);
  uint64_t t0 = now_ms();
  if (vbx__registry_load(reg, VBX_TEST_PLUGIN_DIR "/sandbox-local.so", &err) != 0)
    fail_msg("second load: %s", err.message);
  uint64_t took = now_ms() - t0;
  vbx__registry_free(reg);
  printf("# plugin init with sweep: %llu ms\n%s", (unsigned long long)took, sweep_log);
  return took;
}

static void reload(void) {
  th_unload();
  lt_load();
}

/* ---- 4: boxes die with their owner; leftovers are swept ---------------- */

struct orphan {
  pid_t agent;
  char workdir[600];
  char cg_mem[600], cg_pids[600];
};

static void test_owner_death(void **s) {
  (void)s;
  void *live = box("live", NULL, 0, 256, 0, NULL, 0);
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) { /* the owner that will be killed */
    close(pfd[0]);
    struct orphan o;
    memset(&o, 0, sizeof o);
    vbx_call call;
    void *b = NULL;
    if (box_try("orphan", NULL, 0, 256, 0, NULL, 0, &call, &b) == 0) {
      o.agent = agent_of(b);
      snprintf(o.workdir, sizeof o.workdir, "%s", workdir_of(b));
      cgroup_of(o.agent, "memory", o.cg_mem, sizeof o.cg_mem);
      cgroup_of(o.agent, "pids", o.cg_pids, sizeof o.cg_pids);
    }
    ssize_t w = write(pfd[1], &o, sizeof o);
    (void)w;
    for (;;)
      pause();
  }
  close(pfd[1]);
  struct orphan o;
  assert_int_equal(read(pfd[0], &o, sizeof o), (ssize_t)sizeof o);
  close(pfd[0]);
  if (o.agent <= 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    fail_msg("the child could not create its box");
  }
  assert_false(dead(o.agent));
  assert_true(exists(o.workdir));
  assert_true(o.cg_pids[0] && exists(o.cg_pids));
  /* SIGKILL: no destroy runs; PDEATHSIG must take the agent down */
  uint64_t t0 = now_ms();
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  while (!dead(o.agent) && now_ms() - t0 < 5000)
    usleep(2000);
  uint64_t took = now_ms() - t0;
  printf("# agent of a SIGKILLed owner dead after %llu ms\n", (unsigned long long)took);
  assert_true(dead(o.agent));
  /* the next init sweeps what it left (another test process starting at
   * the same time may sweep it first: the outcome is the same) */
  next_init();
  assert_false(exists(o.workdir));
  char entry[800];
  snprintf(entry, sizeof entry, RUN_DIR "/boxes/%s", strrchr(o.workdir, '/') + 1);
  assert_false(exists(entry));
  assert_false(exists(o.cg_pids));
  if (o.cg_mem[0]) {
    assert_false(exists(o.cg_mem));
    *strrchr(o.cg_mem, '/') = '\0'; /* the dead owner's directory too */
    assert_false(exists(o.cg_mem));
  }
  /* the live owner's box is untouched and works */
  assert_true(exists(workdir_of(live)));
  char live_pids[600];
  assert_int_equal(cgroup_of(agent_of(live), "pids", live_pids, sizeof live_pids), 0);
  assert_true(exists(live_pids));
  snprintf(entry, sizeof entry, RUN_DIR "/boxes/%s", strrchr(workdir_of(live), '/') + 1);
  assert_true(exists(entry));
  vbx_exec_result r;
  assert_int_equal(th_sh(live, "echo alive", &r), 0);
  assert_string_equal(r.stdout_data, "alive\n");
  th_res_free(&r);
  TH.vt->destroy(live);
  assert_false(exists(entry));
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

/* A stale box whose recorded owner pid is alive - it is this very process
 * - but with another start time: the pid was reused, the box is stale. */
static void test_sweep_pid_reused(void **s) {
  (void)s;
  void *live = box("live2", NULL, 0, 256, 0, NULL, 0);
  char wd[256], text[1024], boot[64] = "", entry[512], cg_own[2][200], cg_box[2][300];
  snprintf(wd, sizeof wd, "/tmp/voidbox-local-fake-%d-1-XXXXXX", (int)getpid());
  assert_non_null(mkdtemp(wd));
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY);
  assert_true(fd >= 0 && read(fd, boot, sizeof boot - 1) > 0);
  close(fd);
  boot[strcspn(boot, "\n")] = '\0';
  unsigned long long wrong = start_time(getpid()) + 1;
  snprintf(text, sizeof text, "voidbox-local owner 1\npid %d\nstart %llu\nboot %s\nworkdir %s\n",
           (int)getpid(), wrong, boot, wd);
  char p[600];
  snprintf(p, sizeof p, "%s/owner", wd);
  write_file(p, text);
  snprintf(p, sizeof p, "%s/root", wd);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/root/left-behind", wd);
  write_file(p, "x");
  snprintf(p, sizeof p, "%s/agent.log", wd);
  write_file(p, "log");
  snprintf(entry, sizeof entry, RUN_DIR "/boxes/%s", strrchr(wd, '/') + 1);
  write_file(entry, text);
  /* its cgroups, with a process still inside */
  const char *ctrl[2] = {"memory", "pids"};
  for (int i = 0; i < 2; i++) {
    snprintf(cg_own[i], sizeof cg_own[i], CG "/%s/voidbox-local/o%d-%llu", ctrl[i], (int)getpid(),
             wrong);
    snprintf(cg_box[i], sizeof cg_box[i], "%.200s/fake", cg_own[i]);
    mkdir(cg_own[i], 0755);
    assert_int_equal(mkdir(cg_box[i], 0755), 0);
  }
  pid_t sl = fork();
  if (sl == 0) {
    execlp("sleep", "sleep", "1000", (char *)NULL);
    _exit(127);
  }
  char pidtxt[32];
  snprintf(pidtxt, sizeof pidtxt, "%d", (int)sl);
  for (int i = 0; i < 2; i++) {
    snprintf(p, sizeof p, "%.300s/cgroup.procs", cg_box[i]);
    int cfd = open(p, O_WRONLY);
    assert_true(cfd >= 0);
    assert_int_equal(write(cfd, pidtxt, strlen(pidtxt)), (ssize_t)strlen(pidtxt));
    close(cfd);
  }
  next_init();
  int st = 0;
  assert_int_equal(waitpid(sl, &st, 0), sl);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  assert_false(exists(wd));
  assert_false(exists(entry));
  for (int i = 0; i < 2; i++) {
    assert_false(exists(cg_box[i]));
    assert_false(exists(cg_own[i]));
  }
  /* this process's real box: untouched */
  assert_true(exists(workdir_of(live)));
  vbx_exec_result r;
  assert_int_equal(th_sh(live, "true", &r), 0);
  th_res_free(&r);
  TH.vt->destroy(live);
}

/* A stale box whose owner has exited but is not reaped yet (a zombie: what
 * a SIGKILLed voidbox's worker is until its new parent waits for it) is
 * an orphan already: the sweep removes it. */
static void test_sweep_zombie_owner(void **s) {
  (void)s;
  pid_t z = fork();
  if (z == 0) _exit(0);
  assert_true(z > 0);
  unsigned long long start = start_time(z);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  assert_int_equal(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0); /* a zombie now */
  char wd[256], text[1024], boot[64] = "", entry[512], p[600];
  snprintf(wd, sizeof wd, "/tmp/voidbox-local-zombie-%d-1-XXXXXX", (int)z);
  assert_non_null(mkdtemp(wd));
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY);
  assert_true(fd >= 0 && read(fd, boot, sizeof boot - 1) > 0);
  close(fd);
  boot[strcspn(boot, "\n")] = '\0';
  snprintf(text, sizeof text, "voidbox-local owner 1\npid %d\nstart %llu\nboot %s\nworkdir %s\n",
           (int)z, start, boot, wd);
  snprintf(p, sizeof p, "%s/owner", wd);
  write_file(p, text);
  snprintf(entry, sizeof entry, RUN_DIR "/boxes/%s", strrchr(wd, '/') + 1);
  write_file(entry, text);
  next_init();
  assert_false(exists(wd));
  assert_false(exists(entry));
  assert_int_equal(waitpid(z, NULL, 0), z);
}

/* ---- 5: read-only all the way down ------------------------------------ */

static char ro_host[64], ro_sub[96];

static void ro_checks(const char *how) {
  printf("# read-only by %s\n", how);
  vbx_mount m = {
      .struct_size = sizeof m, .host_path = ro_host, .guest_path = "/data", .read_only = 1};
  void *b = box("ro", NULL, 0, 256, 0, &m, 1);
  vbx_exec_result r;
  /* readable, top and submount */
  assert_int_equal(th_sh(b, "cat /data/top.txt /data/sub/in.txt", &r), 0);
  assert_string_equal(r.stdout_data, "top\nin\n");
  th_res_free(&r);
  static const char *const cmds[] = {
      "touch /data/x",     "echo no > /data/top.txt",
      "touch /data/sub/x", "echo no > /data/sub/in.txt",
      "mkdir /data/sub/d", "touch /usr/local/src/x",
      "touch /usr/x",      "touch /etc/ssl/x",
  };
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    char c[200];
    snprintf(c, sizeof c, "{ %s; } 2>&1", cmds[i]);
    int code = th_sh(b, c, &r);
    if (code == 0) fail_msg("'%s' succeeded in a read-only mount", cmds[i]);
    /* never a permission error: read-only file system (uid is not root) */
    if (strstr(cmds[i], "/data/") || strstr(cmds[i], "/usr/local/src/"))
      if (strstr(r.stdout_data, "Read-only file system") == NULL)
        fail_msg("'%s': %s", cmds[i], r.stdout_data);
    th_res_free(&r);
  }
  /* the agent (root in the box) cannot write there either */
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_not_equal(TH.vt->file_write(b, "/data/y", "y", 1, 0644, &call), 0);
  printf("# file_write /data/y: %s\n", call.message);
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_not_equal(TH.vt->file_write(b, "/data/sub/y", "y", 1, 0644, &call), 0);
  printf("# file_write /data/sub/y: %s\n", call.message);
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_not_equal(TH.vt->file_write(b, "/usr/local/src/y", "y", 1, 0644, &call), 0);
  char p[200];
  snprintf(p, sizeof p, "%s/y", ro_host);
  assert_false(exists(p));
  snprintf(p, sizeof p, "%s/y", ro_sub);
  assert_false(exists(p));
  assert_false(exists("/usr/local/src/y"));
  assert_true(exists("/usr/local/src/vbx-test-marker")); /* our submount is there */
  /* the box's own storage stays writable */
  assert_int_equal(th_sh(b, "touch /tmp/ok /workspace/ok", &r), 0);
  th_res_free(&r);
  TH.vt->destroy(b);
}

static void test_readonly_recursive(void **s) {
  (void)s;
  snprintf(ro_host, sizeof ro_host, "/tmp/vbx-ro-%d-XXXXXX", (int)getpid());
  assert_non_null(mkdtemp(ro_host));
  chmod(ro_host, 0777); /* so only read-only-ness can refuse the box's uid */
  char p[200];
  snprintf(p, sizeof p, "%s/top.txt", ro_host);
  FILE *f = fopen(p, "w");
  fputs("top\n", f);
  fclose(f);
  chmod(p, 0666);
  snprintf(ro_sub, sizeof ro_sub, "%s/sub", ro_host);
  assert_int_equal(mkdir(ro_sub, 0755), 0);
  /* submounts in this process's private mount namespace only */
  assert_int_equal(mount("vbxtest", ro_sub, "tmpfs", 0, "size=1m,mode=0777"), 0);
  snprintf(p, sizeof p, "%s/in.txt", ro_sub);
  f = fopen(p, "w");
  fputs("in\n", f);
  fclose(f);
  chmod(p, 0666);
  int usr_sub = mount("vbxtest", "/usr/local/src", "tmpfs", 0, "size=1m,mode=0777") == 0;
  assert_true(usr_sub);
  f = fopen("/usr/local/src/vbx-test-marker", "w");
  fclose(f);
  ro_checks("mount_setattr (AT_RECURSIVE)");
  /* the fallback: a bind remount of every mount found in mountinfo */
  th_unload();
  setenv("VOIDBOX_LOCAL_READONLY", "mountinfo", 1);
  lt_load();
  ro_checks("the mountinfo walk");
  unsetenv("VOIDBOX_LOCAL_READONLY");
  reload();
  umount2("/usr/local/src", MNT_DETACH);
  umount2(ro_sub, MNT_DETACH);
  rmdir(ro_sub);
  snprintf(p, sizeof p, "%s/top.txt", ro_host);
  unlink(p);
  rmdir(ro_host);
}

/* ---- 8: disk is bounded ----------------------------------------------- */

static void test_disk_bounded(void **s) {
  (void)s;
  void *b = box("disk", NULL, 0, 128, 8, NULL, 0);
  long long before = du(workdir_of(b));
  vbx_exec_result r;
  int code = th_sh(b, "dd if=/dev/zero of=/tmp/big bs=1M count=16 2>&1", &r);
  printf("# dd 16 MiB into /tmp with disk_mb 8: exit %d: %s", code, r.stdout_data);
  assert_int_not_equal(code, 0);
  assert_non_null(strstr(r.stdout_data, "No space left on device"));
  th_res_free(&r);
  /* /workspace shares the 8 MiB */
  code = th_sh(b, "dd if=/dev/zero of=/workspace/w bs=1M count=1 2>&1", &r);
  assert_int_not_equal(code, 0);
  assert_non_null(strstr(r.stdout_data, "No space left on device"));
  th_res_free(&r);
  assert_int_equal(th_sh(b,
                         "rm /tmp/big && dd if=/dev/zero of=/workspace/w bs=1M count=4 "
                         "2>/dev/null && echo ok",
                         &r),
                   0);
  assert_string_equal(r.stdout_data, "ok\n");
  th_res_free(&r);
  code = th_sh(b, "dd if=/dev/zero of=/tmp/t bs=1M count=6 2>&1", &r);
  assert_int_not_equal(code, 0);
  assert_non_null(strstr(r.stdout_data, "No space left on device"));
  th_res_free(&r);
  /* file_write past the size fails too */
  size_t n = 9u << 20;
  char *data = calloc(1, n);
  assert_non_null(data);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_not_equal(TH.vt->file_write(b, "/workspace/f", data, n, 0644, &call), 0);
  printf("# file_write of 9 MiB: %s\n", call.message);
  free(data);
  /* nothing landed on the host's disk */
  long long after = du(workdir_of(b));
  printf("# box directory on the host: %lld -> %lld bytes\n", before, after);
  assert_true(after - before < 64 * 1024);
  /* the memory cgroup holds memory_mb + disk_mb */
  char mem[600], v[64] = "";
  if (cgroup_of(agent_of(b), "memory", mem, sizeof mem) == 0) {
    strcat(mem, "/memory.limit_in_bytes");
    FILE *f = fopen(mem, "r");
    assert_non_null(f);
    assert_non_null(fgets(v, sizeof v, f));
    fclose(f);
    assert_int_equal(strtoull(v, NULL, 10), (128ull + 8) << 20);
  } else {
    printf("# no memory cgroup here: limit not checked\n");
  }
  TH.vt->destroy(b);
  /* default size: 256 MiB */
  b = box("disk0", NULL, 0, 128, 0, NULL, 0);
  assert_int_equal(th_sh(b, "stat -f -c '%b %S' /tmp", &r), 0);
  unsigned long long blocks = 0, bsize = 0;
  assert_int_equal(sscanf(r.stdout_data, "%llu %llu", &blocks, &bsize), 2);
  assert_int_equal(blocks * bsize, 256ull << 20);
  th_res_free(&r);
  TH.vt->destroy(b);
}

/* ---- 9: one uid per box ----------------------------------------------- */

static unsigned long box_uid(void *b) {
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "id -u; id -g", &r), 0);
  unsigned long u = 0, g = 0;
  assert_int_equal(sscanf(r.stdout_data, "%lu %lu", &u, &g), 2);
  assert_int_equal(u, g);
  th_res_free(&r);
  return u;
}

static void test_uid_per_box(void **s) {
  (void)s;
  void *a = box("uida", "\"max_procs\":40", 0, 256, 0, NULL, 0);
  void *b = box("uidb", "\"max_procs\":40", 0, 256, 0, NULL, 0);
  unsigned long ua = box_uid(a), ub = box_uid(b);
  printf("# uids %lu and %lu\n", ua, ub);
  assert_int_not_equal(ua, ub);
  const unsigned long lo = LOCAL_UID_BASE_DEFAULT, hi = lo + LOCAL_UID_COUNT_DEFAULT;
  assert_true(ua >= lo && ua < hi && ub >= lo && ub < hi);
  /* a fork bomb (bounded by max_procs 40) in a ... */
  vbx_exec_result r;
  th_sh(a,
        "i=0; while [ $i -lt 100 ]; do sleep 60 >/dev/null 2>&1 & i=$((i+1)); done "
        "2>/dev/null; echo spawned",
        &r);
  th_res_free(&r);
  /* a is at its limit: the exec itself or its fork is refused */
  const char *fork1[] = {"/bin/sh", "-c", "sleep 0 && echo forked", NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = th_exec(a, fork1, NULL, 0, 30000, &r, &call);
  printf("# box a after its fork bomb: rc %d exit %d %s%s\n", rc, rc ? -1 : r.exit_code,
         rc ? call.message : r.stdout_data, rc ? "" : r.stderr_data);
  assert_true(rc != 0 || strstr(r.stdout_data, "forked") == NULL);
  if (rc == 0) th_res_free(&r);
  /* ... does not stop b */
  assert_int_equal(th_sh(b, "for i in $(seq 20); do sleep 0.1 & done; wait; echo ok", &r), 0);
  assert_string_equal(r.stdout_data, "ok\n");
  th_res_free(&r);
  /* box directories: 0700, closed to uid 65534 */
  struct stat st;
  assert_int_equal(stat(workdir_of(b), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0700);
  pid_t c = fork();
  if (c == 0) {
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    char p[700];
    snprintf(p, sizeof p, "%s/agent.log", workdir_of(b));
    DIR *d = opendir(workdir_of(b));
    int fd = open(p, O_RDONLY);
    _exit(d == NULL && errno == EACCES && fd < 0 ? 0 : 1);
  }
  int wst;
  assert_int_equal(waitpid(c, &wst, 0), c);
  assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
  TH.vt->destroy(a);
  TH.vt->destroy(b);
  /* an explicit uid wins (and such boxes share it) */
  a = box("uidx", "\"uid\":65534,\"gid\":65534", 0, 256, 0, NULL, 0);
  assert_int_equal(box_uid(a), 65534);
  TH.vt->destroy(a);
  /* a configured range of two ids: two boxes, the third is refused */
  char base[32];
  unsigned long bv = 1999000000ul + (unsigned long)(getpid() % 10000) * 2;
  snprintf(base, sizeof base, "%lu", bv);
  th_unload();
  setenv("VOIDBOX_LOCAL_UID_BASE", base, 1);
  setenv("VOIDBOX_LOCAL_UID_COUNT", "2", 1);
  lt_load();
  a = box("r1", NULL, 0, 256, 0, NULL, 0);
  b = box("r2", NULL, 0, 256, 0, NULL, 0);
  ua = box_uid(a), ub = box_uid(b);
  assert_true(ua != ub && ua >= bv && ua < bv + 2 && ub >= bv && ub < bv + 2);
  void *third = NULL;
  assert_int_equal(box_try("r3", NULL, 0, 256, 0, NULL, 0, &call, &third), VBX_E_LIMIT);
  printf("# third box: %s\n", call.message);
  TH.vt->destroy(a);
  third = box("r3", NULL, 0, 256, 0, NULL, 0); /* released by destroy */
  TH.vt->destroy(third);
  TH.vt->destroy(b);
  unsetenv("VOIDBOX_LOCAL_UID_BASE");
  unsetenv("VOIDBOX_LOCAL_UID_COUNT");
  reload();
}

/* ---- 11: loopback, and no host paths in mountinfo ----------------------- */

static void test_loopback_and_mountinfo(void **s) {
  (void)s;
  void *b = box("lo", NULL, 0, 256, 0, NULL, 0);
  vbx_exec_result r;
  if (access("/usr/bin/python3", X_OK) == 0) {
    assert_int_equal(
        th_sh(b,
              "python3 -c 'import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); "
              "s.listen(1); c = socket.create_connection(s.getsockname()); a, _ = s.accept(); "
              "c.sendall(b\"hi\"); print(a.recv(2).decode())' 2>&1",
              &r),
        0);
    assert_string_equal(r.stdout_data, "hi\n");
    th_res_free(&r);
  } else {
    printf("# no /usr/bin/python3: loopback checked through ip link only\n");
  }
  assert_int_equal(th_sh(b, "ip -o link show lo 2>&1 || cat /proc/net/dev", &r), 0);
  printf("# %s", r.stdout_data);
  if (strstr(r.stdout_data, "link/loopback")) assert_non_null(strstr(r.stdout_data, ",UP"));
  th_res_free(&r);
  assert_int_equal(th_sh(b, "cat /proc/self/mountinfo", &r), 0);
  const char *mi = r.stdout_data;
  if (strstr(mi, workdir_of(b)) || strstr(mi, "voidbox-local-") || strstr(mi, VBX_TEST_AGENT) ||
      strstr(mi, "voidbox-guest-agent"))
    fail_msg("host paths in the box's mountinfo:\n%s", mi);
  /* the root is the box's tmpfs */
  const char *root = strstr(mi, " / / ");
  assert_non_null(root);
  const char *eol = strchr(root, '\n');
  assert_non_null(strstr(root, " - tmpfs "));
  assert_true(strstr(root, " - tmpfs ") < eol);
  th_res_free(&r);
  TH.vt->destroy(b);
}

/* ---- main --------------------------------------------------------------- */

static int setup(void **s) {
  (void)s;
  lt_load();
  return 0;
}
static int teardown(void **s) {
  (void)s;
  th_unload();
  return 0;
}

int main(void) {
  lt_require();
  if (access(CG "/pids/cgroup.procs", F_OK) != 0) {
    printf("SKIP: needs the cgroup v1 pids hierarchy (%s/pids)\n", CG);
    return 77;
  }
  /* a mount namespace of our own: the test's submounts stay here */
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    printf("SKIP: cannot make a private mount namespace: %s\n", strerror(errno));
    return 77;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_owner_death),
      cmocka_unit_test(test_sweep_pid_reused),
      cmocka_unit_test(test_sweep_zombie_owner),
      cmocka_unit_test(test_readonly_recursive),
      cmocka_unit_test(test_disk_bounded),
      cmocka_unit_test(test_uid_per_box),
      cmocka_unit_test(test_loopback_and_mountinfo),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
