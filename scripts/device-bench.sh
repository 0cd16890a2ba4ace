#!/usr/bin/env bash
# Runs the Node benchmark (bench/target.ts) on a lent GPU machine from the kit that
# scripts/pack-device-kit.sh made, against the machine's own Vulkan driver (NVIDIA's ICD), and
# writes the result JSON and the log under $OUT (or ./device-out). One call does everything:
#   run(command: "bash scripts/device-bench.sh", carry: [".cache/device-kit"], timeout_s: 420)
# BENCH_ARGS passes options to the target (e.g. "--matmul-only").
set -uo pipefail
cd "$(dirname "$0")/.."
KIT=$(pwd)/.cache/device-kit
OUT=${OUT:-$(pwd)/device-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1

[ -f "$KIT/node.xz" ] || { echo "no kit at $KIT: run scripts/pack-device-kit.sh and carry .cache/device-kit"; exit 2; }
WORK=$(mktemp -d)
xz -dc "$KIT/node.xz" > "$WORK/node" && chmod +x "$WORK/node"
cp "$KIT/bench-target.mjs" "$WORK/" && cp -r "$KIT/node_modules" "$WORK/"

icd=${VK_ICD_FILENAMES:-}
if [ -z "$icd" ]; then
  for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    [ -f "$dir/nvidia_icd.json" ] && { icd="$dir/nvidia_icd.json"; break; }
  done
fi
[ -n "$icd" ] || icd=$(find / -name 'nvidia_icd*.json' -not -path '/proc/*' 2>/dev/null | head -1)
echo "date: $(date -u +%FT%TZ)"
echo "icd: ${icd:-none found}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null || echo "torch: not available"
[ -n "$icd" ] || { echo "no NVIDIA Vulkan ICD on this machine"; exit 3; }

export VK_ICD_FILENAMES="$icd" XDG_RUNTIME_DIR=/tmp
export LD_LIBRARY_PATH="$KIT/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# shellcheck disable=SC2086
(cd "$WORK" && ./node bench-target.mjs nvidia ${BENCH_ARGS:-} > "$OUT/result.json")
rc=$?
echo "exit $rc"
tail -c 4000 "$OUT/result.json"
exit $rc
