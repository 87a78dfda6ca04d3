/*
 * tests/integration/local/test_local_tunnel_proto.c - the two ends of the
 * LLM gateway tunnel at the protocol level, each against a peer the test
 * plays by hand.
 *
 * The agent's end: a plain agent process whose policy has
 * llm_gateway_port (it listens on the host's loopback then), driven by a
 * host connection whose guest-id frames the test takes itself. Checked: a
 * connection with no host connection to carry it, or whose TUNNEL_OPEN the
 * host refuses, is reset at once; the in-box socket is read only under
 * the host's credit (exactly one window, then one grant more); half-close
 * and clean close in the order the rules give; at most 64 tunnels (the
 * 65th reset, a freed slot reused); a host that breaks a tunnel's rules or
 * starts a request on a guest id loses its connection.
 *
 * The host's end (client.c, tunnel.c): a fake guest agent on a socketpair.
 * Checked: an agent without the TUNNEL feature is refused with a message
 * saying so, and its TUNNEL_OPEN ends the connection; the gateway is read
 * only under the guest's credit; a guest reset closes the gateway
 * connection; a gateway that is not there is an ERROR naming the connect,
 * one that does not accept an ERROR after 10 s;
 * data at the wrong offset or an unknown service ends the connection; the
 * 65th tunnel gets ERROR(VBX_E_LIMIT).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "tsrv.h"
#include "tunnel.h"
#include "voidbox/errors.h"

static char dir[64], sock[128], secretf[128], policyf[128];
static const char secret[] = "0123456789abcdef0123456789abcdef";
static pid_t agent = -1;
static char agent_log[320]; /* the agent's stderr */
static uint16_t port;       /* the agent's tunnel listener (host loopback) */
static tsrv S;

/* ---- frames the test takes on guest ids (the host's role by hand) ------- */

#define QMAX 4096
static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  struct qf {
    uint8_t type;
    uint32_t id;
    uint32_t len;
    uint64_t a; /* TUNNEL_EOF size, TUNNEL_CLOSE flags, data offset */
  } q[QMAX];
  int head, tail;
  uint64_t data_bytes; /* TUNNEL_DATA bytes taken */
} Q = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static int take(void *ctx, const struct vbx_proto_frame *f, char *why, size_t cap) {
  (void)ctx, (void)why, (void)cap;
  struct vbx_proto_msg m;
  if (vbx_proto_decode_msg(f, &m) != 0) return 0;
  pthread_mutex_lock(&Q.lock);
  if (m.type == VBX_PROTO_T_TUNNEL_DATA) Q.data_bytes += m.u.data.len;
  if (Q.tail - Q.head < QMAX) {
    struct qf *e = &Q.q[Q.tail++ % QMAX];
    e->type = m.type, e->id = m.id, e->len = f->hdr.length;
    e->a = m.type == VBX_PROTO_T_TUNNEL_EOF     ? m.u.size
           : m.type == VBX_PROTO_T_TUNNEL_CLOSE ? m.u.close_flags
           : m.type == VBX_PROTO_T_TUNNEL_DATA  ? m.u.data.offset
                                                : 0;
  }
  pthread_cond_broadcast(&Q.cond);
  pthread_mutex_unlock(&Q.lock);
  return 0;
}

static void q_reset(void) {
  pthread_mutex_lock(&Q.lock);
  Q.head = Q.tail = 0;
  Q.data_bytes = 0;
  pthread_mutex_unlock(&Q.lock);
}

/* The next frame of type (others skipped) within ms; 1 when found. */
static int q_next(unsigned type, struct qf *out, int ms) {
  for (int waited = 0;; waited += 10) {
    pthread_mutex_lock(&Q.lock);
    while (Q.head < Q.tail) {
      struct qf e = Q.q[Q.head++ % QMAX];
      if (e.type == type) {
        pthread_mutex_unlock(&Q.lock);
        if (out) *out = e;
        return 1;
      }
    }
    pthread_mutex_unlock(&Q.lock);
    if (waited >= ms) return 0;
    usleep(10000);
  }
}

static uint64_t q_data(void) {
  pthread_mutex_lock(&Q.lock);
  uint64_t n = Q.data_bytes;
  pthread_mutex_unlock(&Q.lock);
  return n;
}

/* ---- the agent process ---------------------------------------------------- */

static void write_file(const char *p, const char *s, mode_t mode) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
  close(fd);
}

static void start_agent(void) {
  char policy[128];
  port = tsrv_free_port();
  snprintf(policy, sizeof policy, "allow = *\nllm_gateway_port = %u\n", port);
  write_file(policyf, policy, 0600);
  write_file(secretf, secret, 0600);
  unlink(sock);
  snprintf(agent_log, sizeof agent_log, "%s/agent.log", dir);
  unlink(agent_log);
  agent = fork();
  if (agent == 0) {
    int lfd = open(agent_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (lfd >= 0) dup2(lfd, 2); /* dup2 clears CLOEXEC on fd 2 */
    char l[200];
    snprintf(l, sizeof l, "unix:%s", sock);
    execl(VBX_TEST_AGENT, "voidbox-guest-agent", "--listen", l, "--policy-file", policyf,
          "--secret-file", secretf, "--root=/", "--no-init", (char *)NULL);
    _exit(126);
  }
  for (int i = 0; i < 3000 && access(sock, F_OK) != 0; i++)
    usleep(10000);
  assert_int_equal(access(sock, F_OK), 0);
}

/* How many host connections the agent has taken for tunnels: its log's
 * "connection authenticated" lines (logged once the connection is
 * registered). */
static int authenticated(void) {
  FILE *f = fopen(agent_log, "r");
  int n = 0;
  char line[512];
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    n += strstr(line, "connection authenticated") != NULL;
  if (f) fclose(f);
  return n;
}

/* A host connection, once the agent carries tunnels to it: the host's
 * handshake ends a moment before the agent has registered the connection,
 * and an in-box client in that moment is refused (a box's commands never
 * are: they come on that connection, after it). */
static gc_conn *host(void) {
  gc_conn *c = NULL;
  char err[256];
  int before = authenticated();
  int rc = gc_connect_unix(sock, secret, sizeof secret - 1, 5000, &c, err, sizeof err);
  if (rc != 0) fail_msg("connect: %d %s", rc, err);
  for (int i = 0; i < 500 && authenticated() <= before; i++)
    usleep(10000);
  assert_true(authenticated() > before);
  return c;
}

/* A client in the "box": a connection to the agent's listener. */
static int client(void) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

/* 1 when fd is closed or reset by the peer within ms (no data first). */
static int ends(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return 0;
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void send_msg(gc_conn *c, struct vbx_proto_msg m) {
  assert_int_equal(gc_send_msg(c, &m), 0);
}

static void opened(gc_conn *c, uint32_t id) {
  send_msg(c, (struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_OPENED, .id = id});
}

/* No host connection: reset at once. A host without a handler: the
 * client's ERROR(UNSUPPORTED), the in-box connection reset at once. */
static void test_agent_refusals(void **s) {
  (void)s;
  int fd = client();
  assert_true(ends(fd, 1000));
  close(fd);
  gc_conn *c = host();
  fd = client();
  assert_true(ends(fd, 1000));
  close(fd);
  assert_false(gc_dead(c, NULL, 0));
  gc_close(c);
}

/* A host connection taking the agent's tunnel frames into the queue, an
 * in-box client (*fd), and that client's tunnel opened: its guest id. */
static gc_conn *tunnel_up(int *fd, uint32_t *id) {
  q_reset();
  gc_conn *c = host();
  gc_set_guest_handler(c, take, NULL);
  *fd = client();
  struct qf open = {0};
  assert_true(q_next(VBX_PROTO_T_TUNNEL_OPEN, &open, 2000));
  assert_true(open.id & VBX_PROTO_GUEST_ID_BIT);
  opened(c, open.id);
  *id = open.id;
  return c;
}

/* The agent reads its socket only under the host's credit: one window,
 * then exactly what a WINDOW_UPDATE grants. */
static void test_agent_credit(void **s) {
  (void)s;
  int fd;
  uint32_t id;
  gc_conn *c = tunnel_up(&fd, &id);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  static char big[1 << 16];
  size_t wrote = 0;
  for (int idle = 0; idle < 50 && wrote < (64u << 20);) {
    ssize_t w = send(fd, big, sizeof big, MSG_NOSIGNAL);
    if (w > 0)
      wrote += (size_t)w, idle = 0;
    else
      usleep(10000), idle++;
  }
  printf("# the box's client could write %zu bytes; the host got %llu\n", wrote,
         (unsigned long long)q_data());
  assert_true(wrote < (64u << 20)); /* it was stopped */
  assert_int_equal(q_data(), VBX_PROTO_INITIAL_WINDOW);
  send_msg(c, (struct vbx_proto_msg){
                  .type = VBX_PROTO_T_WINDOW_UPDATE, .id = id, .u.increment = 100000});
  usleep(300000);
  assert_int_equal(q_data(), VBX_PROTO_INITIAL_WINDOW + 100000);
  close(fd);
  gc_close(c);
}

/* Half-close from the host, then the client; the clean close after. */
static void test_agent_half_close(void **s) {
  (void)s;
  int fd;
  uint32_t id;
  gc_conn *c = tunnel_up(&fd, &id);
  struct qf f = {0};
  static const uint8_t hi[] = "hi";
  send_msg(c,
           (struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_DATA, .id = id, .u.data = {0, hi, 2}});
  send_msg(c, (struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_EOF, .id = id, .u.size = 2});
  char buf[16];
  assert_int_equal(recv(fd, buf, sizeof buf, MSG_WAITALL), 2); /* "hi", then EOF */
  assert_memory_equal(buf, "hi", 2);
  assert_int_equal(send(fd, "back", 4, 0), 4); /* the other way still flows */
  assert_true(q_next(VBX_PROTO_T_TUNNEL_DATA, &f, 2000));
  assert_int_equal(f.len, 8 + 4);
  shutdown(fd, SHUT_WR);
  assert_true(q_next(VBX_PROTO_T_TUNNEL_EOF, &f, 2000));
  assert_int_equal(f.a, 4);
  /* both EOFs out: the agent closes cleanly */
  assert_true(q_next(VBX_PROTO_T_TUNNEL_CLOSE, &f, 2000));
  assert_int_equal(f.a, 0);
  send_msg(c, (struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_CLOSE, .id = id});
  assert_int_equal(recv(fd, buf, sizeof buf, 0), 0);
  close(fd);
  assert_false(gc_dead(c, NULL, 0));
  gc_close(c);
}

/* 64 tunnels at once; the 65th is reset; a freed slot serves again. */
static void test_agent_limit(void **s) {
  (void)s;
  q_reset();
  gc_conn *c = host();
  gc_set_guest_handler(c, take, NULL);
  int fds[64];
  uint32_t ids[64];
  for (int i = 0; i < 64; i++) {
    fds[i] = client();
    struct qf f = {0};
    assert_true(q_next(VBX_PROTO_T_TUNNEL_OPEN, &f, 2000));
    ids[i] = f.id;
    opened(c, f.id);
  }
  int extra = client();
  assert_true(ends(extra, 1000));
  close(extra);
  assert_false(q_next(VBX_PROTO_T_TUNNEL_OPEN, NULL, 200));
  /* the host resets one: its slot goes back */
  send_msg(c, (struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_CLOSE,
                                     .id = ids[0],
                                     .u.close_flags = VBX_PROTO_TUNNEL_CLOSE_F_RESET});
  struct qf f = {0};
  assert_true(q_next(VBX_PROTO_T_TUNNEL_CLOSE, &f, 2000));
  assert_int_equal(f.id, ids[0]);
  assert_int_equal(f.a, VBX_PROTO_TUNNEL_CLOSE_F_RESET);
  assert_true(ends(fds[0], 1000));
  usleep(100000); /* the worker gives its slot back after its last frame */
  extra = client();
  assert_true(q_next(VBX_PROTO_T_TUNNEL_OPEN, &f, 2000));
  close(extra);
  for (int i = 0; i < 64; i++)
    close(fds[i]);
  gc_close(c);
}

/* A host that breaks a tunnel's rules, or starts a request on a guest id,
 * loses its connection; the in-box side is reset. */
static void test_agent_host_breaks_rules(void **s) {
  (void)s;
  for (int how = 0; how < 2; how++) {
    int fd;
    uint32_t id;
    gc_conn *c = tunnel_up(&fd, &id);
    static const uint8_t x[] = "x";
    if (how == 0) /* data at the wrong offset */
      send_msg(c, (struct vbx_proto_msg){
                      .type = VBX_PROTO_T_TUNNEL_DATA, .id = id, .u.data = {5, x, 1}});
    else /* a STAT on a guest id */
      send_msg(c, (struct vbx_proto_msg){
                      .type = VBX_PROTO_T_STAT, .id = 0x80000100u, .u.stat = {0, {"/", 1}}});
    for (int i = 0; i < 200 && !gc_dead(c, NULL, 0); i++)
      usleep(10000);
    assert_true(gc_dead(c, NULL, 0));
    if (how == 0) assert_true(ends(fd, 2000));
    close(fd);
    gc_close(c);
  }
}

/* ---- a fake guest agent for the host's end ------------------------------ */

typedef struct fg {
  int fd;
  struct vbx_proto_decoder d;
  uint8_t buf[65536];
  size_t have, pos;
  uint8_t payload[VBX_PROTO_MAX_PAYLOAD];
} fg;

/* The next frame within ms into *f (payload copied into g->payload);
 * 1, or 0 on timeout/EOF. */
static int fg_next(fg *g, struct vbx_proto_frame *f, int ms) {
  for (;;) {
    if (g->pos < g->have) {
      size_t used = 0;
      int rc = vbx_proto_decoder_feed(&g->d, g->buf + g->pos, g->have - g->pos, &used, f);
      g->pos += used;
      if (rc == 0) {
        if (f->hdr.length) memcpy(g->payload, f->payload, f->hdr.length);
        f->payload = g->payload;
        return 1;
      }
      assert_int_equal(rc, VBX_PROTO_E_AGAIN);
    }
    struct pollfd p = {g->fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return 0;
    ssize_t n = read(g->fd, g->buf, sizeof g->buf);
    if (n <= 0) return 0;
    g->have = (size_t)n, g->pos = 0;
  }
}

/* The next frame of type within ms (others skipped), decoded into *m
 * (views into g->payload); 1 when found. */
static int fg_want(fg *g, unsigned type, struct vbx_proto_msg *m, int ms) {
  struct vbx_proto_frame f;
  while (fg_next(g, &f, ms))
    if (f.hdr.type == type) {
      assert_int_equal(vbx_proto_decode_msg(&f, m), 0);
      return 1;
    }
  return 0;
}

static void fg_send(fg *g, const struct vbx_proto_msg *m) {
  struct vbx_proto_buf b;
  vbx_proto_buf_init_growable(&b, 0);
  assert_int_equal(vbx_proto_encode_msg(&b, m), 0);
  assert_int_equal(write(g->fd, b.data, b.len), (ssize_t)b.len);
  vbx_proto_buf_fini(&b);
}

struct fg_hs {
  fg *g;
  uint32_t features;
};

/* The guest's half of the handshake, on a thread (the host's blocks). */
static void *fg_handshake(void *arg) {
  struct fg_hs *h = arg;
  fg *g = h->g;
  struct vbx_proto_msg ch = {.type = VBX_PROTO_T_CHALLENGE};
  ch.u.challenge = (struct vbx_proto_challenge){1, 1, h->features, {0}};
  getrandom(ch.u.challenge.nonce, sizeof ch.u.challenge.nonce, 0);
  fg_send(g, &ch);
  struct vbx_proto_msg m;
  if (!fg_want(g, VBX_PROTO_T_HELLO, &m, 5000)) return NULL;
  struct vbx_proto_msg ok = {.type = VBX_PROTO_T_HELLO_OK};
  if (vbx_proto_guest_check_hello(secret, sizeof secret - 1, &ch.u.challenge, &m.u.hello,
                                  &ok.u.hello_ok) == 0)
    fg_send(g, &ok);
  return NULL;
}

/* A connected host (client.c) over a socketpair with g as its guest. */
static gc_conn *fg_connect(fg *g, uint32_t features) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  memset(g, 0, offsetof(fg, payload));
  g->fd = sv[1];
  vbx_proto_decoder_init(&g->d, 0, NULL, 0);
  struct fg_hs h = {g, features};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, fg_handshake, &h), 0);
  gc_conn *c = NULL;
  char err[256];
  int rc = gc_connect_fd(sv[0], secret, sizeof secret - 1, 5000, &c, err, sizeof err);
  pthread_join(t, NULL);
  if (rc != 0) fail_msg("connect: %d %s", rc, err);
  return c;
}

static void fg_close(fg *g) {
  close(g->fd);
  vbx_proto_decoder_fini(&g->d);
}

static double th_now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int wait_dead(gc_conn *c, char *why, size_t cap) {
  for (int i = 0; i < 300 && !gc_dead(c, NULL, 0); i++)
    usleep(10000);
  return gc_dead(c, why, cap);
}

/* An agent without TUNNEL: the box cannot have the tunnel (a message
 * saying why), and its TUNNEL_OPEN ends the connection. */
static void test_host_old_agent(void **s) {
  (void)s;
  static fg g;
  gc_conn *c = fg_connect(&g, VBX_PROTO_FEAT_ALL_V1);
  gs_tunnels *t = NULL;
  char err[300], why[300];
  assert_int_equal(gs_tunnels_start(c, S.port, &t, err, sizeof err), VBX_E_UNSUPPORTED);
  assert_null(t);
  assert_non_null(strstr(err, "does not offer the TUNNEL"));
  fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_OPEN,
                                      .id = VBX_PROTO_GUEST_ID_BIT,
                                      .u.service = VBX_PROTO_TUNNEL_LLM_GATEWAY});
  assert_true(wait_dead(c, why, sizeof why));
  assert_non_null(strstr(why, "without the TUNNEL feature"));
  gc_close(c);
  fg_close(&g);
}

/* The host reads the gateway only under the guest's credit; the guest's
 * reset closes the gateway connection and both ends forget the tunnel. */
static void test_host_credit_and_reset(void **s) {
  (void)s;
  static fg g;
  gc_conn *c = fg_connect(&g, VBX_PROTO_FEAT_ALL_V1 | VBX_PROTO_FEAT_TUNNEL);
  gs_tunnels *t = NULL;
  char err[300];
  assert_int_equal(gs_tunnels_start(c, S.port, &t, err, sizeof err), 0);
  uint32_t id = VBX_PROTO_GUEST_ID_BIT | 7;
  int before = __atomic_load_n(&S.total, __ATOMIC_SEQ_CST);
  fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_OPEN,
                                      .id = id,
                                      .u.service = VBX_PROTO_TUNNEL_LLM_GATEWAY});
  struct vbx_proto_msg m;
  assert_true(fg_want(&g, VBX_PROTO_T_TUNNEL_OPENED, &m, 2000));
  assert_int_equal(m.id, id);
  static const char flood[] = "FLOOD 16777216\n";
  fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_DATA,
                                      .id = id,
                                      .u.data = {0, (const uint8_t *)flood, sizeof flood - 1}});
  uint64_t got = 0;
  struct vbx_proto_frame f;
  while (fg_next(&g, &f, 500)) {
    assert_int_equal(f.hdr.type, VBX_PROTO_T_TUNNEL_DATA);
    got += f.hdr.length - 8;
  }
  assert_int_equal(got, VBX_PROTO_INITIAL_WINDOW); /* then nothing: no credit */
  fg_send(&g, &(struct vbx_proto_msg){
                  .type = VBX_PROTO_T_WINDOW_UPDATE, .id = id, .u.increment = 1 << 20});
  while (fg_next(&g, &f, 500))
    got += f.hdr.length - 8;
  assert_int_equal(got, VBX_PROTO_INITIAL_WINDOW + (1 << 20));
  assert_int_equal(gs_tunnels_count(t), 1);
  assert_int_equal(__atomic_load_n(&S.total, __ATOMIC_SEQ_CST), before + 1);
  /* the guest resets: CLOSE(RESET) back, the gateway connection goes */
  int open = __atomic_load_n(&S.open, __ATOMIC_SEQ_CST);
  fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_CLOSE,
                                      .id = id,
                                      .u.close_flags = VBX_PROTO_TUNNEL_CLOSE_F_RESET});
  assert_true(fg_want(&g, VBX_PROTO_T_TUNNEL_CLOSE, &m, 2000));
  assert_int_equal(m.u.close_flags, VBX_PROTO_TUNNEL_CLOSE_F_RESET);
  assert_true(tsrv_wait(&S.open, open - 1, 3000));
  for (int i = 0; i < 100 && gs_tunnels_count(t) != 0; i++)
    usleep(10000);
  assert_int_equal(gs_tunnels_count(t), 0);
  assert_false(gc_dead(c, NULL, 0));
  gs_tunnels_stop(t);
  gc_close(c);
  fg_close(&g);
}

/* No gateway listening: the guest's TUNNEL_OPEN gets ERROR(VBX_E_IO)
 * naming the connect, and the connection goes on. */
static void test_host_gateway_not_there(void **s) {
  (void)s;
  static fg g;
  gc_conn *c = fg_connect(&g, VBX_PROTO_FEAT_ALL_V1 | VBX_PROTO_FEAT_TUNNEL);
  gs_tunnels *t = NULL;
  char err[300];
  assert_int_equal(gs_tunnels_start(c, tsrv_free_port(), &t, err, sizeof err), 0);
  fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_OPEN,
                                      .id = VBX_PROTO_GUEST_ID_BIT | 3,
                                      .u.service = VBX_PROTO_TUNNEL_LLM_GATEWAY});
  struct vbx_proto_msg m;
  assert_true(fg_want(&g, VBX_PROTO_T_ERROR, &m, 2000));
  assert_int_equal(m.id, VBX_PROTO_GUEST_ID_BIT | 3);
  assert_int_equal(m.u.error.code, VBX_E_IO);
  printf("# %.*s\n", (int)m.u.error.message.len, m.u.error.message.ptr);
  assert_true(m.u.error.message.len > 8 && memcmp(m.u.error.message.ptr, "connect ", 8) == 0);
  usleep(50000);
  assert_int_equal(gs_tunnels_count(t), 0);
  assert_false(gc_dead(c, NULL, 0));
  gs_tunnels_stop(t);
  gc_close(c);
  fg_close(&g);
}

/* A gateway that does not accept (its backlog full: the SYN is dropped)
 * is given up after 10 s with ERROR(VBX_E_IO, "... timed out"). */
static void test_host_gateway_not_accepting(void **s) {
  (void)s;
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sa;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fill[4];
  assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(ls, 0), 0);
  assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
  for (int i = 0; i < 4; i++) { /* fill the accept queue; never accepted */
    fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
  }
  usleep(100000);
  static fg g;
  gc_conn *c = fg_connect(&g, VBX_PROTO_FEAT_ALL_V1 | VBX_PROTO_FEAT_TUNNEL);
  gs_tunnels *t = NULL;
  char err[300];
  assert_int_equal(gs_tunnels_start(c, ntohs(sa.sin_port), &t, err, sizeof err), 0);
  double t0 = th_now_s();
  fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_OPEN,
                                      .id = VBX_PROTO_GUEST_ID_BIT | 4,
                                      .u.service = VBX_PROTO_TUNNEL_LLM_GATEWAY});
  struct vbx_proto_msg m;
  assert_true(fg_want(&g, VBX_PROTO_T_ERROR, &m, 15000));
  double took = th_now_s() - t0;
  printf("# after %.1f s: %.*s\n", took, (int)m.u.error.message.len, m.u.error.message.ptr);
  assert_int_equal(m.u.error.code, VBX_E_IO);
  assert_true(took >= 9.5 && took < 13.0);
  assert_non_null(memmem(m.u.error.message.ptr, m.u.error.message.len, "timed out", 9));
  gs_tunnels_stop(t);
  gc_close(c);
  fg_close(&g);
  for (int i = 0; i < 4; i++)
    close(fill[i]);
  close(ls);
}

/* Data at the wrong offset, or a service that does not exist: the
 * connection ends with the reason. */
static void test_host_guest_breaks_rules(void **s) {
  (void)s;
  for (int how = 0; how < 2; how++) {
    static fg g;
    gc_conn *c = fg_connect(&g, VBX_PROTO_FEAT_ALL_V1 | VBX_PROTO_FEAT_TUNNEL);
    gs_tunnels *t = NULL;
    char err[300], why[300];
    assert_int_equal(gs_tunnels_start(c, S.port, &t, err, sizeof err), 0);
    uint32_t id = VBX_PROTO_GUEST_ID_BIT | 9;
    if (how == 0) {
      static const uint8_t x[] = "x";
      struct vbx_proto_msg m;
      fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_OPEN,
                                          .id = id,
                                          .u.service = VBX_PROTO_TUNNEL_LLM_GATEWAY});
      assert_true(fg_want(&g, VBX_PROTO_T_TUNNEL_OPENED, &m, 2000));
      fg_send(&g, &(struct vbx_proto_msg){
                      .type = VBX_PROTO_T_TUNNEL_DATA, .id = id, .u.data = {5, x, 1}});
    } else {
      /* service 2, by hand: the encoder refuses to write it */
      uint8_t raw[VBX_PROTO_HEADER_SIZE + 8] = {0};
      struct vbx_proto_header h = {1, VBX_PROTO_T_TUNNEL_OPEN, 0, id, 8};
      vbx_proto_header_pack(&h, raw);
      raw[VBX_PROTO_HEADER_SIZE] = 2;
      assert_int_equal(write(g.fd, raw, sizeof raw), (ssize_t)sizeof raw);
    }
    assert_true(wait_dead(c, why, sizeof why));
    printf("# %s\n", why);
    assert_non_null(strstr(why, how == 0 ? "breaks the tunnel's rules" : "malformed TUNNEL_OPEN"));
    gs_tunnels_stop(t);
    gc_close(c);
    fg_close(&g);
  }
}

/* 64 tunnels open; the 65th gets ERROR(VBX_E_LIMIT); stop closes all 64
 * gateway connections. */
static void test_host_limit(void **s) {
  (void)s;
  static fg g;
  gc_conn *c = fg_connect(&g, VBX_PROTO_FEAT_ALL_V1 | VBX_PROTO_FEAT_TUNNEL);
  gs_tunnels *t = NULL;
  char err[300];
  assert_int_equal(gs_tunnels_start(c, S.port, &t, err, sizeof err), 0);
  int open = __atomic_load_n(&S.open, __ATOMIC_SEQ_CST);
  for (uint32_t i = 1; i <= 65; i++)
    fg_send(&g, &(struct vbx_proto_msg){.type = VBX_PROTO_T_TUNNEL_OPEN,
                                        .id = VBX_PROTO_GUEST_ID_BIT | i,
                                        .u.service = VBX_PROTO_TUNNEL_LLM_GATEWAY});
  int opened_n = 0, limit = 0;
  struct vbx_proto_frame f;
  while (opened_n + limit < 65 && fg_next(&g, &f, 2000)) {
    struct vbx_proto_msg m;
    assert_int_equal(vbx_proto_decode_msg(&f, &m), 0);
    if (m.type == VBX_PROTO_T_TUNNEL_OPENED) opened_n++;
    if (m.type == VBX_PROTO_T_ERROR) {
      assert_int_equal(m.u.error.code, VBX_E_LIMIT);
      limit++;
    }
  }
  assert_int_equal(opened_n, 64);
  assert_int_equal(limit, 1);
  assert_true(tsrv_wait(&S.open, open + 64, 3000));
  gs_tunnels_stop(t);
  assert_true(tsrv_wait(&S.open, open, 3000));
  gc_close(c);
  fg_close(&g);
}

static int setup(void **s) {
  (void)s;
  snprintf(dir, sizeof dir, "/tmp/vbx-tunnel-proto-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(sock, sizeof sock, "%s/s", dir);
  snprintf(secretf, sizeof secretf, "%s/secret", dir);
  snprintf(policyf, sizeof policyf, "%s/policy", dir);
  tsrv_start(&S);
  return 0;
}

/* Each agent test gets an agent of its own: a host connection a test
 * closed is one the agent may still count as live for a moment (under
 * load), and the next test's tunnels would go to it. */
static int agent_up(void **s) {
  (void)s;
  start_agent();
  return 0;
}

static int agent_down(void **s) {
  (void)s;
  if (agent > 0) {
    kill(agent, SIGKILL);
    waitpid(agent, NULL, 0);
    agent = 0;
  }
  return 0;
}

static int teardown(void **s) {
  tsrv_stop(&S);
  agent_down(s);
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
      cmocka_unit_test_setup_teardown(test_agent_refusals, agent_up, agent_down),
      cmocka_unit_test_setup_teardown(test_agent_credit, agent_up, agent_down),
      cmocka_unit_test_setup_teardown(test_agent_half_close, agent_up, agent_down),
      cmocka_unit_test_setup_teardown(test_agent_limit, agent_up, agent_down),
      cmocka_unit_test_setup_teardown(test_agent_host_breaks_rules, agent_up, agent_down),
      cmocka_unit_test(test_host_old_agent),
      cmocka_unit_test(test_host_credit_and_reset),
      cmocka_unit_test(test_host_gateway_not_there),
      cmocka_unit_test(test_host_gateway_not_accepting),
      cmocka_unit_test(test_host_guest_breaks_rules),
      cmocka_unit_test(test_host_limit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
