#!/usr/bin/env bash
# `run --output json` prints exactly one document of the documented shape,
# with non-zero tokens and cost and totals equal to the sum of the boxes.
#   cli_json_report.sh VOIDBOX SOURCE_DIR CHECK_REPORT
set -u
VBX=$1 SRC=$2 CHECK=$3 HERE=$(dirname "$0")
. "$HERE/lib.sh"

for spec in quick_demo parallel_pipeline trading_pipeline; do
  expect_exit 0 "$VBX" run --file "$SRC/examples/$spec.yaml" --output json
  printf '%s\n' "$OUT" >"$TMPDIR_T/$spec.json"
  expect_exit 0 "$CHECK" "$TMPDIR_T/$spec.json" --nonzero --status ok
done
expect_exit 1 "$VBX" run --file "$HERE/specs/exhausted.yaml" --output json
printf '%s\n' "$OUT" >"$TMPDIR_T/failed.json"
expect_exit 0 "$CHECK" "$TMPDIR_T/failed.json" --status failed
finish
