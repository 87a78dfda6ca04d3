#!/usr/bin/env bash
# Ctrl-C (SIGINT) during a 30 s tool call cancels the box promptly, keeps the
# partial result (the text streamed before the tool call) and exits 1.
#   cli_cancel.sh VOIDBOX
set -u
VBX=$1 HERE=$(dirname "$0")
. "$HERE/lib.sh"

"$VBX" run --file "$HERE/specs/slow.yaml" --output json >"$TMPDIR_T/out.json" 2>"$TMPDIR_T/err" &
pid=$!
# Wait (bounded) until the tool call has started, then interrupt.
for _ in $(seq 1 100); do
  grep -q -- "-> bash" "$TMPDIR_T/err" 2>/dev/null && break
  sleep 0.1
done
checks=$((checks + 1))
grep -q -- "-> bash" "$TMPDIR_T/err" || { echo "FAIL: tool call never started"; failures=$((failures + 1)); }
kill -INT "$pid"
# The run must end well before the 30 s tool call would have.
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
checks=$((checks + 1))
if kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: still running 10 s after SIGINT"
  failures=$((failures + 1))
  kill -9 "$pid"
fi
wait "$pid" && rc=0 || rc=$?
checks=$((checks + 1))
[ "$rc" = 1 ] || { echo "FAIL: exit code $rc after cancel, expected 1"; failures=$((failures + 1)); }
OUT=$(cat "$TMPDIR_T/out.json")
expect_match "$OUT" '"status": *"cancelled"' "run reported cancelled"
expect_match "$OUT" '"input_tokens": *7' "partial usage kept"
expect_match "$OUT" '"output": *"starting the long job"' "partial text kept"
finish
