#!/usr/bin/env bash
# `run --trace FILE` writes the run's spans as one OTLP/JSON line (run,
# stage and box spans; service.name from OTEL_SERVICE_NAME; TRACEPARENT
# continued) and shows the waterfall after the summary; a file that cannot
# be written is named and exit 1, the summary still printed. `voidbox
# trace` shows our files and a collector's JSON lines, as text or JSON,
# and refuses missing, malformed and empty files with exit 2.
# `--log-format json` / VOIDBOX_LOG_FORMAT=json: every log line is JSON.
#   cli_trace.sh VOIDBOX SOURCE_DIR
set -u
VBX=$1 SRC=$2 HERE=$(dirname "$0")
. "$HERE/lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/install-deps.sh)"; exit 77; }
SPEC=$SRC/examples/quick_demo.yaml
T=$TMPDIR_T

# expect_jq FILE FILTER WHAT: the filter holds (jq -e) on FILE.
expect_jq() {
  checks=$((checks + 1))
  if ! jq -e "$2" "$1" >/dev/null 2>&1; then
    echo "FAIL: $3: jq '$2' does not hold on $1:"
    head -c 2000 "$1" | sed 's/^/  | /'
    failures=$((failures + 1))
  fi
}

# ---- run --trace ----------------------------------------------------------
expect_exit 0 "$VBX" run --file "$SPEC" --trace "$T/t.json"
expect_match "$OUT" "^total " "the summary is printed"
expect_match "$ERR" "^trace [0-9a-f]{32}  [0-9]+ spans" "the waterfall follows on stderr"
expect_match "$ERR" "^run quick_demo +\|" "the waterfall's root row"
expect_match "$ERR" "^    box analyst +\|" "a box row, indented"
expect_match "$(wc -l <"$T/t.json")" "^1$" "one line"
expect_jq "$T/t.json" '.resourceSpans[0].resource.attributes[]
  | select(.key == "service.name") | .value.stringValue == "voidbox"' "service.name"
NAMES='[.resourceSpans[].scopeSpans[].spans[].name]'
expect_jq "$T/t.json" "$NAMES | index(\"run quick_demo\") != null" "the run's span"
expect_jq "$T/t.json" "$NAMES | index(\"stage analyst\") != null" "a stage span"
expect_jq "$T/t.json" "$NAMES | index(\"box strategist\") != null" "a box span"
expect_jq "$T/t.json" '[.resourceSpans[].scopeSpans[].spans[].traceId] | unique | length == 1' \
  "one trace"
ls -a "$T" | grep -q '\.tmp\.' && { echo "FAIL: a temporary file was left"; failures=$((failures + 1)); }

# The waterfall comes after the summary when both go to one place.
expect_exit 0 bash -c '"$0" run --file "$1" --trace "$2" 2>&1' "$VBX" "$SPEC" "$T/t2.json"
expect_match "$(grep -E '^(total |trace )' <<<"$OUT" | awk '{print $1}' | tr '\n' ' ')" \
  "^total trace $" "summary, then waterfall"

# The report names the trace; OTEL_SERVICE_NAME names the service.
expect_exit 0 env OTEL_SERVICE_NAME=svc-x "$VBX" run --file "$SPEC" --output json \
  --trace "$T/svc.json"
printf '%s\n' "$OUT" >"$T/report.json"
TID=$(jq -r .trace_id "$T/report.json")
expect_jq "$T/svc.json" ".resourceSpans[0].scopeSpans[0].spans[0].traceId == \"$TID\"" \
  "the file's trace is the report's"
expect_jq "$T/svc.json" '.resourceSpans[0].resource.attributes[]
  | select(.key == "service.name") | .value.stringValue == "svc-x"' "OTEL_SERVICE_NAME"

# TRACEPARENT: the run continues that trace; its parent is not in the file.
TP_TRACE=4bf92f3577b34da6a3ce929d0e0e4736 TP_SPAN=00f067aa0ba902b7
expect_exit 0 env TRACEPARENT="00-$TP_TRACE-$TP_SPAN-01" "$VBX" run --file "$SPEC" \
  --trace "$T/tp.json"
expect_jq "$T/tp.json" "[.resourceSpans[].scopeSpans[].spans[] | select(.name == \"run quick_demo\")
  | .traceId == \"$TP_TRACE\" and .parentSpanId == \"$TP_SPAN\"] == [true]" "TRACEPARENT continued"
expect_exit 0 "$VBX" trace "$T/tp.json" --json
printf '%s\n' "$OUT" >"$T/tp_tree.json"
expect_jq "$T/tp_tree.json" ".traces[0].roots[0] | .name == \"run quick_demo\" and
  .parent == \"$TP_SPAN\"" "a span whose parent is elsewhere is a root"
expect_exit 2 env TRACEPARENT=00-nothex-00f067aa0ba902b7-01 "$VBX" run --file "$SPEC"
expect_match "$ERR" "traceparent '00-nothex" "a malformed TRACEPARENT is named"

# A trace file that cannot be written: named, exit 1, the output kept.
expect_exit 1 "$VBX" run --file "$SPEC" --trace "$T/missing/dir/t.json"
expect_match "$ERR" "^voidbox: $T/missing/dir/t.json: cannot write the trace: .*No such file" \
  "write failure names the file"
expect_match "$OUT" "^total +ok" "the summary is still printed"
expect_exit 1 "$VBX" run --file "$SPEC" --trace "$T" --output json
printf '%s\n' "$OUT" >"$T/report2.json"
expect_jq "$T/report2.json" '.status == "ok"' "the report is still printed"

# ---- voidbox trace ----------------------------------------------------------
expect_exit 0 "$VBX" trace "$T/t.json" --width 80
expect_match "$OUT" "^trace [0-9a-f]{32}  [0-9]+ spans" "trace: header"
expect_match "$OUT" "^run quick_demo +\|(█)+\| +[0-9.]+(µs|ms|s)$" "trace: the root's bar is full"
expect_match "$OUT" "^  stage analyst +\|" "trace: stage under run"
expect_match "$OUT" "^    box analyst +\|" "trace: box under stage"
checks=$((checks + 1))
if grep -q $'\x1b' <<<"$OUT"; then
  echo "FAIL: colour escapes on a pipe"
  failures=$((failures + 1))
fi
expect_exit 0 "$VBX" trace "$T/t.json" --json
printf '%s\n' "$OUT" >"$T/tree.json"
expect_jq "$T/tree.json" '.traces | length == 1' "--json: one trace"
expect_jq "$T/tree.json" '.traces[0].roots[0] | .name == "run quick_demo" and .parent == null
  and .start_ms == 0 and (.children | map(.name) == ["stage analyst", "stage strategist"])' \
  "--json: the tree"
expect_jq "$T/tree.json" '.traces[0].roots[0].children[0].children[0] | .name == "box analyst"
  and .status == "ok" and (.duration_ms | type == "number")' "--json: a box node"
TID=$(jq -r '.traces[0].trace_id' "$T/tree.json")
expect_exit 0 "$VBX" trace "$T/t.json" --trace-id "$TID"
expect_match "$OUT" "^trace $TID" "--trace-id selects"
expect_exit 2 "$VBX" trace "$T/t.json" --trace-id 0123456789abcdef0123456789abcdef
expect_match "$ERR" "^voidbox: $T/t.json: no trace 0123456789abcdef0123456789abcdef" \
  "an unknown trace id"

# A collector file exporter's JSON lines: two requests, two traces.
cat "$T/t.json" "$T/tp.json" >"$T/lines.json"
expect_exit 0 "$VBX" trace "$T/lines.json"
expect_match "$(grep -c '^trace ' <<<"$OUT")" "^2$" "JSON lines: two traces"
expect_match "$OUT" "^trace $TP_TRACE" "JSON lines: the second trace"

# Refused files: exit 2, "voidbox: FILE: ..." with the reader's position.
expect_exit 2 "$VBX" trace "$T/nonexistent.json"
expect_match "$ERR" "^voidbox: $T/nonexistent.json: cannot read: No such file" "missing file"
: >"$T/empty.json"
expect_exit 2 "$VBX" trace "$T/empty.json"
expect_match "$ERR" "^voidbox: $T/empty.json: .*no spans" "empty file"
echo '{"resourceSpans":[]}' >"$T/none.json"
expect_exit 2 "$VBX" trace "$T/none.json"
expect_match "$ERR" "^voidbox: $T/none.json: no spans" "a file without spans"
echo '{"resourceSpans": [' >"$T/cut.json"
expect_exit 2 "$VBX" trace "$T/cut.json"
expect_match "$ERR" "^voidbox: $T/cut.json: line [0-9]+: " "not JSON"
{
  cat "$T/t.json"
  sed 's/"traceId":"[0-9a-f]*"/"traceId":"xyz"/' "$T/tp.json"
} >"$T/bad.json"
expect_exit 2 "$VBX" trace "$T/bad.json"
expect_match "$ERR" "^voidbox: $T/bad.json: line 2: resourceSpans\[0\]\.scopeSpans\[[0-9]+\]\.spans\[[0-9]+\]\.traceId" \
  "the malformed line and path"
expect_exit 2 "$VBX" trace
expect_match "$ERR" "FILE is required" "no file"
expect_exit 2 "$VBX" trace "$T/t.json" --width 5
expect_exit 2 "$VBX" trace "$T/t.json" --trace-id abc
expect_exit 0 "$VBX" trace --help
expect_match "$OUT" "usage: voidbox trace FILE" "trace --help"

# ---- --log-format -------------------------------------------------------------
# every_line_json FILE WHAT: FILE has log lines and each is a JSON object.
every_line_json() {
  checks=$((checks + 1))
  local n
  n=$(grep -c . "$1")
  if [ "$n" -eq 0 ] || ! jq -s -e 'all(.[]; type == "object" and (.level | type == "string")
      and (.message | type == "string"))' "$1" >/dev/null 2>&1; then
    echo "FAIL: $2: not $n JSON log lines:"
    head -c 2000 "$1" | sed 's/^/  | /'
    failures=$((failures + 1))
  fi
}
"$VBX" run --file "$SPEC" --log-level debug --log-format json >/dev/null 2>"$T/log.txt"
every_line_json "$T/log.txt" "--log-format json"
VOIDBOX_LOG_FORMAT=json "$VBX" run --file "$SPEC" --log-level debug >/dev/null 2>"$T/log2.txt"
every_line_json "$T/log2.txt" "VOIDBOX_LOG_FORMAT=json"
VOIDBOX_LOG_FORMAT=json "$VBX" run --file "$SPEC" --log-level debug --log-format text \
  >/dev/null 2>"$T/log3.txt"
expect_match "$(head -1 "$T/log3.txt")" "^voidbox: debug: " "--log-format text wins"
expect_exit 2 "$VBX" run --file "$SPEC" --log-format yaml
expect_match "$ERR" "unknown log format 'yaml'" "an unknown log format"
finish
