#!/usr/bin/env bash
# Configure and build voidbox.
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default BUILD_DIR: build. Uses every core. Warnings are errors here
# (VBX_WERROR=ON, as in CI; a plain cmake build leaves them warnings).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DVBX_WERROR=ON "$@" \
  >/dev/null
cmake --build "$dir" -j"$(nproc)"
