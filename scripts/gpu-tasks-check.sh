#!/usr/bin/env bash
# On a GPU machine: per model, the guide's task table (benchmark, batch 1; PRECISIONS, default fp16,fp32,int8, INT8
# calibrated on the task's own data), then that model's engines against the CPU (TasksGpuTest, reusing the engine; TEST_PRECISIONS,
# default fp16).
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-tasks-check.sh OUT_DIR [MODEL ...]
#   (default: all six task models; several GPUs: one call per GPU with CUDA_VISIBLE_DEVICES and its own models)
set -uo pipefail
TEST_PRECISIONS=${TEST_PRECISIONS:-fp16}
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-tasks}"; shift || true

# ImageNet-style folders of the photos for the classifiers (the hand-made sets of ClassifyValidatorTest).
cls=$PWD/$out/cls; rm -rf "$cls"
mkdir -p "$cls"/dogcat/val/{cats,dogs} "$cls"/waste/val/class{0,1,2,3,4,5,6,7,8,9}
cp "$YOLO_TRT_ASSETS"/{eagle,kite}.jpg "$cls"/dogcat/val/cats/; cp "$YOLO_TRT_ASSETS"/{dog,giraffe,zidane}.jpg "$cls"/dogcat/val/dogs/
cp "$YOLO_TRT_ASSETS"/bus.jpg "$cls"/waste/val/class6/; cp "$YOLO_TRT_ASSETS"/dog.jpg "$cls"/waste/val/class3/
cp "$YOLO_TRT_ASSETS"/eagle.jpg "$cls"/waste/val/class0/; cp "$YOLO_TRT_ASSETS"/giraffe.jpg "$cls"/waste/val/class1/
data_of() {
  case $1 in
    *-seg*) echo coco8-seg.yaml ;; *-pose*) echo coco8-pose.yaml ;; *-obb*) echo dota8.yaml ;;
    *cls-dogcat*) echo "$cls/dogcat" ;; *cls-waste*) echo "$cls/waste" ;; *) echo coco8.yaml ;;
  esac
}

models=("$@"); [ ${#models[@]} -gt 0 ] || models=(yolo11n-seg.onnx yolo11n-pose.onnx yolov8n-obb-dota8.onnx yolo11n-cls-dogcat.onnx
  yolov8n-cls-waste.onnx yolo11n-320.onnx)
for model in "${models[@]}"; do
  name=${model%.onnx}
  cli benchmark model="$model" data="$(data_of "$model")" batch=1 precisions="${PRECISIONS:-fp16,fp32,int8}" project="$out" name="$name" \
    exist_ok=true > "$out/$name.log" 2>&1
  say "benchmark $model rc=$?"; sed -n '/benchmark on/,$p' "$out/$name.log" | tee -a "$out/summary.txt"
  for p in ${TEST_PRECISIONS//,/ }; do
    junit "$out/$name-gpu-test-$p.log" dev.yolotrt.gpu.TasksGpuTest -Dyolo.tasks="$model" -Dyolo.precision="$p"
    say "TasksGpuTest $model $p rc=$?"; grep -E "tests (successful|failed)|✘|differences|^  " "$out/$name-gpu-test-$p.log" | head -30 | tee -a "$out/summary.txt"
  done
done
