#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install what is needed, build,
# and run the quick demo pipeline on the mock sandbox with the mock LLM.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build-only
scripts/build.sh build
exec build/bin/voidbox run --file examples/quick_demo.yaml "$@"
