#!/usr/bin/env bash
# Packs what `npm run bench` needs on a lent GPU machine that has neither Node nor a Vulkan loader
# (see ../shared/notes/webgpu-here.md) into .cache/device-kit/ (~45 MB, under the 64 MiB a `run`
# call carries):
#   node.xz            this machine's Node binary, compressed
#   bench-target.mjs   bench/target.ts and the engine it imports, bundled into one file
#   node_modules/webgpu the `webgpu` package with only its linux-x64 Dawn binary
#   vulkan/            Debian's libvulkan1, unpacked (the loader Dawn opens)
# scripts/device-bench.sh unpacks and runs it there:
#   run(command: "bash scripts/device-bench.sh", carry: [".cache/device-kit"])
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=.cache/device-kit
rm -rf "$KIT"
mkdir -p "$KIT/node_modules/webgpu/dist" "$KIT/vulkan"

xz -T0 -6 -c "$(command -v node)" > "$KIT/node.xz"

npx esbuild bench/target.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile="$KIT/bench-target.mjs" --log-level=warning

cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$KIT/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$KIT/node_modules/webgpu/dist/"

tmp=$(mktemp -d)
(cd "$tmp" && apt-get download libvulkan1 >/dev/null)
dpkg -x "$tmp"/libvulkan1_*.deb "$KIT/vulkan"
rm -rf "$tmp"

du -sh "$KIT"
