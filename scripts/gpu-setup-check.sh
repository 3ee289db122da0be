#!/usr/bin/env bash
# Acceptance 4 of issue 23 on a GPU machine with only the NVIDIA driver and Java 17: TensorRT and CUDA come from
# bytedeco's redist jars (the gpu profile), nothing from LD_LIBRARY_PATH or /opt/trt.
#
#   On a machine with Maven (network once):  ./yolo-trt setup gpu      (toolkit/target: the jar and lib/, 3 GB)
#   Carry toolkit/target/yolo-trt.jar and toolkit/target/lib/ to the GPU machine, then, from the repository root:
#   YOLO_TRT_MODELS=/path/with/yolov8n.pt YOLO_TRT_ASSETS=/path/with/bus.jpg scripts/gpu-setup-check.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-setup-check}; mkdir -p "$out"
export YOLO_TRT_CACHE=${YOLO_TRT_CACHE:-$PWD/$out/cache}
ls toolkit/target/lib/tensorrt-*-redist.jar toolkit/target/lib/cuda-*-redist.jar >/dev/null || { echo "no redist jars in toolkit/target/lib: run ./yolo-trt setup gpu first" >&2; exit 1; }
# Nothing installed by hand may take part: no library path, a fresh JavaCPP cache.
unset LD_LIBRARY_PATH
export JAVA_TOOL_OPTIONS="-Dorg.bytedeco.javacpp.cachedir=$PWD/$out/javacpp-cache"
cli() { java -jar toolkit/target/yolo-trt.jar "$@"; }
{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)"
  cli version
  cli export model=yolov8n.pt format=engine half=true; echo "export rc=$?"
  cli predict model=yolov8n.engine source=bus.jpg project="$out" name=predict exist_ok=true; echo "predict rc=$?"
  echo "libraries JavaCPP extracted:"; find "$out/javacpp-cache" -name '*.so*' -printf '  %f\n' | sort
} 2>&1 | tee "$out/summary.txt"
