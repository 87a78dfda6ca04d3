#!/usr/bin/env bash
# Install the real MCP servers the skill-mcp tests run
# (@modelcontextprotocol/server-everything, -filesystem, -memory), at the
# exact versions of tests/data/mcp-servers/package-lock.json, with `npm ci`
# into a cache directory (never into the source tree):
#
#   scripts/mcp-servers.sh            install (a no-op when already there)
#   scripts/mcp-servers.sh --print    print the directory, install nothing
#
# The directory is $VOIDBOX_MCP_SERVERS_DIR, else
# $XDG_CACHE_HOME/voidbox/mcp-servers, else ~/.cache/voidbox/mcp-servers.
# It holds package.json, package-lock.json, node_modules/ and a stamp with
# the lock file's sha256: a changed lock reinstalls. Needs node >= 20 and
# npm (the servers' dependencies require node 20; Debian 12's nodejs 18 is
# too old). The last line printed is the directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/tests/data/mcp-servers
cache=${XDG_CACHE_HOME:-$HOME/.cache}
dir=${VOIDBOX_MCP_SERVERS_DIR:-$cache/voidbox/mcp-servers}

if [ "${1:-}" = "--print" ]; then
  echo "$dir"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: mcp-servers.sh [--print]" >&2; exit 2; }

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "mcp-servers: $tool not found (need node >= 20 and npm)" >&2; exit 1; }
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "mcp-servers: node $(node --version) is too old: the pinned servers need node >= 20" >&2
  exit 1
fi

want=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$want" ] &&
  [ -d "$dir/node_modules/@modelcontextprotocol/server-everything" ]; then
  echo "mcp-servers: already installed (lock $want)" >&2
  echo "$dir"
  exit 0
fi

mkdir -p "$dir"
rm -f "$dir/stamp"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
echo "mcp-servers: npm ci into $dir (node $(node --version), npm $(npm --version))" >&2
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
for p in server-everything server-filesystem server-memory; do
  v=$(node -p "require('$dir/node_modules/@modelcontextprotocol/$p/package.json').version")
  echo "mcp-servers: @modelcontextprotocol/$p $v" >&2
done
echo "$want" >"$dir/stamp"
echo "$dir"
