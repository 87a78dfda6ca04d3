#!/usr/bin/env bash
# Run a command where a real /dev/kvm exists, on a machine without hardware
# virtualization: inside an "L1" Linux guest that QEMU emulates (TCG) with
# `-cpu max`, whose emulated AMD SVM lets L1 load kvm_amd (nested paging on).
#
#   scripts/nested-kvm.sh [options] -- COMMAND [ARGS...]
#
# COMMAND runs as root in L1, chrooted into this machine's root file system
# (shared read-only over virtio-9p), in the current directory, with the
# repository (its git top level, build trees included) and the voidbox cache
# ($VOIDBOX_CACHE_DIR's parent or ~/.cache/voidbox) writable at the same
# absolute paths, a fresh tmpfs /tmp, and /dev/kvm. Its stdout and stderr
# come back as they are written; the script exits with COMMAND's status (or
# 125 when L1 could not run it, 124 when it timed out).
#
# Options:
#   --mem MIB      L1 memory (default 4096)
#   --cpus N       L1 vCPUs (default: online CPUs)
#   --timeout S    wall-clock bound for the whole L1 run (default 1800)
#   --share DIR    one more directory writable at its path (repeatable)
#   --verbose      show L1's console (kernel and module lines)
#   --l1-kernel PATH
#                  boot L1 with this bzImage instead of Debian's: one with
#                  KVM (kvm_amd), ACPI, virtio-mmio and 9p built in (no
#                  modules are loaded then; docs/nested-kvm.md shows a config)
#   --help
#
# Without --l1-kernel, the L1 kernel and its modules are Debian's
# linux-image-amd64, fetched once with `apt-get download` into
# ~/.cache/voidbox/nested (run `apt-get update` once before). Environment
# variables VBX_*, VOIDBOX_*, ASAN_OPTIONS, UBSAN_OPTIONS, HOME and PATH are
# passed to COMMAND.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "nested-kvm: $*" >&2; exit 125; }

mem=4096 cpus=$(nproc) timeout_s=1800 verbose=0 shares=() l1_kernel=
while [ $# -gt 0 ]; do
  case $1 in
    --mem) mem=${2:?--mem needs MiB}; shift 2 ;;
    --cpus) cpus=${2:?--cpus needs a count}; shift 2 ;;
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --share) shares+=("$(realpath "${2:?--share needs a directory}")"); shift 2 ;;
    --verbose) verbose=1; shift ;;
    --l1-kernel) l1_kernel=${2:?--l1-kernel needs a bzImage}; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    --) shift; break ;;
    *) echo "nested-kvm: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "nested-kvm: no command (scripts/nested-kvm.sh -- COMMAND [ARGS...])" >&2; exit 2; }
for v in "$mem" "$cpus" "$timeout_s"; do
  [[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "nested-kvm: '$v' is not a positive number" >&2; exit 2; }
done
[ -z "$l1_kernel" ] || [ -f "$l1_kernel" ] || { echo "nested-kvm: --l1-kernel '$l1_kernel' is not a file" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (QEMU shares / over 9p with the host's ownership)"
tools="qemu-system-x86_64 cpio gzip"
[ -n "$l1_kernel" ] || tools="$tools apt-get dpkg-deb" # Debian's kernel package
for t in $tools; do
  command -v "$t" >/dev/null || die "$t is not installed (scripts/install-deps.sh)"
done
[ -x /bin/busybox ] || die "/bin/busybox is not installed (busybox-static)"

# ---- the L1 kernel and modules (cached) ----------------------------------
# Modules with their dependencies, dependencies first (modules.dep).
mods_in_order() {
  local want=$1 dep
  case " $seen " in *" $want "*) return ;; esac
  seen="$seen $want"
  for dep in $(awk -v m="$want:" '$1 == m { $1 = ""; print }' "$moddir/modules.dep"); do
    mods_in_order "$dep"
  done
  order="$order $want"
}
seen= order=
if [ -n "$l1_kernel" ]; then
  kernel=$l1_kernel # everything L1 needs is built in: no modules
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/voidbox/nested
  mkdir -p "$cache"
  if [ ! -d "$cache/kpkg/lib/modules" ]; then
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    [ -n "$pkg" ] || die "no linux-image-amd64 in the apt cache: run apt-get update"
    echo "nested-kvm: fetching $pkg (once, into $cache)" >&2
    (cd "$cache" && apt-get download "$pkg" >/dev/null) || die "apt-get download $pkg failed"
    rm -rf "$cache/kpkg.partial"
    dpkg-deb -x "$cache/$pkg"_*.deb "$cache/kpkg.partial" && mv "$cache/kpkg.partial" "$cache/kpkg"
    rm -f "$cache/$pkg"_*.deb
  fi
  kver=$(ls "$cache/kpkg/lib/modules" | head -n1)
  moddir=$cache/kpkg/lib/modules/$kver
  kernel=$cache/kpkg/boot/vmlinuz-$kver
  [ -f "$kernel" ] || die "no kernel in $cache/kpkg (remove the directory to fetch again)"
  if [ ! -s "$moddir/modules.dep" ]; then # the package leaves it to depmod at install
    command -v depmod >/dev/null || die "depmod is not installed (kmod)"
    depmod -b "$cache/kpkg" "$kver" || die "depmod failed for $kver"
  fi
  for m in drivers/virtio/virtio_mmio.ko net/9p/9pnet_virtio.ko fs/9p/9p.ko arch/x86/kvm/kvm-amd.ko; do
    f=$(awk -F: -v m="$m" '$1 ~ m"(\\.xz|\\.zst)?$" {print $1; exit}' "$moddir/modules.dep")
    [ -n "$f" ] || die "module $m not in $kver"
    mods_in_order "$f"
  done
fi

# ---- the L1 initramfs -----------------------------------------------------
work=$(mktemp -d /tmp/vbx-nested.XXXXXX)
xchg=$work/xchg
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/mod" "$xchg"
cp /bin/busybox "$work/root/bin/"
i=0
for m in $order; do
  i=$((i + 1))
  case $m in
    *.xz) xz -dc "$moddir/$m" >"$work/root/mod/$(printf %02d $i)-$(basename "$m" .ko.xz).ko" ;;
    *.zst) zstd -qdc "$moddir/$m" >"$work/root/mod/$(printf %02d $i)-$(basename "$m" .ko.zst).ko" ;;
    *) cp "$moddir/$m" "$work/root/mod/$(printf %02d $i)-$(basename "$m")" ;;
  esac
done

repo=$(git -C "$PWD" rev-parse --show-toplevel 2>/dev/null || true)
vcache=$(dirname "${VOIDBOX_CACHE_DIR:-$HOME/.cache/voidbox/images}")
rw=()
for d in "$repo" "$vcache" "${shares[@]}"; do
  [ -n "$d" ] && [ -d "$d" ] && rw+=("$d")
done

# The command and its environment, as a script run in the chroot.
{
  echo "cd $(printf %q "$PWD") || exit 125"
  env | grep -E '^(VBX_[A-Za-z0-9_]*|VOIDBOX_[A-Za-z0-9_]*|ASAN_OPTIONS|UBSAN_OPTIONS|HOME|PATH)=' |
    while IFS='=' read -r k v; do printf 'export %s=%q\n' "$k" "$v"; done
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$xchg/cmd.sh"

# Under TCG the guest's TSC runs at the host's rate. L1 calibrates it against
# the emulated PIT, which fails when this machine is busy (TCG timing jitter)
# and then stalls the boot; handing L1 the host's rate skips that step. The
# TSC is also the same on every vCPU here (the host's, plus one offset), so
# tsc=reliable: L1 never falls back to jiffies because a busy host made its
# vCPUs look out of sync. The console is verbose: it is only shown when L1
# fails (or with --verbose), and then every line helps.
tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
append="console=ttyS0 panic=-1${tsc_khz:+ tsc_early_khz=$tsc_khz tsc=reliable}"

# L1's CPU has no XSAVE (xsave=off), so neither has L2's: under this
# emulation a nested guest's XCR0 writes do not reach L1's KVM (every L2
# kernel, under voidbox-vmm and under QEMU alike, warned "XSAVE consistency
# problem: size 2696 != kernel_size 576": CPUID 0xD did not follow its
# XCR0). Without it L1 and L2 use FXSAVE and agree (docs/vmm.md, Known bugs).
qemu_args=(-M microvm -accel tcg -cpu max,xsave=off -smp "$cpus" -m "$mem"
  -nographic -no-reboot -nodefaults -serial "file:$xchg/console.log"
  -kernel "$kernel" -initrd "$work/l1-initrd.gz"
  -append "$append"
  -fsdev "local,id=fs0,path=/,security_model=passthrough,readonly=on"
  -device virtio-9p-device,fsdev=fs0,mount_tag=hostroot
  -fsdev "local,id=fsx,path=$xchg,security_model=passthrough"
  -device virtio-9p-device,fsdev=fsx,mount_tag=xchg)
mounts=
n=0
for d in "${rw[@]}"; do
  n=$((n + 1))
  qemu_args+=(-fsdev "local,id=rw$n,path=$d,security_model=passthrough"
    -device "virtio-9p-device,fsdev=rw$n,mount_tag=rw$n")
  mounts="$mounts
mkdir -p /newroot$(printf %q "$d")
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 rw$n /newroot$(printf %q "$d") || fail \"mount $d\""
done

# The KVM keeper: one idle VM (irqchip, one vCPU never run) held open in L1
# for the whole run. Creating or destroying L1's first VM flips KVM's static
# keys (preempt notifiers, LAPIC state), and L1's kernel patches its own text
# on every flip (int3 breakpoints across both vCPUs); under TCG that patching
# has left an L1 vCPU looping on int3 (seen: RIP asm_exc_int3 in __schedule,
# an oops from nested exception entries, soft lockups; docs/vmm.md, Known
# bugs). With the keeper's VM the keys never drop back to zero, so VMs coming
# and going patch nothing.
keeper=
if command -v cc >/dev/null; then
  cat >"$work/kvm-keeper.c" <<'KEEPER'
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
int main(void) {
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm = -1;
  if (kvm >= 0) vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
    perror("nested-kvm: kvm-keeper");
    return 1;
  }
  for (;;) pause();
}
KEEPER
  cc -O2 -o "$xchg/kvm-keeper" "$work/kvm-keeper.c" && keeper=/run/xchg/kvm-keeper
fi
[ -n "$keeper" ] || echo "nested-kvm: no C compiler: L1 runs without its KVM keeper" >&2

cat >"$work/root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ip link set lo up || echo "L1: cannot bring up lo" # 127.0.0.1 works, as on any host
fail() { echo "nested-kvm: L1: \$*" >&2; echo 125 >/xchg/rc; sync; poweroff -f; }
for m in /mod/*.ko; do [ -e \$m ] || continue; insmod \$m || echo "L1: insmod \$m failed"; done
mkdir -p /xchg /newroot
for i in 1 2 3 4 5 6 7 8 9 10; do
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 xchg /xchg 2>/dev/null && break
  sleep 0.2
done
grep -q " /xchg " /proc/mounts || { echo "L1: no exchange share (virtio devices: \$(ls /sys/bus/virtio/devices | wc -l))"; poweroff -f; }
[ -c /dev/kvm ] || fail "no /dev/kvm (kvm_amd did not load: is QEMU's -cpu max offering svm?)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,ro hostroot /newroot || fail "mount /"
# the fresh /tmp and /run first: a repository or share under them (a clone
# in /tmp) is mounted on top, not hidden beneath
mount -t tmpfs -o mode=1777 tmp /newroot/tmp
mount -t tmpfs tmp /newroot/run 2>/dev/null
$mounts
mount -t proc proc /newroot/proc; mount -t sysfs sys /newroot/sys; mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/run/xchg && mount --bind /xchg /newroot/run/xchg || fail "bind the exchange"
${keeper:+chroot /newroot $keeper </dev/null >/dev/null 2>/xchg/keeper.err &}
chroot /newroot /bin/sh /run/xchg/cmd.sh >/xchg/stdout 2>/xchg/stderr </dev/null
echo \$? >/xchg/rc
sync
poweroff -f
EOF
chmod +x "$work/root/init"
mkdir -p "$work/root/proc" "$work/root/sys" "$work/root/dev"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/l1-initrd.gz"

# ---- run, streaming the command's output -----------------------------------
: >"$xchg/stdout"
: >"$xchg/stderr"
tail -n +1 -f "$xchg/stdout" &
t_out=$!
tail -n +1 -f "$xchg/stderr" >&2 &
t_err=$!
[ "$verbose" = 1 ] && { tail -n +1 -f "$xchg/console.log" 2>/dev/null >&2 & t_con=$!; }
t0=$(date +%s)
# L1 powers off after writing rc; should its power-off not reach QEMU (an
# occasional hang seen with reboot=t under TCG), QEMU is ended from here once
# rc is written: the command's files are complete by then (9p writes through).
set +e
timeout "$timeout_s" qemu-system-x86_64 "${qemu_args[@]}" </dev/null >"$work/qemu.out" 2>&1 &
q=$!
# L1's own kernel can die under the emulation (docs/vmm.md, Known bugs):
# an oops or panic on its console ends the run within seconds, named as
# that, instead of at the timeout.
# (A soft-lockup warning is not one: under a busy emulation it can pass.)
crash_re='Kernel panic - not syncing|kernel BUG at|BUG: unable to handle|BUG: kernel NULL|Oops: |general protection fault|stack guard page'
grace=0 ticks=0 crashed=0
while kill -0 "$q" 2>/dev/null; do
  if [ -s "$xchg/rc" ]; then
    grace=$((grace + 1))
    [ "$grace" -gt 30 ] && { echo "nested-kvm: L1 did not power off; ending QEMU" >&2; kill "$q"; }
  fi
  ticks=$((ticks + 1))
  if [ $((ticks % 10)) = 0 ] && [ "$crashed" = 0 ] && grep -qE "$crash_re" "$xchg/console.log" 2>/dev/null; then
    crashed=$ticks # let the oops finish printing, then end L1
  fi
  [ "$crashed" != 0 ] && [ $((ticks - crashed)) -gt 30 ] && kill "$q" 2>/dev/null
  sleep 0.1
done
wait "$q"
qrc=$?
set -e
sleep 0.3
kill "$t_out" "$t_err" ${t_con:-} 2>/dev/null || true
wait 2>/dev/null || true
if [ ! -s "$xchg/rc" ] && grep -qE "$crash_re" "$xchg/console.log" 2>/dev/null; then
  echo "nested-kvm: L1's kernel crashed (docs/vmm.md, Known bugs); its console:" >&2
  grep -E -A 14 "$crash_re" "$xchg/console.log" | head -n 40 >&2 2>/dev/null || true
  exit 125
fi
if [ "$qrc" = 124 ] && [ ! -s "$xchg/rc" ]; then
  echo "nested-kvm: timed out after ${timeout_s} s; the end of L1's console:" >&2
  tail -n 15 "$xchg/console.log" >&2 2>/dev/null || true
  exit 124
fi
if [ ! -s "$xchg/rc" ]; then
  echo "nested-kvm: L1 ended without running the command (QEMU exit $qrc); its console:" >&2
  grep -v "no channels available" "$xchg/console.log" | tail -n 40 >&2 2>/dev/null || true
  tail -n 5 "$work/qemu.out" >&2
  exit 125
fi
rc=$(cat "$xchg/rc")
[ "$verbose" = 1 ] && echo "nested-kvm: L1 run took $(($(date +%s) - t0)) s, command exit $rc" >&2
exit "$rc"
