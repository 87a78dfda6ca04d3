#!/usr/bin/env bash
# ctest kvm_nested: kvm_suite.sh where a real KVM is - directly on a host
# with hardware virtualization (/dev/kvm and vmx/svm), else inside
# scripts/nested-kvm.sh (an emulated L1 guest with nested SVM). Skips (77)
# with the reason when neither can run: no hardware KVM and no root, or L1's
# kernel package cannot be fetched.
#   kvm_nested.sh BUILD SRC
set -u
BUILD=$1 SRC=$2
suite=$SRC/tests/integration/kvm/kvm_suite.sh
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
  echo "hardware KVM on this host: running the kvm suite directly"
  exec bash "$suite" "$BUILD" "$SRC"
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: no hardware KVM here, and scripts/nested-kvm.sh needs root"; exit 77; }
echo "no hardware KVM on this host: running the kvm suite inside scripts/nested-kvm.sh"
cd "$SRC" || exit 1
err=$(mktemp)
trap 'rm -f "$err"' EXIT
# L1 writes only to the shared build tree and the image cache; 3 GiB leaves
# room for two boxes of quick_demo (their memory_mb + disk_mb each). The
# suite takes 2-4 min in L1; 1200 s bounds a hung L1 (its console is printed).
VBX_KVM_SUITE_EMULATED=1 scripts/nested-kvm.sh --mem 3072 --timeout 1200 --share "$BUILD" -- \
  bash "$suite" "$BUILD" "$SRC" 2> >(tee "$err" >&2)
rc=$?
wait
if [ "$rc" = 125 ] && grep -q "apt-get download\|no linux-image-amd64" "$err"; then
  echo "SKIP: scripts/nested-kvm.sh cannot fetch L1's kernel: $(tail -3 "$err")"; exit 77
fi
exit "$rc"
