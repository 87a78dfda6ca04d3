#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is needed, build,
# and run every test — the style check, plain, then under ASan+UBSan, then
# the fuzz smoke runs (clang/libFuzzer) — and print the benchmarks' figures.
#
#   scripts/test.sh            everything
#   QUICK=1 scripts/test.sh    plain build only
#
# The last line is "tests: N passed, N failed, N skipped" over all suites.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh || { echo "tests: install-deps failed"; exit 1; }

passed=0 failed=0 skipped=0 broken=0

# suite NAME BUILD_DIR CTEST_ARGS -- CMAKE_ARGS...
suite() {
  local name=$1 dir=$2 ctest_args=$3 t0=$SECONDS
  shift 3
  echo "=== suite: $name ($dir) ==="
  if ! scripts/build.sh "$dir" "$@"; then
    echo "=== suite $name: BUILD FAILED ==="
    broken=$((broken + 1))
    return
  fi
  local junit="$root/$dir/junit.xml"
  rm -f "$junit"
  # shellcheck disable=SC2086
  ctest --test-dir "$dir" --output-on-failure -j2 --output-junit "$junit" $ctest_args
  if [ ! -f "$junit" ]; then
    echo "=== suite $name: ctest wrote no report ==="
    broken=$((broken + 1))
    return
  fi
  local head t f s
  head=$(tr '\n\t' '  ' <"$junit" | grep -m1 -o '<testsuite [^>]*>')
  t=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<<"$head")
  f=$(sed -n 's/.* failures="\([0-9]*\)".*/\1/p' <<<"$head")
  s=$(sed -n 's/.* skipped="\([0-9]*\)".*/\1/p' <<<"$head")
  t=${t:-0} f=${f:-0} s=${s:-0}
  echo "=== suite $name: $((t - f - s)) passed, $f failed, $s skipped ($((SECONDS - t0)) s) ==="
  passed=$((passed + t - f - s)) failed=$((failed + f)) skipped=$((skipped + s))
}

# The guest image (slim kernel + initramfs with this build's agent) that the
# qemu backend's tests boot: built once here into the user cache (the kernel
# takes minutes cold, then is a cache hit); the image tests check it.
export VOIDBOX_CACHE_DIR=${VOIDBOX_CACHE_DIR:-${HOME}/.cache/voidbox/images}
echo "=== guest image: voidbox image build ($VOIDBOX_CACHE_DIR) ==="
t0=$SECONDS
if scripts/build.sh build && build/bin/voidbox image build --jobs "$(nproc)"; then
  echo "=== guest image: ready ($((SECONDS - t0)) s) ==="
  export VBX_TEST_IMAGE_CACHE=$VOIDBOX_CACHE_DIR
else
  echo "=== guest image: BUILD FAILED ($((SECONDS - t0)) s); qemu tests will skip ==="
  broken=$((broken + 1))
fi

# The pinned npm MCP servers test_mcp_npm runs (npm ci into the user cache,
# a no-op once there); without node >= 20, npm or the registry it skips.
echo "=== MCP servers: scripts/mcp-servers.sh ==="
if ! scripts/mcp-servers.sh >/dev/null; then
  echo "=== MCP servers: not installed; test_mcp_npm will skip ==="
fi

# The pinned claude-code CLI the agent:claude-code tests run (npm ci of its
# native build into the user cache, a no-op once there).
echo "=== claude-code: scripts/claude-code.sh ==="
if ! scripts/claude-code.sh >/dev/null; then
  echo "=== claude-code: not installed; the claude-code tests will skip ==="
fi

# The pinned OpenTelemetry protobuf definitions the OTLP tests decode the
# exporter's bodies with (npm ci into the user cache, a no-op once there).
echo "=== OTLP decoder: scripts/otlp-decoder.sh ==="
if ! scripts/otlp-decoder.sh >/dev/null; then
  echo "=== OTLP decoder: not installed; the otlp decoder tests will skip ==="
fi

echo "=== style: scripts/check-format.sh ==="
if scripts/check-format.sh; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

suite plain build ""
if [ -z "${QUICK:-}" ]; then
  # The nested-KVM tests (label nested) run in the plain suite only: an
  # ASan build inside the emulated L1 is several times slower, and one such
  # run locked L1 up (vmm_kvm, 900 s). The VMM's device models and boot
  # tables run under ASan in their harness tests and fuzz targets.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    suite asan build-asan "-LE ^(image|nested)$" -DVBX_SANITIZE=ON
  CC=clang suite fuzz build-fuzz "-L fuzz" -DVBX_FUZZ=ON
fi

if [ -d build/tests/bench ]; then
  echo "=== benchmarks (figures, not pass/fail) ==="
  for b in build/tests/bench/bench_*; do
    [ -x "$b" ] && [ -f "$b" ] && { echo "--- $b"; "$b" || echo "benchmark $b exited $?"; }
  done
fi

if [ "$broken" -gt 0 ]; then
  echo "tests: $broken suite(s) did not build or run"
  failed=$((failed + broken))
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
