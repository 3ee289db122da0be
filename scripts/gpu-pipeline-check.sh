#!/usr/bin/env bash
# On a GPU machine: the device letterbox (issue 12's first step). DeviceLetterboxGpuTest (kernel vs host letterbox within
# 1/255 on the photos and coco128 val2017, predictions equal with and without it), then images/s over coco128 val2017
# with the host letterbox and with gpu_preprocess=true, batch 8.
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-pipeline-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-pipeline}; mkdir -p "$out"
. scripts/java-cp.sh
export YOLO_TRT_CACHE=${YOLO_TRT_CACHE:-$PWD/$out/cache}
say() { echo "$(date -u +%T) $*" | tee -a "$out/summary.txt"; }

java -cp "$cp:$(ls "$lib"/junit-platform-console-standalone-*.jar)" org.junit.platform.console.ConsoleLauncher execute \
  --select-class dev.yolotrt.gpu.DeviceLetterboxGpuTest --details=tree --disable-banner > "$out/gpu-tests.log" 2>&1
say "DeviceLetterboxGpuTest rc=$?"; grep -E "tests (successful|failed)|✘|Device letterbox|gpu_preprocess" "$out/gpu-tests.log" | tee -a "$out/summary.txt"

engine=$(ls "$YOLO_TRT_CACHE"/engines/yolov8n-fp32-b8-640-dynamic.engine)
for gp in false true; do
  cli benchmark model="$engine" source="$YOLO_TRT_DATASETS/coco128/images/val2017" batch=8 gpu_preprocess=$gp project="$out" \
    name="throughput-$gp" exist_ok=true > "$out/throughput-$gp.log" 2>&1
  say "benchmark source=val2017 gpu_preprocess=$gp rc=$?"; grep -v "^\s*$" "$out/throughput-$gp.log" | tail -6 | tee -a "$out/summary.txt"
done
