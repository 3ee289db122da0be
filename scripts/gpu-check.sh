#!/usr/bin/env bash
# On a GPU machine with Java 17 and TensorRT 10.6 (+ CUDA 12 runtime) on PATH / LD_LIBRARY_PATH:
# times a cold and a warm-cache export, runs the GPU tests and the benchmark, prints one summary.
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-check.sh [OUT_DIR]
#
# YOLO_TRT_LIB: folder of the dependency jars and junit-platform-console-standalone (default toolkit/target/lib).
# YOLO_TRT_MODELS / YOLO_TRT_DATASETS / YOLO_TRT_ASSETS / YOLO_TRT_CACHE as for the CLI.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-check}; mkdir -p "$out"
. scripts/java-cp.sh
summary=$out/summary.txt; : > "$summary"
say() { echo "$*" | tee -a "$summary"; }

say "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null) | $(java -version 2>&1 | head -1)"

# 1. Timing cache: the same export twice from an empty cache folder.
export YOLO_TRT_CACHE=${YOLO_TRT_CACHE:-$PWD/$out/cache}
# SKIP_EXPORT=1 keeps the timing cache and skips this step (a second run on the same machine).
runs="cold warm"; [ -n "${SKIP_EXPORT:-}" ] && runs="" || rm -rf "$YOLO_TRT_CACHE/timing"
for run in $runs; do
  t0=$(date +%s.%N)
  cli export model=yolov8n.onnx batch=8 dynamic=true > "$out/export-$run.log" 2>&1; rc=$?
  t1=$(date +%s.%N)
  say "export fp32 batch=8 dynamic ($run timing cache): rc=$rc $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s; $(grep -o 'export success.*' "$out/export-$run.log")"
done

# 2. Benchmark (builds or reuses fp32/fp16/int8 engines in the engine cache).
cli benchmark model=yolov8n.onnx batch=8 data=coco8.yaml project="$out" name=benchmark exist_ok=true > "$out/benchmark.log" 2>&1
say "benchmark rc=$?"; sed -n '/benchmark on/,$p' "$out/benchmark.log" | tee -a "$summary"

# 3. GPU tests (reuse the benchmark's engines).
java -jar "$lib"/junit-platform-console-standalone-*.jar execute --class-path "$cp" --scan-class-path toolkit/target/test-classes \
  --include-tag gpu --exclude-tag gpu-nms --details=tree --disable-banner > "$out/gpu-tests.log" 2>&1
say "gpu tests rc=$?"; grep -E "tests (successful|failed)|✘|MethodSource" "$out/gpu-tests.log" | head -40 | tee -a "$summary"
grep -E "^(FP32|FP16|INT8) bus|INT8 rebuild" "$out/gpu-tests.log" | tee -a "$summary"

# 4. NMS inside the engine, last and alone: a TensorRT plugin crash must not take the other results with it.
java -jar "$lib"/junit-platform-console-standalone-*.jar execute --class-path "$cp" --scan-class-path toolkit/target/test-classes \
  --include-tag gpu-nms --details=tree --disable-banner > "$out/gpu-nms-tests.log" 2>&1
say "gpu nms tests rc=$?"; grep -E "tests (successful|failed)|^(FP16\+NMS) bus" "$out/gpu-nms-tests.log" | tee -a "$summary"
