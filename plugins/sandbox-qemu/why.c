/*
 * sandbox-qemu/why.c - why a box's guest is gone: guest-session's VM
 * description (gs_vm_why_dead) with QEMU's name and its stderr log.
 * -no-reboot makes a guest reset end QEMU, so a connection that ended
 * means QEMU is exiting.
 */
#include "gs_vm.h"
#include "qemu.h"

void qemu_why_dead(gs_box *box, int gone, int status, const char *why, char *msg, size_t cap) {
  gs_vm_why_dead(box, "QEMU", "qemu.log", gone, status, why, msg, cap);
}
