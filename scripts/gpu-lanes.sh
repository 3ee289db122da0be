#!/usr/bin/env bash
# GPU checks in four lanes run side by side on a four-GPU machine, one lane per GPU (engine builds take 150-550 s each
# from a cold timing cache and time their kernels on the GPU they run on). The lanes share one timing cache (each build
# merges what the others saved meanwhile). Then, on GPU 0 and the GPU of the first other lane to finish: MultiGpuTest and
# images/s with device=0,1.
#
# PLAN=notebooks (the run of 2026-11-27 in docs/benchmarks.md):
#   lane 0: the safe core (gpu-core-check.sh), then the pipeline (gpu-pipeline-check.sh) on GPU 0
#   lane 1: notebook 04 on GPUs 1 and 0 (its throughput section compares one GPU with two)
#   lane 2: notebook 03 on GPU 2
#   lane 3: notebook 03's INT8 engines from the last to the first (scripts/gpu-prebuild-03.ipynb, into lane 2's engine
#           cache: the two meet halfway), then the segment and YOLO11-320 task tables (FP16)
# PLAN=owed (what that run left): lane 0 the pipeline again (gpu_decode, decoding on every core); lane 1 YOLO11-320 in
#   FP16 / FP32 / INT8 and segment in FP32 / INT8; lane 2 pose and OBB in FP32 / INT8; lane 3 the classifiers in FP32 / INT8
#   (and their FP32 engines against the CPU with the 1e-3 rule).
# PLAN=graph (two GPUs, 32 cores: one graph per batch): lane 0 DeviceLetterboxGpuTest, then the pipeline on GPU 0 (cores
#   0-15); lane 1 (cores 16-31) segment, pose, OBB and a classifier in FP16 against the CPU, then TensorRtGpuTest and
#   NativeLifetimeGpuTest on lane 0's engines.
#
# Staged as docs/benchmarks.md says (base, deps, data with coco128, fonts from scripts/gpu-fonts.sh for the charts):
#
#   YOLO_TRT_LIB=/opt/deps YOLO_TRT_MODELS=... YOLO_TRT_DATASETS=... YOLO_TRT_ASSETS=... PLAN=owed setsid scripts/gpu-lanes.sh OUT_DIR &
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/gpu-lanes}; mkdir -p "$out/timing"; out=$(cd "$out" && pwd)
. scripts/java-cp.sh
log() { echo "$(date -u +%T) $*" >> "$out/lanes.log"; }
cache() { mkdir -p "$out/cache-$1"; ln -sfn "$out/timing" "$out/cache-$1/timing"; echo "$out/cache-$1"; }
# The charts' text needs font libraries a slim JRE lacks (scripts/gpu-fonts.sh); annotated images do not, so only the notebooks get them.
fonts() { LD_LIBRARY_PATH=${FONTS:-/opt/fonts}/lib:${LD_LIBRARY_PATH:-} FONTCONFIG_FILE=${FONTS:-/opt/fonts}/fonts.conf "$@"; }
plan=${PLAN:-notebooks}
# Lane 0 times images/s on 16 or 32 cores (taskset); the task lanes keep to the other 32 of 64 cores, or the other 16 of 32.
pin() { case $(nproc) in 6[4-9]|[7-9]?|???) taskset -c 32-63 "$@" ;; 3[2-9]|[4-5]?|6[0-3]) taskset -c 16-31 "$@" ;; *) "$@" ;; esac; }
tasks() { local g=$1 p=$2; shift 2; CUDA_VISIBLE_DEVICES=$g YOLO_TRT_CACHE=$(cache "$g") PRECISIONS=$p pin scripts/gpu-tasks-check.sh "$out/tasks-$g" "$@"; }
lane() {
  case $plan-$1 in
    owed-0) CUDA_VISIBLE_DEVICES=0 YOLO_TRT_CACHE=$(cache 0) scripts/gpu-pipeline-check.sh "$out/pipeline" ;;
    owed-1) tasks 1 fp16,fp32,int8 yolo11n-320.onnx; tasks 1 fp32,int8 yolo11n-seg.onnx ;;
    owed-2) tasks 2 fp32,int8 yolo11n-pose.onnx yolov8n-obb-dota8.onnx ;;
    owed-3) TEST_PRECISIONS=fp16,fp32 tasks 3 fp32,int8 yolo11n-cls-dogcat.onnx yolov8n-cls-waste.onnx ;;
    graph-0) export CUDA_VISIBLE_DEVICES=0 YOLO_TRT_CACHE=$(cache 0)
       junit "$out/DeviceLetterboxGpuTest.log" dev.yolotrt.gpu.DeviceLetterboxGpuTest
       log "DeviceLetterboxGpuTest rc=$?"; grep -E "tests (successful|failed|aborted)|✘|Device letterbox|one graph|gpu_decode:" "$out/DeviceLetterboxGpuTest.log" >> "$out/lanes.log"
       scripts/gpu-pipeline-check.sh "$out/pipeline" ;;
    graph-1) [ "$(nproc)" -ge 32 ] && taskset -cp 16-31 $BASHPID > /dev/null
       TEST_PRECISIONS=fp16 tasks 1 fp16 yolo11n-seg.onnx yolo11n-pose.onnx yolov8n-obb-dota8.onnx yolo11n-cls-dogcat.onnx
       for t in TensorRtGpuTest NativeLifetimeGpuTest; do
         CUDA_VISIBLE_DEVICES=1 YOLO_TRT_CACHE=$out/cache-0 junit "$out/$t.log" dev.yolotrt.gpu.$t
         log "$t rc=$?"; grep -E "tests (successful|failed|aborted)|✘" "$out/$t.log" >> "$out/lanes.log"
       done ;;
    notebooks-0) CUDA_VISIBLE_DEVICES=0 YOLO_TRT_CACHE=$(cache 0) scripts/gpu-core-check.sh "$out/core"
       CUDA_VISIBLE_DEVICES=0 YOLO_TRT_CACHE=$(cache 0) scripts/gpu-pipeline-check.sh "$out/pipeline" ;;
    notebooks-1) CUDA_VISIBLE_DEVICES=1,0 YOLO_TRT_CACHE=$(cache 1) NOTEBOOKS=04-benchmark-and-map fonts scripts/gpu-notebooks.sh "$out/notebooks" ;;
    notebooks-2) CUDA_VISIBLE_DEVICES=2 YOLO_TRT_CACHE=$(cache 23) NOTEBOOKS=03-int8-calibration-tuning fonts scripts/gpu-notebooks.sh "$out/notebooks" ;;
    notebooks-3) CUDA_VISIBLE_DEVICES=3 YOLO_TRT_CACHE=$(cache 23) cli notebook run scripts/gpu-prebuild-03.ipynb "$out/prebuild.ipynb" > "$out/prebuild.log" 2>&1
       log "prebuild rc=$?"
       CUDA_VISIBLE_DEVICES=3 YOLO_TRT_CACHE=$(cache 3) PRECISIONS=fp16 scripts/gpu-tasks-check.sh "$out/tasks" yolo11n-seg.onnx yolo11n-320.onnx ;;
  esac
}
lanes="0 1 2 3"; [ "$plan" = graph ] && lanes="0 1"
for l in $lanes; do
  ( log "lane $l start"; lane $l > "$out/lane-$l.log" 2>&1; log "lane $l done rc=$?"; touch "$out/lane-$l.done" ) &
done
# Two GPUs for the multi-GPU step: lane 0's (it built the engine) and the first other lane's to finish.
second=
while [ ! -f "$out/lane-0.done" ] || [ -z "$second" ]; do
  sleep 5
  for l in ${lanes#0 }; do [ -z "$second" ] && [ -f "$out/lane-$l.done" ] && second=$l; done
done
multi=$out/multi; mkdir -p "$multi"
export CUDA_VISIBLE_DEVICES=0,$second YOLO_TRT_CACHE=$out/cache-0
junit "$multi/MultiGpuTest.log" dev.yolotrt.gpu.MultiGpuTest; log "MultiGpuTest rc=$?"
grep -E "tests (successful|failed|aborted)|✘|device=0,1" "$multi/MultiGpuTest.log" >> "$out/lanes.log"
runs="gpu_preprocess=false gpu_preprocess=true"
[ "$plan" = owed ] && runs="gpu_preprocess=true gpu_decode=true:gpu_preprocess=true"
[ "$plan" = graph ] && runs="gpu_preprocess=true"
for r in $runs; do
  name=two-gpus-$(echo "$r" | tr ':=' '--')
  # 16 cores a GPU, as the issue's targets; the decoding threads follow the cores the JVM sees.
  taskset -c 0-31 java -cp "$cp" dev.yolotrt.cli.Main benchmark model="$YOLO_TRT_CACHE/engines/yolov8n-fp16-b8-640-dynamic.engine" source="$out/pipeline/jpg1024" batch=8 device=0,1 \
    ${r//:/ } project="$multi" name="$name" exist_ok=true > "$multi/$name.log" 2>&1
  log "benchmark source=jpg1024 device=0,1 ${r//:/ } rc=$?"; grep -v "^\s*$" "$multi/$name.log" | tail -5 >> "$out/lanes.log"
done
wait
log "all done"
