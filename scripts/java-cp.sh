# Sourced by the GPU scripts: the toolkit's classpath and a `cli` function, from the repository root.
# YOLO_TRT_LIB: folder of the dependency jars (and junit-platform-console-standalone), default toolkit/target/lib.
lib=${YOLO_TRT_LIB:-toolkit/target/lib}
cp="toolkit/target/yolo-trt.jar:toolkit/target/test-classes:$(ls "$lib"/*.jar | grep -v junit-platform-console | tr '\n' ':')"
# libturbojpeg staged beside the jars (GPU machines have no apt): JPEGs decode with SIMD, as on a machine with libturbojpeg0.
[ -f "$lib/libturbojpeg.so.0" ] && export YOLO_TRT_TURBOJPEG=${YOLO_TRT_TURBOJPEG:-$(cd "$lib" && pwd)/libturbojpeg.so.0}
# FFmpeg's libavdevice links libpulse.so.0: staged beside the jars by scripts/stage-ffmpeg-libs.sh on machines without it.
[ -d "$lib/native" ] && export LD_LIBRARY_PATH=$(cd "$lib/native" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The launcher's malloc setting (./yolo-trt says why), for the JVMs these scripts start themselves.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
cli() { java -cp "$cp" dev.yolotrt.cli.Main "$@"; }
# junit LOG CLASS [JVM_OPTION ...]: one test class through the console launcher, its output in LOG.
junit() {
  local log=$1 cls=$2; shift 2
  java "$@" -cp "$cp:$(ls "$lib"/junit-platform-console-standalone-*.jar)" org.junit.platform.console.ConsoleLauncher execute \
    --select-class "$cls" --details=tree --disable-banner > "$log" 2>&1
}
# run_dir DIR: the script's output folder ($out, created) and, unless YOLO_TRT_CACHE names one, its engine cache.
run_dir() { out=$1; mkdir -p "$out"; export YOLO_TRT_CACHE=${YOLO_TRT_CACHE:-$(cd "$out" && pwd)/cache}; }
# say LINE: the line, timestamped, on stdout and in $out/summary.txt.
say() { echo "$(date -u +%T) $*" | tee -a "$out/summary.txt"; }
