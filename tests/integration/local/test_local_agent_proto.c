/*
 * tests/integration/local/test_local_agent_proto.c - the guest agent as a
 * plain process, driven at the protocol level: wrong secret refused;
 * malformed and oversized frames close only their connection while
 * another connection keeps being served; file paths outside --root
 * (absolute, `..`, symlinks) refused; an empty allowlist refuses the very
 * first exec; a group-readable secret file stops the agent at start-up;
 * SHUTDOWN's grace: held for a command that ignores SIGTERM (then
 * SIGKILL), over as soon as the commands are gone or when none runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "voidbox/errors.h"

static char dir[64], sock[128], root[128], secretf[128], policyf[128];
static const char secret[] = "0123456789abcdef0123456789abcdef";
static pid_t agent = -1;

static void write_file(const char *p, const char *s, mode_t mode) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
  fchmod(fd, mode);
  close(fd);
}

static pid_t start_agent(const char *policy, mode_t secret_mode) {
  write_file(policyf, policy, 0600);
  write_file(secretf, secret, secret_mode);
  unlink(sock);
  pid_t p = fork();
  if (p == 0) {
    char l[200], r[200];
    snprintf(l, sizeof l, "unix:%s", sock);
    snprintf(r, sizeof r, "--root=%s", root);
    execl(VBX_TEST_AGENT, "voidbox-guest-agent", "--listen", l, "--policy-file", policyf,
          "--secret-file", secretf, r, "--no-init", (char *)NULL);
    _exit(126);
  }
  /* The agent renames its socket into place only once it listens, so the
   * path existing means connections are accepted. Bounded generously: a
   * loaded CI machine (ctest -j2, sanitizers) can be slow to start it. */
  for (int i = 0; i < 3000; i++) {
    if (access(sock, F_OK) == 0) return p;
    int st;
    if (waitpid(p, &st, WNOHANG) == p) return -WEXITSTATUS(st) - 1;
    usleep(10000);
  }
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
  fail_msg("guest agent did not create %s within 30 s", sock);
  return -1;
}

static void stop_agent(void) {
  if (agent > 0) {
    kill(agent, SIGKILL);
    waitpid(agent, NULL, 0);
    agent = -1;
  }
}

static gc_conn *conn(void) {
  gc_conn *c = NULL;
  char err[256];
  int rc = gc_connect_unix(sock, secret, sizeof secret - 1, 5000, &c, err, sizeof err);
  if (rc != 0) fail_msg("connect: %d %s", rc, err);
  return c;
}

/* One exec of argv over c; returns the exit code, or the ERROR code. */
/* EXEC_START of argv over c on a new request (asserts). */
static gc_req *exec_start(gc_conn *c, const char *const *argv) {
  gc_req *r;
  assert_int_equal(gc_req_new(c, 0, &r), 0);
  struct vbx_proto_exec_start es;
  memset(&es, 0, sizeof es);
  while (argv[es.argc])
    es.argc++;
  es.argv = argv;
  struct vbx_proto_buf b;
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_exec_start(&b, gc_req_id(r), &es), 0);
  assert_int_equal(gc_send_buf(c, &b), 0);
  vbx_proto_buf_fini(&b);
  return r;
}

static int run(gc_conn *c, const char *const *argv, char *out, size_t cap) {
  gc_req *r = exec_start(c, argv);
  size_t n = 0;
  int result = -1000;
  for (;;) {
    gc_item *it;
    int rc = gc_req_next(r, 5000, &it);
    if (rc == VBX_E_AGAIN) continue;
    assert_int_equal(rc, 0);
    if (it->type == VBX_PROTO_T_STDOUT_DATA) {
      struct vbx_proto_data d;
      assert_int_equal(vbx_proto_decode_data(it->payload, it->len, &d), 0);
      if (out && n + d.len < cap) memcpy(out + n, d.data, d.len), n += d.len;
      gc_req_consumed(r, d.len);
    } else if (it->type == VBX_PROTO_T_EXIT) {
      struct vbx_proto_exit x;
      assert_int_equal(vbx_proto_decode_exit(it->payload, it->len, &x), 0);
      result = x.code;
      free(it);
      break;
    } else if (it->type == VBX_PROTO_T_ERROR) {
      struct vbx_proto_error e;
      assert_int_equal(vbx_proto_decode_error(it->payload, it->len, &e), 0);
      result = e.code;
      free(it);
      break;
    }
    free(it);
  }
  if (out) out[n] = '\0';
  gc_req_free(r);
  return result;
}

/* FILE_GET of path: returns 0 and the size, or the ERROR code. */
static int get(gc_conn *c, const char *path) {
  gc_req *r;
  assert_int_equal(gc_req_new(c, 0, &r), 0);
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_FILE_GET, .id = gc_req_id(r)};
  m.u.get.max_size = 1 << 20;
  m.u.get.path = vbx_proto_str_c(path);
  assert_int_equal(gc_send_msg(c, &m), 0);
  int result = -1000;
  for (;;) {
    gc_item *it;
    int rc = gc_req_next(r, 5000, &it);
    assert_int_equal(rc, 0);
    int t = it->type;
    if (t == VBX_PROTO_T_ERROR) {
      struct vbx_proto_error e;
      vbx_proto_decode_error(it->payload, it->len, &e);
      result = e.code;
    } else if (t == VBX_PROTO_T_FILE_DATA) {
      gc_req_consumed(r, it->len - 8);
    } else if (t == VBX_PROTO_T_FILE_END) {
      result = 0;
    }
    free(it);
    if (t != VBX_PROTO_T_FILE_DATA) break;
  }
  gc_req_free(r);
  return result;
}

static int raw_connect(void) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strcpy(sa.sun_path, sock);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

/* Read until EOF (with a bound); returns 1 if the peer closed. */
static int closed_by_peer(int fd) {
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  for (int i = 0; i < 100; i++) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return 1;
    if (n < 0) return errno == ECONNRESET;
  }
  return 0;
}

static void test_wrong_secret(void **s) {
  (void)s;
  gc_conn *c = NULL;
  char err[256];
  static const char bad[] = "0123456789abcdef0123456789abcdeX";
  int rc = gc_connect_unix(sock, bad, sizeof bad - 1, 5000, &c, err, sizeof err);
  assert_int_equal(rc, VBX_E_AUTH);
  assert_null(c);
  /* the right secret still works afterwards */
  c = conn();
  const char *argv[] = {"echo", "hi", NULL};
  char out[64];
  assert_int_equal(run(c, argv, out, sizeof out), 0);
  assert_string_equal(out, "hi\n");
  gc_close(c);
}

static void test_malformed_closes_only_that_connection(void **s) {
  (void)s;
  gc_conn *good = conn();
  /* garbage instead of a HELLO */
  int fd = raw_connect();
  assert_int_equal(write(fd, "GET / HTTP/1.1\r\n\r\n", 18), 18);
  assert_true(closed_by_peer(fd));
  close(fd);
  /* an authenticated connection that then sends a bad payload */
  gc_conn *bad = conn();
  uint8_t frame[16 + 3] = {
      0x56, 0x42, 1, VBX_PROTO_T_EXEC_START, 0, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3};
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, frame, sizeof frame);
  b.len = sizeof frame;
  assert_int_equal(gc_send_buf(bad, &b), 0);
  for (int i = 0; i < 200 && !gc_dead(bad, NULL, 0); i++)
    usleep(10000);
  assert_true(gc_dead(bad, NULL, 0));
  gc_close(bad);
  /* oversized: a header announcing 2 MiB */
  gc_conn *big = conn();
  uint8_t hdr[16] = {0x56, 0x42, 1, VBX_PROTO_T_STDIN_DATA, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x20, 0};
  vbx_proto_buf_init_fixed(&b, hdr, sizeof hdr);
  b.len = sizeof hdr;
  assert_int_equal(gc_send_buf(big, &b), 0);
  for (int i = 0; i < 200 && !gc_dead(big, NULL, 0); i++)
    usleep(10000);
  assert_true(gc_dead(big, NULL, 0));
  gc_close(big);
  /* the first connection never noticed */
  const char *argv[] = {"echo", "still", NULL};
  char out[64];
  assert_int_equal(run(good, argv, out, sizeof out), 0);
  assert_string_equal(out, "still\n");
  gc_close(good);
}

static void test_paths_outside_root(void **s) {
  (void)s;
  char p[300];
  snprintf(p, sizeof p, "%s/inside.txt", root);
  write_file(p, "ok", 0644);
  snprintf(p, sizeof p, "%s/link", root);
  assert_int_equal(symlink("/etc", p), 0);
  gc_conn *c = conn();
  assert_int_equal(get(c, "inside.txt"), 0);
  snprintf(p, sizeof p, "%s/inside.txt", root);
  assert_int_equal(get(c, p), 0);
  assert_int_equal(get(c, "/etc/passwd"), VBX_E_PERM); /* absolute, outside */
  assert_int_equal(get(c, "../secret"), VBX_E_PERM);   /* .. escapes */
  snprintf(p, sizeof p, "%s/../secret", root);
  assert_int_equal(get(c, p), VBX_E_PERM);
  assert_int_equal(get(c, "link/passwd"), VBX_E_PERM); /* symlink */
  assert_int_equal(get(c, "missing"), VBX_E_NOTFOUND);
  gc_close(c);
}

static void test_empty_allowlist_refuses_first_exec(void **s) {
  (void)s;
  stop_agent();
  agent = start_agent("# no allow lines\nmax_output_bytes = 1m\n", 0600);
  assert_true(agent > 0);
  gc_conn *c = conn();
  const char *argv[] = {"echo", "x", NULL};
  assert_int_equal(run(c, argv, NULL, 0), VBX_E_PERM);
  gc_close(c);
  stop_agent();
  /* a secret file others can read is refused before serving */
  pid_t p = start_agent("allow = *\n", 0644);
  assert_true(p < 0);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* EXEC_START of `sh -c script` over c, returning once its first stdout
 * bytes came (the command runs). */
static gc_req *start_sh(gc_conn *c, const char *script) {
  const char *argv[] = {"sh", "-c", script, NULL};
  gc_req *r = exec_start(c, argv);
  for (;;) {
    gc_item *it;
    int rc = gc_req_next(r, 5000, &it);
    assert_int_equal(rc, 0);
    int type = it->type;
    free(it);
    if (type == VBX_PROTO_T_STDOUT_DATA) return r;
    assert_int_not_equal(type, VBX_PROTO_T_EXIT);
    assert_int_not_equal(type, VBX_PROTO_T_ERROR);
  }
}

/* SHUTDOWN with grace_ms over c; returns the seconds until the agent
 * exited (asserting it exited with 0). */
static double shutdown_took(gc_conn *c, uint32_t grace_ms) {
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_SHUTDOWN, .id = 0, .u.grace_ms = grace_ms};
  double t0 = now_s();
  assert_int_equal(gc_send_msg(c, &m), 0);
  int st;
  assert_int_equal(waitpid(agent, &st, 0), agent);
  double took = now_s() - t0;
  agent = -1;
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  return took;
}

static void test_shutdown_grace(void **s) {
  (void)s;
  char script[200], pat[100];
  /* 1. A command that ignores SIGTERM gets the whole grace, then SIGKILL
   *    with its process group (its sleeps die at the SIGTERM). */
  stop_agent();
  agent = start_agent("allow = *\n", 0600);
  assert_true(agent > 0);
  gc_conn *c = conn();
  snprintf(script, sizeof script,
           "trap '' TERM; echo up; while :; do sleep 0.05; done; : stubborn.%d", (int)getpid());
  snprintf(pat, sizeof pat, "pgrep -f 'stubborn\\.%d$' >/dev/null", (int)getpid());
  gc_req *r = start_sh(c, script);
  double took = shutdown_took(c, 600);
  printf("SHUTDOWN (grace 600 ms), a command ignoring SIGTERM: %.0f ms\n", took * 1e3);
  assert_true(took >= 0.59);
  int gone = 0;
  for (int i = 0; i < 100 && !(gone = system(pat) != 0); i++)
    usleep(20 * 1000);
  assert_true(gone);
  gc_req_free(r);
  gc_close(c);
  /* 2. A command that ends at SIGTERM: the grace ends with it. */
  agent = start_agent("allow = *\n", 0600);
  assert_true(agent > 0);
  c = conn();
  r = start_sh(c, "echo up; exec sleep 30");
  took = shutdown_took(c, 5000);
  printf("SHUTDOWN (grace 5 s), a command ending at SIGTERM: %.0f ms\n", took * 1e3);
  assert_true(took < 2.5);
  gc_req_free(r);
  gc_close(c);
  /* 3. Nothing running: no grace at all. */
  agent = start_agent("allow = *\n", 0600);
  assert_true(agent > 0);
  c = conn();
  took = shutdown_took(c, 5000);
  printf("SHUTDOWN (grace 5 s), nothing running: %.0f ms\n", took * 1e3);
  assert_true(took < 2.5);
  gc_close(c);
  agent = start_agent("allow = echo\nallow = cat\n", 0600); /* as setup left it */
  assert_true(agent > 0);
}

static int setup(void **s) {
  (void)s;
  snprintf(dir, sizeof dir, "/tmp/vbx-agent-proto-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(sock, sizeof sock, "%s/s", dir);
  snprintf(root, sizeof root, "%s/root", dir);
  snprintf(secretf, sizeof secretf, "%s/secret", dir);
  snprintf(policyf, sizeof policyf, "%s/policy", dir);
  mkdir(root, 0755);
  agent = start_agent("allow = echo\nallow = cat\n", 0600);
  assert_true(agent > 0);
  return 0;
}

static int teardown(void **s) {
  (void)s;
  stop_agent();
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (access(VBX_TEST_AGENT, X_OK) != 0) {
    printf("SKIP: guest agent %s not built\n", VBX_TEST_AGENT);
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrong_secret),
      cmocka_unit_test(test_malformed_closes_only_that_connection),
      cmocka_unit_test(test_paths_outside_root),
      cmocka_unit_test(test_empty_allowlist_refuses_first_exec),
      cmocka_unit_test(test_shutdown_grace),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
