/*
 * tests/bench/bench_net_guest.c - the guest side of bench_net, built static
 * and copied into each box (so no process start sits inside a measured
 * loop):
 *   bench_net_guest tx ADDR PORT BYTES   connect, send BYTES, shut down the
 *                                        write side, wait for the peer's
 *                                        close; prints "tx SECONDS"
 *   bench_net_guest crr ADDR PORT N      N times: connect, wait for the
 *                                        peer's close, close; prints
 *                                        "crr P50_US P99_US"
 * Exit 1 with a message on any failure.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(const char *addr, int port) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) return -1;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(s);
    return -1;
  }
  return s;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bench_net_guest tx|crr ADDR PORT N\n");
    return 2;
  }
  int port = atoi(argv[3]);
  long long n = atoll(argv[4]);
  if (strcmp(argv[1], "tx") == 0) {
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    double t0 = now();
    int s = dial(argv[2], port);
    if (s < 0) {
      perror("connect");
      return 1;
    }
    for (long long left = n; left > 0;) {
      ssize_t w = write(s, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
      if (w <= 0) {
        perror("write");
        return 1;
      }
      left -= w;
    }
    shutdown(s, SHUT_WR);
    char c;
    while (read(s, &c, 1) > 0) {
    }
    close(s);
    printf("tx %.6f\n", now() - t0);
    return 0;
  }
  if (strcmp(argv[1], "crr") == 0 && n > 0 && n <= 100000) {
    double *v = malloc((size_t)n * sizeof *v);
    for (long long i = 0; i < n; i++) {
      double t0 = now();
      int s = dial(argv[2], port);
      if (s < 0) {
        perror("connect");
        return 1;
      }
      char c;
      while (read(s, &c, 1) > 0) {
      }
      close(s);
      v[i] = (now() - t0) * 1e6;
    }
    qsort(v, (size_t)n, sizeof *v, cmp);
    printf("crr %.1f %.1f\n", v[(n - 1) / 2], v[(n * 99 + 99) / 100 - 1]);
    free(v);
    return 0;
  }
  fprintf(stderr, "bench_net_guest: unknown mode or count\n");
  return 2;
}
