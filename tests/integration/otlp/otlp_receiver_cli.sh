#!/usr/bin/env bash
# The otlp_receiver program as a shell test uses it: it prints its port,
# writes accepted bodies (NNNN-SIGNAL.json), one line per request
# (requests.jsonl) and the violations (violations.txt) into --dir, answers
# from --status-sequence with --retry-after, never answers with --stall,
# refuses bodies over --max-body, and exits 0 on SIGTERM (at once, even
# with a stalled request open); usage errors exit 2.
#   otlp_receiver_cli.sh RECEIVER SOURCE_DIR
# Skips (77) without curl, jq or gzip.
set -u
RECV=$1 SRC=$2
. "$SRC/tests/integration/cli/lib.sh"
for tool in curl jq gzip; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
GOOD=$SRC/tests/integration/otlp/data/good

pid=""
start() { # DIR ARGS...: start a receiver into DIR, its port in $PORT
  local dir=$1
  shift
  mkdir -p "$dir"
  "$RECV" --dir "$dir" "$@" >"$dir.port" 2>"$dir.err" &
  pid=$!
  for _ in $(seq 100); do
    [ -s "$dir.port" ] && break
    sleep 0.05
  done
  PORT=$(head -1 "$dir.port")
}
stop() { # exit status of the receiver after SIGTERM, within 2 s
  kill -TERM "$pid"
  for _ in $(seq 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "FAIL: the receiver did not exit within 2 s of SIGTERM"
    failures=$((failures + 1))
    kill -KILL "$pid"
  fi
  wait "$pid"
  rc=$?
}
post() { # PATH FILE [CURL ARGS...]: status line and headers in $OUT
  local path=$1 file=$2
  shift 2
  expect_exit 0 curl -sS -i --max-time 5 -H 'Content-Type: application/json' \
    --data-binary "@$file" "$@" "http://127.0.0.1:$PORT$path"
}

D=$TMPDIR_T/a
start "$D"
expect_match "$PORT" '^[1-9][0-9]*$' "the port printed"
post /v1/traces "$GOOD/0001-traces.json"
expect_match "$OUT" '^HTTP/1.1 200' "a good trace body accepted"
gzip -c "$GOOD/0003-logs.json" >"$TMPDIR_T/logs.gz"
post /v1/logs "$TMPDIR_T/logs.gz" -H 'Content-Encoding: gzip'
expect_match "$OUT" '^HTTP/1.1 200' "a gzip log body accepted"
post /v1/metrics "$GOOD/0001-traces.json"
expect_match "$OUT" '^HTTP/1.1 400' "a trace body sent as metrics refused"
expect_match "$OUT" 'resourceSpans: unknown field' "the reason in the answer"
stop
expect_exit 0 test "$rc" = 0
expect_exit 0 cmp <(jq -S . "$D/0001-traces.json") <(jq -S . "$GOOD/0001-traces.json")
expect_exit 0 cmp <(jq -S . "$D/0002-logs.json") <(jq -S . "$GOOD/0003-logs.json")
expect_exit 1 test -e "$D/0003-metrics.json"
expect_match "$(cat "$D/violations.txt")" '^0003 POST /v1/metrics: resourceSpans: unknown field' \
  "violations.txt names the request"
# requests.jsonl: one line per request
expect_exit 0 test "$(jq -r '[.seq, .status, .encoding] | @tsv' "$D/requests.jsonl")" = \
  $'1\t200\t\n2\t200\tgzip\n3\t400\t'
expect_match "$(cat "$D.err")" '1 violation' "the violations summed up at exit"

# the status sequence, Retry-After, the body bound
D=$TMPDIR_T/b
start "$D" --status-sequence 503,429 --retry-after 2 --max-body 1000
post /v1/traces "$GOOD/0001-traces.json"
expect_match "$OUT" '^HTTP/1.1 413' "a body over --max-body refused"
post /v1/logs "$GOOD/0003-logs.json"
expect_match "$OUT" '^HTTP/1.1 503' "first answer 503"
expect_match "$OUT" 'Retry-After: 2' "with Retry-After"
post /v1/logs "$GOOD/0003-logs.json"
expect_match "$OUT" '^HTTP/1.1 429' "second answer 429"
post /v1/logs "$GOOD/0003-logs.json"
expect_match "$OUT" '^HTTP/1.1 200' "then 200"
stop
expect_exit 0 test "$rc" = 0
expect_exit 0 test -f "$D/0004-logs.json"
bodies=("$D"/*.json)
expect_exit 0 test "${#bodies[@]}" = 1

# --stall: no answer, and SIGTERM still ends it at once
D=$TMPDIR_T/c
start "$D" --stall
expect_exit 28 curl -sS --max-time 1 -H 'Content-Type: application/json' \
  --data-binary "@$GOOD/0003-logs.json" "http://127.0.0.1:$PORT/v1/logs"
stop
expect_exit 0 test "$rc" = 0

expect_exit 2 "$RECV" --port 1
expect_exit 2 "$RECV" --dir "$TMPDIR_T" --status-sequence 99
expect_exit 2 "$RECV" --dir "$TMPDIR_T/none/such"
finish
