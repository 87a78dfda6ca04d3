# Assertion helpers for the CLI tests. Each failure prints what was expected
# and what happened, and the test exits 1 at the end.
failures=0
checks=0

# expect_exit CODE CMD... : run CMD, capture stdout/stderr in $OUT/$ERR.
expect_exit() {
  local want=$1
  shift
  checks=$((checks + 1))
  OUT=$("$@" 2>"$TMPDIR_T/stderr") && rc=0 || rc=$?
  ERR=$(cat "$TMPDIR_T/stderr")
  if [ "$rc" != "$want" ]; then
    echo "FAIL: '$*' exited $rc, expected $want"
    echo "  stdout: ${OUT:0:2000}"
    echo "  stderr: ${ERR:0:2000}"
    failures=$((failures + 1))
  fi
}

# expect_match TEXT REGEX WHAT
expect_match() {
  checks=$((checks + 1))
  if ! grep -Eq -- "$2" <<<"$1"; then
    echo "FAIL: $3: no match for /$2/ in:"
    echo "${1:0:2000}" | sed 's/^/  | /'
    failures=$((failures + 1))
  fi
}

finish() {
  echo "$checks checks, $failures failed"
  [ "$failures" -eq 0 ]
}

TMPDIR_T=$(mktemp -d)
trap 'rm -rf "$TMPDIR_T"' EXIT
