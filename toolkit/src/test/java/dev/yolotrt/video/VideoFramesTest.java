package dev.yolotrt.video;

import dev.yolotrt.testutil.Shared;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every frame of every test video (also through the raw path: decode, then convert on another thread) decodes to the pixels OpenCV's VideoCapture gives. JavaCV's OpenCV has no FFmpeg
 * backend, so the independent expectation is the ffmpeg program converting to BGR24 the way OpenCV's backend does
 * (its decoder, swscale, bicubic), out of process, frame by frame.
 */
class VideoFramesTest {

    @ParameterizedTest
    @CsvSource({"vtest.avi,false", "Megamind.avi,false", "cup.mp4,false", "vtest-1080p.mp4,false", "cup.mp4,true", "vtest-1080p.mp4,true"})
    void framesEqualFfmpegBgr24(String name, boolean raw) throws Exception {
        Path file = Shared.video(name);
        Process p = new ProcessBuilder(Shared.ffmpeg(), "-v", "error", "-i", file.toString(), "-an", "-fps_mode", "passthrough",
                "-sws_flags", "bicubic", "-f", "rawvideo", "-pix_fmt", "bgr24", "-").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int frames = 0;
        try (VideoSource v = VideoSource.open(file.toString(), 5000, raw); VideoSource.Converter conv = new VideoSource.Converter();
             InputStream bgr = p.getInputStream()) {
            DataInputStream in = new DataInputStream(bgr);
            byte[] want = new byte[v.width() * v.height() * 3];
            byte[] got = new byte[want.length];
            // raw: decoded on this thread, converted by a Converter as the pipeline's conversion threads do.
            for (VideoSource.Frame f; (f = raw ? convert(v, conv) : v.next()) != null; frames++) {
                assertEquals(frames, f.index());
                in.readFully(want);
                assertTrue(f.image().isContinuous());
                new BytePointer(f.image().data()).capacity(got.length).get(got);
                f.image().close();
                if (!Arrays.equals(want, got)) {
                    int diff = 0;
                    for (int i = 0; i < got.length; i++) if (got[i] != want[i]) diff++;
                    throw new AssertionError(name + " frame " + frames + ": " + diff + " of " + got.length + " bytes differ");
                }
            }
            assertEquals(-1, in.read(), name + ": ffmpeg has frames after the last one decoded");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        int expected = switch (name) {
            case "vtest.avi", "vtest-1080p.mp4" -> 795;
            case "Megamind.avi" -> 270;
            default -> 217;
        };
        assertEquals(expected, frames, name);
    }

    private static VideoSource.Frame convert(VideoSource v, VideoSource.Converter conv) {
        VideoSource.Raw r = v.nextRaw();
        return r == null ? null : conv.convert(r);
    }
}
