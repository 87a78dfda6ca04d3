/*
 * guest/agent/init.c - PID 1 duties inside a VM: mount the pseudo file
 * systems, bring up loopback, find virtio-serial ports by name, power off
 * (or reboot) on SHUTDOWN.
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
#include <unistd.h>

#include "agent.h"

static int mnt(const char *src, const char *dst, const char *type, unsigned long fl,
               const char *data) {
  mkdir(dst, 0755);
  if (mount(src, dst, type, fl, data) != 0 && errno != EBUSY) {
    vbx__log(0, "mount %s on %s: %s", type, dst, strerror(errno));
    return -1;
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
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
      vbx__log(0, "lo: SIOCSIFFLAGS: %s", strerror(errno));
  } else {
    vbx__log(0, "lo: SIOCGIFFLAGS: %s", strerror(errno));
  }
  close(s);
}

int vbx__init_system(void) {
  int rc = 0;
  if (mnt("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    rc = -1;
  mnt("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mnt("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  mnt("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666");
  mnt("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  lo_up();
  return rc;
}

void vbx__init_poweroff(int use_reboot) {
  sync();
  reboot(use_reboot ? RB_AUTOBOOT : RB_POWER_OFF);
  vbx__log(0, "reboot(%s): %s", use_reboot ? "RB_AUTOBOOT" : "RB_POWER_OFF", strerror(errno));
}

int vbx__init_find_virtio_port(const char *name, char *path, size_t cap) {
  DIR *d = opendir("/sys/class/virtio-ports");
  if (d == NULL)
    return -1;
  struct dirent *e;
  int rc = -1;
  while (rc != 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strlen(e->d_name) > 64)
      continue;
    char np[128], got[128];
    snprintf(np, sizeof np, "/sys/class/virtio-ports/%s/name", e->d_name);
    int fd = open(np, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    ssize_t n = read(fd, got, sizeof got - 1);
    close(fd);
    if (n <= 0)
      continue;
    got[n] = '\0';
    got[strcspn(got, "\n")] = '\0';
    if (strcmp(got, name) == 0 && (size_t)snprintf(path, cap, "/dev/%s", e->d_name) < cap)
      rc = 0;
  }
  closedir(d);
  return rc;
}
