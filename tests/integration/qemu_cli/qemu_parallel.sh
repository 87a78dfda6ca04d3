#!/usr/bin/env bash
# parallel_pipeline on the qemu backend: the fan-out stage runs its two
# boxes as two VMs at the same time (seen from the host: two QEMU children
# of voidbox at once), each computing its part in its own guest.
#   qemu_parallel.sh VOIDBOX SRC
set -uo pipefail
VBX=$1 SRC=$2
. "$(dirname "$0")/common.sh"
qemu_cli_require

"$VBX" run --file "$SRC/examples/parallel_pipeline_qemu.yaml" --output json \
  > "$TEST_TMP/report.json" 2> "$TEST_TMP/stderr" &
pid=$!
max=0
while kill -0 $pid 2>/dev/null; do
  n=$(qemu_children_of $pid)
  [ "$n" -gt "$max" ] && max=$n
  sleep 0.05
done
wait $pid
rc=$?
[ $rc = 0 ] || fail "exit $rc: $(tail -20 "$TEST_TMP/stderr")"
r="$TEST_TMP/report.json"
jq -e '.status == "ok"' "$r" >/dev/null || fail "status: $(jq -c '.status, .error' "$r")"
[ "$max" -ge 2 ] || fail "at most $max QEMU process(es) ran at once; the fan-out should run 2"
out() { jq -r ".stages[$1].boxes[$2].output" "$r"; }
out 0 0 | grep -q "headlines: 3" || fail "data: $(out 0 0)"
out 1 0 | grep -q "TSLA -0.60" || fail "sentiment: $(out 1 0)"
out 1 1 | grep -q "TSLA var=-5.4%" || fail "risk: $(out 1 1)"
out 2 0 | grep -q "input lines: " || fail "strategy: $(out 2 0)"
leftovers_check $pid
echo "PASS (at most $max VMs at once)"
