#!/usr/bin/env bash
# Supervised runs: plugin code that crashes, aborts, exits or hangs — in a
# provider, a sandbox backend, a skill or an exporter, at load time or
# during the run — ends `voidbox run` with exit 1 (2 while loading), an
# error naming the plugin, the call and the signal, and a report that keeps
# every finished box. Timeouts and one SIGTERM/SIGINT hold whatever the
# plugin does; a closed stdout cancels the run.
#   cli_plugin_faults.sh VOIDBOX FAULT_PLUGIN_DIR CHECK_REPORT
set -u
VBX=$1 FX=$2 CHECK=$3 HERE=$(dirname "$0")
. "$HERE/lib.sh"
P=$FX/fault.so

# spec NAME SECOND_BOX_FIELDS [EXTRA_TOP_LEVEL]: box "first" answers, then
# box "second" (with the given fields) misbehaves.
spec() {
  cat >"$TMPDIR_T/$1.yaml" <<EOF
api_version: v1
kind: pipeline
name: $1
sandbox: {backend: mock}
llm: {provider: fault}
${3:-}
pipeline:
  boxes:
    - {name: first, prompt: "say hi", llm: {text: "first done"}}
    - {name: second, prompt: "go", $2}
  stages:
    - box: first
    - box: second
EOF
}

now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }

# crash NAME FIELDS CALL SIGNAL_TEXT [EXTRA]
crash() {
  spec "$1" "$2" "${5:-}"
  expect_exit 1 "$VBX" run --file "$TMPDIR_T/$1.yaml" --plugin "$P" --output json
  expect_match "$ERR" "plugin 'fault' call '$3'.*$4" "$1: the error names plugin, call and how"
  printf '%s\n' "$OUT" >"$TMPDIR_T/$1.json"
  expect_match "$OUT" '"output": "first done"' "$1: the finished box is kept"
  expect_exit 0 "$CHECK" "$TMPDIR_T/$1.json" --status failed
  expect_match "$(jq -r '.stages[0].boxes[0].status' "$TMPDIR_T/$1.json")" '^ok$' "$1: first box ok"
  # The same in human output: the summary table is printed.
  expect_exit 1 "$VBX" run --file "$TMPDIR_T/$1.yaml" --plugin "$P"
  expect_match "$OUT" "^first +first +ok " "$1: summary row of the finished box"
  expect_match "$OUT" "^error: plugin 'fault' call '$3'" "$1: summary error line"
}

crash segv_llm "llm: {fault: segv, at: complete}" llm.complete "SIGSEGV"
crash abort_llm "llm: {fault: abort, at: complete}" llm.complete "SIGABRT"
crash bus_llm "llm: {fault: bus, at: complete}" llm.complete "SIGBUS"
crash exit_llm "llm: {fault: exit, at: complete}" llm.complete "called exit\\(7\\)"
crash segv_create "llm: {fault: segv, at: create}" llm.create "SIGSEGV"
crash exit_destroy "llm: {fault: exit, at: destroy}" llm.destroy "called exit\\(7\\)"
crash segv_exec "llm: {tool: bash}, sandbox: {backend: fault, fault: segv, at: exec}" \
  sandbox.exec "SIGSEGV"
crash abort_tool "llm: {tool: fault_tool}, skills: [{type: fault, fault: abort, at: call_tool}]" \
  skill.call_tool "SIGABRT"
crash fpe_provision "skills: [{type: fault, fault: fpe, at: provision}]" skill.provision "SIGFPE"
crash segv_exporter "llm: {text: x}" exporter.on_event "SIGSEGV" \
  "observe: {exporters: [{type: fault, fault: segv, at: on_event}]}"

# A lost sandbox (not a crash) fails the box; the model never sees it.
spec lost "llm: {tool: bash}, sandbox: {backend: fault, fault: lost, at: exec}"
expect_exit 1 "$VBX" run --file "$TMPDIR_T/lost.yaml" --plugin "$P" --output json
expect_match "$OUT" '"error_code": "VBX_E_SANDBOX_LOST"' "lost sandbox: box error code"
expect_match "$OUT" "the sandbox is gone" "lost sandbox: the backend's message"
expect_match "$(jq -r '.stages[1].boxes[0].turns' <<<"$OUT")" '^1$' "lost sandbox: no turn after it"

# A provider call that never returns: the box timeout holds (2 s), the
# run exits 1 within timeout + 5 s, the sibling of the fan_out keeps its
# result because it finished first.
cat >"$TMPDIR_T/hang.yaml" <<'EOF'
api_version: v1
kind: pipeline
name: hang
sandbox: {backend: mock}
llm: {provider: fault}
pipeline:
  boxes:
    - {name: first, prompt: "say hi"}
    - {name: slow, prompt: "go", timeout_secs: 2, llm: {fault: hang, at: complete}}
    - {name: other, prompt: "go"}
  stages:
    - box: first
    - fan_out: [slow, other]
    - box: first
EOF
t0=$(now)
expect_exit 1 "$VBX" run --file "$TMPDIR_T/hang.yaml" --plugin "$P" --output json
took=$(ms_since "$t0")
checks=$((checks + 1))
[ "$took" -lt 7000 ] || { echo "FAIL: hung provider: run took ${took} ms (> 2 s + 5 s)"; failures=$((failures + 1)); }
echo "hung provider with timeout_secs 2: run ended after ${took} ms"
expect_match "$(jq -r '.stages[1].boxes[0].error_code' <<<"$OUT")" '^VBX_E_TIMEOUT$' "hang: slow box TIMEOUT"
expect_match "$(jq -r '.stages[1].boxes[0].error' <<<"$OUT")" "llm.complete" "hang: names the call"
expect_match "$(jq -r '.stages[1].boxes[1].status' <<<"$OUT")" '^ok$' "hang: sibling kept"
expect_match "$(jq -r '.stages[2].boxes[0].status' <<<"$OUT")" '^skipped$' "hang: later stage skipped"

# No timeout: one SIGTERM ends the run within 5 s with the report written.
sed 's/timeout_secs: 2, //' "$TMPDIR_T/hang.yaml" >"$TMPDIR_T/hang_forever.yaml"
for sig in TERM INT; do
  "$VBX" run --file "$TMPDIR_T/hang_forever.yaml" --plugin "$P" --output json \
    >"$TMPDIR_T/sig.json" 2>"$TMPDIR_T/sig.err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q '"other"\|\[other\]' "$TMPDIR_T/sig.err" && break; sleep 0.05; done
  sleep 0.3
  t0=$(now)
  kill -$sig "$pid"
  wait "$pid" && rc=0 || rc=$?
  took=$(ms_since "$t0")
  checks=$((checks + 2))
  [ "$rc" = 1 ] || { echo "FAIL: SIG$sig: exit $rc, expected 1"; failures=$((failures + 1)); }
  [ "$took" -lt 5000 ] || { echo "FAIL: SIG$sig: ended ${took} ms after the signal"; failures=$((failures + 1)); }
  echo "one SIG$sig with a hung plugin call: ended after ${took} ms"
  expect_exit 0 "$CHECK" "$TMPDIR_T/sig.json" --status cancelled
  expect_match "$(jq -r '.stages[1].boxes[0].error' "$TMPDIR_T/sig.json")" "llm.complete" \
    "SIG$sig: the hung call is named"
done

# A second interrupt stops at once (no 4 s grace) and still writes the report.
"$VBX" run --file "$TMPDIR_T/hang_forever.yaml" --plugin "$P" --output json \
  >"$TMPDIR_T/two.json" 2>"$TMPDIR_T/two.err" &
pid=$!
sleep 0.5
kill -INT "$pid"
sleep 0.2
t0=$(now)
kill -INT "$pid"
wait "$pid" && rc=0 || rc=$?
took=$(ms_since "$t0")
checks=$((checks + 2))
[ "$rc" = 1 ] || { echo "FAIL: two interrupts: exit $rc"; failures=$((failures + 1)); }
[ "$took" -lt 1500 ] || { echo "FAIL: second interrupt took ${took} ms"; failures=$((failures + 1)); }
expect_exit 0 "$CHECK" "$TMPDIR_T/two.json" --status cancelled

# Load time: a hung init is bounded by --load-timeout; a crashing init and
# a constructor calling _exit(0) are named; all exit 2.
t0=$(now)
VOIDBOX_FAULT_INIT=hang expect_exit 2 "$VBX" run --file "$TMPDIR_T/lost.yaml" --plugin "$P" \
  --load-timeout 2
took=$(ms_since "$t0")
checks=$((checks + 1))
[ "$took" -lt 5000 ] || { echo "FAIL: hung init: ${took} ms"; failures=$((failures + 1)); }
expect_match "$ERR" "longer than 2 s: plugin 'fault' call 'init'" "hung init named"
VOIDBOX_FAULT_INIT=segv expect_exit 2 "$VBX" run --file "$TMPDIR_T/lost.yaml" --plugin "$P"
expect_match "$ERR" "plugin 'fault' call 'init' crashed: signal 11" "crashing init named"
expect_exit 2 "$VBX" run --file "$TMPDIR_T/lost.yaml" --plugin "$P" --plugin "$FX/ctor_exit.so"
expect_match "$ERR" "ctor_exit.so' call 'dlopen' ended the process with status 0" \
  "constructor _exit(0) named"

# stdout closed by its reader: SIGPIPE is ignored, the run is cancelled
# at once (not after the 30 s tool call) and the exit code is 1.
t0=$(now)
"$VBX" run --file "$HERE/specs/slow.yaml" 2>"$TMPDIR_T/pipe.err" | head -1 >/dev/null
rc=${PIPESTATUS[0]}
took=$(ms_since "$t0")
checks=$((checks + 2))
[ "$rc" = 1 ] || { echo "FAIL: | head -1: exit $rc, expected 1"; failures=$((failures + 1)); }
[ "$took" -lt 5000 ] || { echo "FAIL: | head -1: took ${took} ms"; failures=$((failures + 1)); }
expect_match "$(cat "$TMPDIR_T/pipe.err")" "stdout was closed" "closed stdout reported"
finish
