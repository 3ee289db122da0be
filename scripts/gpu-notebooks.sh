#!/usr/bin/env bash
# Executes notebooks 02-04 on a GPU machine with the headless runner and writes them back with their
# outputs (Java 17 and TensorRT 10.6 + the CUDA 12 runtime on PATH / LD_LIBRARY_PATH, as for gpu-check.sh).
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-notebooks.sh [OUT_DIR]      (NOTEBOOKS="04-benchmark-and-map ..." picks some)
#
# 04 builds the engines (or reuses them from $YOLO_TRT_CACHE/engines), one after another: builds run side by
# side time their tactics on a shared GPU and took 3x longer each (FP16 970 s instead of ~350 s).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-notebooks}"

say "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null) | $(java -version 2>&1 | head -1)"
for nb in ${NOTEBOOKS:-04-benchmark-and-map 02-export-tensorrt 03-int8-calibration-tuning}; do
  cli notebook run "notebooks/$nb.ipynb" "$out/$nb.ipynb" > "$out/$nb.log" 2>&1
  say "$nb rc=$? $(tail -1 "$out/$nb.log")"
done
