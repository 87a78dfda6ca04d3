#!/usr/bin/env bash
# Ctrl-C while a command runs in a qemu box: voidbox exits 1 promptly, the
# VM is shut down and reaped, and no box directory is left.
#   qemu_cancel.sh VOIDBOX SRC
set -uo pipefail
VBX=$1 SRC=$2
. "$(dirname "$0")/common.sh"
qemu_cli_require

# One box whose command runs for 5 minutes: SIGINT lands mid-exec.
"$VBX" run --file "$(dirname "$0")/sleeper.yaml" > "$TEST_TMP/out" 2>&1 &
pid=$!
# Wait until the command runs in the VM (up to 60 s on a loaded machine).
for _ in $(seq 1 1200); do
  grep -q "started" "$TEST_TMP/out" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
grep -q "started" "$TEST_TMP/out" || fail "the command did not start: $(tail -5 "$TEST_TMP/out")"
[ "$(qemu_children_of $pid)" = 1 ] || fail "no QEMU child while the command runs"
kill -INT $pid
start=$SECONDS
for _ in $(seq 1 600); do
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
if kill -0 $pid 2>/dev/null; then
  kill -9 $pid
  fail "voidbox still running 30 s after SIGINT"
fi
wait $pid
rc=$?
[ $rc = 1 ] || fail "exit $rc after SIGINT, want 1: $(tail -5 "$TEST_TMP/out")"
grep -qi "cancel" "$TEST_TMP/out" || fail "no cancellation in the output: $(tail -5 "$TEST_TMP/out")"
leftovers_check $pid
echo "PASS (stopped $((SECONDS - start)) s after SIGINT)"
