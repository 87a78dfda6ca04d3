/*
 * tests/integration/otlp/otlp_receiver.c - the validating OTLP/HTTP
 * receiver (otlp_recv.h) as a program, for shell tests and by hand:
 *
 *   otlp_receiver --dir DIR [--port N] [--status-sequence 503,503,200]
 *                 [--retry-after SECS] [--stall] [--max-body BYTES]
 *
 * Listens on 127.0.0.1:N (0, the default: a free port), prints the port on
 * a line of its own on stdout once it listens, writes what arrives into
 * DIR (NNNN-SIGNAL.json, requests.jsonl, violations.txt) and runs until
 * SIGTERM or SIGINT. Exit status: 0 after a signal, 2 on usage or start-up
 * errors.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_recv.h"

static int usage(const char *why) {
  fprintf(stderr,
          "otlp_receiver: %s\nusage: otlp_receiver --dir DIR [--port N] "
          "[--status-sequence S,S,...] [--retry-after SECS] [--stall] [--max-body BYTES]\n",
          why);
  return 2;
}

static int number(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v > max) return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  otlp_recv_opts o = {0};
  int statuses[64];
  unsigned long v;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--stall") == 0) {
      o.stall = 1;
      continue;
    }
    if (val == NULL) return usage("an option is missing its value");
    i++;
    if (strcmp(a, "--dir") == 0) {
      o.dir = val;
    } else if (strcmp(a, "--port") == 0) {
      if (number(val, 65535, &v) != 0) return usage("--port takes 0..65535");
      o.port = (uint16_t)v;
    } else if (strcmp(a, "--retry-after") == 0) {
      if (number(val, 3600, &v) != 0) return usage("--retry-after takes seconds (0..3600)");
      o.retry_after = (unsigned)v;
    } else if (strcmp(a, "--max-body") == 0) {
      if (number(val, 1ul << 30, &v) != 0 || v == 0) return usage("--max-body takes 1..2^30");
      o.max_body = v;
    } else if (strcmp(a, "--status-sequence") == 0) {
      char buf[512], *save = NULL;
      snprintf(buf, sizeof buf, "%s", val);
      for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o.n_statuses == 64 || number(t, 599, &v) != 0 || v < 200)
          return usage("--status-sequence takes up to 64 HTTP statuses, comma-separated");
        statuses[o.n_statuses++] = (int)v;
      }
      o.statuses = statuses;
    } else {
      return usage("unknown option");
    }
  }
  if (o.dir == NULL) return usage("--dir is required");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the server's threads start */
  otlp_recv *r;
  if (otlp_recv_start(&o, &r) != 0) return 2;
  printf("%u\n", otlp_recv_port(r));
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  char first[4096];
  size_t bad = otlp_recv_violations(r, first, sizeof first);
  otlp_recv_stop(r);
  if (bad) fprintf(stderr, "otlp_receiver: %zu violation(s):\n%s", bad, first);
  return 0;
}
