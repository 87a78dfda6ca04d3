#!/usr/bin/env bash
# scripts/nested-kvm.sh end to end: COMMAND runs in L1 with a real /dev/kvm
# and the CPU's svm flag, in the same directory, sees the repository at its
# path, and its stdout, stderr and exit status come back. Skips (77) without
# root or when L1's kernel cannot be fetched (no apt source reachable).
#   nested_smoke.sh SRC
set -u
SRC=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: scripts/nested-kvm.sh needs root"; exit 77; }
cd "$SRC"
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
scripts/nested-kvm.sh --timeout 180 -- sh -c \
  'test -c /dev/kvm && grep -qw svm /proc/cpuinfo && test -f CONTRIBUTING.md && echo "in L1: $(pwd)" && echo to-stderr >&2; exit 7' \
  >"$out" 2>"$err"
rc=$?
if [ "$rc" = 125 ] && grep -q "apt-get download\|no linux-image-amd64" "$err"; then
  echo "SKIP: $(cat "$err")"; exit 77
fi
fail=0
[ "$rc" = 7 ] || { echo "FAIL: exit $rc, expected 7 (the command's)"; fail=1; }
grep -qx "in L1: $SRC" "$out" || { echo "FAIL: stdout: $(cat "$out")"; fail=1; }
grep -qx "to-stderr" "$err" || { echo "FAIL: stderr: $(cat "$err")"; fail=1; }
[ "$fail" = 0 ] && echo "PASS: a command ran in L1 with /dev/kvm and svm; output and exit status came back"
exit "$fail"
