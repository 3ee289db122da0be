#!/usr/bin/env bash
# On a GPU machine (Java 17, TensorRT 10.6 + CUDA 12 runtime staged, see docs/benchmarks.md): the checks
# of the safe core. Native memory given back (NativeLifetimeGpuTest), FP32 engine vs CPU, annotated
# images saved by the plain JRE (no font libraries), batch-1 end-to-end jitter over 1000 calls.
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-core-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-core-check}; mkdir -p "$out"
. scripts/java-cp.sh
summary=$out/summary.txt; : > "$summary"
say() { echo "$*" | tee -a "$summary"; }
export YOLO_TRT_CACHE=${YOLO_TRT_CACHE:-$PWD/$out/cache}

say "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null) | $(java -version 2>&1 | head -1)"
ls /opt/jre/lib/libfontmanager.so >/dev/null 2>&1 && { ldd /opt/jre/lib/libfontmanager.so | grep -q "not found" && say "JRE font libraries: missing (as on a slim server)"; }

# 1. The FP32 engine the tests and the benchmark share (cold timing cache: the long step).
t0=$(date +%s)
cli export model=yolov8n.onnx batch=8 dynamic=true > "$out/export.log" 2>&1; say "export fp32 b8: rc=$? $(( $(date +%s) - t0 )) s"

# 2. GPU tests: native lifetimes, FP32 against the CPU.
# The launcher on the class path itself, so JShell cells inside the tests see the toolkit too.
# A fixed, pre-touched heap, so that RSS minus the heap is the memory native code holds.
java -Xms4g -Xmx4g -XX:+AlwaysPreTouch -Djava.security.manager=allow -cp "$cp:$(ls "$lib"/junit-platform-console-standalone-*.jar)" org.junit.platform.console.ConsoleLauncher execute \
  --select-class dev.yolotrt.gpu.NativeLifetimeGpuTest --select-method dev.yolotrt.gpu.TensorRtGpuTest#fp32AgreesWithTheCpuWithinOnePixel \
  --details=tree --disable-banner > "$out/gpu-tests.log" 2>&1
say "gpu tests rc=$?"; grep -E "tests (successful|failed)|✘|LEAK" "$out/gpu-tests.log" | tee -a "$summary"

# 3. Annotated images from an engine with the plain JRE.
cli predict model="$YOLO_TRT_MODELS/yolov8n.engine" source="$YOLO_TRT_ASSETS" project="$out" name=predict exist_ok=true > "$out/predict.log" 2>&1
say "predict save=true with the engine: rc=$? $(ls "$out/predict" 2>/dev/null | wc -l) images saved"; head -3 "$out/predict.log" | tee -a "$summary"

# 4. Batch-1 and batch-8 end-to-end over 1000 calls each (mean / min / max in the table).
cli benchmark model=yolov8n.onnx batch=8 precisions=fp32 iters=1000 project="$out" name=benchmark exist_ok=true > "$out/benchmark.log" 2>&1
say "benchmark rc=$?"; sed -n '/benchmark on/,$p' "$out/benchmark.log" | tee -a "$summary"
