#!/usr/bin/env bash
# On a GPU machine: the guide's first line without Python. yolov8n.pt converted in Java, exported to a TensorRT engine,
# and the engine's detections on bus.jpg beside those of yolov8n.onnx.
#
#   YOLO_TRT_LIB=/opt/deps scripts/gpu-pt-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-pt}"
t0=$(date +%s)
cli export model=yolov8n.pt format=engine > "$out/export.log" 2>&1; say "export model=yolov8n.pt format=engine: rc=$? $(( $(date +%s) - t0 )) s"
tail -3 "$out/export.log" | tee -a "$out/summary.txt"
engine=$(sed -n 's/^Exported .* -> //p' "$out/export.log")
for m in "$engine" yolov8n.onnx; do
  cli predict model="$m" source="$YOLO_TRT_ASSETS/bus.jpg" save=false save_txt=true save_conf=true project="$out" name="$(basename "$m")" exist_ok=true \
    > "$out/predict-$(basename "$m").log" 2>&1
  say "predict $m rc=$?"; cat "$out/$(basename "$m")"/labels/bus.txt | tee -a "$out/summary.txt"
done
