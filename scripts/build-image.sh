#!/usr/bin/env bash
# One command from a fresh clone to a guest image: install the Debian
# packages, build voidbox (and the guest agent), then `voidbox image build`.
#   scripts/build-image.sh [voidbox image build options...]
# BUILD_DIR (default: build) selects the build tree. The image goes to the
# user cache (~/.cache/voidbox/images unless --cache-dir / VOIDBOX_CACHE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BUILD_DIR:-build}"
scripts/install-deps.sh
scripts/build.sh "$dir"
# Without a built guest agent (guest/agent), pass --agent PATH or --only kernel.
exec "$dir/bin/voidbox" image build "$@"
