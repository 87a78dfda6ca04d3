/*
 * vmm/main.c - voidbox-vmm: the command line over vmm_run() that the kvm
 * sandbox backend starts, one process per box (docs/vmm.md).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmm.h"

enum { EXIT_GUEST_ENDED = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_STOPPED = 3 };

static void usage(FILE *f) {
  fputs(
      "usage: voidbox-vmm --kernel PATH [options]\n"
      "Run one micro-VM under KVM until the guest resets or powers off.\n"
      "  --kernel PATH        ELF vmlinux (PVH entry) or bzImage\n"
      "  --initrd PATH        initramfs\n"
      "  --cmdline STR        kernel command line (virtio_mmio.device= entries are appended)\n"
      "  --mem MIB            guest RAM (default 256; even, at most 3072)\n"
      "  --cpus N             vCPUs (default 1, at most 32)\n"
      "  --console PATH       write the serial console (ttyS0) to PATH\n"
      "  --vsock PATH         virtio-vsock; host side is the Unix socket PATH (listening):\n"
      "                       connect, write \"CONNECT <port>\\n\", read \"OK <n>\\n\", then\n"
      "                       a byte stream to the guest's port; guest connections to\n"
      "                       host port P go to the Unix socket PATH_P\n"
      "  --vsock-cid N        the guest's CID (default 3)\n"
      "  --port NAME=PATH     virtio-console port NAME, joined to the listening Unix\n"
      "                       socket PATH (the VMM connects)\n"
      "  --net PATH           virtio-net, joined to the listening Unix socket PATH (the\n"
      "                       VMM connects); Ethernet frames each after a 4-byte\n"
      "                       big-endian length, as QEMU's -netdev stream\n"
      "  --net-mac MAC        the guest's MAC, XX:XX:XX:XX:XX:XX (default 52:54:00:12:34:56)\n"
      "  --no-rng             no virtio-rng (default: entropy from the host)\n"
      "  --pit                an i8254 PIT (default: only where KVM lacks the TSC-deadline\n"
      "                       timer; a kernel without kvmclock needs one to calibrate)\n"
      "  --no-seccomp         no system call filters (debugging only)\n"
      "  --timing             print set-up and run times on stderr at the end\n"
      "  --verbose            report guest accesses to addresses without a device\n"
      "  --help, --version\n"
      "Exit status: 0 the guest reset or powered off; 1 the VMM failed (reason on\n"
      "stderr); 2 usage error; 3 stopped by SIGTERM, SIGINT or SIGHUP.\n",
      f);
}

static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi) {
    fprintf(stderr, "voidbox-vmm: %s '%s': expected a number from %" PRIu64 " to %" PRIu64 "\n",
            opt, s, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* XX:XX:XX:XX:XX:XX (hex digits either case) naming a unicast station. */
static int parse_mac(const char *s, uint8_t mac[6]) {
  bool ok = strlen(s) == 17;
  for (int i = 0; ok && i < 6; i++) {
    int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
    ok = hi >= 0 && lo >= 0 && (i == 5 || s[3 * i + 2] == ':');
    mac[i] = (uint8_t)(hi << 4 | lo);
  }
  if (!ok || (mac[0] & 1) || memcmp(mac, "\0\0\0\0\0\0", 6) == 0) {
    fprintf(stderr, "voidbox-vmm: --net-mac '%s': expected a unicast XX:XX:XX:XX:XX:XX\n", s);
    return -1;
  }
  return 0;
}

static int parse_args(int argc, char **argv, vmm_config *c, bool *timing) {
  static const struct option opts[] = {{"kernel", required_argument, 0, 'k'},
                                       {"initrd", required_argument, 0, 'i'},
                                       {"cmdline", required_argument, 0, 'c'},
                                       {"mem", required_argument, 0, 'm'},
                                       {"cpus", required_argument, 0, 'n'},
                                       {"console", required_argument, 0, 'o'},
                                       {"vsock", required_argument, 0, 's'},
                                       {"vsock-cid", required_argument, 0, 'C'},
                                       {"port", required_argument, 0, 'p'},
                                       {"net", required_argument, 0, 'N'},
                                       {"net-mac", required_argument, 0, 'M'},
                                       {"no-rng", no_argument, 0, 'R'},
                                       {"no-seccomp", no_argument, 0, 'S'},
                                       {"timing", no_argument, 0, 't'},
                                       {"verbose", no_argument, 0, 'v'},
                                       {"help", no_argument, 0, 'h'},
                                       {"version", no_argument, 0, 'V'},
                                       {"pit", no_argument, 0, 'P'},
                                       {0, 0, 0, 0}};
  uint64_t v;
  int ch;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
    case 'k': c->kernel = optarg; break;
    case 'i': c->initrd = optarg; break;
    case 'c': c->cmdline = optarg; break;
    case 'm':
      if (parse_u64("--mem", optarg, 2, 3072, &v) != 0) return -1;
      if (v % 2 != 0) {
        fprintf(stderr, "voidbox-vmm: --mem %s: must be even (2 MiB granules)\n", optarg);
        return -1;
      }
      c->mem_mib = v;
      break;
    case 'n':
      if (parse_u64("--cpus", optarg, 1, VMM_MAX_VCPUS, &v) != 0) return -1;
      c->vcpus = (unsigned)v;
      break;
    case 'o': c->console = optarg; break;
    case 's': c->vsock = optarg; break;
    case 'C':
      if (parse_u64("--vsock-cid", optarg, 3, UINT32_MAX - 1, &v) != 0) return -1;
      c->vsock_cid = v;
      break;
    case 'p': {
      char *eq = strchr(optarg, '=');
      if (eq == NULL || eq == optarg || eq[1] == '\0') {
        fprintf(stderr, "voidbox-vmm: --port '%s': expected NAME=PATH\n", optarg);
        return -1;
      }
      *eq = '\0';
      c->port_name = optarg;
      c->port_socket = eq + 1;
      break;
    }
    case 'N': c->net = optarg; break;
    case 'M':
      if (parse_mac(optarg, c->net_mac) != 0) return -1;
      break;
    case 'R': c->rng = false; break;
    case 'P': c->pit = true; break;
    case 'S': c->seccomp = false; break;
    case 't': *timing = true; break;
    case 'v': c->verbose = true; break;
    case 'h': usage(stdout); exit(0);
    case 'V': puts("voidbox-vmm 0.1.0"); exit(0);
    default: fputs("try voidbox-vmm --help\n", stderr); return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "voidbox-vmm: unexpected argument '%s' (try --help)\n", argv[optind]);
    return -1;
  }
  if (c->kernel == NULL) {
    fputs("voidbox-vmm: --kernel is required (try --help)\n", stderr);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  vmm_config c = {.mem_mib = 256, .vcpus = 1, .vsock_cid = 3, .rng = true, .seccomp = true};
  bool timing = false;
  if (parse_args(argc, argv, &c, &timing) != 0) return EXIT_USAGE;
  char err[512] = "";
  vmm_result r;
  int rc = vmm_run(&c, &r, err, sizeof err);
  if (timing)
    fprintf(stderr, "voidbox-vmm: timing: start to first KVM_RUN %.3f ms, run %.3f ms\n",
            r.setup_ns / 1e6, r.run_ns / 1e6);
  if (r.console_drop > 0)
    fprintf(stderr, "voidbox-vmm: %" PRIu64 " console bytes past the log cap were dropped\n",
            r.console_drop);
  if (r.net_tx_drop + r.net_tx_bad + r.net_rx_drop > 0)
    fprintf(stderr,
            "voidbox-vmm: virtio-net dropped %" PRIu64 " guest frames with the link down, %" PRIu64
            " malformed, %" PRIu64 " frames larger than the guest's buffer\n",
            r.net_tx_drop, r.net_tx_bad, r.net_rx_drop);
  if (rc != 0) {
    fprintf(stderr, "voidbox-vmm: %s\n", err);
    return EXIT_FAILED;
  }
  /* One line on how the VM ended: a box's vmm.log then tells a guest
   * reboot from a triple fault. */
  fprintf(stderr, "voidbox-vmm: the VM ended: %s\n", r.why);
  return r.end == VMM_END_SIGNAL ? EXIT_STOPPED : EXIT_GUEST_ENDED;
}
