/*
 * guest/agent/init.c - PID 1 duties inside a VM: mount the pseudo file
 * systems, bring up loopback, power off on SHUTDOWN.
 */
#include <errno.h>
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

void vbx__init_poweroff(void) {
  sync();
  reboot(RB_POWER_OFF);
  vbx__log(0, "reboot(RB_POWER_OFF): %s", strerror(errno));
}
