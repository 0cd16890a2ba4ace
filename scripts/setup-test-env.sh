#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine with Node 20:
# Debian's chromium (browser tests, and its SwiftShader Vulkan driver for WebGPU in Node),
# the Vulkan loader (libvulkan1) that Dawn opens, a small Chinese font (the sample data is partly
# Chinese; without one the e2e screenshots show empty boxes), and the npm packages from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || need+=(fonts-wqy-microhei)
[ -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libvulkan.so.1 ] || need+=(libvulkan1)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
npm ci --no-audit --no-fund
