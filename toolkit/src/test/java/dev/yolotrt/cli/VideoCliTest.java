package dev.yolotrt.cli;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.video.VideoSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI on videos: track saves what Ultralytics saves; bad input is one line, exit 1, and no output that looks whole. */
class VideoCliTest {

    /** Every test runs the CLI on yolov8n from the models folder: without the test assets, they are skipped. */
    @org.junit.jupiter.api.BeforeEach
    void assets() {
        Shared.require();
    }

    @Test
    void trackSavesVideoLabelsAndFrames(@TempDir Path tmp) throws Exception {
        MainTest.Run r = MainTest.run("track", "model=yolov8n.onnx", "source=" + Shared.video("cup.mp4"), "tracker=bytetrack.yaml",
                "vid_stride=3", "save_txt=true", "save_frames=true", "show_trails=true", "project=" + tmp, "name=t");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("video 1/1 (frame 73/73) "), r.out());
        Path run = tmp.resolve("t");
        assertTrue(r.out().contains("Results saved to " + run), r.out());
        // Ultralytics' lines: the file by its absolute path, the input shape, and the count of label files.
        assertTrue(r.out().contains("(frame 73/73) " + Shared.video("cup.mp4").toAbsolutePath().normalize() + ": "), r.out());
        assertTrue(r.out().contains("per image at shape (1, 3, 640, 640) on "), r.out());
        assertTrue(r.out().contains("73 labels saved to " + run.resolve("labels")), r.out());
        // 217 frames, every third: 73, numbered from 1 as Ultralytics numbers them.
        try (VideoSource v = VideoSource.open(run.resolve("cup.avi").toString(), 5000)) {
            assertEquals(640, v.width());
            assertEquals(480, v.height());
            int n = 0;
            for (VideoSource.Frame f; (f = v.next()) != null; n++) f.image().close();
            assertEquals(73, n);
        }
        try (Stream<Path> files = Files.list(run.resolve("labels"))) {
            assertEquals(73, files.count());
        }
        try (Stream<Path> files = Files.list(run.resolve("cup_frames"))) {
            assertEquals(73, files.count());
        }
        assertTrue(Files.isRegularFile(run.resolve("cup_frames").resolve("73.jpg")));
        // cls cx cy w h id: the track id ends each line of a tracked frame.
        List<String> lines = Files.readAllLines(run.resolve("labels").resolve("cup_10.txt"));
        assertFalse(lines.isEmpty());
        for (String l : lines) assertTrue(l.matches("\\d+( 0\\.\\d{6}| 1\\.000000){4} \\d+"), l);
        try (Stream<Path> files = Files.list(run)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".part")));
        }
    }

    @Test
    void streamsFileReadsItsSourcesSideBySide(@TempDir Path tmp) throws IOException {
        Path list = Files.writeString(tmp.resolve("two.streams"), "# two videos\n" + Shared.video("cup.mp4") + "\n\n" + Shared.video("Megamind.avi") + "\n");
        MainTest.Run r = MainTest.run("track", "model=yolov8n.onnx", "source=" + list, "vid_stride=30", "project=" + tmp, "name=s");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("video 1/2 (frame 8/8) "), r.out());
        assertTrue(r.out().contains("video 2/2 (frame 9/9) "), r.out());
        // Turns: cup's frame 1, Megamind's frame 1, cup's frame 2 ...
        List<String> lines = r.out().lines().filter(l -> l.startsWith("video ")).toList();
        assertTrue(lines.get(0).startsWith("video 1/2 (frame 1/") && lines.get(1).startsWith("video 2/2 (frame 1/"), lines.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("s").resolve("cup.avi")));
        assertTrue(Files.isRegularFile(tmp.resolve("s").resolve("Megamind.avi")));
    }

    @Test
    void missingVideo(@TempDir Path tmp) {
        MainTest.Run r = MainTest.run("predict", "model=yolov8n.onnx", "source=" + tmp.resolve("nope.mp4"), "project=" + tmp);
        MainTest.assertOneLineError(r, "video not found", "nope.mp4");
    }

    @Test
    void notAVideo(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("notes.mp4"), "these are not video frames\n".repeat(100));
        MainTest.Run r = MainTest.run("track", "model=yolov8n.onnx", "source=" + f, "project=" + tmp, "name=x");
        MainTest.assertOneLineError(r, "cannot open video", "notes.mp4");
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void truncatedVideoLeavesNoVideo(@TempDir Path tmp) throws IOException {
        byte[] all = Files.readAllBytes(Shared.video("Megamind.avi"));
        Path f = Files.write(tmp.resolve("cut.avi"), java.util.Arrays.copyOf(all, all.length / 3));
        MainTest.Run r = MainTest.run("predict", "model=yolov8n.onnx", "source=" + f, "vid_stride=5", "project=" + tmp, "name=p");
        MainTest.assertOneLineError(r, "cut.avi", "truncated or corrupt");
        // Neither a partial video nor the run folder the failed run had made.
        assertFalse(Files.exists(tmp.resolve("p")), "the failed run left its folder");
    }

    @Test
    void audioOnlyFile(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("tone.avi");
        Process p = new ProcessBuilder(Shared.ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "pcm_s16le", f.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        MainTest.Run r = MainTest.run("predict", "model=yolov8n.onnx", "source=" + f, "project=" + tmp);
        MainTest.assertOneLineError(r, "no video stream", "tone.avi");
    }

    /**
     * Frames of 2x2 and 1x1 pixels. swscale's vector code wrote past a 2x2 frame's buffer, and glibc aborted the process
     * on the corrupted heap (in a JVM of its own here, as the launcher runs it). A 1x1 frame has no half-size image for
     * BoT-SORT's camera motion (OpenCV's resize refused it). Both videos now track every frame.
     */
    @Test
    void tinyFramesTrack(@TempDir Path tmp) throws Exception {
        Path two = tiny(tmp, "2x2", "mjpeg"), one = tiny(tmp, "1x1", "ffv1");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "track", "model=yolov8n.onnx", "source=" + two,
                "tracker=botsort.yaml", "save=false", "project=" + tmp);
        pb.environment().put("MALLOC_ARENA_MAX", "2");
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("(frame 25/25)"), out);
        MainTest.Run r = MainTest.run("track", "model=yolov8n.onnx", "source=" + one, "tracker=botsort.yaml", "save=false", "project=" + tmp);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(frame 25/25)"), r.out());
    }

    /** A one-second grey video of 25 frames of {@code size} pixels. */
    private static Path tiny(Path dir, String size, String codec) throws Exception {
        Path f = dir.resolve("tiny" + size + ".avi");
        Process p = new ProcessBuilder(Shared.ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "color=c=gray:size=" + size + ":rate=25:duration=1",
                "-c:v", codec, f.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        return f;
    }

    @Test
    void unknownCodec(@TempDir Path tmp) throws IOException {
        // vtest.avi with its codec tag (MS-MPEG4 v3, "div3"/"DIV3" in the stream header and format) renamed to one no decoder knows.
        byte[] b = Files.readAllBytes(Shared.video("vtest.avi"));
        int renamed = 0;
        for (int i = 0; i + 4 <= Math.min(b.length, 8192); i++) {
            String tag = new String(b, i, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (tag.equalsIgnoreCase("div3")) {
                System.arraycopy("ZZ9Q".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, b, i, 4);
                renamed++;
            }
        }
        assertTrue(renamed >= 2, "codec tags found: " + renamed);
        Path f = Files.write(tmp.resolve("odd.avi"), b);
        MainTest.Run r = MainTest.run("track", "model=yolov8n.onnx", "source=" + f, "project=" + tmp, "name=u");
        MainTest.assertOneLineError(r, "odd.avi", "unknown or unsupported codec");
        assertFalse(Files.exists(tmp.resolve("u").resolve("odd.avi")));
    }

    @Test
    void nvdecItCannotUseIsOneLine(@TempDir Path tmp) {
        // vtest.avi is MS-MPEG4: no NVDEC decoder gives its software frames, on any machine.
        MainTest.Run r = MainTest.run("predict", "model=yolov8n.onnx", "source=" + Shared.video("vtest.avi"), "decoder=nvdec", "project=" + tmp, "name=n");
        MainTest.assertOneLineError(r, "decoder=nvdec cannot decode", "vtest.avi", "has no NVDEC decoder", "use decoder=cpu");
        MainTest.Run bad = MainTest.run("predict", "model=yolov8n.onnx", "source=" + Shared.video("cup.mp4"), "decoder=gpu", "project=" + tmp, "name=b");
        MainTest.assertOneLineError(bad, "decoder=gpu is not a decoder", "decoder=cpu or decoder=nvdec");
        assertFalse(Files.exists(tmp.resolve("n")) || Files.exists(tmp.resolve("b")));
    }

    @Test
    void missingCamera(@TempDir Path tmp) {
        MainTest.Run r = MainTest.run("track", "model=yolov8n.onnx", "source=9", "project=" + tmp);
        MainTest.assertOneLineError(r, "camera 9 not found");
    }

    @Test
    void refusedStream(@TempDir Path tmp) throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        MainTest.Run r = MainTest.run("predict", "model=yolov8n.onnx", "source=rtsp://127.0.0.1:" + port + "/live", "timeout=3", "project=" + tmp);
        MainTest.assertOneLineError(r, "cannot open video", "rtsp://127.0.0.1:" + port);
    }
}
