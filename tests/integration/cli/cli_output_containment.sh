#!/usr/bin/env bash
# Output is data: NUL and binary bytes reach the model escaped (never cut);
# terminal control sequences from a box or a model are neutralised in
# human output (JSON keeps the bytes); a box printing 100 MB without a
# newline keeps host memory bounded; a failed fan_out box cancels its
# siblings (fail_fast: false lets them finish); a sandbox's timeout_secs
# bounds the box.
#   cli_output_containment.sh VOIDBOX FAULT_PLUGIN_DIR
set -u
VBX=$1 FX=$2 HERE=$(dirname "$0")
. "$HERE/lib.sh"
P=$FX/fault.so
now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }

# agent NAME LLM_FIELDS SANDBOX_FIELDS
agent() {
  cat >"$TMPDIR_T/$1.yaml" <<EOF
api_version: v1
kind: agent
name: $1
sandbox: {backend: fault, $3}
llm: {provider: fault, $2}
agent: {prompt: "go"}
EOF
}

# NUL and a byte that is not UTF-8 in a tool's output.
agent binary "tool: bash" "binary: true"
expect_exit 0 "$VBX" run --file "$TMPDIR_T/binary.yaml" --plugin "$P" --output json
tool_out=$(jq -r '.stages[0].boxes[0].tool_calls[0].output' <<<"$OUT")
checks=$((checks + 1))
grep -qF 'a\0b\xff' <<<"$tool_out" || { echo "FAIL: binary output not escaped: $tool_out"; failures=$((failures + 1)); }
expect_match "$tool_out" 'binary output: 2 bytes' "the model is told the output was binary"

# Terminal control sequences from the model and from a tool.
agent ansi 'tool: bash, text: "\e]0;pwned\a\e[2Jhello"' 'stdout: "\e[31mred\e[0m\r\n"'
expect_exit 0 "$VBX" run --file "$TMPDIR_T/ansi.yaml" --plugin "$P"
checks=$((checks + 1))
if LC_ALL=C grep -q $'[\x1b\x07\r]' <<<"$OUT"; then
  echo "FAIL: raw control bytes in human output:"; printf '%s\n' "$OUT" | od -c | head; failures=$((failures + 1))
fi
expect_match "$OUT" '^\[ansi\] \^\[\]0;pwned\^G\^\[\[2Jhello$' "model text neutralised"
expect_match "$OUT" '^\[ansi\] \| \^\[\[31mred\^\[\[0m\^M$' "tool output neutralised"
expect_exit 0 "$VBX" run --file "$TMPDIR_T/ansi.yaml" --plugin "$P" --output json
expect_match "$(jq -r '.stages[0].boxes[0].output' <<<"$OUT" | od -c | head -1)" '033' \
  "JSON keeps the bytes (escaped by JSON)"

# 100 MB without a newline: lines are cut at 64 KiB with a continuation
# mark, and the voidbox processes' memory stays bounded.
line=$(printf 'x%.0s' $(seq 1 250))
agent flood "tool: bash" "stdout: \"$line\", repeat: 400000"
# flood_rss OUT [ARGS...]: run flood.yaml with ARGS, stdout to OUT; sets rc
# and hwm (the peak RSS in KiB of voidbox and its worker). Under
# AddressSanitizer, freed memory waits in a quarantine (256 MB by default)
# before reuse; a small one keeps the measure about our buffers.
flood_rss() {
  local out=$1 p h
  shift
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64" \
    "$VBX" run --file "$TMPDIR_T/flood.yaml" --plugin "$P" "$@" >"$out" 2>"$TMPDIR_T/flood.err" &
  pid=$!
  hwm=0
  while kill -0 "$pid" 2>/dev/null; do
    for p in $pid $(pgrep -P "$pid"); do
      h=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null)
      [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
    done
    sleep 0.02
  done
  wait "$pid" && rc=0 || rc=$?
}
flood_rss "$TMPDIR_T/flood.out"
checks=$((checks + 3))
[ "$rc" = 0 ] || { echo "FAIL: flood run exit $rc"; cat "$TMPDIR_T/flood.err"; failures=$((failures + 1)); }
[ "$hwm" -lt 65536 ] || { echo "FAIL: peak RSS ${hwm} KiB printing 100 MB without newlines"; failures=$((failures + 1)); }
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$TMPDIR_T/flood.out")
[ "$longest" -le $((64 * 1024 + 64)) ] || { echo "FAIL: a printed line has $longest bytes"; failures=$((failures + 1)); }
pieces=$(grep -c '^\[flood\] | ' "$TMPDIR_T/flood.out")
echo "flood: 100 MB streamed, peak RSS of voidbox processes ${hwm} KiB, longest line $longest, $pieces pieces"
# The same box with --output json: no event is printed, the report holds
# the tool's output as the engine kept it for the model (bounded).
flood_rss "$TMPDIR_T/flood.json" --output json
checks=$((checks + 3))
[ "$rc" = 0 ] || { echo "FAIL: flood run (json) exit $rc"; cat "$TMPDIR_T/flood.err"; failures=$((failures + 1)); }
[ "$hwm" -lt 65536 ] || { echo "FAIL: peak RSS ${hwm} KiB with --output json"; failures=$((failures + 1)); }
jbytes=$(wc -c <"$TMPDIR_T/flood.json")
[ "$jbytes" -lt $((4 * 1024 * 1024)) ] || { echo "FAIL: the JSON report has $jbytes bytes"; failures=$((failures + 1)); }
echo "flood --output json: peak RSS of voidbox processes ${hwm} KiB, report $jbytes bytes"
# line 1 is the tool call, 2 the first piece, 3 a middle one
checks=$((checks + 2))
sed -n 2p "$TMPDIR_T/flood.out" | grep -qx $'\\[flood\\] | x*\xe2\x80\xa6' ||
  { echo "FAIL: the first piece does not end with the continuation mark"; failures=$((failures + 1)); }
sed -n 3p "$TMPDIR_T/flood.out" | grep -qx $'\\[flood\\] | \xe2\x80\xa6x*\xe2\x80\xa6' ||
  { echo "FAIL: a middle piece lacks its continuation marks"; failures=$((failures + 1)); }

# fail_fast: a failed box cancels its fan_out sibling at once.
cat >"$TMPDIR_T/fast.yaml" <<'EOF'
api_version: v1
kind: pipeline
name: fast
sandbox:
  backend: mock
  commands: [{match: "echo *", stdout: "late\n", delay_ms: 30000}]
llm: {provider: fault}
pipeline:
  boxes:
    - {name: bad, prompt: "go", llm: {fault: error, at: complete}}
    - {name: slow, prompt: "go", llm: {tool: bash}}
  stages:
    - fan_out: [bad, slow]
EOF
t0=$(now)
expect_exit 1 "$VBX" run --file "$TMPDIR_T/fast.yaml" --plugin "$P" --output json
took=$(ms_since "$t0")
checks=$((checks + 1))
[ "$took" -lt 5000 ] || { echo "FAIL: fail_fast: the sibling ran on (${took} ms)"; failures=$((failures + 1)); }
expect_match "$(jq -r '.stages[0].boxes[1].status' <<<"$OUT")" '^cancelled$' "sibling cancelled"
expect_match "$(jq -r '.stages[0].boxes[1].error' <<<"$OUT")" "box 'bad' of the same fan_out failed" \
  "sibling says why"
expect_match "$(jq -r '.status' <<<"$OUT")" '^failed$' "the run failed (not cancelled)"
expect_match "$(jq -r '.error' <<<"$OUT")" "box 'bad' failed" "the run's error names the failed box"
sed -e 's/delay_ms: 30000/delay_ms: 1500/' -e 's/fan_out: \[bad, slow\]/{fan_out: [bad, slow], fail_fast: false}/' \
  "$TMPDIR_T/fast.yaml" >"$TMPDIR_T/slow_ok.yaml"
expect_exit 1 "$VBX" run --file "$TMPDIR_T/slow_ok.yaml" --plugin "$P" --output json
expect_match "$(jq -r '.stages[0].boxes[1].status' <<<"$OUT")" '^ok$' "fail_fast false: sibling finishes"

# A sandbox's timeout_secs bounds the box like the box's own timeout.
cat >"$TMPDIR_T/sbtimeout.yaml" <<'EOF'
api_version: v1
kind: agent
name: sbt
sandbox:
  backend: mock
  timeout_secs: 1
  commands: [{match: "echo *", stdout: "late\n", delay_ms: 30000}]
llm: {provider: fault, tool: bash}
agent: {prompt: "go"}
EOF
t0=$(now)
expect_exit 1 "$VBX" run --file "$TMPDIR_T/sbtimeout.yaml" --plugin "$P" --output json
took=$(ms_since "$t0")
checks=$((checks + 1))
[ "$took" -lt 4000 ] || { echo "FAIL: sandbox timeout_secs 1: ${took} ms"; failures=$((failures + 1)); }
expect_match "$(jq -r '.stages[0].boxes[0].error' <<<"$OUT")" "sandbox's timeout_secs \(1 s\)" \
  "the sandbox timeout is named"
expect_match "$(jq -r '.stages[0].boxes[0].error_code' <<<"$OUT")" '^VBX_E_TIMEOUT$' "code TIMEOUT"
finish
