#!/usr/bin/env bash
# Runs the Node benchmark (bench/target.ts) on a lent GPU machine from the kit that
# scripts/pack-device-kit.sh made, against the machine's own Vulkan driver (NVIDIA's ICD), and
# writes the result JSON and the log under $OUT (or ./device-out). One call does everything:
#   run(command: "bash scripts/device-bench.sh", carry: [".cache/device-kit"], timeout_s: 420)
# BENCH_ARGS passes options to the target (e.g. "--matmul-only").
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/device-env.sh
source scripts/device-env.sh
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null || echo "torch: not available"
[ -f "$KIT/bench-target.mjs" ] || { echo "the kit has no bench-target.mjs: run scripts/pack-device-kit.sh"; exit 2; }
cp "$KIT/bench-target.mjs" "$WORK/"
# shellcheck disable=SC2086
(cd "$WORK" && ./node bench-target.mjs nvidia ${BENCH_ARGS:-} > "$OUT/result.json")
rc=$?
echo "exit $rc"
tail -c 4000 "$OUT/result.json"
exit $rc
