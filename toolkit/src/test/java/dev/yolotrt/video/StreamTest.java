package dev.yolotrt.video;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Results;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streams for real, on loopback: an ffmpeg process of the test's own serves cup.mp4 over TCP and HTTP (MPEG-TS,
 * the H.264 stream copied), and small servers in the test stall, send garbage, or drop midway (and are reconnected). Detections over the
 * stream equal the file's frame by frame; a stall ends with one line after the timeout; nothing hangs.
 */
class StreamTest {

    private static Yolo model;
    private static List<Results> fromFile;

    @BeforeAll
    static void load() {
        model = Yolo.load(Shared.model("yolov8n.onnx"), Shared.settings());
        try (Stream<Results> s = model.stream(Shared.video("cup.mp4").toString(), Map.of("vid_stride", 4))) {
            fromFile = s.toList();
        }
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** ffmpeg serving cup.mp4 as MPEG-TS at {@code url} (a listening output), until read to the end. */
    private static Process serve(String url) throws IOException {
        return new ProcessBuilder(Shared.ffmpeg(), "-v", "error", "-i", Shared.video("cup.mp4").toString(), "-c", "copy", "-f", "mpegts",
                "-listen", "1", url).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static List<Results> read(String url) {
        // ffmpeg needs a moment to listen: a few tries, bounded.
        for (int attempt = 0; ; attempt++) {
            try (Stream<Results> s = model.stream(url, Map.of("vid_stride", 4, "stream_buffer", true, "timeout", 10))) {
                return s.toList();
            } catch (YoloException e) {
                if (attempt == 20 || !e.getMessage().contains("cannot open")) throw e;
                sleep(250);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void assertSameDetections(List<Results> want, List<Results> got) {
        assertEquals(want.size(), got.size(), "frames");
        for (int i = 0; i < want.size(); i++) {
            assertEquals(i, got.get(i).frame());
            assertArrayEquals(want.get(i).boxes().xyxy(), got.get(i).boxes().xyxy(), 1e-4f, "frame " + i);
            assertArrayEquals(want.get(i).boxes().cls(), got.get(i).boxes().cls(), "frame " + i);
        }
    }

    @Test
    void tcpStreamEqualsFile() throws Exception {
        String url = "tcp://127.0.0.1:" + freePort();
        Process p = serve(url + "?listen=1");
        try {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> assertSameDetections(fromFile, read(url)));
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void httpStreamEqualsFile() throws Exception {
        String url = "http://127.0.0.1:" + freePort() + "/live";
        Process p = serve(url);
        try {
            assertTimeoutPreemptively(Duration.ofMinutes(3), () -> assertSameDetections(fromFile, read(url)));
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A one-connection TCP server on loopback that hands the client socket to {@code talk}, on a daemon thread. */
    private static ServerSocket server(Consumer<Socket> talk) throws IOException {
        ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try (Socket s = ss.accept()) {
                talk.accept(s);
            } catch (IOException ignored) {
                // the test closed the server
            }
        }, "test-server");
        t.setDaemon(true);
        t.start();
        return ss;
    }

    @Test
    void stallEndsWithOneLineAfterTheTimeout() throws Exception {
        try (ServerSocket ss = server(s -> sleep(60_000))) {
            long t0 = System.nanoTime();
            YoloException e = assertTimeoutPreemptively(Duration.ofSeconds(40), () -> assertThrows(YoloException.class,
                    () -> model.stream("tcp://127.0.0.1:" + ss.getLocalPort(), Map.of("timeout", 2)).close()));
            double s = (System.nanoTime() - t0) / 1e9;
            assertTrue(e.getMessage().contains("cannot open video tcp://127.0.0.1:" + ss.getLocalPort()), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
            assertTrue(s >= 1.5 && s < 30, "gave up after " + s + " s");
        }
    }

    @Test
    void garbageIsRefused() throws Exception {
        byte[] junk = new byte[1 << 20];
        new Random(7).nextBytes(junk);
        try (ServerSocket ss = server(s -> {
            try (OutputStream out = s.getOutputStream()) {
                out.write(junk);
            } catch (IOException ignored) {
                // the reader gave up first
            }
        })) {
            YoloException e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(YoloException.class, () -> {
                try (Stream<Results> s = model.stream("tcp://127.0.0.1:" + ss.getLocalPort(), Map.of("timeout", 3))) {
                    s.forEach(r -> { });
                }
            }));
            assertTrue(e.getMessage().contains("tcp://127.0.0.1:" + ss.getLocalPort()), e.getMessage());
        }
    }

    @Test
    void aDroppedStreamIsReconnected(@TempDir Path tmp) throws Exception {
        Path ts = tmp.resolve("cup.ts");
        Process p = new ProcessBuilder(Shared.ffmpeg(), "-v", "error", "-i", Shared.video("cup.mp4").toString(), "-c", "copy", "-f", "mpegts",
                ts.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        byte[] all = Files.readAllBytes(ts);
        byte[] half = Arrays.copyOf(all, all.length / 2 / 188 * 188);
        // The first connection drops halfway; the reconnection gets the whole stream; then the server is gone.
        ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread server = new Thread(() -> {
            try (ss) {
                for (byte[] body : List.of(half, all)) {
                    try (Socket s = ss.accept(); OutputStream out = s.getOutputStream()) {
                        out.write(body);
                    } catch (IOException ignored) {
                        // the reader closed first
                    }
                }
            } catch (IOException ignored) {
                // closed
            }
        }, "test-server");
        server.setDaemon(true);
        server.start();
        // Every frame (vid_stride 1): the reconnection's frames then line up with the file's from its first.
        List<Results> file;
        try (Stream<Results> s = model.stream(Shared.video("cup.mp4").toString(), Map.of())) {
            file = s.toList();
        }
        List<Results> got = assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            try (Stream<Results> s = model.stream("tcp://127.0.0.1:" + ss.getLocalPort(), Map.of("stream_buffer", true, "timeout", 5))) {
                return s.toList();
            }
        });
        int before = got.size() - file.size();
        assertTrue(before > 0 && before < file.size(), got.size() + " frames for " + file.size() + " per connection");
        for (int i = 0; i < got.size(); i++) assertEquals(i, got.get(i).frame(), "frames are numbered on across the reconnection");
        // The frame cut by the drop may decode damaged; those before it are the file's.
        assertSameDetections(file.subList(0, before - 1), got.subList(0, before - 1));
        for (int i = 0; i < file.size(); i++) {
            Results want = file.get(i), have = got.get(before + i);
            assertArrayEquals(want.boxes().xyxy(), have.boxes().xyxy(), 1e-4f, "frame " + i + " after the reconnection");
        }
    }
}
