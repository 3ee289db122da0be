#!/usr/bin/env bash
# The GPU checks still owed, in four lanes run side by side, one per GPU (engine builds take 150-550 s each and time
# their kernels on the GPU they run on: on one GPU, run the lanes one after another). Each lane has its own cache.
# Staged as docs/benchmarks.md says (base, deps, data with coco128, and fonts from scripts/gpu-fonts.sh for the notebooks):
#
#   YOLO_TRT_LIB=/opt/deps YOLO_TRT_MODELS=... YOLO_TRT_DATASETS=... YOLO_TRT_ASSETS=... setsid scripts/gpu-lanes.sh OUT_DIR &
#
# lane 0: safe core (fixed heap, three rounds); lane 1: notebooks 04 and 03 on coco128; lanes 2 and 3: the task tables
# (FP16, FP32, INT8); then, with every GPU free, the pipeline (device letterbox, device=0,1).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-lanes}; mkdir -p "$out"
ngpu=$(nvidia-smi -L | wc -l)
lane() {
  local l=$1
  case $l in
    0) scripts/gpu-core-check.sh "$out/core" ;;
    1) NOTEBOOKS="04-benchmark-and-map 03-int8-calibration-tuning" scripts/gpu-notebooks.sh "$out/notebooks" ;;
    2) scripts/gpu-tasks-check.sh "$out/tasks-a" yolo11n-seg.onnx yolo11n-320.onnx yolo11n-cls-dogcat.onnx ;;
    3) scripts/gpu-tasks-check.sh "$out/tasks-b" yolo11n-pose.onnx yolov8n-obb-dota8.onnx yolov8n-cls-waste.onnx ;;
  esac
}
for g in $(seq 0 $((ngpu - 1))); do
  (
    for l in 0 1 2 3; do
      [ $((l % ngpu)) -eq "$g" ] || continue
      echo "$(date -u +%T) lane $l on GPU $g" >> "$out/lanes.log"
      CUDA_VISIBLE_DEVICES=$g YOLO_TRT_CACHE=$PWD/$out/cache-$l lane $l > "$out/lane-$l.log" 2>&1
      echo "$(date -u +%T) lane $l done rc=$?" >> "$out/lanes.log"
    done
  ) &
done
wait
# The pipeline with every GPU free (device=0,1 needs two), on lane 0's FP32 engine.
YOLO_TRT_CACHE=$PWD/$out/cache-0 scripts/gpu-pipeline-check.sh "$out/pipeline" > "$out/pipeline.log" 2>&1
echo "$(date -u +%T) pipeline done rc=$?" >> "$out/lanes.log"
echo "$(date -u +%T) all done" >> "$out/lanes.log"
