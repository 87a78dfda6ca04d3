#!/bin/sh
# run.sh VOIDBOX PLUGIN_DIR SOURCE_DIR - the claude_workflow example as a
# test: skip (77) when it cannot run here, else run it with JSON output.
set -eu
voidbox=$1 plugins=$2 src=$3
if [ "$(id -u)" != 0 ]; then echo "SKIP: sandbox-local needs root"; exit 77; fi
if ! "$src/scripts/claude-code.sh" --check >/dev/null; then
  echo "SKIP: the pinned claude-code CLI is not installed (run scripts/claude-code.sh)"
  exit 77
fi
exec "$voidbox" run --file "$src/examples/claude_workflow.yaml" --plugin-dir "$plugins" --output json
