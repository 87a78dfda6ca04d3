/*
 * test_vmm_virtio_console.c - virtio-console (multiport) through its MMIO
 * registers: the control-queue handshake (DEVICE_READY, PORT_ADD,
 * PORT_READY, CONSOLE_PORT, PORT_NAME, PORT_OPEN), port 1 data both ways
 * over a real Unix socket the device connected to, back-pressure when the
 * host does not read, no data before the guest opens the port, the port
 * closed for the guest when the host closes, port 0 output to an fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "console.h"
#include "fake_driver.h"
#include "loop.h"

#define Q_P0_TX 1
#define Q_CTL_RX 2
#define Q_CTL_TX 3
#define Q_P1_RX 4
#define Q_P1_TX 5
#define BUF 4096
#define SLOTS 64

typedef struct ct {
  fake f;
  vmm_loop *loop;
  char dir[32], path[64];
  int lfd, host, out[2];
  uint64_t ctl_base, p1_base, tx_buf;
} ct;

static void post(ct *t, unsigned q, uint64_t base, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    uint16_t slot = t->f.q[q].next_desc % SLOTS;
    fake_seg s = {base + (uint64_t)slot * BUF, BUF, true};
    fake_add(&t->f, q, &s, 1);
  }
  fake_kick(&t->f, q);
}

static void pump(ct *t) {
  for (int i = 0; i < 20; i++)
    if (vmm_loop_run_once(t->loop, i < 2 ? 20 : 0) <= 0 && i >= 2) break;
}

static int setup(void **state) {
  static ct t;
  char err[256];
  memset(&t, 0, sizeof t);
  fake_init(&t.f);
  snprintf(t.dir, sizeof t.dir, "/tmp/vbx-cons-XXXXXX");
  assert_non_null(mkdtemp(t.dir));
  snprintf(t.path, sizeof t.path, "%s/ctl.sock", t.dir);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", t.path);
  t.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(bind(t.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(t.lfd, 1), 0);
  assert_int_equal(pipe2(t.out, O_CLOEXEC | O_NONBLOCK), 0);
  t.loop = vmm_loop_new();
  assert_int_equal(vmm_virtio_console_create(t.loop, &t.f.mem, fake_irq(&t.f), "voidbox.ctl",
                                             t.path, t.out[1], &t.f.dev, err, sizeof err),
                   0);
  t.host = accept(t.lfd, NULL, NULL);
  assert_true(t.host >= 0);
  assert_int_equal(fake_rd(&t.f, 0x08), 3);
  uint32_t ports = 0;
  vmm_virtio_mmio_access(t.f.dev, 0x104, (uint8_t *)&ports, 4, false);
  assert_int_equal(ports, 2);
  fake_wr(&t.f, 0x14, 0);
  assert_true(fake_rd(&t.f, 0x10) & (1u << VMM_CONSOLE_F_MULTIPORT));
  assert_int_equal(fake_setup(&t.f, 1u << VMM_CONSOLE_F_MULTIPORT, 6, SLOTS), 1 | 2 | 4 | 8);
  t.ctl_base = fake_alloc(&t.f, SLOTS * BUF);
  t.p1_base = fake_alloc(&t.f, SLOTS * BUF);
  t.tx_buf = fake_alloc(&t.f, SLOTS * BUF);
  post(&t, Q_CTL_RX, t.ctl_base, 8);
  *state = &t;
  return 0;
}

static int teardown(void **state) {
  ct *t = *state;
  fake_fini(&t->f);
  vmm_loop_free(t->loop);
  if (t->host >= 0) close(t->host);
  close(t->lfd);
  close(t->out[0]);
  close(t->out[1]);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

static void send_ctl(ct *t, uint32_t id, uint16_t event, uint16_t value) {
  vmm_console_ctl c = {id, event, value};
  memcpy(fake_ptr(&t->f, t->tx_buf), &c, sizeof c);
  fake_seg s = {t->tx_buf, sizeof c, false};
  fake_add(&t->f, Q_CTL_TX, &s, 1);
  fake_kick(&t->f, Q_CTL_TX);
}

/* Next control message for the guest; a PORT_NAME's name into name. */
static bool recv_ctl(ct *t, vmm_console_ctl *c, char *name) {
  uint32_t id, len;
  if (!fake_used(&t->f, Q_CTL_RX, &id, &len)) return false;
  uint8_t *p = fake_ptr(&t->f, t->ctl_base + (uint64_t)(id % SLOTS) * BUF);
  assert_true(len >= sizeof *c);
  memcpy(c, p, sizeof *c);
  if (name) {
    memcpy(name, p + sizeof *c, len - sizeof *c);
    name[len - sizeof *c] = 0;
  }
  post(t, Q_CTL_RX, t->ctl_base, 1);
  return true;
}

static void expect_ctl(ct *t, uint32_t id, uint16_t event, uint16_t value) {
  vmm_console_ctl c;
  char name[BUF];
  assert_true(recv_ctl(t, &c, name));
  assert_int_equal(c.id, id);
  assert_int_equal(c.event, event);
  assert_int_equal(c.value, value);
  if (event == VMM_CONSOLE_PORT_NAME) assert_string_equal(name, "voidbox.ctl");
}

static void handshake(ct *t, bool open) {
  send_ctl(t, 0, VMM_CONSOLE_DEVICE_READY, 1);
  expect_ctl(t, 0, VMM_CONSOLE_DEVICE_ADD, 0);
  expect_ctl(t, 1, VMM_CONSOLE_DEVICE_ADD, 0);
  send_ctl(t, 0, VMM_CONSOLE_PORT_READY, 1);
  expect_ctl(t, 0, VMM_CONSOLE_CONSOLE_PORT, 1);
  expect_ctl(t, 0, VMM_CONSOLE_PORT_OPEN, 1);
  send_ctl(t, 1, VMM_CONSOLE_PORT_READY, 1);
  expect_ctl(t, 1, VMM_CONSOLE_PORT_NAME, 0);
  expect_ctl(t, 1, VMM_CONSOLE_PORT_OPEN, 1); /* the host side is connected */
  vmm_console_ctl c;
  assert_false(recv_ctl(t, &c, NULL));
  post(t, Q_P1_RX, t->p1_base, 4);
  if (open) send_ctl(t, 1, VMM_CONSOLE_PORT_OPEN, 1);
}

static uint32_t recv_p1(ct *t, void *data) {
  uint32_t id, len;
  if (!fake_used(&t->f, Q_P1_RX, &id, &len)) return 0;
  memcpy(data, fake_ptr(&t->f, t->p1_base + (uint64_t)(id % SLOTS) * BUF), len);
  post(t, Q_P1_RX, t->p1_base, 1);
  return len;
}

static ssize_t read_some(int fd, void *buf, size_t n, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return -2;
  return read(fd, buf, n);
}

static void send_p(ct *t, unsigned q, uint64_t gpa, const void *data, uint32_t len) {
  memcpy(fake_ptr(&t->f, gpa), data, len);
  fake_seg s = {gpa, len, false};
  fake_add(&t->f, q, &s, 1);
  fake_kick(&t->f, q);
}

static void test_handshake_and_data(void **state) {
  ct *t = *state;
  handshake(t, true);
  assert_int_equal(write(t->host, "hi", 2), 2);
  pump(t);
  char buf[BUF];
  assert_int_equal(recv_p1(t, buf), 2);
  assert_memory_equal(buf, "hi", 2);
  send_p(t, Q_P1_TX, t->tx_buf, "abc", 3);
  uint32_t id, len;
  assert_true(fake_used(&t->f, Q_P1_TX, &id, &len));
  assert_int_equal(read_some(t->host, buf, sizeof buf, 1000), 3);
  assert_memory_equal(buf, "abc", 3);
  send_p(t, Q_P0_TX, t->tx_buf, "boot\n", 5);
  assert_true(fake_used(&t->f, Q_P0_TX, &id, &len));
  assert_int_equal(read(t->out[0], buf, sizeof buf), 5);
  assert_memory_equal(buf, "boot\n", 5);
}

static void test_no_data_before_open(void **state) {
  ct *t = *state;
  handshake(t, false);
  assert_int_equal(write(t->host, "early", 5), 5);
  pump(t);
  char buf[BUF];
  assert_int_equal(recv_p1(t, buf), 0);
  send_ctl(t, 1, VMM_CONSOLE_PORT_OPEN, 1);
  pump(t);
  assert_int_equal(recv_p1(t, buf), 5);
  assert_memory_equal(buf, "early", 5);
}

/* The host does not read: the guest's tx buffers are held, not copied;
 * they come back once the host drains. */
static void test_backpressure(void **state) {
  ct *t = *state;
  handshake(t, true);
  static uint8_t chunk[BUF];
  memset(chunk, 'q', sizeof chunk);
  unsigned sent = 0, returned = 0;
  uint32_t id, len;
  for (; sent < SLOTS; sent++) {
    send_p(t, Q_P1_TX, t->tx_buf + (uint64_t)(sent % SLOTS) * BUF, chunk, BUF);
    while (fake_used(&t->f, Q_P1_TX, &id, &len))
      returned++;
    if (returned < sent + 1) break; /* held */
  }
  assert_true(sent < SLOTS);
  unsigned held_at = sent + 1;
  /* more requests stay queued while one is held */
  send_p(t, Q_P1_TX, t->tx_buf + (uint64_t)(held_at % SLOTS) * BUF, chunk, BUF);
  assert_false(fake_used(&t->f, Q_P1_TX, &id, &len));
  size_t total = 0, want = (size_t)(held_at + 1) * BUF;
  static uint8_t sink[1 << 16];
  for (int i = 0; i < 1000 && total < want; i++) {
    ssize_t r = read_some(t->host, sink, sizeof sink, 50);
    if (r > 0) total += (size_t)r;
    pump(t);
  }
  assert_int_equal(total, want);
  while (fake_used(&t->f, Q_P1_TX, &id, &len))
    returned++;
  assert_int_equal(returned, held_at + 1);
}

static void test_host_close(void **state) {
  ct *t = *state;
  handshake(t, true);
  close(t->host);
  t->host = -1;
  pump(t);
  expect_ctl(t, 1, VMM_CONSOLE_PORT_OPEN, 0);
  /* guest writes to the closed port are dropped, buffers returned */
  send_p(t, Q_P1_TX, t->tx_buf, "lost", 4);
  uint32_t id, len;
  assert_true(fake_used(&t->f, Q_P1_TX, &id, &len));
}

static void test_bad_control(void **state) {
  ct *t = *state;
  send_ctl(t, 7, VMM_CONSOLE_PORT_READY, 1);   /* no such port */
  send_ctl(t, 1, 999, 1);                      /* unknown event */
  send_ctl(t, 0, VMM_CONSOLE_DEVICE_READY, 0); /* driver failed */
  vmm_console_ctl c;
  assert_false(recv_ctl(t, &c, NULL));
  fake_seg s = {t->tx_buf, 3, false}; /* shorter than a message */
  fake_add(&t->f, Q_CTL_TX, &s, 1);
  fake_kick(&t->f, Q_CTL_TX);
  uint32_t id, len;
  while (fake_used(&t->f, Q_CTL_TX, &id, &len)) {
  }
  assert_false(recv_ctl(t, &c, NULL));
  for (int i = 0; i < 100; i++)
    send_ctl(t, 0, VMM_CONSOLE_DEVICE_READY, 1); /* a flood */
  unsigned n = 0;
  while (recv_ctl(t, &c, NULL))
    n++;
  /* the 8 posted buffers filled at once, then the 16 the device queues:
   * everything past its bounded control queue was dropped */
  assert_int_equal(n, 8 + 16);
  assert_int_equal(fake_rd(&t->f, 0x70) & 64, 0);
}

static void test_bad_args(void **state) {
  ct *t = *state;
  char err[256];
  vmm_virtio_mmio *m;
  assert_int_equal(vmm_virtio_console_create(t->loop, &t->f.mem, fake_irq(&t->f), "", t->path, -1,
                                             &m, err, sizeof err),
                   -3);
  assert_true(vmm_virtio_console_create(t->loop, &t->f.mem, fake_irq(&t->f), "x",
                                        "/nonexistent/sock", -1, &m, err, sizeof err) < 0);
  assert_non_null(strstr(err, "/nonexistent/sock"));
  assert_null(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_handshake_and_data, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_data_before_open, setup, teardown),
      cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_host_close, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_control, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
