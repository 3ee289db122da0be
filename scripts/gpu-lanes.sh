#!/usr/bin/env bash
# The GPU checks still owed, in four lanes run side by side on a four-GPU machine, one lane per GPU (engine builds take
# 150-550 s each from a cold timing cache and time their kernels on the GPU they run on). The lanes share one timing
# cache (each build merges what the others saved meanwhile) and lanes 2 and 3 share their engines:
#
#   lane 0: the safe core (gpu-core-check.sh), then the pipeline (gpu-pipeline-check.sh) on GPU 0
#   lane 1: notebook 04 on GPUs 1 and 0 (its throughput section compares one GPU with two)
#   lane 2: notebook 03 on GPU 2
#   lane 3: notebook 03's INT8 engines from the last to the first (scripts/gpu-prebuild-03.ipynb, into lane 2's engine
#           cache: the two meet halfway), then the segment and YOLO11-320 task tables (FP16)
#   then on GPUs 0 and 1: MultiGpuTest and images/s with device=0,1.
#
# Staged as docs/benchmarks.md says (base, deps, data with coco128, fonts from scripts/gpu-fonts.sh for the charts):
#
#   YOLO_TRT_LIB=/opt/deps YOLO_TRT_MODELS=... YOLO_TRT_DATASETS=... YOLO_TRT_ASSETS=... setsid scripts/gpu-lanes.sh OUT_DIR &
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-lanes}; mkdir -p "$out/timing"; out=$(cd "$out" && pwd)
. scripts/java-cp.sh
log() { echo "$(date -u +%T) $*" >> "$out/lanes.log"; }
cache() { mkdir -p "$out/cache-$1"; ln -sfn "$out/timing" "$out/cache-$1/timing"; echo "$out/cache-$1"; }
# The charts' text needs font libraries a slim JRE lacks (scripts/gpu-fonts.sh); annotated images do not, so only the notebooks get them.
fonts() { LD_LIBRARY_PATH=${FONTS:-/opt/fonts}/lib:${LD_LIBRARY_PATH:-} FONTCONFIG_FILE=${FONTS:-/opt/fonts}/fonts.conf "$@"; }
lane() {
  case $1 in
    0) CUDA_VISIBLE_DEVICES=0 YOLO_TRT_CACHE=$(cache 0) scripts/gpu-core-check.sh "$out/core"
       CUDA_VISIBLE_DEVICES=0 YOLO_TRT_CACHE=$(cache 0) scripts/gpu-pipeline-check.sh "$out/pipeline" ;;
    1) CUDA_VISIBLE_DEVICES=1,0 YOLO_TRT_CACHE=$(cache 1) NOTEBOOKS=04-benchmark-and-map fonts scripts/gpu-notebooks.sh "$out/notebooks" ;;
    2) CUDA_VISIBLE_DEVICES=2 YOLO_TRT_CACHE=$(cache 23) NOTEBOOKS=03-int8-calibration-tuning fonts scripts/gpu-notebooks.sh "$out/notebooks" ;;
    3) CUDA_VISIBLE_DEVICES=3 YOLO_TRT_CACHE=$(cache 23) cli notebook run scripts/gpu-prebuild-03.ipynb "$out/prebuild.ipynb" > "$out/prebuild.log" 2>&1
       log "prebuild rc=$?"
       CUDA_VISIBLE_DEVICES=3 YOLO_TRT_CACHE=$(cache 3) PRECISIONS=fp16 scripts/gpu-tasks-check.sh "$out/tasks" yolo11n-seg.onnx yolo11n-320.onnx ;;
  esac
}
for l in 0 1 2 3; do
  ( log "lane $l start"; lane $l > "$out/lane-$l.log" 2>&1; log "lane $l done rc=$?"; touch "$out/lane-$l.done" ) &
done
while [ ! -f "$out/lane-0.done" ] || [ ! -f "$out/lane-1.done" ]; do sleep 5; done
multi=$out/multi; mkdir -p "$multi"
export CUDA_VISIBLE_DEVICES=0,1 YOLO_TRT_CACHE=$out/cache-0
junit "$multi/MultiGpuTest.log" dev.yolotrt.gpu.MultiGpuTest; log "MultiGpuTest rc=$?"
grep -E "tests (successful|failed|aborted)|✘|device=0,1" "$multi/MultiGpuTest.log" >> "$out/lanes.log"
for g in false true; do
  cli benchmark model="$YOLO_TRT_CACHE/engines/yolov8n-fp16-b8-640-dynamic.engine" source="$out/pipeline/jpg1024" batch=8 device=0,1 \
    gpu_preprocess=$g project="$multi" name=two-gpus-$g exist_ok=true > "$multi/two-gpus-$g.log" 2>&1
  log "benchmark source=jpg1024 device=0,1 gpu_preprocess=$g rc=$?"; grep -v "^\s*$" "$multi/two-gpus-$g.log" | tail -5 >> "$out/lanes.log"
done
wait
log "all done"
