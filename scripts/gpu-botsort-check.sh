#!/usr/bin/env bash
# On a GPU machine (one H200, 16 cores): BoT-SORT, Ultralytics' default tracker, against issue 24's targets (track
# without saving >= 1,000 frames/s on vtest.avi, >= 600 on vtest-1080p.mp4), in about 3 minutes:
#  1. the camera motion (GMC) alone, track.GmcProfile: each OpenCV step's ms per frame on one thread, the
#     transforms checked bit for bit against Ultralytics' order of calls, and the motion computed ahead (MotionAhead)
#     on pools of several sizes, with its corners and optical flow on the CPU and then on the GPU (DeviceFlow);
#  2. track end to end, nothing saved, one engine load, video.TrackRates: ByteTrack, and BoT-SORT with ¾ of the cores,
#     as motion threads, cores - 2 (the default) and all cores; each twice (the first warms up); then (2b) BoT-SORT
#     with its corners and optical flow on the CPU (-Dyolo.gmc.cpu=true), as before DeviceFlow;
#  3. benchmark source=VIDEO tracker=botsort.yaml on both videos: each stage's rate inside the track run (decode thread,
#     inference, motion threads, tracker) and the stage that limits it;
#  4. notebook 06 at full speed (NOTEBOOK06=0 skips it).
#
#   . /opt/trt/env.sh; YOLO_TRT_LIB=/opt/deps YOLO_TRT_MODELS=/opt/data/models YOLO_TRT_ASSETS=/opt/data/images \
#     YOLO_TRT_CACHE=/opt/data2/cache VIDEOS=/opt/data2/videos scripts/gpu-botsort-check.sh /opt/runs/gpu-botsort
#
# ENGINE: the yolov8n FP16 engine, dynamic batch up to 8 (default .gpu/yolov8n-fp16-b8.engine; exported from
# yolov8n.onnx, with the cache's timing cache, when missing). BoT-SORT needs highgui's GTK libraries staged
# (docs/benchmarks.md, fifth run). Logs and summary.txt in OUT_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/java-cp.sh
run_dir "${1:-runs/gpu-botsort}"
videos=${VIDEOS:-../shared/videos}
cores=$(nproc)
say "== $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1), $cores cores, videos in $videos, $(git log -1 --format=%h 2>/dev/null)"

engine=${ENGINE:-.gpu/yolov8n-fp16-b8.engine}
if [ ! -f "$engine" ]; then
  cli export model=yolov8n.onnx half=true batch=8 dynamic=true > "$out/export.log" 2>&1
  say "export rc=$? ($engine missing)"
  engine=$(grep -o -- '-> .*\.engine' "$out/export.log" | tail -1 | cut -c4-)
  [ -f "$engine" ] || { say "no engine: see $out/export.log"; exit 1; }
fi
say "engine $engine"

# 1. The motion alone on the CPU (no GPU): per-step ms, then MotionAhead's frames/s per pool size.
java -cp "$cp" dev.yolotrt.track.GmcProfile "$videos/vtest.avi" 200 8 $((cores - 2)) "$cores" > "$out/gmc-vtest.log" 2>&1
say "GmcProfile vtest.avi rc=$?"; grep -v WARN "$out/gmc-vtest.log" | tee -a "$out/summary.txt"
java -cp "$cp" dev.yolotrt.track.GmcProfile "$videos/vtest-1080p.mp4" 100 $((cores - 2)) "$cores" > "$out/gmc-1080p.log" 2>&1
say "GmcProfile vtest-1080p.mp4 rc=$?"; grep -v WARN "$out/gmc-1080p.log" | tee -a "$out/summary.txt"
# The same pools with corners and optical flow on the GPU (DeviceFlow), its transforms checked against the CPU's bit for bit.
java -Dgpu=0 -cp "$cp" dev.yolotrt.track.GmcProfile "$videos/vtest-1080p.mp4" 100 8 $((cores - 2)) > "$out/gmc-1080p-gpu.log" 2>&1
say "GmcProfile vtest-1080p.mp4, corners and flow on the GPU, rc=$?"; grep -E "equal|MotionAhead" "$out/gmc-1080p-gpu.log" | tee -a "$out/summary.txt"

# 2. track end to end, nothing saved: both trackers, BoT-SORT with several motion thread counts.
java -cp "$cp" dev.yolotrt.video.TrackRates "$engine" "$((cores * 3 / 4)),$((cores - 2)),$cores" "$videos/vtest.avi" \
  "$videos/vtest-1080p.mp4" > "$out/track-rates.log" 2>&1
say "TrackRates rc=$?"; grep "^track " "$out/track-rates.log" | tee -a "$out/summary.txt"

# 2b. BoT-SORT with its corners and optical flow on the CPU, as before DeviceFlow (-Dyolo.gmc.cpu=true): the GPU's gain.
java -Dyolo.gmc.cpu=true -cp "$cp" dev.yolotrt.video.TrackRates "$engine" "$((cores - 2))" "$videos/vtest.avi" "$videos/vtest-1080p.mp4" \
  > "$out/track-rates-cpu-flow.log" 2>&1
say "TrackRates, corners and optical flow on the CPU, rc=$?"; grep "^track .*botsort" "$out/track-rates-cpu-flow.log" | tee -a "$out/summary.txt"

# 3. The stages inside track, BoT-SORT (batch 8, as the targets are measured).
for v in vtest.avi vtest-1080p.mp4; do
  cli benchmark model="$engine" source="$videos/$v" batch=8 tracker=botsort.yaml project="$out" name="bench-$v" exist_ok=true \
    > "$out/bench-$v.log" 2>&1
  say "benchmark $v botsort rc=$?"
  grep -E "limited by|^ +(decode|decode in track|predict|inference|motion \(GMC\)|tracking|track|track \+ save|encode) +\|" \
    "$out/bench-$v.log" | tee -a "$out/summary.txt"
done

# 4. Notebook 06 on the whole clip (it reads the videos beside YOLO_TRT_ASSETS).
if [ "${NOTEBOOK06:-1}" = 1 ]; then
  assets=${YOLO_TRT_ASSETS:-../shared/images}
  if [ ! -f "$(dirname "$assets")/videos/vtest.avi" ]; then
    mkdir -p "$out/nb-assets" && ln -sfn "$(cd "$assets" && pwd)" "$out/nb-assets/images" && ln -sfn "$(cd "$videos" && pwd)" "$out/nb-assets/videos"
    assets=$out/nb-assets/images
  fi
  t0=$(date +%s)
  YOLO_TRT_ASSETS=$assets cli notebook run notebooks/06-video-and-tracking.ipynb "$out/06-video-and-tracking.ipynb" > "$out/nb06.log" 2>&1
  say "notebook 06 rc=$? in $(( $(date +%s) - t0 )) s: $(grep -ao '[0-9]* frames tracked in [^;]*' "$out/06-video-and-tracking.ipynb" | head -1)"
fi
say "targets: BoT-SORT track >= 1000 frames/s (vtest.avi), >= 600 (vtest-1080p.mp4); summary in $out/summary.txt"
