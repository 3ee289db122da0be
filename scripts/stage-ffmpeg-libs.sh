#!/usr/bin/env bash
# Stages the system libraries FFmpeg's libavdevice (bytedeco ffmpeg jar: videos, streams, cameras) needs and a GPU
# machine without apt lacks: libpulse.so.0 and what it links, from this machine (apt-get install libpulse0 first).
# Put them in $YOLO_TRT_LIB/native: scripts/java-cp.sh adds that folder to LD_LIBRARY_PATH.
#
#   scripts/stage-ffmpeg-libs.sh toolkit/target/lib/native
set -euo pipefail
dest=${1:?usage: scripts/stage-ffmpeg-libs.sh DEST_DIR}
pulse=$(ls /usr/lib/*-linux-gnu/libpulse.so.0 2>/dev/null | head -1)
[ -n "$pulse" ] || { echo "stage-ffmpeg-libs: libpulse.so.0 not found here; apt-get install libpulse0 first" >&2; exit 1; }
mkdir -p "$dest"
cp -L "$pulse" "$dest/"
# Its dependencies, less the C library and loader the target has its own of.
ldd "$pulse" | awk '/=> \// {print $3}' | grep -vE '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' | while read -r f; do
  cp -L "$f" "$dest/"
done
echo "staged $(ls "$dest" | wc -l) libraries in $dest ($(du -sh "$dest" | cut -f1))"
