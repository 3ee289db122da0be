#!/usr/bin/env bash
# On a GPU machine (one H200): issue 24's video numbers with the yolov8n FP16 engine (dynamic batch 1..8).
#  1. FFmpeg's natives load (libavdevice needs libpulse.so.0: scripts/stage-ffmpeg-libs.sh stages it into $YOLO_TRT_LIB/native);
#  2. the engine is exported (or reused from the cache);
#  3. benchmark source=VIDEO for vtest.avi and vtest-1080p.mp4, ByteTrack and BoT-SORT: frames/s of decode, inference,
#     tracking, encode alone, predict / track / track+save end to end, the limiting stage. Targets (issue 24):
#     track without saving >= 1,000 frames/s on vtest.avi, >= 600 on vtest-1080p.mp4;
#  4. track end to end through the CLI (save=false), wall time, and the tracks' count against the CPU run of the same video.
#
#   YOLO_TRT_LIB=/opt/deps VIDEOS=/opt/videos YOLO_TRT_MODELS=/opt/models scripts/gpu-video-check.sh OUT_DIR
#
# VIDEOS: a copy of ../shared/videos (../shared is not on the GPU machine); YOLO_TRT_MODELS must hold yolov8n.onnx.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-video}"
videos=${VIDEOS:-../shared/videos}
say "== $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1), $(nproc) cores, videos in $videos"

# 1. FFmpeg loads (one line: the version, or what is missing).
java -cp "$cp" -Dorg.bytedeco.javacpp.logger.debug=false dev.yolotrt.cli.Main predict model=yolov8n.onnx source="$videos/cup.mp4" \
  vid_stride=50 save=false verbose=false > "$out/ffmpeg-load.log" 2>&1
say "ffmpeg load (predict on 5 frames of cup.mp4) rc=$? $(tail -1 "$out/ffmpeg-load.log")"

# 2. The FP16 engine, dynamic batch up to 8.
cli export model=yolov8n.onnx half=true batch=8 dynamic=true > "$out/export.log" 2>&1; rc=$?
engine=$(grep -o -- '-> .*\.engine' "$out/export.log" | tail -1 | cut -c4-)
say "export rc=$rc engine=$engine"
[ -f "$engine" ] || { say "no engine: see $out/export.log"; exit 1; }

# 3. Stage rates per video and tracker.
for v in vtest.avi vtest-1080p.mp4; do
  for t in bytetrack botsort; do
    cli benchmark model="$engine" source="$videos/$v" batch=8 tracker=$t.yaml project="$out" name="bench-$v-$t" exist_ok=true \
      > "$out/bench-$v-$t.log" 2>&1
    say "benchmark $v $t rc=$?"
    grep -E "limited by|^ +(decode|predict|inference|tracking|track|track \+ save|encode) +\|" "$out/bench-$v-$t.log" | tee -a "$out/summary.txt"
  done
done

# 4. The CLI end to end, as a user runs it (nothing saved, no per-frame lines).
for v in vtest.avi vtest-1080p.mp4; do
  t0=$(date +%s.%N)
  cli track model="$engine" source="$videos/$v" batch=8 tracker=bytetrack.yaml save=false verbose=false > "$out/track-$v.log" 2>&1; rc=$?
  t1=$(date +%s.%N)
  say "track $v rc=$rc: 795 frames in $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s wall (JVM start and engine load included); $(grep Speed "$out/track-$v.log")"
done
say "targets: 'track' row >= 1000 frames/s (vtest.avi), >= 600 (vtest-1080p.mp4); summary in $out/summary.txt"
