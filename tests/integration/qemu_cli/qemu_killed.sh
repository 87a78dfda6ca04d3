#!/usr/bin/env bash
# voidbox killed with SIGKILL while a command runs in a qemu box: its QEMU
# dies with it (PR_SET_PDEATHSIG) at once; the box directory, which nobody
# could remove, is removed by the next voidbox that loads the backend
# (`voidbox validate` here), which says so at info level.
#   qemu_killed.sh VOIDBOX SRC
set -uo pipefail
VBX=$1 SRC=$2
. "$(dirname "$0")/common.sh"
qemu_cli_require

qemu_pids_of() { descendant_pids "$1" 'qemu-system*'; } # QEMU processes descending from pid $1
# 0 while pid $1 runs (a zombie has ended)
running() { [ -r "/proc/$1/stat" ] && ! awk '{ sub(/.*\) /, ""); exit $1 != "Z" }' "/proc/$1/stat"; }

"$VBX" run --file "$(dirname "$0")/sleeper.yaml" > "$TEST_TMP/out" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  grep -q "started" "$TEST_TMP/out" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
grep -q "started" "$TEST_TMP/out" || fail "the command did not start: $(tail -5 "$TEST_TMP/out")"
q=$(qemu_pids_of $pid)
[ -n "$q" ] || fail "no QEMU under voidbox pid $pid"
dirs=$(ls -A "$TMPDIR")
kill -9 $pid
wait $pid 2>/dev/null
t0=$(date +%s.%N)
for _ in $(seq 1 250); do
  running "$q" || break
  sleep 0.02
done
t1=$(date +%s.%N)
running "$q" && { kill -9 "$q"; fail "QEMU $q still running 5 s after voidbox was killed"; }
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
left=$(ls -A "$TMPDIR")
[ -n "$left" ] && [ "$left" = "$dirs" ] || fail "the box directory should be left behind: '$left'"
[ -f "$TMPDIR/$left/owner" ] || fail "no owner record in $TMPDIR/$left"

"$VBX" validate --file "$(dirname "$0")/sleeper.yaml" --log-level info > "$TEST_TMP/next" 2>&1 ||
  fail "voidbox validate failed: $(tail -5 "$TEST_TMP/next")"
grep -q "removed the stale box directory $TMPDIR/$left" "$TEST_TMP/next" ||
  fail "no sweep in the log: $(grep -i sweep "$TEST_TMP/next" | tail -3)"
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || fail "left in TMPDIR after the next start: $left"
echo "PASS (QEMU gone $secs s after SIGKILL of voidbox; $(grep -o 'sweep: removed.*' "$TEST_TMP/next" | head -1))"
