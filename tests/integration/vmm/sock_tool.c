/*
 * tests/integration/vmm/sock_tool.c - the host end of the VMM's Unix
 * sockets in the kvm tests:
 *   sock_tool listen PATH MIN      listen on PATH (a virtio-console port's
 *                                  peer), accept one connection, read until
 *                                  MIN bytes arrived
 *   sock_tool vsock PATH PORT MIN  hybrid vsock: connect to PATH, send
 *                                  "CONNECT PORT\n", expect "OK <n>\n" (retry
 *                                  while the guest does not listen yet), then
 *                                  read until MIN bytes arrived
 * Prints "received N bytes", keeps the connection until the peer closes it
 * (20 s at most) and exits 0, or a reason and exits 1 (150 s
 * bound on everything).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BOUND_S 150

static time_t deadline;

static int addr(const char *path, struct sockaddr_un *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa->sun_path) return -1;
  strcpy(sa->sun_path, path);
  return 0;
}

/* After the bytes came: keep the connection open for up to 20 s (until
 * the peer closes it), so the test can stop the VMM while the guest still
 * has its peer - a guest agent shuts its machine down when the host goes. */
static void hold(int fd) {
  char b[512];
  time_t until = time(NULL) + 20;
  while (time(NULL) < until) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 200) > 0 && read(fd, b, sizeof b) <= 0) return;
  }
}

/* Read into buf until `min` bytes or EOF/deadline. Returns the count. */
static size_t read_min(int fd, char *buf, size_t cap, size_t min) {
  size_t have = 0;
  while (have < min && have < cap && time(NULL) < deadline) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 200) <= 0) continue;
    ssize_t r = read(fd, buf + have, cap - have);
    if (r <= 0) break;
    have += (size_t)r;
  }
  return have;
}

static int do_listen(const char *path, size_t min) {
  struct sockaddr_un sa;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (addr(path, &sa) != 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      listen(s, 1) != 0) {
    printf("cannot listen on %s: %s\n", path, strerror(errno));
    return 1;
  }
  struct pollfd p = {.fd = s, .events = POLLIN};
  while (poll(&p, 1, 200) <= 0)
    if (time(NULL) >= deadline) {
      printf("nobody connected to %s\n", path);
      return 1;
    }
  int c = accept(s, NULL, NULL);
  char buf[4096];
  size_t n = read_min(c, buf, sizeof buf, min);
  printf("received %zu bytes\n", n);
  hold(c);
  return n >= min ? 0 : 1;
}

/* One attempt: 1 connected and OK read (fd in *out), 0 retry, -1 fatal. */
static int vsock_try(const char *path, const char *port, int *out) {
  struct sockaddr_un sa;
  if (addr(path, &sa) != 0) return -1;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(s);
    return 0; /* the VMM is not listening yet */
  }
  char req[64], line[64];
  int n = snprintf(req, sizeof req, "CONNECT %s\n", port);
  if (write(s, req, (size_t)n) != n) {
    close(s);
    return 0;
  }
  size_t have = 0;
  while (have < sizeof line - 1) {
    ssize_t r = read(s, line + have, 1);
    if (r <= 0) break;
    if (line[have++] == '\n') break;
  }
  line[have] = '\0';
  if (strncmp(line, "OK ", 3) != 0) {
    close(s);
    return 0; /* closed: nobody listens on the port yet */
  }
  *out = s;
  return 1;
}

static int do_vsock(const char *path, const char *port, size_t min) {
  int s = -1;
  for (;;) {
    int rc = vsock_try(path, port, &s);
    if (rc < 0) {
      printf("bad socket path %s\n", path);
      return 1;
    }
    if (rc == 1) break;
    if (time(NULL) >= deadline) {
      printf("no OK from %s port %s within %d s\n", path, port, BOUND_S);
      return 1;
    }
    usleep(50 * 1000);
  }
  printf("connected to port %s\n", port);
  char buf[4096];
  size_t n = read_min(s, buf, sizeof buf, min);
  printf("received %zu bytes\n", n);
  hold(s);
  return n >= min ? 0 : 1;
}

int main(int argc, char **argv) {
  deadline = time(NULL) + BOUND_S;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 4 && strcmp(argv[1], "listen") == 0)
    return do_listen(argv[2], strtoul(argv[3], 0, 10));
  if (argc == 5 && strcmp(argv[1], "vsock") == 0)
    return do_vsock(argv[2], argv[3], strtoul(argv[4], 0, 10));
  fprintf(stderr, "usage: sock_tool listen PATH MIN | vsock PATH PORT MIN\n");
  return 2;
}
