#!/usr/bin/env bash
# The VMM under a real KVM: run where /dev/kvm works (directly on a host
# with hardware virtualization, or inside L1 through scripts/nested-kvm.sh;
# vmm_kvm.sh picks). Each check prints PASS or FAIL; exit 1 if any failed.
#   kvm_checks.sh BUILD_DIR IMAGE_DIR
set -u
B=$1 IMG=$2
VMM=$B/bin/voidbox-vmm TOOL=$B/tests/integration/vmm/sock_tool
TINY=$B/tests/integration/vmm/tiny_guest/tiny_guest.elf
W=$(mktemp -d /tmp/vmm-kvm.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
fails=0 retried=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
show() { echo "  --- $1:"; tail -n "${2:-15}" "$1" | sed 's/^/  | /'; }
# wait_for PATH: until the socket exists (10 s)
wait_for() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }
# once_more CHECK NAME ARGS...: run a check; under scripts/nested-kvm.sh
# (vmm_kvm.sh sets VBX_KVM_SUITE_EMULATED=1) a Linux guest of the emulated L1
# now and then triple-faults during boot with no cause in the guest or in
# voidbox-vmm (docs/vmm.md, Known bugs): such a check runs once more, and the
# summary counts it. On hardware KVM there is no second run.
once_more() {
  local before=$fails
  "$@"
  if [ $fails -gt $before ] && [ "${VBX_KVM_SUITE_EMULATED:-0}" = 1 ] &&
    grep -q "the VM ended: triple fault" "$W/$2.err" 2>/dev/null; then
    fails=$before retried=$((retried + 1))
    echo "  ($2: the guest triple-faulted under the emulated L1; running $2 once more)"
    "$@"
  fi
}
BASE="console=ttyS0 quiet panic=-1 reboot=k"
[ -n "${VBX_KVM_CHECKS_VERBOSE:-}" ] && BASE="console=ttyS0 panic=-1 reboot=k"

# 1. The tiny guest: serial output, every virtio-mmio device's registers,
#    reset through the i8042.
"$TOOL" listen "$W/t.port" 0 >"$W/t.tool" 2>&1 &
wait_for "$W/t.port"
timeout 60 "$VMM" --kernel "$TINY" --cpus 4 --console "$W/t.log" --vsock "$W/t.vsock" \
  --port "voidbox.ctl=$W/t.port" 2>"$W/t.err"
rc=$?
want=("tiny-guest: hello" "virtio-mmio 0 magic=74726976 version=2 id=4"
  "virtio-mmio 1 magic=74726976 version=2 id=3" "virtio-mmio 2 magic=74726976 version=2 id=13"
  "tiny-guest: done")
ok=1
for w in "${want[@]}"; do grep -qiF "$w" "$W/t.log" || { ok=0; echo "  missing: $w"; }; done
if [ $rc = 0 ] && [ $ok = 1 ]; then
  pass "tiny guest (4 vCPUs): serial, three virtio-mmio devices (rng, console, vsock), i8042 reset, exit 0"
else
  fail "tiny guest (exit $rc)"; show "$W/t.log"; show "$W/t.err"
fi

# 2-5. Our kernel to user space: vmlinux (PVH) with 1 and 2 vCPUs, bzImage,
#      vmlinux with an in-kernel PIT (--pit; by default there is none).
boot_check() { # NAME KERNEL CPUS [VMM_FLAG]
  local name=$1 kernel=$2 cpus=$3 flags=("${@:4}")
  rm -f "$W/$name".*
  timeout 120 "$VMM" "${flags[@]}" --kernel "$kernel" --initrd "$IMG/initramfs.cpio" --cpus "$cpus" --mem 256 \
    --console "$W/$name.log" --timing \
    --cmdline "$BASE rdinit=/bin/busybox -- sh -c \"echo vmm-kernel-ok cpus \$(nproc); reboot -f\"" \
    2>"$W/$name.err"
  local rc=$?
  if [ $rc = 0 ] && grep -q "vmm-kernel-ok cpus $cpus" "$W/$name.log" &&
    grep -q "the VM ended: reset through the i8042" "$W/$name.err"; then
    pass "$name: user space ran with $cpus vCPU(s), reboot=k reset the VM through the i8042 ($(grep -o 'first KVM_RUN [0-9.]* ms' "$W/$name.err"))"
  else
    fail "$name (exit $rc)"; show "$W/$name.log" 25; show "$W/$name.err"
  fi
}
once_more boot_check vmlinux-1cpu "$IMG/vmlinux" 1
once_more boot_check vmlinux-2cpu "$IMG/vmlinux" 2
once_more boot_check bzimage-1cpu "$IMG/bzImage" 1
once_more boot_check vmlinux-1cpu-pit "$IMG/vmlinux" 1 --pit # the guest given an i8254 too

# 6-7. The guest agent reached over vsock and over the virtio-console port:
#      its CHALLENGE frame comes back; SIGTERM then ends the VMM (exit 3).
agent_check() { # NAME LISTEN TOOL_ARGS...
  local name=$1 listen=$2
  rm -f "$W/$name".* # (a second run binds the same socket path)
  shift 2
  # (no '=' on the kernel command line: printf writes "allow = *")
  local script="echo 0123456789abcdef0123456789abcdef >/s; chmod 600 /s; printf 'allow \\075 *\\n' >/p;"
  script="$script exec /init --listen $listen --shutdown reboot --secret-file /s --policy-file /p"
  local tool=
  [ "$1" = listen ] && { "$TOOL" "$@" >"$W/$name.tool" 2>&1 & tool=$!; wait_for "$3"; }
  local dev=(--vsock "$W/$name.vsock")
  [ "$1" = listen ] && dev=(--port "voidbox.ctl=$W/$name.port")
  # (not quiet: the agent's lines are in the console log shown on failure)
  timeout 180 "$VMM" --kernel "$IMG/vmlinux" --initrd "$IMG/initramfs.cpio" --mem 256 \
    --console "$W/$name.log" "${dev[@]}" \
    --cmdline "${BASE/ quiet/} rdinit=/bin/busybox -- sh -c \"$script\"" 2>"$W/$name.err" &
  local vmm=$!
  [ "$1" = vsock ] && { "$TOOL" "$@" >"$W/$name.tool" 2>&1 & tool=$!; }
  for _ in $(seq 1600); do grep -q "received" "$W/$name.tool" 2>/dev/null && break; sleep 0.1; done
  kill -TERM $vmm 2>/dev/null # the tool still holds the connection: the guest runs on
  wait $vmm
  local rc=$?
  kill "$tool" 2>/dev/null
  if [ $rc = 3 ] && grep -Eq "received ([1-9][0-9]|[2-9][0-9]*) bytes" "$W/$name.tool"; then
    pass "$name: the agent's first frame came back ($(grep received "$W/$name.tool")); SIGTERM ended the VMM with 3"
  else
    fail "$name (VMM exit $rc)"; show "$W/$name.tool"; show "$W/$name.log" 30; show "$W/$name.err"
  fi
}
once_more agent_check agent-vsock vsock:1024 vsock "$W/agent-vsock.vsock" 1024 16
once_more agent_check agent-port virtio-port:voidbox.ctl listen "$W/agent-port.port" 16

# 8. A bad kernel file: exit 1 naming the file.
printf 'not a kernel at all' >"$W/bad"
"$VMM" --kernel "$W/bad" 2>"$W/bad.err"
rc=$?
if [ $rc = 1 ] && grep -q "$W/bad" "$W/bad.err"; then
  pass "bad kernel: exit 1, the error names the file ($(head -c 120 "$W/bad.err"))"
else
  fail "bad kernel (exit $rc)"; show "$W/bad.err"
fi

echo "kvm checks: $fails failed ($retried run again after an emulated-L1 triple fault)"
[ $fails = 0 ]
