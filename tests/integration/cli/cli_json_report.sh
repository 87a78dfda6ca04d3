#!/usr/bin/env bash
# `run --output json` prints exactly one document of the documented shape,
# with non-zero tokens and cost and totals equal to the sum of the boxes;
# when no run happens, one error document with the exit code; a stdout
# that cannot be written is exit 1.
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

# Errors are one JSON document too: usage, spec (positioned), plugin check.
errdoc() { # NAME EXIT ARGS...: run, then check the error document
  local name=$1 want=$2
  shift 2
  expect_exit "$want" "$VBX" run --output json "$@"
  DOC=$OUT
  printf '%s\n' "$DOC" >"$TMPDIR_T/$name.json"
  expect_exit 0 "$CHECK" "$TMPDIR_T/$name.json" --error --exit "$want"
}
errdoc usage 2 --file "$HERE/specs/exhausted.yaml" --bogus
errdoc nofile 2
errdoc spec 2 --file "$HERE/specs/bad_key.yaml"
expect_match "$DOC" '"line": 5' "spec error document has the line"
expect_match "$DOC" '"code": "VBX_E_SPEC"' "spec error document has the code"
errdoc check 2 --file "$HERE/specs/unknown_backend.yaml"
expect_match "$DOC" "did you mean 'mock'" "plugin check error document"
errdoc plugin 2 --file "$SRC/examples/quick_demo.yaml" --plugin /nonexistent/x.so
expect_match "$DOC" "/nonexistent/x.so" "plugin load error document"

# stdout that cannot be written: exit 1, report or error document alike.
if [ -w /dev/full ]; then
  expect_exit 1 bash -c '"$0" run --file "$1" --output json >/dev/full' "$VBX" \
    "$SRC/examples/quick_demo.yaml"
  expect_match "$ERR" "cannot write the report" "report write failure named"
  expect_exit 1 bash -c '"$0" run --file "$1" --output json >/dev/full' "$VBX" \
    "$HERE/specs/bad_key.yaml"
  expect_match "$ERR" "cannot write the error document" "error document write failure named"
fi
finish
