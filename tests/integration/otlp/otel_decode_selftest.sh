#!/usr/bin/env bash
# The Node decoder (otel_decode.mjs) itself: it accepts known-good bodies of
# each signal (data/good) and refuses each deliberately wrong one
# (data/bad), naming the JSON path and the fault: a misspelled field, top
# level and nested; an enum sent as its name and one out of range; an int64
# as a JSON number and one not decimal; a double and a boolean as strings;
# a number in a string field; an id of the wrong length.
#   otel_decode_selftest.sh SOURCE_DIR
# Skips (77) when node or the pinned definitions (scripts/otlp-decoder.sh)
# are not there.
set -u
SRC=$1 HERE=$SRC/tests/integration/otlp
. "$SRC/tests/integration/cli/lib.sh"
mods=$("$SRC/scripts/otlp-decoder.sh" --check 2>"$TMPDIR_T/why") ||
  { echo "SKIP: the OTLP decoder cannot run: $(cat "$TMPDIR_T/why")"; exit 77; }
decode() { expect_exit "$1" node "$HERE/otel_decode.mjs" --modules "$mods" "${@:2}"; }

decode 0 "$HERE/data/good"
for s in traces metrics logs; do
  expect_match "$OUT" "^ok $HERE/data/good/[0-9]+-$s.json: $s, [1-9]" "good $s body decoded"
done
expect_match "$OUT" "3 of 3 bodies decoded intact \\(@opentelemetry/otlp-transformer 0\\.205\\.0\\)" \
  "the pinned package named"

# (regular expressions: brackets and dots escaped)
S='resourceSpans\[0\]\.scopeSpans\[0\]\.spans' M='resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics'
L='resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords'
while IFS='|' read -r file want; do
  decode 1 "$HERE/data/bad/$file"
  expect_match "$OUT" "^FAIL $HERE/data/bad/$file: $want" "$file refused"
done <<EOF
misspelled-traces.json|${S}\\[1\\]\\.parentSpanID: not a field of this message
nested_misspelled-traces.json|${S}\\[1\\]\\.attributes\\[0\\]\\.value\\.stringvalue: not a field
enum_name-traces.json|${S}\\[1\\]\\.kind: the string 'SPAN_KIND_CLIENT' where the message has a number
enum_range-traces.json|${S}\\[0\\]\\.status\\.code: enum value expected \\(verify\\)
int64_number-metrics.json|${M}\\[0\\]\\.sum\\.dataPoints\\[0\\]\\.asInt: an int64 field: OTLP/JSON sends it as a decimal string
time_not_decimal-metrics.json|${M}\\[2\\]\\.histogram\\.dataPoints\\[0\\]\\.timeUnixNano: sent '17e17', decoded '17'
double_string-metrics.json|${M}\\[1\\]\\.gauge\\.dataPoints\\[0\\]\\.asDouble: the string '1048576.5' where the message has a number
bool_as_string-metrics.json|${M}\\[0\\]\\.sum\\.isMonotonic: a string where the message has a boolean
string_as_number-logs.json|${L}\\[0\\]\\.severityText: a number where the message has a string field
id_length-logs.json|${L}\\[0\\]\\.spanId: 'eee19b7ec3c1b1' is 7 bytes, an OTLP spanId is 8
EOF

# every wrong body together: exit 1, each one named, the good ones still ok
decode 1 "$HERE/data/good" "$HERE/data/bad"
expect_match "$OUT" "3 of 13 bodies decoded intact" "a mixed run counts the failures"
# usage and a missing installation are errors (2), never a pass
decode 2
decode 2 --modules "$TMPDIR_T" "$HERE/data/good"
expect_match "$ERR" "otlp-transformer is not installed in $TMPDIR_T" "missing definitions named"
finish
