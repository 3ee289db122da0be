#!/usr/bin/env bash
# On a GPU machine: the benchmark table on held-out images. FP32 / FP16 / INT8 engines of yolov8n, INT8
# calibrated on coco128 train2017 (split=train), every mAP scored on coco128 val2017 (898 boxes).
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-coco128-bench.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-coco128}"
cli benchmark model=yolov8n.onnx batch=8 data=coco128-val2017.yaml split=train precisions=fp32,fp16,int8 \
  project="$out" name=benchmark exist_ok=true > "$out/benchmark.log" 2>&1
echo "coco128 benchmark rc=$?" | tee -a "$out/summary.txt"; sed -n '/benchmark on/,$p' "$out/benchmark.log" | tee -a "$out/summary.txt"
