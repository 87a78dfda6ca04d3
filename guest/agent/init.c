/*
 * guest/agent/init.c - PID 1 duties inside a VM: mount the pseudo file
 * systems, bring up loopback, give the box its bounded disk (one tmpfs
 * under /tmp, /var/tmp and /workspace), mount the host's read-only 9p
 * shares, find virtio-serial ports by name, power off (or reboot) on
 * SHUTDOWN.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "agent.h"

/* mount(2) type on dst (made if missing); already mounted is fine. 0, or
 * VBX_E_IO (logged). */
static int mnt(const char *src, const char *dst, const char *type, unsigned long fl,
               const char *data) {
  mkdir(dst, 0755);
  if (mount(src, dst, type, fl, data) != 0 && errno != EBUSY) {
    vbx__log(0, "mount %s on %s: %s", type, dst, strerror(errno));
    return VBX_E_IO;
  }
  return 0;
}

static void lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    vbx__log(0, "lo: socket: %s", strerror(errno));
    return;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) vbx__log(0, "lo: SIOCSIFFLAGS: %s", strerror(errno));
  } else {
    vbx__log(0, "lo: SIOCGIFFLAGS: %s", strerror(errno));
  }
  close(s);
}

int vbx__init_system(void) {
  int rc = mnt("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mnt("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mnt("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  mnt("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
  mnt("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  lo_up();
  return rc;
}

/* Where the disk's tmpfs is mounted while its directories are made; it is
 * unmounted again once they are bound to their places. */
#define DISK_STAGE "/run/voidbox-disk"

/* Make DISK_STAGE/sub (owner, mode) and bind it onto at (made if missing,
 * a mount already there unmounted first). 0, or VBX_E_IO (logged). */
static int disk_bind(const char *sub, const char *at, uid_t uid, gid_t gid, mode_t mode) {
  char dir[64];
  snprintf(dir, sizeof dir, DISK_STAGE "/%s", sub);
  if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || chown(dir, uid, gid) != 0 ||
      chmod(dir, mode) != 0) {
    vbx__log(0, "disk: %s: %s", dir, strerror(errno));
    return VBX_E_IO;
  }
  umount2(at, MNT_DETACH); /* /tmp from vbx__init_system; EINVAL when none */
  if (mkdir(at, 0755) != 0 && errno != EEXIST) {
    vbx__log(0, "disk: mkdir %s: %s", at, strerror(errno));
    return VBX_E_IO;
  }
  if (mount(dir, at, NULL, MS_BIND, NULL) != 0) {
    vbx__log(0, "disk: bind %s on %s: %s", dir, at, strerror(errno));
    return VBX_E_IO;
  }
  return 0;
}

int vbx__init_disk(unsigned disk_mb) {
  if (disk_mb == 0) disk_mb = VBX__DEFAULT_DISK_MB;
  /* /workspace keeps what the image (the per-box archive) made it:
   * owned by the commands' identity. */
  struct stat ws;
  if (stat("/workspace", &ws) != 0) {
    ws.st_uid = 0;
    ws.st_gid = 0;
    ws.st_mode = S_IFDIR | 0755;
  }
  char opts[64];
  snprintf(opts, sizeof opts, "size=%um,mode=0700", disk_mb);
  mkdir("/run", 0755);
  mkdir(DISK_STAGE, 0700);
  if (mount("tmpfs", DISK_STAGE, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
    vbx__log(0, "disk: mount tmpfs (%s) on %s: %s", opts, DISK_STAGE, strerror(errno));
    return VBX_E_IO;
  }
  /* A tmpfs without its size (a kernel whose "tmpfs" is ramfs) would
   * leave the disk unbounded: refuse it. */
  struct statfs sf;
  uint64_t bytes = 0;
  if (statfs(DISK_STAGE, &sf) == 0) bytes = (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize;
  int rc = 0;
  if (bytes != (uint64_t)disk_mb << 20) {
    vbx__log(0, "disk: the tmpfs on %s has %llu bytes, not the %u MiB asked for", DISK_STAGE,
             (unsigned long long)bytes, disk_mb);
    rc = VBX_E_IO;
  }
  mkdir("/var", 0755);
  if (rc == 0) rc = disk_bind("tmp", "/tmp", 0, 0, 01777);
  if (rc == 0) rc = disk_bind("var-tmp", "/var/tmp", 0, 0, 01777);
  if (rc == 0) rc = disk_bind("workspace", "/workspace", ws.st_uid, ws.st_gid, ws.st_mode & 07777);
  /* The binds hold the tmpfs; its staging mount goes. */
  umount2(DISK_STAGE, MNT_DETACH);
  rmdir(DISK_STAGE);
  if (rc == 0) vbx__log(1, "disk: %u MiB tmpfs on /tmp, /var/tmp and /workspace", disk_mb);
  return rc;
}

/* The 9p options of a host share: the virtio transport, the Linux
 * dialect, the largest messages the transport takes, and cache=loose - the
 * guest keeps in its page cache what it read (a share is read-only and
 * not expected to change under a box; cache=none or mmap read every
 * access from the host again). */
#define SHARE_OPTS "trans=virtio,version=9p2000.L,cache=loose,msize="

int vbx__init_mount_ok(const char *spec) {
  const char *colon = strchr(spec, ':');
  size_t tag = colon ? (size_t)(colon - spec) : 0;
  if (tag == 0 || tag > 31 ||
      strspn(spec,
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
             "0123456789_-") != tag)
    return 0;
  const char *p = colon + 1;
  if (p[0] != '/' || p[1] == '\0' || strlen(p) > VBX__MOUNT_PATH_MAX) return 0;
  for (const char *c = p; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) return 0;
  for (const char *c = p; *c == '/';) {
    size_t n = strcspn(c + 1, "/");
    if (n == 0 || (n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.')) return 0;
    c += n + 1;
  }
  return 1;
}

/* mkdir -p path (0755); 0 or -errno. */
static int make_dirs(const char *path) {
  char p[VBX__MOUNT_PATH_MAX + 1];
  snprintf(p, sizeof p, "%s", path);
  for (char *c = p + 1;; c++) {
    if (*c != '/' && *c != '\0') continue;
    char was = *c;
    *c = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) return -errno;
    if (was == '\0') return 0;
    *c = was;
  }
}

int vbx__init_mounts(char *const *specs, unsigned n) {
  char opts[96];
  snprintf(opts, sizeof opts, SHARE_OPTS "%u", VBX__MOUNT_MSIZE);
  for (unsigned i = 0; i < n; i++) {
    char tag[32];
    const char *colon = strchr(specs[i], ':');
    snprintf(tag, sizeof tag, "%.*s", (int)(colon - specs[i]), specs[i]);
    const char *path = colon + 1;
    int e = -make_dirs(path);
    if (e == 0 && mount(tag, path, "9p", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) != 0) e = errno;
    if (e != 0) {
      vbx__log(0, "init: host share %s on %s: %s%s; not serving without it", tag, path, strerror(e),
               e == ENODEV   ? " (the guest kernel has no 9p: rebuild the image with `voidbox "
                               "image build`)"
               : e == ENOENT ? " (no virtio-9p device has that tag)"
                             : "");
      return VBX_E_IO;
    }
    vbx__log(1, "host share %s read-only on %s", tag, path);
  }
  return 0;
}

void vbx__init_poweroff(int use_reboot) {
  sync();
  reboot(use_reboot ? RB_AUTOBOOT : RB_POWER_OFF);
  vbx__log(0, "reboot(%s): %s", use_reboot ? "RB_AUTOBOOT" : "RB_POWER_OFF", strerror(errno));
}

int vbx__init_find_virtio_port(const char *name, char *path, size_t cap) {
  DIR *d = opendir("/sys/class/virtio-ports");
  if (d == NULL) return VBX_E_NOTFOUND;
  struct dirent *e;
  int rc = VBX_E_NOTFOUND;
  while (rc != 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strlen(e->d_name) > 64) continue;
    char np[128], got[128];
    snprintf(np, sizeof np, "/sys/class/virtio-ports/%.64s/name", e->d_name);
    int fd = open(np, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, got, sizeof got - 1);
    close(fd);
    if (n <= 0) continue;
    got[n] = '\0';
    got[strcspn(got, "\n")] = '\0';
    if (strcmp(got, name) == 0 && (size_t)snprintf(path, cap, "/dev/%s", e->d_name) < cap) rc = 0;
  }
  closedir(d);
  return rc;
}
