# tests/integration/qemu_cli/common.sh - sourced by the qemu CLI tests.
#   VBX=path/to/voidbox SRC=source tree, set by the caller.
# run_report SPEC: run SPEC with --output json to its end (pid, r set).
# qemu_cli_require: skip (77) with `voidbox doctor`'s reason unless QEMU and
# the guest image (kernel and initramfs) are available ($VBX_TEST_IMAGE_CACHE,
# when set, is the image cache).
# Every test runs with TMPDIR set to a fresh directory (the backend puts box
# directories there); leftovers_check fails on any QEMU child of ours or
# anything left in it.
# The image cache of the tests (scripts/test.sh sets it): voidbox reads
# VOIDBOX_CACHE_DIR.
if [ -n "${VBX_TEST_IMAGE_CACHE:-}" ]; then
  export VOIDBOX_CACHE_DIR=$VBX_TEST_IMAGE_CACHE
fi
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

qemu_cli_require() {
  command -v jq >/dev/null || skip "jq not installed (scripts/install-deps.sh)"
  local doc
  doc=$("$VBX" doctor --output json) || fail "voidbox doctor failed"
  for cap in qemu guest_kernel guest_initramfs; do
    if [ "$(jq -r ".capabilities.$cap.available" <<<"$doc")" != true ]; then
      skip "voidbox doctor: $cap: $(jq -r ".capabilities.$cap.reason" <<<"$doc")"
    fi
  done
}

TEST_TMP=$(mktemp -d /tmp/vbx-qcli.XXXXXX)
export TMPDIR=$TEST_TMP/tmp
mkdir -p "$TMPDIR"
trap 'rm -rf "$TEST_TMP"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/../proc_tree.sh"

# The number of QEMU processes descending from pid $1.
qemu_children_of() { descendant_pids "$1" 'qemu-system*' | wc -l; }

# leftovers_check PID: nothing of voidbox PID's boxes may remain.
leftovers_check() {
  local left
  left=$(qemu_children_of "$1")
  [ "$left" = 0 ] || fail "$left QEMU process(es) of voidbox pid $1 left"
  pgrep -f "qemu-system-x86_64.*$TMPDIR" >/dev/null && fail "a QEMU process of this test is still running"
  left=$(ls -A "$TMPDIR")
  [ -z "$left" ] || fail "left in TMPDIR: $left"
  return 0
}

# run_report SPEC: voidbox run --file SPEC --output json to its end; fails
# on a non-zero exit with stderr's tail; sets pid (for leftovers_check) and
# r, the JSON report's path.
run_report() {
  "$VBX" run --file "$1" --output json > "$TEST_TMP/report.json" 2> "$TEST_TMP/stderr" &
  pid=$!
  wait $pid
  local rc=$?
  [ $rc = 0 ] || fail "exit $rc: $(tail -20 "$TEST_TMP/stderr")"
  r="$TEST_TMP/report.json"
}
