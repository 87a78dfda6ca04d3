#!/usr/bin/env bash
# Install the Debian 12 packages voidbox needs to build and test.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang
  libyaml-dev libjansson-dev libcurl4-openssl-dev libseccomp-dev libffi-dev
  libcmocka-dev libslirp-dev
  libmicrohttpd-dev
  linux-source bc bison flex libelf-dev libssl-dev cpio xz-utils
  qemu-system-x86 busybox-static ca-certificates jq
)

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
