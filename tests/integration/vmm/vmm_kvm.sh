#!/usr/bin/env bash
# Runs kvm_checks.sh where a real KVM is: directly when this CPU has
# hardware virtualization (vmx/svm) and /dev/kvm, else inside an emulated
# L1 with scripts/nested-kvm.sh (docs/nested-kvm.md). Says which. Skips
# (77) only when neither can run, with the reason.
#   vmm_kvm.sh SRC_DIR BUILD_DIR
set -u
SRC=$1 B=$2
IMG=${VBX_TEST_IMAGE_CACHE:-${VOIDBOX_CACHE_DIR:-$HOME/.cache/voidbox/images}}
for f in vmlinux bzImage initramfs.cpio; do
  [ -f "$IMG/$f" ] || { echo "SKIP: no guest image at $IMG/$f (voidbox image build)"; exit 77; }
done
if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
  echo "KVM: hardware (running directly)"
  exec bash "$SRC/tests/integration/vmm/kvm_checks.sh" "$B" "$IMG"
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: no hardware KVM and scripts/nested-kvm.sh needs root"; exit 77; }
echo "KVM: nested (this CPU has no vmx/svm: running inside an emulated L1)"
cd "$SRC" || exit 1
err=$(mktemp)
trap 'rm -f "$err"' EXIT
VBX_KVM_SUITE_EMULATED=1 scripts/nested-kvm.sh --timeout 600 --share "$B" --share "$IMG" -- \
  bash "$SRC/tests/integration/vmm/kvm_checks.sh" "$B" "$IMG" 2>"$err"
rc=$?
cat "$err" >&2
if [ $rc = 125 ] && grep -q "apt-get download\|no linux-image-amd64" "$err"; then
  echo "SKIP: the L1 kernel cannot be fetched: $(cat "$err")"; exit 77
fi
exit $rc
