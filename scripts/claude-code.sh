#!/bin/sh
# scripts/claude-code.sh - install the pinned claude-code CLI that
# agent:claude-code runs inside boxes, and print the path of its binary.
#
#   scripts/claude-code.sh            install if missing, print the binary's path
#   scripts/claude-code.sh --check    print the path if installed, exit 1 if not
#
# The version is pinned by guest/claude-code/package.json and its
# package-lock.json (with the package's sha512 integrity, checked by npm ci).
# What is installed is @anthropic-ai/claude-code-linux-x64: the release's
# native build, one x86-64 executable that needs only glibc (no Node.js in
# the box). It goes into the user cache, never into the repository:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/voidbox/claude-code/VERSION/
# Needs npm and the npm registry. Install scripts are not run.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/guest/claude-code"
version=$(sed -n 's/.*"@anthropic-ai\/claude-code-linux-x64": *"\([^"]*\)".*/\1/p' "$src/package.json")
[ -n "$version" ] || { echo "claude-code.sh: no pinned version in $src/package.json" >&2; exit 2; }
cache="${XDG_CACHE_HOME:-$HOME/.cache}/voidbox/claude-code"
dest="$cache/$version"
bin="$dest/node_modules/@anthropic-ai/claude-code-linux-x64/claude"

case "${1:-}" in
  --check) [ -x "$bin" ] && { echo "$bin"; exit 0; }; exit 1 ;;
  -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "claude-code.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

if [ ! -x "$bin" ]; then
  command -v npm >/dev/null || { echo "claude-code.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.install-$version-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$tmp/"
  echo "claude-code.sh: installing @anthropic-ai/claude-code-linux-x64@$version into $dest" >&2
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  [ -x "$tmp/node_modules/@anthropic-ai/claude-code-linux-x64/claude" ] ||
    { echo "claude-code.sh: the package has no executable 'claude'" >&2; exit 1; }
  # another install may have finished meanwhile: keep the first
  mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
  trap - EXIT
fi
echo "$bin"
