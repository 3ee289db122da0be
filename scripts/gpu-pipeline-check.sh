#!/usr/bin/env bash
# On a GPU machine: the pipeline of issue 12, yolov8n 640, dynamic batch 1..8.
#  1. benchmark FP32 and FP16: engine alone, end-to-end on decoded images with the host letterbox and with
#     gpu_preprocess=true, batch 1 and 8 (1000 calls each), mAP50-95 on coco128 val2017;
#  2. DeviceLetterboxGpuTest (kernel vs host letterbox within 1/255 on the photos and coco128 val2017, predictions
#     equal), MultiGpuTest (device=0,1 gives one GPU's detections; skipped on one GPU);
#  3. val on coco128 val2017 with the host letterbox, gpu_preprocess=true, and gpu_decode=true too (mAP50-95 must not move);
#  4. images/s over 1,024 COCO JPEGs (coco128 train2017 + val2017, four times) with the FP16 engine on 16 cores (taskset):
#     host letterbox, gpu_preprocess=true, gpu_decode=true too; with two or more GPUs device=0,1 on 32 cores; then on
#     every core.
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-pipeline-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-pipeline}"
# The GPUs this process sees (nvidia-smi lists all of them, whatever CUDA_VISIBLE_DEVICES says).
gpus=$(if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then echo "$CUDA_VISIBLE_DEVICES" | tr ',' '\n' | wc -l; else nvidia-smi -L | wc -l; fi)
say "== $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1) x $gpus, $(nproc) cores"

cli benchmark model=yolov8n.onnx batch=8 precisions=fp32,fp16 iters=1000 data=coco128-val2017.yaml project="$out" name=e2e \
  exist_ok=true > "$out/e2e.log" 2>&1
say "benchmark fp32,fp16 rc=$?"; sed -n '/benchmark on/,$p' "$out/e2e.log" | tee -a "$out/summary.txt"

for t in DeviceLetterboxGpuTest MultiGpuTest; do
  junit "$out/$t.log" dev.yolotrt.gpu.$t
  say "$t rc=$?"; grep -E "tests (successful|failed|aborted)|✘|Device letterbox|gpu_preprocess|device=0,1" "$out/$t.log" | tee -a "$out/summary.txt"
done

engine=$YOLO_TRT_CACHE/engines/yolov8n-fp16-b8-640-dynamic.engine
for g in "gpu_preprocess=false gpu_decode=false" "gpu_preprocess=true gpu_decode=false" "gpu_preprocess=true gpu_decode=true"; do
  name=val-$(echo "$g" | tr ' =' '--')
  cli val model="$engine" data=coco128-val2017.yaml batch=8 $g > "$out/$name.log" 2>&1
  say "val coco128 val2017 fp16 $g rc=$?"; grep -E "^\s+all|Speed" "$out/$name.log" | tee -a "$out/summary.txt"
done

jpgs=$out/jpg1024; mkdir -p "$jpgs"
for k in 1 2 3 4; do
  for f in "$YOLO_TRT_DATASETS"/coco128/images/train2017/*.jpg "$YOLO_TRT_DATASETS"/coco128/images/val2017/*.jpg; do
    ln -sf "$f" "$jpgs/$k-$(basename "$f")"
  done
done
say "throughput folder: $(ls "$jpgs" | wc -l) JPEGs"
# The issue's targets are per GPU count with 16 cores a GPU: the JVM sees 16 (or 32) cores through taskset, so it decodes on
# that many threads; the last run uses every core of the machine.
cores() { echo "0-$(( $1 * 16 - 1 ))"; }
runs="1:device=0:gpu_preprocess=false:gpu_decode=false 1:device=0:gpu_preprocess=true:gpu_decode=false 1:device=0:gpu_preprocess=true:gpu_decode=true"
[ "$gpus" -ge 2 ] && runs="$runs 2:device=0,1:gpu_preprocess=true:gpu_decode=true"
runs="$runs all:device=0:gpu_preprocess=true:gpu_decode=true"
for r in $runs; do
  n=${r%%:*}; r=${r#*:}
  name=$(echo "$r" | tr ':=,' '---')-cores-$n
  set -- $( [ "$n" = all ] || echo taskset -c "$(cores "$n")" )
  "$@" java -cp "$cp" dev.yolotrt.cli.Main benchmark model="$engine" source="$jpgs" batch=8 ${r//:/ } project="$out" name="$name" exist_ok=true > "$out/$name.log" 2>&1
  say "benchmark source=jpg1024 ${r//:/ } cores=$n rc=$?"; grep -v "^\s*$" "$out/$name.log" | tail -6 | tee -a "$out/summary.txt"
done
