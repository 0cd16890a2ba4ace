# Sourced by scripts/device-bench.sh and scripts/device-pretrain.sh on a lent GPU machine: unpacks
# the kit that scripts/pack-device-kit.sh made (Node, the `webgpu` package, Debian's libvulkan1)
# into $WORK, finds the machine's NVIDIA Vulkan driver, and exports what Dawn needs to open it.
# VK_ICD_FILENAMES set beforehand wins, so the same scripts run here on lavapipe or SwiftShader.
# Sets KIT, OUT, WORK; sends everything printed after it to $OUT/log.txt as well.
KIT=$(pwd)/.cache/device-kit
OUT=${OUT:-$(pwd)/device-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1

[ -f "$KIT/node.xz" ] || { echo "no kit at $KIT: run scripts/pack-device-kit.sh and carry .cache/device-kit"; exit 2; }
WORK=$(mktemp -d)
xz -dc "$KIT/node.xz" > "$WORK/node" && chmod +x "$WORK/node"
tar -xJf "$KIT/webgpu.tar.xz" -C "$WORK"

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
[ -n "$icd" ] || { echo "no Vulkan driver (NVIDIA ICD) on this machine"; exit 3; }

export VK_ICD_FILENAMES="$icd" XDG_RUNTIME_DIR=/tmp
export LD_LIBRARY_PATH="$KIT/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
