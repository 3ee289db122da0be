#!/usr/bin/env bash
# On the GPU machine: the TensorRT 11.2 probe (docs/tensorrt11.md). Needs only the driver and the trt11 stage in
# /opt/trt11 (scripts/stage-trt11.sh, then ../shared/device/trt-stage.sh .trt11-stage-src trt11), which carries its
# own Java; JAVA=/opt/jre/bin/java (the base stage's) works as well.
#
#   scripts/gpu-trt11-probe.sh [OUT_DIR] [PROBE_OPTION ...]     # e.g. "$OUT/trt11" opt_level=1 verbose=true
#
# TRT11: the stage folder (default /opt/trt11). A probe jar built after staging (trt11-probe/target/trt11-probe.jar,
# carried with the working tree) replaces the staged one, so a fixed probe needs no new stage.
# Prints the probe's output and keeps it in OUT_DIR/probe.log with the engines and layers-*.json.
set -uo pipefail
cd "$(dirname "$0")/.."
T=${TRT11:-/opt/trt11}
out=${1:-runs/trt11}; shift || true
mkdir -p "$out"
java=${JAVA:-$T/jre/bin/java}
jar=$T/jars/trt11-probe.jar
[ -f trt11-probe/target/trt11-probe.jar ] && jar=trt11-probe/target/trt11-probe.jar
cp="$jar:$(ls "$T"/jars/*.jar | grep -v '/trt11-probe.jar$' | tr '\n' ':')"
# Only TensorRT 11's folder: the 10.6 stage (/opt/trt/lib) has other sonames but must not shadow anything here.
export LD_LIBRARY_PATH=$T/lib
# A real CUDA runtime in the stage (not the few-KB stand-in): check the calls the toolkit makes too.
[ "$(stat -c %s "$T/lib/libcudart.so.13")" -gt 100000 ] && set -- cudart=true "$@"
# JavaCPP unpacks its JNI libraries into a cache folder: one of its own keeps 1.5.11's and 1.5.14's apart, and out of OUT_DIR.
echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv,noheader 2>/dev/null)" | tee "$out/probe.log"
"$java" -Dorg.bytedeco.javacpp.cachedir="${TMPDIR:-/tmp}/trt11-javacpp-cache" -cp "$cp" dev.yolotrt.trt11.Probe \
  model="$T/models/yolov8n.onnx" fp16="$T/models/yolov8n-fp16.onnx" input="$T/reference/bus-input.f32" \
  reference="$T/reference/yolov8n-bus.f32" out="$out" "$@" 2>&1 | tee -a "$out/probe.log"
rc=${PIPESTATUS[0]}
echo "probe exit status $rc" | tee -a "$out/probe.log"
exit "$rc"
