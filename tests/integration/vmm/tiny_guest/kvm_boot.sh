#!/usr/bin/env bash
# vbx_vmm_x86 under a real KVM (kvm_boot.c runs each guest): the tiny guest
# with 1 and 4 vCPUs, then the cached vmlinux (PVH) and bzImage (64-bit boot
# protocol) with 2 vCPUs up to /init (each skipped, with the reason, when
# absent from the image cache).
#   kvm_boot.sh direct BIN_DIR   here; exits 77 without a usable KVM
#   kvm_boot.sh nested BIN_DIR   the same inside scripts/nested-kvm.sh's L1
set -u
mode=$1 B=$2
here=$(cd "$(dirname "$0")" && pwd)
if [ "$mode" = nested ]; then
  [ "$(id -u)" = 0 ] || { echo "SKIP: scripts/nested-kvm.sh needs root"; exit 77; }
  err=$(mktemp)
  trap 'rm -f "$err"' EXIT
  cd "$here/../../../.." || exit 1
  scripts/nested-kvm.sh --timeout 600 -- bash "$here/kvm_boot.sh" direct "$B" 2>"$err"
  rc=$?
  if [ "$rc" = 125 ] && grep -q "apt-get download\|no linux-image-amd64" "$err"; then
    echo "SKIP: $(cat "$err")"; exit 77
  fi
  cat "$err" >&2
  exit "$rc"
fi

run=$B/tests/integration/vmm/tiny_guest/vmm_x86_kvm_boot
tiny=$B/tests/integration/vmm/tiny_guest/tiny_guest.elf
img=${VBX_TEST_IMAGE_CACHE:-${VOIDBOX_CACHE_DIR:-$HOME/.cache/voidbox/images}}
fail=0
lines=("tiny-guest: hello" "virtio-mmio 0 magic=74726976 version=2 id=13"
  "virtio-mmio 1 magic=74726976 version=2 id=2" "tiny-guest: done")
for n in 1 4; do
  "$run" "$tiny" - "" "$n" 64 20 "${lines[@]}"
  rc=$?
  [ "$rc" = 77 ] && exit 77
  [ "$rc" = 0 ] || fail=1
done
cmdline="earlyprintk=serial,ttyS0,115200 console=ttyS0 reboot=k panic=-1"
initrd=$img/initramfs.cpio
[ -f "$initrd" ] || initrd=-
for k in vmlinux bzImage; do
  if [ ! -f "$img/$k" ]; then echo "SKIP: no $k in $img (voidbox image build)"; continue; fi
  "$run" "$img/$k" "$initrd" "$cmdline" 2 256 180 "found SMP MP-table at [mem 0x0009fc00" \
    "Processors: 2" "Brought up 1 node, 2 CPUs" "Run /init" || fail=1
done
exit "$fail"
