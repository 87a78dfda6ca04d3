#!/usr/bin/env bash
# The kvm backend end to end, where /dev/kvm is a real KVM (a host with
# hardware virtualization, or L1 of scripts/nested-kvm.sh; kvm_nested.sh
# picks): the sandbox conformance suite on backend kvm, test_kvm_guest
# (vcpus: 2 -> nproc 2, a failing monitor, cancel during boot) and
# the network policy end to end (tests/integration/network, on backend kvm:
# voidbox-vmm's virtio-net and voidbox-netstack) and
# `voidbox run --file examples/quick_demo_kvm.yaml` with the guest-computed
# outputs in its JSON report and nothing left behind.
#   kvm_suite.sh BUILD SRC
# Exit 0 when every part passed, 1 when one failed, 77 when every part
# skipped (each prints its reason).
set -uo pipefail
BUILD=$1 SRC=$2
if [ -n "${VBX_TEST_IMAGE_CACHE:-}" ]; then export VOIDBOX_CACHE_DIR=$VBX_TEST_IMAGE_CACHE; fi
tmp=$(mktemp -d /tmp/vbx-kvm-suite.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

PART_TIMEOUT=${VBX_KVM_PART_TIMEOUT:-600} # seconds; a part takes 1-3 min in L1

# Under scripts/nested-kvm.sh (kvm_nested.sh sets VBX_KVM_SUITE_EMULATED=1)
# a guest of the emulated L1 now and then triple-faults during boot, with no
# cause in the guest or in voidbox-vmm (docs/vmm.md, Known bugs). A part
# that failed with such a boot runs once more, and the summary counts it.
retried=0
part() { # part NAME COMMAND... : run (bounded), count, say
  local name=$1 rc out=$tmp/part.out
  shift
  echo "== $name"
  timeout -k 10 "$PART_TIMEOUT" "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "${VBX_KVM_SUITE_EMULATED:-0}" = 1 ] &&
    grep -q "the VM ended: triple fault" "$out"; then
    retried=$((retried + 1))
    echo "== $name: a guest triple-faulted under the emulated L1 (docs/vmm.md, Known bugs); running $name once more"
    timeout -k 10 "$PART_TIMEOUT" "$@"
    rc=$?
  fi
  case $rc in
    0) passed=$((passed + 1)); echo "== $name: PASS" ;;
    77) skipped=$((skipped + 1)); echo "== $name: SKIP" ;;
    124 | 137) failed=$((failed + 1)); echo "== $name: FAIL (no end within ${PART_TIMEOUT} s)" ;;
    *) failed=$((failed + 1)); echo "== $name: FAIL (exit $rc)" ;;
  esac
}

quick_demo() {
  command -v jq >/dev/null || { echo "SKIP: jq not installed"; return 77; }
  [ -x "$BUILD/bin/voidbox-vmm" ] || { echo "SKIP: $BUILD/bin/voidbox-vmm is not built"; return 77; }
  local r=$tmp/report.json rc
  mkdir -p "$tmp/tmp"
  TMPDIR=$tmp/tmp "$BUILD/bin/voidbox" run --file "$SRC/examples/quick_demo_kvm.yaml" \
    --output json --log-level info >"$r" 2>"$tmp/stderr" &
  local pid=$!
  wait $pid
  rc=$?
  [ $rc = 0 ] || { echo "FAIL: voidbox run exited $rc: $(tail -20 "$tmp/stderr")"; return 1; }
  jq -e '.status == "ok"' "$r" >/dev/null || { echo "FAIL: status $(jq -c '.status, .error' "$r")"; return 1; }
  jq -e '.stages[0].boxes[0].tool_calls[1].output == "AAPL +4.1%\nMSFT +2.7%\nNVDA +11.3%\n"' "$r" \
    >/dev/null || { echo "FAIL: analyst output $(jq -c '.stages[0].boxes[0].tool_calls' "$r")"; return 1; }
  jq -e '.stages[1].boxes[0].output | contains("strategy=momentum basket_return=6.03% holdings=3")' \
    "$r" >/dev/null || { echo "FAIL: strategist output $(jq -c '.stages[1].boxes[0].output' "$r")"; return 1; }
  # both boxes ran on voidbox-vmm (the backend logs each at info level)
  [ "$(grep -c "box .*: voidbox-vmm micro-VM" "$tmp/stderr")" = 2 ] ||
    { echo "FAIL: the boxes did not both run on voidbox-vmm: $(grep "micro-VM" "$tmp/stderr")"; return 1; }
  if pgrep -f "voidbox-vmm.*$tmp/tmp" >/dev/null; then echo "FAIL: a voidbox-vmm of the run is left"; return 1; fi
  [ -z "$(ls -A "$tmp/tmp")" ] || { echo "FAIL: left in TMPDIR: $(ls -A "$tmp/tmp")"; return 1; }
  echo "PASS: quick_demo_kvm ($(jq '.totals.duration_ms // empty' "$r") ms)"
}

part conformance_kvm "$BUILD/tests/integration/conformance/test_conformance" kvm
part test_kvm_guest "$BUILD/tests/integration/kvm/test_kvm_guest"
part network_kvm "$BUILD/tests/integration/network/test_network_e2e" kvm
export BUILD SRC tmp
export -f quick_demo
part quick_demo_kvm bash -c quick_demo
echo "kvm suite: $passed passed, $failed failed, $skipped skipped ($retried run again after an emulated-L1 triple fault)"
[ $failed = 0 ] || exit 1
[ $passed -gt 0 ] || exit 77
exit 0
