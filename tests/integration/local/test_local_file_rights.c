/*
 * tests/integration/local/test_local_file_rights.c - the model's file tools
 * (the local backend's file_write / file_read) have the rights of the box's
 * commands, not the agent's root: writes where commands are refused
 * (/etc/ld.so.preload, /run) fail with a permission error and leave
 * nothing; /proc, devices, FIFOs and planted symlinks are refused; a FIFO
 * gets a prompt error and the connection keeps serving; what file_write
 * creates is owned by the commands' uid/gid (`id -u` / `id -g` in the box);
 * a file that grows while read is cut at max_len with VBX_E_TOOBIG (both
 * through the vtable and, deterministically, by pausing the host's credit
 * on the box's own connection: white box, local_box from local.h), and no
 * agent thread is left behind (/proc/<agent>/task seen from the host).
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lt.h"
#include "local.h"

#define BOUND_MS 5000 /* a refusal must come well within this */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* sh -c CMD in the box; its stdout (newline stripped) into out. */
static int sh_out(void *b, const char *cmd, char *out, size_t cap) {
  vbx_exec_result r;
  int code = th_sh(b, cmd, &r);
  snprintf(out, cap, "%s", r.stdout_data ? r.stdout_data : "");
  out[strcspn(out, "\n")] = '\0';
  th_res_free(&r);
  return code;
}

static int sh_code(void *b, const char *cmd) {
  char ignored[8];
  return sh_out(b, cmd, ignored, sizeof ignored);
}

/* ---- calls bounded by a watchdog ---------------------------------------- */

/* A call that does not return within BOUND_MS is cancelled (the host polls
 * cancellation every 50 ms), so a hang fails the test instead of stalling
 * it; *ms is how long the call took. */
struct watchdog {
  vbx__cancel cancel;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int done;
  pthread_t t;
};

static void *watchdog_main(void *arg) {
  struct watchdog *w = arg;
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += BOUND_MS / 1000;
  pthread_mutex_lock(&w->lock);
  int rc = 0;
  while (!w->done && rc == 0)
    rc = pthread_cond_timedwait(&w->cond, &w->lock, &until);
  if (!w->done) vbx__cancel_set(&w->cancel);
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

static void watchdog_start(struct watchdog *w, vbx_call *call) {
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->cond, NULL);
  vbx__call_init(call, &w->cancel, NULL, 0);
  assert_int_equal(pthread_create(&w->t, NULL, watchdog_main, w), 0);
}

static void watchdog_stop(struct watchdog *w) {
  pthread_mutex_lock(&w->lock);
  w->done = 1;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->t, NULL);
  pthread_cond_destroy(&w->cond);
  pthread_mutex_destroy(&w->lock);
}

/* file_read under the watchdog; returns the rc, the message in msg. */
static int rd(void *b, const char *path, size_t max, char **out, size_t *len, char *msg, size_t cap,
              uint64_t *ms) {
  struct watchdog w;
  vbx_call call;
  watchdog_start(&w, &call);
  uint64_t t0 = now_ms();
  *out = NULL;
  int rc = TH.vt->file_read(b, path, max, out, len, &call);
  *ms = now_ms() - t0;
  watchdog_stop(&w);
  snprintf(msg, cap, "%s", call.message);
  if (rc == VBX_E_CANCELLED) fail_msg("file_read %s did not return within %d ms", path, BOUND_MS);
  print_message("file_read %s: %d in %llu ms%s%s\n", path, rc, (unsigned long long)*ms,
                rc ? ": " : "", rc ? msg : "");
  return rc;
}

/* file_read expected to fail with want, promptly, with `needle` in the
 * message (NULL: any). */
static void rd_refused(void *b, const char *path, int want, const char *needle) {
  char *out = NULL, msg[1100];
  size_t len = 0;
  uint64_t ms;
  int rc = rd(b, path, 1 << 20, &out, &len, msg, sizeof msg, &ms);
  if (rc == 0) TH.h->free(out);
  assert_int_equal(rc, want);
  assert_true(ms < BOUND_MS);
  if (needle != NULL && strstr(msg, needle) == NULL)
    fail_msg("file_read %s: '%s' not in \"%s\"", path, needle, msg);
}

static int wr(void *b, const char *path, const char *data, uint32_t mode, char *msg, size_t cap) {
  struct watchdog w;
  vbx_call call;
  watchdog_start(&w, &call);
  int rc = TH.vt->file_write(b, path, data, strlen(data), mode, &call);
  watchdog_stop(&w);
  snprintf(msg, cap, "%s", call.message);
  if (rc == VBX_E_CANCELLED) fail_msg("file_write %s did not return within %d ms", path, BOUND_MS);
  print_message("file_write %s: %d%s%s\n", path, rc, rc ? ": " : "", rc ? msg : "");
  return rc;
}

/* ---- the agent's threads, seen from the host ----------------------------- */

static int agent_threads(void *box) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)((local_box *)box)->box.pid);
  DIR *d = opendir(path);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The count once it holds still for 50 ms (an exec's worker may still be
 * ending just after its EXIT reached us). */
static int stable_threads(void *box) {
  int n = agent_threads(box);
  for (int i = 0; i < 40; i++) {
    usleep(50000);
    int m = agent_threads(box);
    if (m == n) break;
    n = m;
  }
  return n;
}

/* Wait (up to 3 s) until the agent has `want` threads; returns the count. */
static int settle_threads(void *box, int want) {
  int n = agent_threads(box);
  for (int i = 0; i < 300 && n != want; i++) {
    usleep(10000);
    n = agent_threads(box);
  }
  return n;
}

/* ---- tests --------------------------------------------------------------- */

/* Root-owned places: commands are refused there, and so is file_write,
 * with a permission error naming the path; no file (and no temporary file)
 * appears. */
static void test_root_owned_writes_refused(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  char uid[32], msg[1100], out[256];
  assert_int_equal(sh_out(b, "id -u", uid, sizeof uid), 0);
  assert_string_not_equal(uid, "0");
  /* each path, and what the error must name (the directory file_write
   * creates first, for the last one) */
  static const char *const paths[] = {"/etc/ld.so.preload", "/run/voidbox-evil",
                                      "/etc/cron.d/evil"};
  static const char *const named[] = {"/etc/ld.so.preload", "/run/voidbox-evil", "/etc/cron.d"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    char cmd[300];
    /* the command is refused too (the premise of the comparison) */
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname %s)\" 2>/dev/null; echo x > %s", paths[i],
             paths[i]);
    assert_int_not_equal(sh_code(b, cmd), 0);
    assert_int_equal(wr(b, paths[i], "/tmp/evil.so\n", 0644, msg, sizeof msg), VBX_E_PERM);
    assert_non_null(strstr(msg, named[i]));
    assert_true(strstr(msg, "EACCES") != NULL || strstr(msg, "EROFS") != NULL);
    snprintf(cmd, sizeof cmd, "test ! -e %s", paths[i]);
    assert_int_equal(sh_code(b, cmd), 0);
  }
  /* no temporary file left anywhere it tried */
  assert_int_equal(sh_out(b, "ls -A /etc /run | grep -c vbx-put || true", out, sizeof out), 0);
  assert_string_equal(out, "0");
  TH.vt->destroy(b);
}

/* /proc and devices are refused (without opening devices: /dev/zero would
 * otherwise fill max_len), as are symlinks planted by a command. */
static void test_proc_devices_symlinks_refused(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  rd_refused(b, "/proc/1/environ", VBX_E_PERM, "/proc");
  rd_refused(b, "/proc/1/status", VBX_E_PERM, "is on /proc");
  rd_refused(b, "/proc/self/status", VBX_E_PERM, "symlink"); /* /proc/self is one */
  rd_refused(b, "/dev/zero", VBX_E_PERM, "character device");
  rd_refused(b, "/dev/null", VBX_E_PERM, "character device");
  rd_refused(b, "/workspace", VBX_E_INVAL, "is a directory");
  assert_int_equal(sh_code(b,
                           "ln -s /etc/shadow /workspace/shadow && "
                           "ln -s /etc/passwd /workspace/passwd && "
                           "ln -s /etc /workspace/etc"),
                   0);
  rd_refused(b, "/workspace/shadow", VBX_E_PERM, "symlink");
  rd_refused(b, "passwd", VBX_E_PERM, "symlink");
  rd_refused(b, "etc/passwd", VBX_E_PERM, "symlink");
  /* writing at the link's name replaces the link, never its target */
  char msg[1100], out[256];
  assert_int_equal(wr(b, "shadow", "mine\n", 0600, msg, sizeof msg), 0);
  assert_int_equal(sh_out(b,
                          "test ! -L /workspace/shadow && test -f /workspace/shadow && "
                          "test ! -e /etc/shadow && cat /workspace/shadow",
                          out, sizeof out),
                   0);
  assert_string_equal(out, "mine");
  assert_int_equal(wr(b, "etc/evil", "x", 0644, msg, sizeof msg), VBX_E_PERM);
  assert_non_null(strstr(msg, "symlink"));
  TH.vt->destroy(b);
}

/* A FIFO (an output_file a command replaced with one) is refused at once;
 * the connection serves the next calls; writing at its name replaces it. */
static void test_fifo_prompt_error(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  int base = stable_threads(b);
  assert_int_equal(sh_code(b, "mkfifo /workspace/f"), 0);
  rd_refused(b, "/workspace/f", VBX_E_PERM, "is a FIFO");
  rd_refused(b, "f", VBX_E_PERM, "/workspace/f is a FIFO");
  char out[64], msg[1100];
  assert_int_equal(sh_out(b, "echo alive", out, sizeof out), 0);
  assert_string_equal(out, "alive");
  assert_int_equal(settle_threads(b, base), base);
  /* the FIFO still has no writer and nobody blocked on it */
  assert_int_equal(sh_code(b, "test -p /workspace/f"), 0);
  assert_int_equal(wr(b, "f", "replaced\n", 0644, msg, sizeof msg), 0);
  assert_int_equal(sh_out(b, "test -f /workspace/f && cat /workspace/f", out, sizeof out), 0);
  assert_string_equal(out, "replaced");
  TH.vt->destroy(b);
}

/* What file_write creates (file and parent directories) belongs to the
 * commands' uid/gid, exactly as if a command had made it; commands can
 * modify it; and file_read has no right a command lacks (a mode-000 file). */
static void test_ownership_is_the_commands(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  char uid[32], gid[32], want[128], out[256], msg[1100];
  assert_int_equal(sh_out(b, "id -u", uid, sizeof uid), 0);
  assert_int_equal(sh_out(b, "id -g", gid, sizeof gid), 0);
  assert_int_equal(wr(b, "/workspace/made/sub/new.txt", "first\n", 0640, msg, sizeof msg), 0);
  snprintf(want, sizeof want, "%s %s", uid, gid);
  static const char *const made[] = {"/workspace/made", "/workspace/made/sub",
                                     "/workspace/made/sub/new.txt"};
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "stat -c '%%u %%g' %s", made[i]);
    assert_int_equal(sh_out(b, cmd, out, sizeof out), 0);
    if (strcmp(out, want) != 0)
      fail_msg("%s is owned by %s, commands run as %s", made[i], out, want);
  }
  assert_int_equal(sh_out(b, "stat -c %a /workspace/made/sub/new.txt", out, sizeof out), 0);
  assert_string_equal(out, "640");
  /* the same as a command's own file: it can modify it */
  assert_int_equal(sh_code(b, "echo second >> /workspace/made/sub/new.txt"), 0);
  char *data = NULL;
  size_t len = 0;
  uint64_t ms;
  assert_int_equal(rd(b, "made/sub/new.txt", 4096, &data, &len, msg, sizeof msg, &ms), 0);
  assert_int_equal(len, 13);
  assert_memory_equal(data, "first\nsecond\n", 13);
  TH.h->free(data);
  /* no capability: a file its owner made unreadable stays unreadable */
  assert_int_equal(sh_code(b, "echo secret > /workspace/locked && chmod 000 /workspace/locked"), 0);
  assert_int_not_equal(sh_code(b, "cat /workspace/locked 2>/dev/null"), 0);
  rd_refused(b, "locked", VBX_E_PERM, "EACCES");
  TH.vt->destroy(b);
}

/* A command appends in a loop: file_read is cut at max_len with
 * VBX_E_TOOBIG, the box keeps working and no agent thread is left. */
static void test_growing_file_vtable(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  char out[64];
  assert_int_equal(sh_code(b,
                           "head -c 65536 /dev/zero > /workspace/chunk; "
                           "(while :; do cat /workspace/chunk; done >> /workspace/grow) "
                           ">/dev/null 2>&1 </dev/null & echo $! > /workspace/appender; "
                           "until [ -s /workspace/grow ]; do sleep 0.01; done"),
                   0);
  int base = stable_threads(b);
  for (int i = 0; i < 3; i++) {
    char *data = NULL, msg[1100];
    size_t len = 0;
    uint64_t ms;
    int rc = rd(b, "grow", 1 << 20, &data, &len, msg, sizeof msg, &ms);
    if (rc == 0) TH.h->free(data);
    assert_int_equal(rc, VBX_E_TOOBIG);
    assert_non_null(strstr(msg, "/workspace/grow"));
  }
  assert_int_equal(sh_code(b, "kill $(cat /workspace/appender)"), 0);
  assert_int_equal(sh_out(b, "echo alive", out, sizeof out), 0);
  assert_string_equal(out, "alive");
  assert_int_equal(settle_threads(b, base), base);
  TH.vt->destroy(b);
}

/* Deterministic growth on the box's own connection: FILE_GET of a
 * 300 000-byte file with max_size 1 MiB; the host withholds credit after
 * the initial window, the file grows by 4 MiB meanwhile (an exec on the
 * same connection, which the paused read does not block), then credit
 * flows: exactly 1 MiB of FILE_DATA arrives, then ERROR{VBX_E_TOOBIG}. */
static void test_growing_file_cut_at_limit(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  gc_conn *conn = ((local_box *)b)->box.gs.conn;
  const uint64_t max = 1u << 20;
  assert_int_equal(sh_code(b, "head -c 300000 /dev/zero > /workspace/g"), 0);
  int base = stable_threads(b);
  gc_req *r;
  assert_int_equal(gc_req_new(conn, 0, &r), 0);
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_FILE_GET, .id = gc_req_id(r)};
  m.u.get.max_size = max;
  m.u.get.path = vbx_proto_str_c("/workspace/g");
  assert_int_equal(gc_send_msg(conn, &m), 0);
  uint64_t got = 0, unacked = 0;
  gc_item *it;
  while (got < VBX_PROTO_INITIAL_WINDOW) {
    assert_int_equal(gc_req_next(r, BOUND_MS, &it), 0);
    assert_int_equal(it->type, VBX_PROTO_T_FILE_DATA);
    struct vbx_proto_data d;
    assert_int_equal(vbx_proto_decode_data(it->payload, it->len, &d), 0);
    assert_int_equal(d.offset, got);
    got += d.len, unacked += d.len;
    free(it);
  }
  assert_int_equal(got, VBX_PROTO_INITIAL_WINDOW);
  assert_int_equal(gc_req_next(r, 300, &it), VBX_E_AGAIN); /* waiting for credit */
  assert_int_equal(settle_threads(b, base + 1), base + 1); /* its worker */
  assert_int_equal(sh_code(b, "head -c 4M /dev/zero >> /workspace/g"), 0);
  assert_int_equal(gc_req_consumed(r, (uint32_t)unacked), 0);
  int end = 0;
  while (!end) {
    assert_int_equal(gc_req_next(r, BOUND_MS, &it), 0);
    if (it->type == VBX_PROTO_T_FILE_DATA) {
      struct vbx_proto_data d;
      assert_int_equal(vbx_proto_decode_data(it->payload, it->len, &d), 0);
      assert_int_equal(d.offset, got);
      got += d.len;
      assert_true(got <= max);
      assert_int_equal(gc_req_consumed(r, d.len), 0);
    } else {
      assert_int_equal(it->type, VBX_PROTO_T_ERROR);
      struct vbx_proto_error e;
      assert_int_equal(vbx_proto_decode_error(it->payload, it->len, &e), 0);
      assert_int_equal(e.code, VBX_E_TOOBIG);
      print_message("after %llu bytes: %.*s\n", (unsigned long long)got, (int)e.message.len,
                    e.message.ptr);
      assert_non_null(memmem(e.message.ptr, e.message.len, "grew", 4));
      end = 1;
    }
    free(it);
  }
  assert_int_equal(got, max);
  assert_int_equal(gc_req_next(r, 200, &it), VBX_E_AGAIN); /* nothing after the ERROR */
  gc_req_free(r);
  assert_int_equal(settle_threads(b, base), base);
  assert_false(gc_dead(conn, NULL, 0));
  TH.vt->destroy(b);
}

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
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_root_owned_writes_refused),
      cmocka_unit_test(test_proc_devices_symlinks_refused),
      cmocka_unit_test(test_fifo_prompt_error),
      cmocka_unit_test(test_ownership_is_the_commands),
      cmocka_unit_test(test_growing_file_vtable),
      cmocka_unit_test(test_growing_file_cut_at_limit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
