#!/usr/bin/env bash
# CLI exit codes and messages: 0 success, 1 run failed, 2 usage/spec/plugin.
#   cli_exit_codes.sh VOIDBOX SOURCE_DIR
set -u
VBX=$1 SRC=$2 HERE=$(dirname "$0")
. "$HERE/lib.sh"
S=$HERE/specs

expect_exit 0 "$VBX" --help
expect_match "$OUT" "usage: voidbox COMMAND" "top-level help"
for cmd in run validate plugins plugin; do
  expect_exit 0 "$VBX" $cmd --help
  expect_match "$OUT" "usage: voidbox $cmd" "$cmd --help"
done
expect_exit 0 "$VBX" --version
expect_match "$OUT" "^voidbox [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI 1\.[0-9]+\)" "version"

expect_exit 2 "$VBX"
expect_exit 2 "$VBX" frobnicate
expect_match "$ERR" "unknown command 'frobnicate' \(see" "unknown command, no hint"
expect_exit 2 "$VBX" valdate
expect_match "$ERR" "unknown command 'valdate' \(did you mean 'validate'\?\)" "command hint"
expect_exit 2 "$VBX" run --outptu json
expect_match "$ERR" "unknown or incomplete option '--outptu' \(did you mean '--output'\?\)" \
  "run option hint"
expect_exit 2 "$VBX" validate --fiel x
expect_match "$ERR" "unknown option '--fiel' \(did you mean '--file'\?\)" "validate option hint"
if [ -w /dev/full ]; then
  expect_exit 1 bash -c '"$0" validate --file "$1" >/dev/full' "$VBX" "$SRC/examples/quick_demo.yaml"
fi
expect_exit 2 "$VBX" run
expect_match "$ERR" "--file SPEC is required" "run without --file"
expect_exit 2 "$VBX" run --file "$SRC/examples/quick_demo.yaml" --output xml
expect_match "$ERR" "human or json" "bad --output"
expect_exit 2 "$VBX" run --file "$S/does-not-exist.yaml"
expect_match "$ERR" "does-not-exist.yaml" "missing file named"

# Spec errors: exit 2 with FILE:LINE:COLUMN and a hint.
expect_exit 2 "$VBX" run --file "$S/bad_key.yaml"
expect_match "$ERR" "bad_key.yaml:5:3: .*promt.*did you mean 'prompt'" "unknown key"
expect_exit 2 "$VBX" validate --file "$S/unknown_backend.yaml"
expect_match "$ERR" "unknown_backend.yaml:5:12: .*'mok'.*did you mean 'mock'" "unknown backend"
# What only a provider's create checks is found by validate, at the option.
expect_exit 2 "$VBX" validate --file "$S/missing_script.yaml"
expect_match "$ERR" "missing_script.yaml:8:3: llm provider .mock. refused option .script.: .*cannot open" \
  "validate: missing mock script at its option"
expect_exit 1 "$VBX" run --file "$S/missing_script.yaml"
expect_match "$OUT" "missing_script.yaml:8:3: llm provider 'mock': .*nowhere/script.yaml" \
  "run: the box's error names the option's position"
expect_exit 2 "$VBX" validate --file "$S/unused_box.yaml"
expect_match "$ERR" "unused_box.yaml:8:14: box 'spare' is declared but no stage uses it" \
  "unused box"
expect_exit 2 "$VBX" run --file "$S/bad_key.yaml" --plugin /nonexistent/x.so
expect_exit 2 "$VBX" plugins --plugin /nonexistent/x.so
expect_match "$ERR" "/nonexistent/x.so" "missing plugin named"

# Valid specs validate; a run that fails exits 1 and says why.
expect_exit 0 "$VBX" validate --file "$SRC/examples/quick_demo.yaml"
expect_exit 0 "$VBX" run --file "$SRC/examples/quick_demo.yaml"
expect_match "$OUT" "^\[analyst\] " "quick_demo streams analyst lines"
expect_match "$OUT" "^\[strategist\] " "quick_demo streams strategist lines"
expect_match "$OUT" "STAGE +BOX +STATUS" "summary table header"
expect_exit 1 "$VBX" run --file "$S/exhausted.yaml"
expect_match "$OUT$ERR" "exhausted" "failure reason shown"

expect_exit 0 "$VBX" plugins
for name in sandbox-mock llm-mock skill-file; do
  expect_match "$OUT" "^$name " "plugins lists $name"
done
expect_exit 0 "$VBX" plugin inspect "$(dirname "$VBX")/../plugins/llm-mock.so"
expect_match "$OUT" '"name": *"llm-mock"' "inspect report"
finish
