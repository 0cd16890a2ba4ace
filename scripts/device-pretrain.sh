#!/usr/bin/env bash
# Trains a GPU pre-training stage of the built-in model (scripts/pretrain-device.ts) on a lent
# machine, in one call, from the kit `scripts/pack-device-kit.sh --pretrain N` made:
#   run(command: "bash scripts/device-pretrain.sh", carry: [".cache/device-kit"], timeout_s: 590)
# It first trains PROBE_STEPS steps to measure the machine, then starts the stage afresh with as
# many steps as fit TRAIN_SECONDS (at most the stage's own), so the learning-rate schedule spans
# the run that actually happens. Back under $OUT (at most 8 files of 16 MiB): log.txt, steps.jsonl
# (the loss per step), pretrain.json, state.json, SHA256SUMS and the checkpoint's tensors in
# pieces, which `--pretrain import-device DIR --stage N` joins and checks here.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
# shellcheck source=scripts/device-env.sh
source scripts/device-env.sh
TRAIN_SECONDS=${TRAIN_SECONDS:-480}
PROBE_STEPS=${PROBE_STEPS:-8}
for f in pretrain.json train-args.txt cli.mjs data.jsonl.xz; do
  [ -f "$KIT/$f" ] || { echo "the kit has no $f: run scripts/pack-device-kit.sh --pretrain N"; exit 2; }
done
started=$(date +%s)
cp "$KIT/cli.mjs" "$WORK/" && xz -dc "$KIT/data.jsonl.xz" > "$WORK/data.jsonl"
field() { "$WORK/node" -p "require('$KIT/pretrain.json').$1"; }
[ "$(sha256sum "$WORK/data.jsonl" | cut -d' ' -f1)" = "$(field dataSha256)" ] || { echo "data.jsonl.xz does not unpack to the rows the kit was made from"; exit 4; }
[ "$(sha256sum "$(field startModel)/model.safetensors" | cut -d' ' -f1)" = "$(field startModelSha256)" ] || { echo "$(field startModel) holds other weights than the kit was made for: pack it again"; exit 4; }
MAX_STEPS=$(field maxSteps)
echo "$(field stage): up to $MAX_STEPS steps in ${TRAIN_SECONDS} s"

mapfile -t TEMPLATE < "$KIT/train-args.txt"
args_for() {
  local a
  for a in "${TEMPLATE[@]}"; do
    a=${a//@REPO@/$REPO}; a=${a//@DATA@/$WORK/data.jsonl}; a=${a//@OUT@/$2}; a=${a//@STEPS@/$1}
    printf '%s\n' "$a"
  done
}

# The probe: seconds per step over steps 3..N (the first ones compile the pipelines).
mapfile -t PROBE < <(args_for "$PROBE_STEPS" "$WORK/probe")
(cd "$WORK" && ./node cli.mjs "${PROBE[@]}") | while read -r line; do echo "$(date +%s.%N) $line"; done > "$WORK/probe.txt"
[ "$(wc -l < "$WORK/probe.txt")" -ge 4 ] || { echo "probe: fewer than 4 steps ran"; cat "$WORK/probe.txt"; exit 5; }
per_step=$(awk 'NR==3{t0=$1} {t=$1; n=NR} END{printf "%.4f", (t-t0)/(n-3)}' "$WORK/probe.txt")
elapsed=$(( $(date +%s) - started ))
# What the probe's process spent before its first step (loading, compiling) is paid again.
startup=$(awk -v s="$started" 'NR==1{printf "%d", $1-s}' "$WORK/probe.txt")
steps=$(awk -v left=$((TRAIN_SECONDS - elapsed - startup - 20)) -v p="$per_step" -v m="$MAX_STEPS" 'BEGIN{n=int(left/p); if(n>m)n=m; if(n<0)n=0; print n}')
echo "probe: ${per_step} s per step (${PROBE_STEPS} steps, ${elapsed} s with start-up)"
echo "sized: $steps steps"
[ "$steps" -ge 1 ] || { echo "no time left for a run"; exit 5; }

mapfile -t RUN < <(args_for "$steps" "$WORK/run")
(cd "$WORK" && timeout $((TRAIN_SECONDS - elapsed + 60)) ./node cli.mjs "${RUN[@]}") > "$OUT/steps.jsonl"
rc=$?
echo "train exit $rc after $(( $(date +%s) - started )) s; $(wc -l < "$OUT/steps.jsonl") steps logged"

ck="$WORK/run/checkpoint"
[ -f "$ck/state.json" ] || { echo "no checkpoint was written"; exit 6; }
cp "$ck/state.json" "$KIT/pretrain.json" "$OUT/"
(cd "$ck" && sha256sum tensors.safetensors) > "$OUT/SHA256SUMS"
split -b 15M -d -a 2 "$ck/tensors.safetensors" "$OUT/tensors.part-"
ls -la "$OUT"
exit $rc
