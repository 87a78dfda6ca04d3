#!/usr/bin/env bash
# quick_demo on the qemu backend through the CLI: two boxes, each a fresh
# micro-VM; the tool output in the JSON report is what awk computed in the
# guest, and nothing is left behind.
#   qemu_quick_demo.sh VOIDBOX SRC
set -uo pipefail
VBX=$1 SRC=$2
. "$(dirname "$0")/common.sh"
qemu_cli_require

run_report "$SRC/examples/quick_demo_qemu.yaml"
jq -e '.status == "ok"' "$r" >/dev/null || fail "status: $(jq -c '.status, .error' "$r")"
jq -e '[.stages[].boxes[].status] == ["ok", "ok"]' "$r" >/dev/null || fail "box status"
# The analyst's awk ran in its VM on the CSV it wrote there.
jq -e '.stages[0].boxes[0].tool_calls[1].output == "AAPL +4.1%\nMSFT +2.7%\nNVDA +11.3%\n"' "$r" \
  >/dev/null || fail "analyst awk output: $(jq -c '.stages[0].boxes[0].tool_calls' "$r")"
# The strategist's backtest file was written by a command and read back.
jq -e '.stages[1].boxes[0].output | contains("strategy=momentum basket_return=6.03% holdings=3")' \
  "$r" >/dev/null || fail "strategist output: $(jq -c '.stages[1].boxes[0].output' "$r")"
jq -e '.stages[1].boxes[0].output | contains("NVDA +11.3%")' "$r" >/dev/null ||
  fail "the analyst's output did not reach the strategist"
leftovers_check $pid
echo "PASS ($(jq '.totals.duration_ms // empty' "$r") ms)"
