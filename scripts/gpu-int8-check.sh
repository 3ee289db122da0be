#!/usr/bin/env bash
# On a GPU machine (Java 17, TensorRT 10.6 + CUDA 12 runtime staged, see docs/benchmarks.md): issue 25's measurements
# in one run of about 5 minutes with a warm timing cache. yolov8n, batch 8, INT8 calibrated on coco128 train2017,
# every engine scored on coco128 val2017 (docs/int8.md explains the rows).
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-int8-check.sh [OUT_DIR]
#
# The timing cache .gpu/nvidia-h200-sm-90_trt10.6.0.cache, where the checkout has one, seeds the run's cache.
# OPT_LEVELS=2,3 adds cold FP16 builds (OPT_PRECISION=fp16, the strongly typed default, or fp16-flags) at those levels against level 3 (minutes each: not in the 5-minute budget);
# AUTO=1 adds Int8Tuning.auto(maxLoss 0.003, maxSlowdown 1.15) on Q/DQ INT8 (about a dozen builds).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-int8}"
: > "$out/summary.txt"
mkdir -p "$YOLO_TRT_CACHE/timing"
for c in .gpu/*_trt10.6.0.cache; do [ -f "$c" ] && cp -n "$c" "$YOLO_TRT_CACHE/timing/"; done
say "== $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null) | timing caches: $(ls "$YOLO_TRT_CACHE/timing" | tr '\n' ' ')"

# 1. Q/DQ INT8 vs implicit INT8 vs FP16, strongly typed FP16 vs FP16; the Q/DQ engine's layer report;
#    the head's convolutions in fp16_layers of an implicit INT8 engine, shown by the report (acceptance 1, 3, 5).
t0=$(date +%s)
junit "$out/int8-gpu-tests.log" dev.yolotrt.gpu.Int8GpuTest
say "Int8GpuTest rc=$? in $(( $(date +%s) - t0 )) s"
# The tests' tables (engines measured; layers per block and precision), the ISSUE25 lines, and the test verdicts.
grep -E "^ *(Group|precision|opt_level|int8|fp16 block|greedy|reference|Block|stem|backbone|neck|head box|head cls|head|other) +\||ISSUE25|tests (successful|failed|skipped)|✘|WARNING layer" \
  "$out/int8-gpu-tests.log" | head -120 | tee -a "$out/summary.txt"

# 2. The Q/DQ ONNX through the CLI, as a user makes it (ONNX Runtime, CPU side of the machine).
t0=$(date +%s)
cp -f "$YOLO_TRT_MODELS/yolov8n.onnx" "$out/yolov8n.onnx"
cli export model="$out/yolov8n.onnx" format=onnx int8=true data=coco128-val2017.yaml split=train fraction=0.25 > "$out/export-onnx.log" 2>&1
say "export format=onnx int8=true: rc=$? in $(( $(date +%s) - t0 )) s; $(grep -o 'Q/DQ export success.*' "$out/export-onnx.log")"
ls -la "$out"/*.layers.json "$YOLO_TRT_CACHE"/engines/*.layers.json 2>/dev/null | tail -8 | tee -a "$out/summary.txt"
