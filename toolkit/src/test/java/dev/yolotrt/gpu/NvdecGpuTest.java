package dev.yolotrt.gpu;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.video.VideoSource;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24: FFmpeg's NVDEC decoder (h264_cuvid) against the software decoder, on this GPU machine's driver. Every frame
 * that {@code decoder=nvdec} gives must equal the software decoder's (so OpenCV's {@code VideoCapture}'s, which the
 * CPU tests compare with): H.264 decoding is exact and the NV12 planes go through the software path's conversion.
 * Prints ISSUE24 lines with each decoder's frames/s on one thread, raw (decode only) and to BGR.
 */
@Tag("gpu")
class NvdecGpuTest {

    @ParameterizedTest
    @ValueSource(strings = {"vtest-1080p.mp4", "cup.mp4"})
    void nvdecFramesEqualTheSoftwareDecoders(String name) {
        // VIDEOS names the videos' folder on a GPU machine (as for scripts/gpu-botsort-check.sh); else ../shared/videos.
        String videos = System.getenv("VIDEOS");
        Path video = videos != null ? Path.of(videos, name) : Shared.video(name);
        assertTrue(Files.isRegularFile(video), video + " not found");
        for (VideoSource.Decoder d : new VideoSource.Decoder[] {VideoSource.Decoder.CPU, VideoSource.Decoder.NVDEC}) {
            rate(video, d, true);
            rate(video, d, false);
        }
        int n = 0, same = 0, maxDiff = 0;
        try (VideoSource a = VideoSource.open(video.toString(), 10_000, false, VideoSource.Decoder.CPU);
             VideoSource b = VideoSource.open(video.toString(), 10_000, false, VideoSource.Decoder.NVDEC)) {
            assertTrue(b.nvdec() && !a.nvdec());
            while (true) {
                VideoSource.Frame fa = a.next(), fb = b.next();
                if (fa == null || fb == null) {
                    assertTrue(fa == null && fb == null, "frame counts differ: one decoder ended at frame " + n);
                    if (fa != null) fa.image().close();
                    if (fb != null) fb.image().close();
                    break;
                }
                try (Mat x = fa.image(); Mat y = fb.image()) {
                    assertEquals(fa.index(), fb.index());
                    ByteBuffer bx = x.createBuffer(), by = y.createBuffer();
                    int d = 0;
                    for (int i = 0; i < bx.limit(); i++) d = Math.max(d, Math.abs((bx.get(i) & 255) - (by.get(i) & 255)));
                    if (d == 0) same++;
                    maxDiff = Math.max(maxDiff, d);
                }
                n++;
            }
        }
        System.out.printf(Locale.ROOT, "ISSUE24 nvdec pixels %s: %d of %d frames equal the software decoder's, max |diff| %d%n", name, same, n, maxDiff);
        assertEquals(n, same, "frames that differ from the software decoder's (max |diff| " + maxDiff + ")");
    }

    /** One pass over the video on this thread, raw (decode only) or to BGR; prints frames/s. */
    private static void rate(Path video, VideoSource.Decoder decoder, boolean raw) {
        long t0 = System.nanoTime();
        int n = 0;
        try (VideoSource v = VideoSource.open(video.toString(), 10_000, raw, decoder)) {
            long t1 = System.nanoTime();
            if (raw) {
                for (VideoSource.Raw r; (r = v.nextRaw()) != null; n++) r.free();
            } else {
                for (VideoSource.Frame f; (f = v.next()) != null; n++) f.image().close();
            }
            double s = (System.nanoTime() - t1) / 1e9;
            System.out.printf(Locale.ROOT, "ISSUE24 decode %s %s %s: %d frames in %.2f s = %.0f frames/s (open %.2f s)%n", video.getFileName(),
                    decoder, raw ? "raw" : "to BGR", n, s, n / s, (t1 - t0) / 1e9);
        }
    }
}
