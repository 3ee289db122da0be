#!/usr/bin/env bash
# On a GPU machine (issue 26): Spark in local mode with the GPU declared as the driver's resource (SparkGpuTest):
#  1. throughput over 4,096 JPEGs (coco128 train2017 + val2017, 16 times) with yolov8n FP16 (dynamic batch 1..8, batch 8):
#     the single-process pipeline twice, then Spark twice with 1 and with 2 partitions on local[SLOTS] (default 1: one task at a time
#     on the one GPU, each task the whole pipeline on every core); passes at >= 90 % of one process;
#  2. a sweep of 8 settings (FP32, FP16 and six INT8: fraction 0.25 / 0.5, calib_batch 8, minmax, entropy2, percentile),
#     built and measured as Spark tasks, then Int8Tuning.run in one process on the same engines: names and mAP columns equal.
# Needs, besides what the other GPU scripts need (YOLO_TRT_LIB: the toolkit's jars and junit-platform-console-standalone):
#  - built here: toolkit/target/yolo-trt.jar, spark/target/yolo-trt-spark.jar and spark/target/test-classes
#    (mvn -B -pl toolkit,spark -DskipTests -Pspark-lib package: -DskipTests still compiles the tests);
#  - SPARK_LIB: Spark's own jars (spark/target/spark-lib from -Pspark-lib above, 244 MB: stage it as the dependency jars
#    are, e.g. `bash ../shared/device/trt-stage.sh spark/target/spark-lib spark-deps` -> /opt/spark-deps).
#
#   . /opt/trt/env.sh && YOLO_TRT_LIB=/opt/deps SPARK_LIB=/opt/spark-deps YOLO_TRT_MODELS=... YOLO_TRT_DATASETS=... \
#     YOLO_TRT_ASSETS=... scripts/gpu-spark-check.sh OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-spark}"
spark_lib=${SPARK_LIB:-spark/target/spark-lib}
[ -f spark/target/yolo-trt-spark.jar ] && [ -d spark/target/test-classes ] && ls "$spark_lib"/spark-core_*.jar >/dev/null 2>&1 \
  || { echo "gpu-spark-check: needs spark/target/yolo-trt-spark.jar, spark/target/test-classes and Spark's jars in $spark_lib (see the header)" >&2; exit 1; }
scp="spark/target/yolo-trt-spark.jar:spark/target/test-classes:$cp:$(ls "$spark_lib"/*.jar | tr '\n' ':')"
# What Spark 4 needs opened on Java 17 (the spark module's pom passes the same to its tests).
opens=$(sed -n '/<spark.opens>/,/<\/spark.opens>/p' spark/pom.xml | sed 's/<[^>]*>//g' | tr -s ' \n' ' ')
export SPARK_LOCAL_IP=127.0.0.1
say "== $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1), $(nproc) cores, Spark jars: $(ls "$spark_lib" | wc -l)"
java $opens -Dyolo.spark.slots=${SLOTS:-1} -cp "$scp:$(ls "$lib"/junit-platform-console-standalone-*.jar)" \
  org.junit.platform.console.ConsoleLauncher execute --select-class dev.yolotrt.spark.SparkGpuTest --details=tree \
  --disable-banner > "$out/SparkGpuTest.log" 2>&1
say "SparkGpuTest rc=$?"
grep -E "tests (successful|failed|aborted)|✘|Spark |single process|images/s|INT8 tuning of|^\s*(reference|fraction|calib|calibrator)" \
  "$out/SparkGpuTest.log" | tee -a "$out/summary.txt"
