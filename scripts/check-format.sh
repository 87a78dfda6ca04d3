#!/usr/bin/env bash
# Fails (exit 1) when a tracked C file does not follow .clang-format, listing
# each one with the first lines clang-format would change; `clang-format -i
# FILE` fixes it. Run by scripts/test.sh (CI).
#   scripts/check-format.sh          every tracked .c and .h
#   scripts/check-format.sh FILE...  just these
set -uo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed (scripts/install-deps.sh)"; exit 1; }
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(git ls-files '*.c' '*.h'); fi
bad=0
for f in "${files[@]}"; do
  if ! d=$(clang-format --style=file "$f" | diff -u "$f" - ); then
    [ $bad -lt 20 ] && { echo "check-format: $f"; head -n 12 <<<"$d" | tail -n +3 | sed 's/^/    /'; }
    bad=$((bad + 1))
  fi
done
if [ $bad -gt 0 ]; then
  echo "check-format: $bad of ${#files[@]} files differ from .clang-format"
  exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
