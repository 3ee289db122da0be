#!/usr/bin/env bash
# On a GPU machine: the pipeline of issue 12. DeviceLetterboxGpuTest (kernel vs host letterbox within 1/255 on the photos
# and coco128 val2017, predictions equal with and without it), MultiGpuTest (device=0,1 gives one GPU's detections; skipped
# on one GPU), then images/s over coco128 val2017 at batch 8: host letterbox, gpu_preprocess=true, and with two or more
# GPUs device=0,1.
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-pipeline-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-pipeline}; mkdir -p "$out"
. scripts/java-cp.sh
export YOLO_TRT_CACHE=${YOLO_TRT_CACHE:-$PWD/$out/cache}
say() { echo "$(date -u +%T) $*" | tee -a "$out/summary.txt"; }

for t in DeviceLetterboxGpuTest MultiGpuTest; do
  junit "$out/$t.log" dev.yolotrt.gpu.$t
  say "$t rc=$?"; grep -E "tests (successful|failed|aborted)|✘|Device letterbox|gpu_preprocess|device=0,1" "$out/$t.log" | tee -a "$out/summary.txt"
done

engine=$(ls "$YOLO_TRT_CACHE"/engines/yolov8n-fp32-b8-640-dynamic.engine)
runs="device=0:gpu_preprocess=false device=0:gpu_preprocess=true"
[ "$(nvidia-smi -L | wc -l)" -ge 2 ] && runs="$runs device=0,1:gpu_preprocess=false device=0,1:gpu_preprocess=true"
for r in $runs; do
  name=$(echo "$r" | tr ':=,' '---')
  cli benchmark model="$engine" source="$YOLO_TRT_DATASETS/coco128/images/val2017" batch=8 ${r/:/ } project="$out" name="$name" \
    exist_ok=true > "$out/$name.log" 2>&1
  say "benchmark source=val2017 ${r/:/ } rc=$?"; grep -v "^\s*$" "$out/$name.log" | tail -6 | tee -a "$out/summary.txt"
done
