#!/usr/bin/env bash
# Fills .trt11-stage-src/ with what the TensorRT 11.2 probe (trt11-probe/, docs/tensorrt11.md) needs on a GPU
# machine that has only the driver and the base stage (/opt/jre): then
#   bash ../shared/device/trt-stage.sh .trt11-stage-src trt11      # -> /opt/trt11 on the device
#
#   scripts/stage-trt11.sh            # from the repository root, after `mvn -B -Ptrt11 -pl trt11-probe package`
#
# Layout (= /opt/trt11 on the device): jre/ (Java 17, the probe's modules), lib/ (native libraries), jars/ (probe +
# javacpp/tensorrt/cuda jars, no -redist), models/ (yolov8n.onnx and its FP16 twin), reference/ (yolov8n-bus.f32:
# ONNX Runtime's output on the CPU; bus-input.f32: bus.jpg letterboxed to 640, the input it was computed from).
#
# lib/ holds TensorRT 11.2's own libraries from the -redist jar that building and running a plain ONNX model uses
# (nvinfer, the ONNX parser, the PTX builder resource nvinfer preloads) and empty stand-ins for what the JNI libraries
# link but the probe never calls: libnvinfer_plugin.so.11 (45 MiB; the parser preset inherits nvinfer_plugin, but
# neither nvinfer nor the parser loads the plugin library, and YOLO detect graphs need no plugin: the toolkit's NMS
# head would need the real one), and the cuda presets' cuBLAS, cuDNN and NVRTC, which the tensorrt presets inherit
# (as 10.6 does; see ../shared/device/trt-stage.sh). The vc plugin, which the parser preset only preloads, stays out. No CUDA 13 runtime is published on
# Maven Central (there is no cuda 13.x -redist jar); TensorRT 11 links its runtime statically and the probe reaches the
# GPU through the driver API (libcuda.so.1, the driver's), so without a local CUDA 13 libcudart.so.13 is a stand-in too.
set -euo pipefail
cd "$(dirname "$0")/.."
TRT=11.2-1.5.14
CUDA=13.3-9.25-1.5.14
SRC=.trt11-stage-src
SHARED=${YOLO_TRT_SHARED:-../shared}
M2=${MAVEN_REPO:-$HOME/.m2/repository}/org/bytedeco

die() { echo "stage-trt11: $*" >&2; exit 1; }
[ -f trt11-probe/target/trt11-probe.jar ] || die "build the probe first: mvn -B -Ptrt11 -pl trt11-probe package"
redist=$M2/tensorrt/$TRT/tensorrt-$TRT-linux-x86_64-redist.jar
[ -s "$redist" ] || mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.6.1:get \
  -Dartifact=org.bytedeco:tensorrt:$TRT:jar:linux-x86_64-redist >&2 || die "could not fetch the tensorrt $TRT redist jar"

rm -rf "$SRC"; mkdir -p "$SRC"/{lib,jars,models,reference}
unzip -qjo "$redist" 'org/bytedeco/tensorrt/linux-x86_64/lib'{nvinfer.so.11,nvonnxparser.so.11,nvinfer_builder_resource_ptx.so.*} -d "$SRC/lib"
cp trt11-probe/target/trt11-probe.jar trt11-probe/target/lib/*.jar "$SRC/jars/"

# The CUDA 13 runtime, where this machine has one (the java-maven kind carries CUDA 13.0's, as pip's
# nvidia-cuda-runtime 13.0): the toolkit's backend calls cudart, so the probe checks it with cudart=true.
cudart=$(ls "${CUDA_HOME:-/usr/local/cuda}"/lib64/libcudart.so.13 2>/dev/null || true)
if [ -n "$cudart" ]; then cp -L "$cudart" "$SRC/lib/"; echo "real $cudart" >&2; else echo "no libcudart.so.13 here: a stand-in" >&2; fi

# Stand-ins: every library the loaded JNI libraries link that is neither shipped here nor the driver's or the
# system's, with the soname and symbol versions they ask for.
jni=$(mktemp -d); trap 'rm -rf "$jni"' EXIT
unzip -qjo "$M2/cuda/$CUDA/cuda-$CUDA-linux-x86_64.jar" \
  'org/bytedeco/cuda/linux-x86_64/libjni'{cudart,cublas,cudnn,nvrtc}.so -d "$jni"
unzip -qjo "$M2/tensorrt/$TRT/tensorrt-$TRT-linux-x86_64.jar" 'org/bytedeco/tensorrt/linux-x86_64/libjni*.so' -d "$jni"
for lib in $(for f in "$jni"/*.so; do readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done | sort -u); do
  case $lib in libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|libstdc++.so*|libgcc_s.so*|ld-linux*|libcuda.so*) continue;; esac
  [ -e "$SRC/lib/$lib" ] && continue
  map=$jni/map
  versions=$(for f in "$jni"/*.so; do readelf -V "$f"; done | awk -v L="$lib" '/File:/ { cur = ($4 == L) } cur && /Name:/ { print $3 }' | sort -u)
  if [ -n "$versions" ]; then for v in $versions; do echo "$v { };"; done > "$map"; else echo "{ local: *; };" > "$map"; fi
  echo "" | gcc -shared -x c - -o "$SRC/lib/$lib" -Wl,-soname,"$lib" -Wl,--version-script="$map"
  echo "stand-in $lib" >&2
done

# The model, its FP16 twin, the CPU reference and the input it was computed from.
cp "$SHARED/models/yolov8n.onnx" "$SRC/models/"
mvn -q -B -o -f trt11-probe/pom.xml dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile="$jni/cp" >&2
cp_dev=trt11-probe/target/trt11-probe.jar:$(cat "$jni/cp")
java -cp "$cp_dev" dev.yolotrt.trt11.HalfOnnx "$SRC/models/yolov8n.onnx" "$SRC/models/yolov8n-fp16.onnx"
java -cp "$cp_dev" dev.yolotrt.trt11.Reference "$SRC/models/yolov8n.onnx" "$SHARED/images/bus.jpg" "$SRC/reference/yolov8n-bus.f32" \
  "$SRC/reference/bus-input.f32"

# A Java 17 runtime of the modules the probe uses, so the stage needs no other (and no ImageIO: its JPEG decoder
# links libjpeg.so.62, which the GPU machine lacks; the probe reads the letterboxed input saved above).
jdk=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
jlink --module-path "$jdk/jmods" --add-modules java.base,java.logging,java.management,jdk.unsupported \
  --output "$SRC/jre" --strip-debug --no-man-pages --no-header-files >/dev/null
echo "stage-trt11: $SRC holds $(du -sh "$SRC" | cut -f1); next: bash ../shared/device/trt-stage.sh $SRC trt11"
