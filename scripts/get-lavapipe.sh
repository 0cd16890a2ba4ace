#!/usr/bin/env bash
# Unpacks Mesa 25's lavapipe Vulkan driver from bookworm-backports into .cache/lavapipe without
# touching the system, and writes an ICD file for it. Debian 12's own Mesa 22 lavapipe lacks
# features Dawn requires. Used by the benchmark (lavapipe is ~4x faster than SwiftShader here).
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/.cache/lavapipe"
icd="$dest/lvp_icd.json"
if [ -f "$icd" ]; then echo "$icd"; exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial" "$work/debs" "$dest"
cat > "$work/sources.list" <<LIST
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-backports main
LIST
cat > "$work/apt.conf" <<CONF
Dir::State "$work/apt";
Dir::State::status "/var/lib/dpkg/status";
Dir::Etc::SourceList "$work/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::Cache "$work/apt";
CONF
export APT_CONFIG="$work/apt.conf"
apt-get update -qq >&2
(cd "$work/debs" && apt-get download -qq mesa-vulkan-drivers=25.0.7-2~bpo12+1 libdrm2=2.4.123-1~bpo12+1 libdrm-amdgpu1=2.4.123-1~bpo12+1 libllvm19 libz3-4 libelf1 libedit2 libxml2 libicu72 2>&1 >&2 | grep -v "^W:" >&2 || true)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$dest/root"; done
lib="$(find "$dest/root" -name libvulkan_lvp.so | head -n 1)"
[ -n "$lib" ] || { echo "lavapipe library not found in the downloaded packages" >&2; exit 1; }
cat > "$icd" <<JSON
{ "file_format_version": "1.0.1", "ICD": { "library_path": "$lib", "api_version": "1.4.305" } }
JSON
echo "$icd"
