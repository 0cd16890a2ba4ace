#!/usr/bin/env bash
# Packs what a lent GPU machine that has neither Node nor a Vulkan loader needs (see
# ../shared/notes/webgpu-here.md) into .cache/device-kit/ (~35 MB; with the tracked tree it stays
# under the 64 MiB a `run` call carries):
#   node.xz            this machine's Node binary, compressed
#   webgpu.tar.xz      node_modules/webgpu with only its linux-x64 Dawn binary
#   vulkan/            Debian's libvulkan1, unpacked (the loader Dawn opens)
#   bench-target.mjs   bench/target.ts and the engine it imports, bundled into one file
# With --pretrain N (a stage sized for a GPU, scripts/pretrain-device.ts) also:
#   cli.mjs            the CLI (src/cli/main.ts) bundled, which trains the stage
#   data.jsonl.xz      the stage's training rows
#   train-args.txt, pretrain.json   the stage's CLI arguments and what the device checks
# scripts/device-bench.sh and scripts/device-pretrain.sh unpack and run it there:
#   run(command: "bash scripts/device-bench.sh", carry: [".cache/device-kit"])
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=.cache/device-kit
stage=""
if [ "${1:-}" = "--pretrain" ]; then stage=${2:?--pretrain needs a stage number}; fi
rm -rf "$KIT"
mkdir -p "$KIT/vulkan"

xz -T0 -6 -c "$(command -v node)" > "$KIT/node.xz"

tmp=$(mktemp -d)
mkdir -p "$tmp/node_modules/webgpu/dist"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$tmp/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$tmp/node_modules/webgpu/dist/"
tar -C "$tmp" -cf - node_modules | xz -T0 -6 > "$KIT/webgpu.tar.xz"

(cd "$tmp" && apt-get download libvulkan1 >/dev/null)
dpkg -x "$tmp"/libvulkan1_*.deb "$KIT/vulkan"
rm -rf "$tmp"

bundle() { npx esbuild "$1" --bundle --platform=node --format=esm --target=node20 --external:webgpu --outfile="$2" --log-level=warning; }
bundle bench/target.ts "$KIT/bench-target.mjs"
if [ -n "$stage" ]; then
  npm run -s make:builtin-model -- --pretrain device-kit --stage "$stage" --kit "$KIT"
  bundle src/cli/main.ts "$KIT/cli.mjs"
  xz -T0 -6 -c "$(node -p "require(\"./$KIT/pretrain.json\").data")" > "$KIT/data.jsonl.xz"
fi
du -sh "$KIT"
