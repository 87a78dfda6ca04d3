/*
 * netstack/main.c - voidbox-netstack: one box's user-mode network, a
 * helper process per box (docs/network.md). The sandbox backend starts it
 * with a listening Unix socket; the box's QEMU (-netdev stream) or
 * voidbox-vmm (--net) connects, and from then on every frame of the guest
 * passes the box's egress policy on its way to libslirp.
 */
#include <errno.h>
#include <getopt.h>
#include <slirp/libslirp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host_info.h"
#include "link.h"
#include "netstack/policy.h"
#include "syscall_filter.h"
#include "stack.h"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) { g_stop = sig; }

static void usage(FILE *f) {
  fputs(
      "usage: voidbox-netstack (--listen PATH | --listen-fd N) [options]\n"
      "One box's user-mode network: DHCP, DNS and NAT (libslirp) behind the box's\n"
      "egress policy. Serves one guest link: QEMU's -netdev stream or voidbox-vmm's\n"
      "--net connects to the listening socket; frames are 4-byte big-endian length\n"
      "prefixed. Exits when that link closes or on SIGTERM.\n"
      "  --listen PATH        create and listen on the Unix socket PATH\n"
      "  --listen-fd N        accept on the listening socket inherited as fd N\n"
      "  --policy JSON        the policy: {\"allow\":[..],\"deny\":[..],\"dns\":[..],\n"
      "                       \"max_connections\":N,\"rate_limit_kbps\":N} (default {})\n"
      "  --gateway-port PORT  the guest's 10.0.2.2:4000 reaches the host's\n"
      "                       127.0.0.1:PORT (the LLM gateway) whatever the policy\n"
      "  --resolv-conf PATH   upstream resolvers when the policy lists none\n"
      "                       (default /etc/resolv.conf)\n"
      "  --no-seccomp         no system call filter (debugging only)\n"
      "  --help, --version\n"
      "Log lines on stderr: one per denied connection or name (destination and\n"
      "reason), and a counters line at the end.\n",
      f);
}

static int listen_path(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "voidbox-netstack: socket path too long: %s\n", path);
    return -1;
  }
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 1) != 0) {
    fprintf(stderr, "voidbox-netstack: cannot listen on %s: %s\n", path, strerror(errno));
    if (s >= 0) close(s);
    return -1;
  }
  return s;
}

static void on_frame(void *user, uint8_t *frame, size_t len) { ns_stack_input(user, frame, len); }

static void to_link(void *user, const uint8_t *frame, size_t len) {
  ns_link_send(user, frame, len);
}

typedef struct args {
  const char *listen, *policy, *resolv;
  int listen_fd;
  long gateway_port;
  int seccomp;
} args;

static int parse_args(int argc, char **argv, args *a) {
  static const struct option opts[] = {{"listen", required_argument, 0, 'l'},
                                       {"listen-fd", required_argument, 0, 'L'},
                                       {"policy", required_argument, 0, 'p'},
                                       {"gateway-port", required_argument, 0, 'g'},
                                       {"resolv-conf", required_argument, 0, 'r'},
                                       {"no-seccomp", no_argument, 0, 'S'},
                                       {"help", no_argument, 0, 'h'},
                                       {"version", no_argument, 0, 'V'},
                                       {0, 0, 0, 0}};
  *a = (args){.policy = "{}", .resolv = "/etc/resolv.conf", .listen_fd = -1, .seccomp = 1};
  int ch;
  char *end;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
    case 'l': a->listen = optarg; break;
    case 'L':
      a->listen_fd = (int)strtol(optarg, &end, 10);
      if (*end != '\0' || a->listen_fd < 0) {
        fprintf(stderr, "voidbox-netstack: --listen-fd '%s': expected a descriptor number\n",
                optarg);
        return EXIT_USAGE;
      }
      break;
    case 'p': a->policy = optarg; break;
    case 'g':
      a->gateway_port = strtol(optarg, &end, 10);
      if (*end != '\0' || a->gateway_port < 1 || a->gateway_port > 65535) {
        fprintf(stderr, "voidbox-netstack: --gateway-port '%s': expected 1 to 65535\n", optarg);
        return EXIT_USAGE;
      }
      break;
    case 'r': a->resolv = optarg; break;
    case 'S': a->seccomp = 0; break;
    case 'h': usage(stdout); exit(EXIT_DONE);
    case 'V':
      printf("voidbox-netstack %s, libslirp %s\n", VBX_NETSTACK_VERSION, slirp_version_string());
      exit(EXIT_DONE);
    default: usage(stderr); return EXIT_USAGE;
    }
  }
  if (optind < argc || (a->listen == NULL) == (a->listen_fd < 0)) {
    fputs("voidbox-netstack: give exactly one of --listen PATH and --listen-fd N\n", stderr);
    usage(stderr);
    return EXIT_USAGE;
  }
  return 0;
}

int main(int argc, char **argv) {
  args a;
  int rc = parse_args(argc, argv, &a);
  if (rc != 0) return rc;
  char err[300];
  vbx_netpolicy pol;
  if (vbx_netpolicy_from_json(a.policy, &pol, err, sizeof err) != 0) {
    fprintf(stderr, "voidbox-netstack: --policy: %s\n", err);
    return EXIT_USAGE;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  static vbx_np_host_addrs host;
  if (ns_host_addrs(&host) != 0)
    fprintf(stderr, "voidbox-netstack: cannot list the host's addresses: %s\n", strerror(errno));
  ns_config cfg = {
      .policy = &pol, .host = &host, .gateway_port = (uint16_t)a.gateway_port, .log_fd = 2};
  if (pol.n_dns > 0) {
    memcpy(cfg.dns, pol.dns, sizeof pol.dns);
    cfg.n_dns = pol.n_dns;
    cfg.dns_trusted = true;
  } else {
    cfg.n_dns = ns_resolv_conf_read(a.resolv, cfg.dns, VBX_NP_MAX_DNS);
  }

  int ls = a.listen_fd >= 0 ? a.listen_fd : listen_path(a.listen);
  if (ls < 0) return EXIT_FAILED;
  int fd;
  do {
    fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR && !g_stop);
  if (fd < 0) {
    if (g_stop) return EXIT_DONE;
    fprintf(stderr, "voidbox-netstack: accept: %s\n", strerror(errno));
    return EXIT_FAILED;
  }
  close(ls); /* one guest link per helper */

  static ns_link link;
  if (ns_link_init(&link, fd) != 0) {
    fputs("voidbox-netstack: out of memory\n", stderr);
    return EXIT_FAILED;
  }
  ns_stack *st = ns_stack_new(&cfg, to_link, &link, err, sizeof err);
  if (st == NULL) {
    fprintf(stderr, "voidbox-netstack: %s\n", err);
    return EXIT_FAILED;
  }
  if (a.seccomp && ns_seccomp_install(err, sizeof err) != 0) {
    fprintf(stderr, "voidbox-netstack: %s\n", err);
    return EXIT_FAILED;
  }
  rc = EXIT_DONE;
  while (!g_stop) {
    struct pollfd pf = {.fd = link.fd, .events = POLLIN};
    if (link.out_len > 0) pf.events |= POLLOUT;
    if (ns_stack_poll(st, &pf, 1, 1000) != 0) {
      fprintf(stderr, "voidbox-netstack: poll: %s\n", strerror(errno));
      rc = EXIT_FAILED;
      break;
    }
    if ((pf.revents & (POLLIN | POLLHUP | POLLERR)) && ns_link_read(&link, on_frame, st) != 0)
      break;
    if (link.out_len > 0 && ns_link_flush(&link) != 0) break;
  }
  if (link.why[0] != '\0') fprintf(stderr, "link: %s\n", link.why);
  ns_log_counters(ns_stack_ns(st));
  if (link.out_dropped > 0)
    fprintf(stderr, "link: %llu frames for the guest dropped (its side was not reading)\n",
            (unsigned long long)link.out_dropped);
  ns_stack_free(st);
  ns_link_fini(&link);
  vbx_netpolicy_free(&pol);
  return rc;
}
