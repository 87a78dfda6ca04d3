#!/bin/sh
# scripts/otlp-decoder.sh - install the real OpenTelemetry protobuf
# definitions that tests/integration/otlp/otel_decode.mjs decodes captured
# OTLP/JSON bodies with, and print the directory they are in.
#
#   scripts/otlp-decoder.sh            install if missing, print the directory
#   scripts/otlp-decoder.sh --check    print the directory if installed and
#                                      node can run it, exit 1 (saying why) if not
#
# The package is @opentelemetry/otlp-transformer (its build/src/generated/
# root.js is protobufjs code generated from opentelemetry-proto), pinned by
# tests/integration/otlp/package.json and package-lock.json (sha512
# integrity, checked by npm ci). It goes into the user cache, never into the
# repository:
#   ${VOIDBOX_OTLP_DECODER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/voidbox/otlp-decoder}
# with a stamp holding the lock file's sha256 (a changed lock reinstalls).
# Needs node >= 18.19 (Debian 12's 18.20 will do), npm and the npm registry.
# Install scripts are not run.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/tests/integration/otlp"
dir=${VOIDBOX_OTLP_DECODER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/voidbox/otlp-decoder}
pkg=node_modules/@opentelemetry/otlp-transformer
want=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)

node_ok() {
  command -v node >/dev/null || { echo "otlp-decoder.sh: node is not installed (apt-get install nodejs)" >&2; return 1; }
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 19) ? 0 : 1)' ||
    { echo "otlp-decoder.sh: node $(node --version) is too old: the pinned package needs >= 18.19" >&2; return 1; }
}

installed() {
  [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$want" ] && [ -f "$dir/$pkg/build/src/generated/root.js" ]
}

case "${1:-}" in
  --check)
    node_ok || exit 1
    installed || { echo "otlp-decoder.sh: not installed in $dir (run scripts/otlp-decoder.sh)" >&2; exit 1; }
    echo "$dir"
    exit 0 ;;
  -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "otlp-decoder.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

node_ok || exit 1
if ! installed; then
  command -v npm >/dev/null || { echo "otlp-decoder.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
  parent=$(dirname "$dir")
  mkdir -p "$parent"
  tmp=$(mktemp -d "$parent/.otlp-decoder-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$tmp/"
  echo "otlp-decoder.sh: npm ci into $dir (node $(node --version), npm $(npm --version))" >&2
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  [ -f "$tmp/$pkg/build/src/generated/root.js" ] ||
    { echo "otlp-decoder.sh: the package has no build/src/generated/root.js" >&2; exit 1; }
  echo "$want" >"$tmp/stamp"
  # another install may have finished meanwhile: replace an old one, keep a
  # current one
  if [ -d "$dir" ] && ! installed; then rm -rf "$dir"; fi
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  trap - EXIT
  v=$(node -p "require('$dir/$pkg/package.json').version")
  echo "otlp-decoder.sh: @opentelemetry/otlp-transformer $v" >&2
fi
echo "$dir"
