#!/usr/bin/env bash
# Install the Debian 12 packages voidbox needs to build (--build-only) or
# to build and run every test (default).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

# What building voidbox needs (scripts/demo.sh installs only these).
BUILD_PACKAGES=(
  build-essential cmake pkg-config
  libyaml-dev libjansson-dev libcurl4-openssl-dev libseccomp-dev libffi-dev
  libcmocka-dev libslirp-dev libmicrohttpd-dev zlib1g-dev
  libglib2.0-dev # slirp.pc names glib-2.0: netstack links libslirp through it
)
# What the full test suite adds: clang/libFuzzer, clang-format (the style
# check), the guest image inputs (kernel source and its build tools, busybox,
# CA certificates), QEMU, jq, kmod (depmod for scripts/nested-kvm.sh's
# L1 kernel modules), and the benchmarks' peers: bubblewrap (bench_local
# measures a box against `bwrap --unshare-all`) and hyperfine (the
# cross-check docs/performance.md describes).
TEST_PACKAGES=(
  clang clang-format
  linux-source bc bison flex libelf-dev libssl-dev cpio xz-utils
  qemu-system-x86 busybox-static ca-certificates jq kmod
  bubblewrap hyperfine
)

# npm installs the pinned claude-code CLI (scripts/claude-code.sh) and MCP
# servers (scripts/mcp-servers.sh) the skill tests run. A machine that has
# node and npm already (e.g. a newer Node.js than Debian's) keeps them.
if ! command -v npm >/dev/null; then
  TEST_PACKAGES+=(nodejs npm)
fi

case "${1:-}" in
  --build-only) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  "") PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: install-deps.sh [--build-only]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
