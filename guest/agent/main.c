/*
 * guest/agent/main.c - voidbox-guest-agent: command line, start-up order
 * (PID 1 duties, policy, secret, jail root, reaper, listener), accept loop.
 * The policy and the secret are read before the first connection is
 * accepted; see docs/guest-agent.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/vm_sockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"

static void usage(FILE *f) {
  fputs(
      "usage: voidbox-guest-agent [options]\n"
      "  --listen unix:PATH | vsock:PORT | dev:PATH | virtio-port:NAME\n"
      "                                  where to serve (one byte stream per connection;\n"
      "                                  dev: a character device such as a virtio-serial\n"
      "                                  port; virtio-port: the port QEMU named NAME)\n"
      "  --listen-fd N                  serve an already listening socket\n"
      "  --policy-file PATH | --policy-fd N   policy, read before serving\n"
      "  --secret-file PATH | --secret-fd N   session secret (16..256 bytes), read\n"
      "                                  once at start-up; the file must be mode 0400\n"
      "                                  or 0600; the fd is closed after reading\n"
      "  --unlink-secret                remove --secret-file after reading it\n"
      "  --root DIR                     jail root of file operations (default /)\n"
      "  --cwd DIR                      default working directory of commands\n"
      "  --init | --no-init             force PID 1 duties on or off (default: on\n"
      "                                  when getpid() == 1)\n"
      "  --disk-mb N                    PID 1: /tmp, /var/tmp and /workspace are one\n"
      "                                  tmpfs of N MiB (default 256; 0: the default)\n"
      "  --mount TAG:/PATH              PID 1: mount the host's read-only 9p share TAG\n"
      "                                  (virtio) at PATH before serving; repeatable\n"
      "                                  (at most 8), mounted in order\n"
      "  --shutdown poweroff|reboot     how PID 1 ends the machine on SHUTDOWN\n"
      "                                  (default poweroff; reboot for a VM without ACPI\n"
      "                                  whose monitor runs with -no-reboot)\n"
      "  --verbose                      debug logging\n"
      "As PID 1 without arguments, the arguments are read from /etc/voidbox/agent.args\n"
      "(one per line).\n"
      "  --help\n",
      f);
}

/* Read the secret from fd (to EOF) into a. Returns 0, or VBX_E_IO (read
 * failed: errno set), VBX_E_TOOBIG (longer than a->secret) or VBX_E_INVAL
 * (shorter than 16 bytes). What was read stays in a->secret either way
 * (the caller wipes it). */
static int read_secret(int fd, struct vbx__agent *a) {
  size_t have = 0;
  for (;;) {
    ssize_t r = read(fd, a->secret + have, sizeof a->secret - have);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return VBX_E_IO;
    if (r == 0) break;
    have += (size_t)r;
    if (have == sizeof a->secret) {
      char extra;
      if (read(fd, &extra, 1) > 0) return VBX_E_TOOBIG;
      break;
    }
  }
  a->secret_len = have;
  return have >= 16 ? 0 : VBX_E_INVAL;
}

/* A Unix listener whose path appears only once it accepts connections: the
 * socket is bound under PATH.tmp (mode 0600 from the start: umask), put in
 * the listening state, then renamed onto PATH. A supervisor that waits for
 * PATH to exist can connect at once (no ECONNREFUSED window between bind()
 * and listen()), and the socket is never reachable with a looser mode. A
 * system-call wrapper: the socket, or -errno. */
static int open_unix_listener(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  char tmp[sizeof sa.sun_path];
  if (strlen(path) + 4 >= sizeof sa.sun_path) /* room for ".tmp" */
    return -ENAMETOOLONG;
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  strcpy(sa.sun_path, tmp);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  unlink(tmp);
  mode_t old = umask(077);
  int rc = bind(s, (struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (rc != 0 || listen(s, 64) != 0 || rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    close(s);
    return -e;
  }
  return s;
}

/* The listener --listen spec names: a socket, or 0 with *is_dev set for a
 * device (opened per connection by serve_device). A system-call wrapper:
 * -errno on failure (-EINVAL: an unknown kind). */
static int open_listener(const char *spec, int *is_dev) {
  *is_dev = 0;
  if (strncmp(spec, "unix:", 5) == 0) return open_unix_listener(spec + 5);
  if (strncmp(spec, "vsock:", 6) == 0) {
    struct sockaddr_vm sa = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY};
    sa.svm_port = (unsigned)strtoul(spec + 6, NULL, 10);
    int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 64) != 0)
      return -errno;
    return s;
  }
  if (strncmp(spec, "dev:", 4) == 0 || strncmp(spec, "virtio-port:", 12) == 0) {
    *is_dev = 1;
    return 0;
  }
  return -EINVAL;
}

/* As PID 1 without arguments, the arguments come from ARGS_FILE, one per
 * line (the VM backends put it in the per-box initramfs: the kernel command
 * line cannot carry them, since QEMU appends its own device parameters
 * after anything given to init). Bounded: 4 KiB, 32 arguments. Returns 0
 * (argc/argv replaced; untouched when there is no such file), or VBX_E_IO
 * (unreadable) or VBX_E_TOOBIG (over the bounds). */
#define ARGS_FILE "/etc/voidbox/agent.args"
#define ARGS_MAX 32
static int load_args_file(int *argc, char ***argv) {
  static char buf[4096];
  static char *args[ARGS_MAX + 2];
  int fd = open(ARGS_FILE, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : VBX_E_IO;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  char extra;
  int more = n == (ssize_t)sizeof buf - 1 && read(fd, &extra, 1) > 0;
  close(fd);
  if (n < 0 || more) return n < 0 ? VBX_E_IO : VBX_E_TOOBIG;
  buf[n] = '\0';
  int c = 0;
  args[c++] = (*argv)[0];
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    if (c > ARGS_MAX) return VBX_E_TOOBIG;
    args[c++] = line;
  }
  args[c] = NULL;
  *argc = c;
  *argv = args;
  return 0;
}

static void *conn_thread(void *arg) {
  intptr_t fd = (intptr_t)arg;
  extern struct vbx__agent *vbx__g_agent;
  vbx__conn_serve(vbx__g_agent, (int)fd);
  return NULL;
}

struct vbx__agent *vbx__g_agent;

/* What the command line asked for. */
struct args {
  const char *listen_spec, *policy_file, *secret_file;
  int listen_fd, policy_fd, secret_fd, unlink_secret, verbose, force_init, disk_set;
  unsigned disk_mb;
  int help;                     /* --help: the usage is printed, nothing else happens */
  char *mount[VBX__MAX_MOUNTS]; /* --mount values, in order */
  unsigned n_mount;
};

/* One --mount value into g. 0, or VBX_E_INVAL (usage error, said on
 * stderr). */
static int parse_mount(char *arg, struct args *g) {
  if (g->n_mount == VBX__MAX_MOUNTS || !vbx__init_mount_ok(arg)) {
    fprintf(stderr,
            "voidbox-guest-agent: --mount must be TAG:/PATH (at most %d of them), not '%.300s'\n",
            VBX__MAX_MOUNTS, arg);
    return VBX_E_INVAL;
  }
  g->mount[g->n_mount++] = arg;
  return 0;
}

/* --disk-mb's value into g. 0, or VBX_E_INVAL (usage error, said on
 * stderr). */
static int parse_disk_mb(const char *arg, struct args *g) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(arg, &end, 10);
  if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v > VBX__MAX_DISK_MB) {
    fprintf(stderr, "voidbox-guest-agent: --disk-mb must be 0..%u, not '%s'\n", VBX__MAX_DISK_MB,
            arg);
    return VBX_E_INVAL;
  }
  g->disk_mb = (unsigned)v;
  g->disk_set = 1;
  return 0;
}

/* Parse argv into a and g. Returns 0 (with g->help set after --help, the
 * usage printed on stdout), or VBX_E_INVAL (a usage error, said on
 * stderr). */
static int parse_args(int argc, char **argv, struct vbx__agent *a, struct args *g) {
  enum {
    O_LISTEN = 256,
    O_LFD,
    O_PFILE,
    O_PFD,
    O_SFILE,
    O_SFD,
    O_UNLINK,
    O_ROOT,
    O_CWD,
    O_INIT,
    O_NOINIT,
    O_SHUTDOWN,
    O_VERBOSE,
    O_HELP,
    O_DISK,
    O_MOUNT
  };
  static const struct option opts[] = {{"listen", 1, 0, O_LISTEN},
                                       {"listen-fd", 1, 0, O_LFD},
                                       {"policy-file", 1, 0, O_PFILE},
                                       {"policy-fd", 1, 0, O_PFD},
                                       {"secret-file", 1, 0, O_SFILE},
                                       {"secret-fd", 1, 0, O_SFD},
                                       {"unlink-secret", 0, 0, O_UNLINK},
                                       {"root", 1, 0, O_ROOT},
                                       {"cwd", 1, 0, O_CWD},
                                       {"init", 0, 0, O_INIT},
                                       {"no-init", 0, 0, O_NOINIT},
                                       {"shutdown", 1, 0, O_SHUTDOWN},
                                       {"verbose", 0, 0, O_VERBOSE},
                                       {"disk-mb", 1, 0, O_DISK},
                                       {"mount", 1, 0, O_MOUNT},
                                       {"help", 0, 0, O_HELP},
                                       {0, 0, 0, 0}};
  int o;
  while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (o) {
    case O_LISTEN: g->listen_spec = optarg; break;
    case O_LFD: g->listen_fd = atoi(optarg); break;
    case O_PFILE: g->policy_file = optarg; break;
    case O_PFD: g->policy_fd = atoi(optarg); break;
    case O_SFILE: g->secret_file = optarg; break;
    case O_SFD: g->secret_fd = atoi(optarg); break;
    case O_UNLINK: g->unlink_secret = 1; break;
    case O_ROOT: a->root = optarg; break;
    case O_CWD: a->cwd = optarg; break;
    case O_INIT: g->force_init = 1; break;
    case O_NOINIT: g->force_init = 0; break;
    case O_SHUTDOWN:
      if (strcmp(optarg, "reboot") != 0 && strcmp(optarg, "poweroff") != 0) {
        fprintf(stderr, "voidbox-guest-agent: --shutdown must be poweroff or reboot, not '%s'\n",
                optarg);
        return VBX_E_INVAL;
      }
      a->shutdown_reboot = optarg[0] == 'r';
      break;
    case O_DISK:
      if (parse_disk_mb(optarg, g) != 0) return VBX_E_INVAL;
      break;
    case O_MOUNT:
      if (parse_mount(optarg, g) != 0) return VBX_E_INVAL;
      break;
    case O_VERBOSE: g->verbose = 1; break;
    case O_HELP:
      usage(stdout);
      g->help = 1;
      return 0;
    default: usage(stderr); return VBX_E_INVAL;
    }
  }
  a->is_init = g->force_init >= 0 ? g->force_init : getpid() == 1;
  if ((g->listen_spec == NULL) == (g->listen_fd < 0) ||
      (g->policy_file == NULL) == (g->policy_fd < 0) ||
      (g->secret_file == NULL) == (g->secret_fd < 0) || a->root[0] != '/') {
    fputs(
        "voidbox-guest-agent: need exactly one of --listen/--listen-fd, of "
        "--policy-file/--policy-fd and of --secret-file/--secret-fd; --root must be absolute\n",
        stderr);
    usage(stderr);
    return VBX_E_INVAL;
  }
  if ((g->disk_set || g->n_mount) && !a->is_init) {
    fputs(
        "voidbox-guest-agent: --disk-mb and --mount are PID-1 duties (give --init or run as "
        "PID 1)\n",
        stderr);
    return VBX_E_INVAL;
  }
  return 0;
}

/* The policy from --policy-file or --policy-fd into a->policy. 0, or a
 * negative VBX_E_* code (logged). */
static int load_policy(struct vbx__agent *a, const struct args *g) {
  char err[512];
  int fd = g->policy_fd;
  vbx_proto_policy_init(&a->policy);
  if (g->policy_file != NULL && (fd = open(g->policy_file, O_RDONLY | O_CLOEXEC)) < 0) {
    int e = errno;
    vbx__log(0, "policy %s: %s", g->policy_file, strerror(e));
    return vbx__errno_code(e);
  }
  int rc = vbx__policy_load_fd(fd, &a->policy, err, sizeof err);
  if (rc != 0) vbx__log(0, "%s%s%s", g->policy_file ? g->policy_file : "policy fd", ": ", err);
  close(fd);
  return rc;
}

/* The secret from --secret-file (owned by us, not group/other accessible;
 * unlinked with --unlink-secret) or --secret-fd into a. 0, or a negative
 * VBX_E_* code (logged; what was read stays in a->secret for the caller to
 * wipe). */
static int load_secret(struct vbx__agent *a, const struct args *g) {
  int fd = g->secret_fd;
  if (g->secret_file != NULL) {
    struct stat st;
    fd = open(g->secret_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0) {
      int e = errno;
      vbx__log(0, "secret %s: %s", g->secret_file, strerror(e));
      if (fd >= 0) close(fd);
      return vbx__errno_code(e);
    }
    if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
      vbx__log(0, "secret %s: must be owned by uid %u and not group/other accessible (mode %o)",
               g->secret_file, geteuid(), st.st_mode & 0777);
      close(fd);
      return VBX_E_PERM;
    }
  }
  int rc = read_secret(fd, a);
  close(fd);
  if (g->secret_file != NULL && g->unlink_secret) unlink(g->secret_file);
  if (rc != 0)
    vbx__log(0, "secret: %s",
             rc == VBX_E_IO       ? strerror(errno)
             : rc == VBX_E_TOOBIG ? "longer than 256 bytes"
                                  : "shorter than 16 bytes");
  return rc;
}

/* Serve a character device ("dev:PATH", or "virtio-port:NAME" found by
 * name), one connection at a time, for ever. A VM's PID 1 powers the
 * machine off when its one host connection ends. */
static void serve_device(struct vbx__agent *a, const char *listen_spec) {
  const char *port = strncmp(listen_spec, "dev:", 4) == 0 ? NULL : listen_spec + 12;
  for (unsigned tries = 0;; tries++) {
    char dev[300];
    if (port == NULL) {
      snprintf(dev, sizeof dev, "%s", listen_spec + 4);
    } else if (vbx__init_find_virtio_port(port, dev, sizeof dev) != 0) {
      if (tries % 50 == 0) vbx__log(0, "no virtio-serial port named '%s' (yet)", port);
      usleep(20000);
      continue;
    }
    int fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      vbx__log(0, "open %s: %s", dev, strerror(errno));
      sleep(1);
      continue;
    }
    tries = 0;
    vbx__conn_serve(a, fd);
    if (port != NULL && a->is_init) {
      /* A VM serves exactly one host connection: once it ends (the host
       * closed it or went away) nothing can reach this guest any more,
       * so end the machine instead of leaving an orphan VM running. Should
       * the power-off fail, no later connection authenticates. */
      vbx__log(1, "host connection ended; stopping the machine");
      vbx__reaper_kill_all(SIGKILL);
      vbx__agent_forget_secret(a);
      vbx__init_poweroff(a->shutdown_reboot);
    }
    usleep(100000);
  }
}

/* Accept connections on listening socket ls, each served on a detached
 * thread. Returns only on a fatal accept error: VBX_E_IO (logged). */
static int serve_socket(int ls) {
  for (;;) {
    int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
        if (errno == EMFILE || errno == ENFILE) usleep(100000);
        continue;
      }
      vbx__log(0, "accept: %s", strerror(errno));
      return VBX_E_IO;
    }
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, conn_thread, (void *)(intptr_t)fd) != 0) close(fd);
    pthread_attr_destroy(&at);
  }
}

/* With the policy and the secret read: open the jail root, start the
 * reaper, open the listener and serve. Returns only on a failure: a
 * negative VBX_E_* code (logged). */
static int serve(struct vbx__agent *a, const struct args *g) {
  a->rootfd = open(a->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (a->rootfd < 0) {
    int e = errno;
    vbx__log(0, "root %s: %s", a->root, strerror(e));
    return vbx__errno_code(e);
  }
  if (a->cwd == NULL) a->cwd = a->root;
  vbx__g_agent = a;
  int rc = vbx__reaper_start();
  if (rc != 0) {
    vbx__log(0, "cannot start the reaper thread");
    return rc;
  }
  /* The LLM gateway tunnel is up before the first command can run. */
  if (a->policy.llm_gateway_port != 0 &&
      (rc = vbx__tunnel_listen(a, a->policy.llm_gateway_port)) != 0)
    return rc;
  int is_dev = 0;
  int ls = g->listen_fd;
  /* A listening socket handed over by the supervisor (dup2'd onto its
   * number, so without close-on-exec): never let commands inherit it. */
  if (g->listen_fd >= 0 && fcntl(g->listen_fd, F_SETFD, FD_CLOEXEC) != 0) {
    int e = errno;
    vbx__log(0, "--listen-fd %d: %s", g->listen_fd, strerror(e));
    return vbx__errno_code(e);
  }
  if (g->listen_spec != NULL && (ls = open_listener(g->listen_spec, &is_dev)) < 0) {
    vbx__log(0, "listen %s: %s", g->listen_spec, strerror(-ls));
    return vbx__errno_code(-ls);
  }
  vbx__log(1, "serving %s (root %s, %zu allowed commands%s)",
           g->listen_spec ? g->listen_spec : "fd", a->root, a->policy.n_allow,
           a->policy.allow_all ? ", all allowed" : "");
  if (is_dev) serve_device(a, g->listen_spec);
  return serve_socket(ls);
}

int main(int argc, char **argv) {
  static struct vbx__agent a;
  struct args g = {NULL, NULL, NULL, -1, -1, -1, 0, 0, -1, 0, 0, 0, {NULL}, 0};
  a.root = "/";
  if (argc == 1 && getpid() == 1 && load_args_file(&argc, &argv) != 0) {
    fputs("voidbox-guest-agent: cannot read " ARGS_FILE " (at most 4 KiB, 32 lines)\n", stderr);
    return 1;
  }
  int rc = parse_args(argc, argv, &a, &g);
  if (rc != 0 || g.help) return rc != 0 ? 2 : 0;
  vbx__log_init(0, g.verbose);        /* stderr until PID 1 has mounted /dev */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no ptrace, no /proc/PID/mem, no core */
  signal(SIGPIPE, SIG_IGN);
  if (a.is_init && vbx__init_system() != 0) vbx__log(0, "init: continuing without /proc");
  if (a.is_init) vbx__log_init(1, g.verbose); /* /dev/kmsg: timestamped with the kernel's log */
  if (a.is_init && vbx__init_disk(g.disk_mb) != 0) {
    vbx__log(0, "init: cannot set up the box's disk; not serving with unbounded storage");
    return 1;
  }
  pthread_mutex_init(&a.lock, NULL);
  /* The host's shares after the policy and the secret are read (a mount
   * over /etc cannot hide them), before the first connection. */
  if ((rc = load_policy(&a, &g)) == 0 && (rc = load_secret(&a, &g)) == 0 &&
      (rc = vbx__init_mounts(g.mount, g.n_mount)) == 0)
    rc = serve(&a, &g);
  /* Serving has ended (or never began): the secret goes before the
   * agent does (docs/protocol.md). */
  vbx__agent_forget_secret(&a);
  return rc != 0 ? 1 : 0;
}
