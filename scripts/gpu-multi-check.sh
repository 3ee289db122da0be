#!/usr/bin/env bash
# On a machine with two or more GPUs: device=0,1 against device=0. MultiGpuTest (the same detections on coco128
# val2017), then images/s over those images with one engine and with one engine per GPU, batch 8.
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-multi-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-multi}; mkdir -p "$out"
. scripts/java-cp.sh
export YOLO_TRT_CACHE=${YOLO_TRT_CACHE:-$PWD/$out/cache}
say() { echo "$(date -u +%T) $*" | tee -a "$out/summary.txt"; }

java -cp "$cp:$(ls "$lib"/junit-platform-console-standalone-*.jar)" org.junit.platform.console.ConsoleLauncher execute \
  --select-class dev.yolotrt.gpu.MultiGpuTest --details=tree --disable-banner > "$out/gpu-tests.log" 2>&1
say "MultiGpuTest rc=$?"; grep -E "tests (successful|failed)|✘|device=0,1" "$out/gpu-tests.log" | tee -a "$out/summary.txt"

engine=$(ls "$YOLO_TRT_CACHE"/engines/yolov8n-fp32-b8-640-dynamic.engine)
for d in 0 0,1; do
  cli benchmark model="$engine" source="$YOLO_TRT_DATASETS/coco128/images/val2017" batch=8 device=$d project="$out" \
    name="throughput-${d/,/-}" exist_ok=true > "$out/throughput-${d/,/-}.log" 2>&1
  say "benchmark source=val2017 device=$d rc=$?"; grep -v "^\s*$" "$out/throughput-${d/,/-}.log" | tail -6 | tee -a "$out/summary.txt"
done
