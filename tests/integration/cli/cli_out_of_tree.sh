#!/usr/bin/env bash
# The out-of-tree plugin example builds against an *installed* SDK only
# (pkg-config voidbox-plugin, no source tree on the include path) and loads
# into the installed voidbox with --plugin.
#   cli_out_of_tree.sh SOURCE_DIR BUILD_DIR
set -u
SRC=$1 BUILD=$2 HERE=$(dirname "$0")
. "$HERE/lib.sh"
command -v make >/dev/null || { echo "SKIP: make is not installed"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config is not installed"; exit 77; }

prefix=$TMPDIR_T/prefix
expect_exit 0 cmake --install "$BUILD" --prefix "$prefix"
pc=$(find "$prefix" -name voidbox-plugin.pc | head -n1)
checks=$((checks + 1))
[ -n "$pc" ] || { echo "FAIL: voidbox-plugin.pc not installed"; failures=$((failures + 1)); finish; exit 1; }
expect_exit 0 test -f "$prefix/include/voidbox/plugin.h"
expect_exit 0 test -x "$prefix/bin/voidbox"
plugdir=$(dirname "$(find "$prefix" -name sandbox-mock.so | head -n1)")

# Build a copy of the example so the source tree is never written.
cp -r "$SRC/examples/plugins/hello-skill" "$TMPDIR_T/hello"
PKG_CONFIG_PATH=$(dirname "$pc") expect_exit 0 make -C "$TMPDIR_T/hello"
# The include path pkg-config gives is the installed one, not the source tree.
inc=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags-only-I voidbox-plugin | sed 's/^ *-I//; s/ *$//')
expect_exit 0 test "$(realpath "$inc")" = "$(realpath "$prefix/include")"
# Exactly one exported symbol: the entry point.
syms=$(nm -D --defined-only "$TMPDIR_T/hello/hello-skill.so" | awk '$2 == "T" {print $3}')
expect_match "$syms" "^vbx_plugin_entry_v1$" "entry symbol exported"
checks=$((checks + 1))
[ "$(wc -l <<<"$syms")" = 1 ] || { echo "FAIL: more than one exported function: $syms"; failures=$((failures + 1)); }

expect_exit 0 "$prefix/bin/voidbox" plugins --plugin-dir "$plugdir" --plugin "$TMPDIR_T/hello/hello-skill.so"
expect_match "$OUT" "skill +hello" "hello skill type registered"
expect_exit 0 "$prefix/bin/voidbox" run --file "$TMPDIR_T/hello/hello.yaml" \
  --plugin-dir "$plugdir" --plugin "$TMPDIR_T/hello/hello-skill.so"
expect_match "$OUT" "Hello, Ada!" "the hello tool ran"
# Without the plugin the spec names an unknown skill type: exit 2.
expect_exit 2 "$prefix/bin/voidbox" run --file "$TMPDIR_T/hello/hello.yaml" --plugin-dir "$plugdir"
expect_match "$ERR" "hello" "unknown skill type named"
finish
