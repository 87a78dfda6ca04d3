#!/usr/bin/env bash
# The install tree, as a plugin author and an embedder meet it:
#   test_install.sh SOURCE_DIR BUILD_DIR [SANITIZED]
# `cmake --install BUILD --prefix P`, then against P only (no source or build
# tree on any include or library path):
#  - P/bin/voidbox lists the bundled plugins (installed with umask 002:
#    directories are 0755 all the same); a bundled plugin named again
#    with --plugin is the same file, not a clash; a missing --plugin-dir and
#    a world-writable one are errors;
#  - a C plugin (skill) and a C++ plugin (LLM provider) built with
#    pkg-config voidbox-plugin and with find_package(VoidboxPlugin 1.0),
#    each exporting only the unmangled entry symbol, loaded by P/bin/voidbox
#    plugins and run together; find_package(VoidboxPlugin 2.0) is refused;
#  - a third-party exporter in C (on_event, on_span, on_metric, on_log),
#    built the same two ways, receives a mock run's events, spans (run,
#    box, chat, execute_tool), metric points and the C skill's log record;
#    its unknown option is refused;
#  - examples/embedding built with voidbox.pc and with find_package(voidbox)
#    and run (it finds P's plugins through libvoidbox's own location);
#  - no installed file contains the build directory's path, the installed
#    sandbox-local runs P's guest agent and never the build tree's, and a
#    moved prefix still works.
set -u
SRC=$(realpath "$1") BUILD=$(realpath "$2") SANITIZED=${3:-0}
. "$SRC/tests/integration/cli/lib.sh"
for tool in cc g++ pkg-config cmake nm; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
T=$TMPDIR_T
P=$T/prefix
PLUG=$SRC/tests/install/plugins
EMBED=$SRC/examples/embedding
# An embedder of a sanitized libvoidbox is built with the same sanitizers.
SAN=""
[ "$SANITIZED" = 1 ] && SAN="-fsanitize=address,undefined"

# Under a group-writable umask too: installed directories stay 0755 (the
# loader refuses a plugin directory others may write to).
expect_exit 0 bash -c 'umask 002 && cmake --install "$1" --prefix "$2"' - "$BUILD" "$P"
[ "$rc" = 0 ] || { finish; exit 1; }
export PKG_CONFIG_PATH=$P/lib/pkgconfig
unset VOIDBOX_PLUGIN_DIR CMAKE_PREFIX_PATH

# ---- the installed CLI and its bundled plugins ---------------------------
expect_exit 0 "$P/bin/voidbox" plugins
for p in sandbox-mock sandbox-local sandbox-qemu sandbox-kvm llm-mock llm-anthropic llm-openai \
         llm-ollama skill-file skill-remote; do
  expect_match "$OUT" "^$p [0-9]" "bundled plugin $p listed"
  expect_match "$OUT" "path: $P/lib/voidbox/plugins/$p.so" "$p loaded from the prefix"
done
checks=$((checks + 1))
if grep -q "$BUILD" <<<"$OUT"; then
  echo "FAIL: the installed voidbox loads from the build tree:"; echo "$OUT" | grep "$BUILD"
  failures=$((failures + 1))
fi
# The same file as bundled and as --plugin: one plugin.
expect_exit 0 "$P/bin/voidbox" plugins --plugin "$P/lib/voidbox/plugins/llm-mock.so"
expect_match "$OUT" "^llm-mock " "bundled and --plugin llm-mock.so load once"
expect_exit 2 "$P/bin/voidbox" plugins --plugin-dir "$T/no-such-dir"
expect_match "$ERR" "plugin directory $T/no-such-dir does not exist" "missing --plugin-dir named"
mkdir "$T/open-dir" && cp "$P/lib/voidbox/plugins/llm-mock.so" "$T/open-dir/" && chmod 0777 "$T/open-dir"
expect_exit 2 "$P/bin/voidbox" plugins --plugin-dir "$T/open-dir"
expect_match "$ERR" "world-writable plugin directory \\(mode 0777\\)" "world-writable directory refused"

# ---- plugins in C and C++ against the installed SDK -------------------------
cflags=$(pkg-config --cflags voidbox-plugin)
expect_exit 0 test "$(pkg-config --modversion voidbox-plugin)" = "$(sed -n 's/^#define VBX_ABI_MAJOR \([0-9]*\)$/\1/p' "$P/include/voidbox/plugin.h").$(sed -n 's/^#define VBX_ABI_MINOR \([0-9]*\)$/\1/p' "$P/include/voidbox/plugin.h")"
expect_exit 0 test "$(realpath "$(pkg-config --variable=plugindir voidbox-plugin)")" = "$P/lib/voidbox/plugins"
mkdir -p "$T/pc"
expect_exit 0 cc -std=c11 -Wall -Wextra -Werror $cflags -shared -Wl,--no-undefined \
  -o "$T/pc/install-c-skill.so" "$PLUG/c_skill.c"
expect_exit 0 g++ -std=c++17 -Wall -Wextra -Werror $cflags -shared -Wl,--no-undefined \
  -o "$T/pc/install-cxx-llm.so" "$PLUG/cxx_llm.cpp"
expect_exit 0 cc -std=c11 -Wall -Wextra -Werror $cflags -shared -Wl,--no-undefined \
  -o "$T/pc/install-c-exporter.so" "$PLUG/c_exporter.c"
expect_exit 0 cmake -S "$PLUG" -B "$T/cm" -DCMAKE_PREFIX_PATH="$P"
expect_exit 0 cmake --build "$T/cm"
expect_exit 1 cmake -S "$PLUG" -B "$T/cm2" -DCMAKE_PREFIX_PATH="$P" -DVBX_WANT_ABI=2.0
expect_match "$OUT$ERR" "VoidboxPlugin.*(version|compatible)" "find_package(VoidboxPlugin 2.0) refused"

for kind in pc cm; do
  for so in "$T/$kind/install-c-skill.so" "$T/$kind/install-cxx-llm.so" \
            "$T/$kind/install-c-exporter.so"; do
    syms=$(nm -D --defined-only "$so" 2>&1 | awk '$2 == "T" {print $3}')
    expect_match "$syms" "^vbx_plugin_entry_v1$" "$so exports the unmangled entry symbol"
    checks=$((checks + 1))
    [ "$(wc -l <<<"$syms")" = 1 ] || { echo "FAIL: $so exports more: $syms"; failures=$((failures + 1)); }
  done
  expect_exit 0 "$P/bin/voidbox" plugins --plugin "$T/$kind/install-c-skill.so" \
    --plugin "$T/$kind/install-cxx-llm.so"
  expect_match "$OUT" "skill +cskill" "$kind: the C skill type registered"
  expect_match "$OUT" "llm +cxx-llm" "$kind: the C++ provider registered"
  expect_exit 0 "$P/bin/voidbox" run --file "$PLUG/both.yaml" --plugin "$T/$kind/install-c-skill.so" \
    --plugin "$T/$kind/install-cxx-llm.so"
  expect_match "$OUT" "C\\+\\+ model heard: C says: HELLO FROM C\\+\\+" "$kind: C++ model called the C tool"
  # the third-party exporter: what a run delivers to it, written at flush
  rec=$T/$kind/recorded.txt
  sed -e 's/^name: install-both$/name: install-exporter/' "$PLUG/both.yaml" >"$T/$kind/exporter.yaml"
  printf 'observe:\n  exporters: [{type: recorder, file: "%s"}]\n' "$rec" >>"$T/$kind/exporter.yaml"
  expect_exit 0 "$P/bin/voidbox" run --file "$T/$kind/exporter.yaml" --plugin "$T/$kind/install-c-skill.so" \
    --plugin "$T/$kind/install-cxx-llm.so" --plugin "$T/$kind/install-c-exporter.so"
  REC=$(cat "$rec" 2>&1)
  expect_match "$REC" "^total events=[1-9][0-9]* spans=[1-9][0-9]* metrics=[1-9][0-9]* logs=[1-9][0-9]*$" \
    "$kind: the exporter received events, spans, metric points and log records"
  for want in "span run install-exporter 1 -" "span box install-exporter 1 install-exporter" \
              "span chat 3 install-exporter" "span execute_tool shout 1 install-exporter" \
              "metric gen_ai.client.token.usage 3 " "metric voidbox.tool.calls 1 1" \
              "log 3 install-c-skill install-exporter: cskill: shouting 'hello from c\\+\\+'"; do
    expect_match "$REC" "^$want" "$kind: the exporter received '$want'"
  done
  cp "$PLUG/both.yaml" "$T/$kind/bad.yaml"
  printf 'observe:\n  exporters: [{type: recorder, file: x, bogus: 1}]\n' >>"$T/$kind/bad.yaml"
  expect_exit 2 "$P/bin/voidbox" run --file "$T/$kind/bad.yaml" --plugin "$T/$kind/install-c-skill.so" \
    --plugin "$T/$kind/install-cxx-llm.so" --plugin "$T/$kind/install-c-exporter.so"
  expect_match "$ERR" "unknown recorder option .bogus." "$kind: the exporter's validate_options refuses a key"
done

# ---- the embedding example against the installed library --------------------
mkdir -p "$T/embed-pc"
expect_exit 0 cc -std=c11 -Wall -Wextra -Werror $SAN -o "$T/embed-pc/embed" "$EMBED/embed.c" \
  $(pkg-config --cflags --libs voidbox) -Wl,-rpath,"$(pkg-config --variable=libdir voidbox)"
expect_exit 0 cmake -S "$EMBED" -B "$T/embed-cm" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_FLAGS="$SAN"
expect_exit 0 cmake --build "$T/embed-cm"
for e in "$T/embed-pc/embed" "$T/embed-cm/embed"; do
  expect_exit 0 "$e" "$EMBED/embed.yaml"
  expect_match "$OUT" "The sandbox says: Linux mockbox" "$e ran the spec"
  expect_match "$OUT" "== .*: ok" "$e: status ok"
  expect_exit 0 "$e" "$PLUG/both.yaml" "$T/cm/install-c-skill.so" "$T/cm/install-cxx-llm.so"
  expect_match "$OUT" "C\\+\\+ model heard: C says: HELLO FROM C\\+\\+" "$e with the C and C++ plugins"
done
for e in "$T/embed-pc/embed" "$T/embed-cm/embed"; do
  checks=$((checks + 1))
  ldd "$e" | grep -q "libvoidbox.so.0 => $P/lib/" ||
    { echo "FAIL: $e does not link $P's libvoidbox:"; ldd "$e"; failures=$((failures + 1)); }
done

# ---- no build-tree path, and the installed agent -----------------------------
checks=$((checks + 1))
leaks=$(grep -rlaF "$BUILD" "$P")
if [ -n "$leaks" ]; then
  echo "FAIL: installed files name the build tree $BUILD:"; echo "$leaks" | sed 's/^/  /'
  failures=$((failures + 1))
fi
expect_exit 0 test -x "$P/libexec/voidbox/voidbox-guest-agent"
expect_exit 0 test -f "$P/share/voidbox/pricing.json"
# Without P's agent, the installed sandbox-local names P's agent path: it
# never falls back to the build tree's (which exists).
cp -a "$P" "$T/noagent"
rm "$T/noagent/libexec/voidbox/voidbox-guest-agent"
cat >"$T/local.yaml" <<'YAML'
api_version: v1
kind: agent
name: install-local
sandbox: {backend: local}
llm: {provider: mock, script: local_script.yaml}
agent: {prompt: Run true., max_turns: 2}
YAML
cat >"$T/local_script.yaml" <<'YAML'
model: mock
turns:
  - tool_calls: [{name: bash, input: {command: "true"}}]
  - text: done
YAML
"$T/noagent/bin/voidbox" run --file "$T/local.yaml" >"$T/local.out" 2>&1
expect_match "$(cat "$T/local.out")" "$T/noagent/libexec/voidbox/voidbox-guest-agent" \
  "installed sandbox-local looks for its own prefix's agent"
checks=$((checks + 1))
if grep -q "$BUILD" "$T/local.out"; then
  echo "FAIL: the installed sandbox-local used the build tree:"; cat "$T/local.out"
  failures=$((failures + 1))
fi

# As root (what the local backend needs), the box really runs on P's agent.
if [ "$(id -u)" = 0 ]; then
  expect_exit 0 "$P/bin/voidbox" run --file "$T/local.yaml"
  expect_match "$OUT" "install-local +ok" "installed sandbox-local runs a box with P's agent"
fi

# The installed `voidbox image build` takes its kernel config fragment and its
# guest agent from P (the kernel step stops at the missing tarball, after
# finding the fragment; the initramfs step is built, into a scratch cache).
expect_exit 0 test -f "$P/share/voidbox/kernel.config"
expect_exit 1 "$P/bin/voidbox" image build --only kernel --cache-dir "$T/imgcache" \
  --kernel-source "$T/no-such-tarball.tar.xz"
expect_match "$ERR" "kernel source tarball $T/no-such-tarball.tar.xz not found" \
  "installed image build found its kernel config fragment"
if [ -x /bin/busybox ]; then
  # Under the sanitizers the agent is not static, which the builder refuses
  # naming the file: P's agent is still the one it took.
  "$P/bin/voidbox" image build --only initramfs --cache-dir "$T/imgcache" >/dev/null \
    2>"$T/img.err" && rc=0 || rc=$?
  if [ "$rc" = 0 ]; then
    expect_match "$(cat "$T/img.err")" "initramfs: /init = $P/libexec/voidbox/voidbox-guest-agent" \
      "installed image build took P's guest agent"
  else
    expect_match "$(cat "$T/img.err")" \
      "guest agent $P/libexec/voidbox/voidbox-guest-agent: dynamically linked" \
      "installed image build took P's guest agent (a sanitizer build's, not static)"
  fi
fi

# ---- a moved prefix still finds its own files ---------------------------------
mv "$T/noagent" "$T/moved"
expect_exit 0 "$T/moved/bin/voidbox" plugins
expect_match "$OUT" "path: $T/moved/lib/voidbox/plugins/llm-mock.so" "a moved prefix loads its own plugins"
expect_exit 0 test "$(PKG_CONFIG_PATH=$T/moved/lib/pkgconfig pkg-config --variable=includedir voidbox | xargs realpath)" = "$T/moved/include"
finish
