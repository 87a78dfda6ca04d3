#!/usr/bin/env bash
# Ctrl-C while the boxes of a fan-out still boot: voidbox exits 1 within a
# few seconds - not at the end of boot_timeout_ms (120 s here) - with both
# VMs reaped and nothing left. The guests' /init hangs (the image's
# initramfs plus an /init that sleeps), so the boxes stay in the boot phase,
# waiting for a guest agent that never answers, until cancelled.
#   qemu_cancel_boot.sh VOIDBOX SRC
set -uo pipefail
VBX=$1 SRC=$2
. "$(dirname "$0")/common.sh"
qemu_cli_require
command -v cpio >/dev/null || skip "cpio not installed (apt-get install cpio)"
img=${VOIDBOX_CACHE_DIR:-$HOME/.cache/voidbox/images}/initramfs.cpio
[ -f "$img" ] || skip "no initramfs at $img"

mkdir -p "$TEST_TMP/hang"
printf '#!/bin/sh\necho qtest: init hangs\nexec sleep 100000\n' > "$TEST_TMP/hang/init"
chmod 755 "$TEST_TMP/hang/init"
cp "$img" "$TEST_TMP/hang.cpio"
(cd "$TEST_TMP/hang" && echo init | cpio -o -H newc -R 0:0 --quiet) >> "$TEST_TMP/hang.cpio" ||
  fail "cpio failed"
cat > "$TEST_TMP/spec.yaml" <<YAML
api_version: v1
kind: pipeline
name: cancel_boot
sandbox: {backend: qemu, network: false, memory_mb: 128, disk_mb: 16,
          initramfs: "$TEST_TMP/hang.cpio", boot_timeout_ms: 120000}
llm: {provider: mock, script: "$(cd "$(dirname "$0")" && pwd)/sleeper_script.yaml"}
pipeline:
  boxes:
    - {name: one, prompt: Wait.}
    - {name: two, prompt: Wait.}
  stages:
    - fan_out: [one, two]
YAML

"$VBX" run --file "$TEST_TMP/spec.yaml" > "$TEST_TMP/out" 2>&1 &
pid=$!
# Both VMs started (up to 60 s on a loaded machine) ...
for _ in $(seq 1 1200); do
  [ "$(qemu_children_of $pid)" = 2 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
[ "$(qemu_children_of $pid)" = 2 ] || fail "two VMs did not start: $(tail -5 "$TEST_TMP/out")"
# ... and their guests booted to the hanging /init (QEMU connected: each box
# directory's ctl.sock is gone; the kernel then boots in about a second).
for _ in $(seq 1 1200); do
  n=$(find "$TMPDIR" -maxdepth 2 -name ctl.sock | wc -l)
  [ "$n" = 0 ] && break
  sleep 0.05
done
sleep 1.5
grep -q "qtest: init hangs" "$TMPDIR"/vbx-qemu-*/console.log 2>/dev/null ||
  echo "note: the guests' /init had not printed yet (loaded machine)"
t0=$(date +%s.%N)
kill -INT $pid
for _ in $(seq 1 600); do
  kill -0 $pid 2>/dev/null || break
  sleep 0.02
done
t1=$(date +%s.%N)
if kill -0 $pid 2>/dev/null; then
  kill -9 $pid
  fail "voidbox still running 12 s after SIGINT during boot"
fi
wait $pid
rc=$?
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
[ $rc = 1 ] || fail "exit $rc after SIGINT, want 1: $(tail -5 "$TEST_TMP/out")"
grep -qi "cancel" "$TEST_TMP/out" || fail "no cancellation in the output: $(tail -5 "$TEST_TMP/out")"
awk -v s="$secs" 'BEGIN { exit !(s < 3.0) }' || fail "voidbox took $secs s to stop after SIGINT"
leftovers_check $pid
echo "PASS (stopped $secs s after SIGINT during boot)"
