#!/usr/bin/env bash
# Regenerates the PTX the toolkit ships from its CUDA sources with NVRTC, on any x86-64 Linux machine (no GPU needed):
#   scripts/ptx.sh
# NVRTC comes from the bytedeco CUDA redist jar (~2 GB, fetched into ~/.m2 once); JavaCPP's CUDA bindings load
# libcuda.so.1, so a machine without the driver gets an empty stand-in (NVRTC itself never calls the driver).
# compute_80 PTX runs on Ampere and newer (the driver compiles it for the GPU at load time, e.g. sm_90 on H100 / H200).
set -euo pipefail
cd "$(dirname "$0")/.."
v=12.6-9.5-1.5.11 m2=${MAVEN_REPO:-$HOME/.m2/repository}/org/bytedeco
redist=$m2/cuda/$v/cuda-$v-linux-x86_64-redist.jar
[ -f "$redist" ] || mvn -B -q dependency:get -Dartifact=org.bytedeco:cuda:$v:jar:linux-x86_64-redist
cp="$m2/cuda/$v/cuda-$v.jar:$m2/cuda/$v/cuda-$v-linux-x86_64.jar:$redist:$m2/javacpp/1.5.11/javacpp-1.5.11.jar:$m2/javacpp/1.5.11/javacpp-1.5.11-linux-x86_64.jar"
stub=$(mktemp -d); trap 'rm -rf "$stub"' EXIT
if ! ldconfig -p | grep -q 'libcuda.so.1 '; then
  echo 'void yolo_trt_stub(void) {}' > "$stub/e.c"; cc -shared -fPIC -o "$stub/libcuda.so.1" -Wl,-soname,libcuda.so.1 "$stub/e.c"
fi
for cu in toolkit/src/main/resources/dev/yolotrt/backend/*.cu; do
  LD_LIBRARY_PATH="$stub:${LD_LIBRARY_PATH:-}" java -cp "$cp" scripts/Ptx.java "$cu" "${cu%.cu}.ptx" compute_80
  echo "ptx: ${cu%.cu}.ptx"
done
