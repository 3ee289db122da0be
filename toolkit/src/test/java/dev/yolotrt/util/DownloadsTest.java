package dev.yolotrt.util;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads from a server on the loopback address: checked, moved into place, nothing partial left. */
class DownloadsTest {

    private static final byte[] BODY = "yolo weights".getBytes(StandardCharsets.UTF_8);
    private HttpServer server;
    private String base;

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/ok", x -> {
            x.sendResponseHeaders(200, BODY.length);
            x.getResponseBody().write(BODY);
            x.close();
        });
        server.createContext("/cut", x -> {
            // Promises 100,000 bytes, sends 10 and hangs up: an interrupted transfer.
            x.sendResponseHeaders(200, 100_000);
            x.getResponseBody().write(BODY, 0, 10);
            x.getResponseBody().flush();
            x.close();
        });
        server.createContext("/endless", x -> {
            // A body without end (chunked): stops only when the client hangs up, or after 1 GB.
            x.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[1 << 16];
            try (var out = x.getResponseBody()) {
                for (int i = 0; i < 16_384; i++) out.write(chunk);
            } catch (java.io.IOException hungUp) {
                // the client gave up, as it should
            }
        });
        server.createContext("/drip", x -> {
            // One byte every 200 ms, for at most 60 s: never silent long enough for a read timeout.
            x.sendResponseHeaders(200, 0);
            try (var out = x.getResponseBody()) {
                for (int i = 0; i < 300; i++) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(200);
                }
            } catch (java.io.IOException | InterruptedException hungUp) {
                // the client gave up, as it should
            }
        });
        server.createContext("/slow", x -> {
            // 4 KiB every 200 ms for at most 60 s: not stalled, but slower than a short deadline allows.
            x.sendResponseHeaders(200, 0);
            try (var out = x.getResponseBody()) {
                for (int i = 0; i < 300; i++) {
                    out.write(new byte[4096]);
                    out.flush();
                    Thread.sleep(200);
                }
            } catch (java.io.IOException | InterruptedException hungUp) {
                // the client gave up, as it should
            }
        });
        server.createContext("/big", x -> {
            x.sendResponseHeaders(200, 100L << 20); // says 100 MiB up front
            x.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void fetchChecksTheDigestAndMovesIntoPlace(@TempDir Path tmp) throws Exception {
        Path f = Downloads.fetch(base + "/ok", tmp.resolve("w.onnx"), Downloads.sha256(BODY), Downloads.Kind.MODEL, "hint");
        assertArrayEquals(BODY, Files.readAllBytes(f));
        assertArrayEquals(BODY, Downloads.bytes(base + "/ok", Downloads.Kind.IMAGE, "image"));
        // sha256 of "abc", a known value
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Downloads.sha256("abc".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aWrongDigestOrAMissingFileLeavesNothing(@TempDir Path tmp) throws Exception {
        YoloException bad = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/ok", tmp.resolve("w.onnx"), "00ff", Downloads.Kind.MODEL, "Put it in X."));
        assertTrue(bad.getMessage().contains("expected 00ff; the file was discarded. Put it in X."), bad.getMessage());
        YoloException missing = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/none", tmp.resolve("n.onnx"), null, Downloads.Kind.MODEL, "Offline? Put it in X."));
        assertTrue(missing.getMessage().startsWith("could not download " + base + "/none (HTTP 404). Offline?"), missing.getMessage());
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void anUnknownHostIsSaidSo() {
        assertEquals("unknown host github.com: no network or no DNS", Downloads.oneLine(new java.net.UnknownHostException("github.com")));
    }

    @Test
    void anInterruptedTransferLeavesNothing(@TempDir Path tmp) throws Exception {
        YoloException e = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/cut", tmp.resolve("w.pt"), null, Downloads.Kind.MODEL, "Offline? Put it in X."));
        assertTrue(e.getMessage().startsWith("could not download " + base + "/cut"), e.getMessage());
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList()); // neither the file nor a hidden part
        }
    }

    @Test
    void anEndlessBodyStopsAtTheSizeCapAndLeavesNothing(@TempDir Path tmp) throws Exception {
        System.setProperty("yolo.trt.dataset.max.mb", "8");
        try {
            long t0 = System.nanoTime();
            YoloException e = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/endless", tmp.resolve("d.zip"), null, Downloads.Kind.DATASET, "X."));
            assertTrue(e.getMessage().contains("grew past the dataset limit of 8.0 MiB; raise YOLO_TRT_DATASET_MAX_MB"), e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1e9 < 10);
            YoloException big = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/big", tmp.resolve("b.zip"), null, Downloads.Kind.DATASET, "X."));
            assertTrue(big.getMessage().contains("100.0 MiB is larger than the dataset limit of 8.0 MiB"), big.getMessage());
            // an image in memory has its own cap
            System.setProperty("yolo.trt.image.max.mb", "1");
            YoloException img = assertThrows(YoloException.class, () -> Downloads.bytes(base + "/endless", Downloads.Kind.IMAGE, "image"));
            assertTrue(img.getMessage().contains("image limit of 1.0 MiB"), img.getMessage());
        } finally {
            System.clearProperty("yolo.trt.dataset.max.mb");
            System.clearProperty("yolo.trt.image.max.mb");
        }
        assertNothingIn(tmp);
    }

    @Test
    void aDrippingServerIsAStallAndASlowOneMeetsTheDeadline(@TempDir Path tmp) throws Exception {
        System.setProperty("yolo.trt.stall.s", "1");
        System.setProperty("yolo.trt.model.deadline.s", "2");
        try {
            long t0 = System.nanoTime();
            YoloException drip = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/drip", tmp.resolve("m.pt"), null, Downloads.Kind.MODEL, "X."));
            assertTrue(drip.getMessage().contains("fewer than 1024 bytes in 1 s (stalled)"), drip.getMessage());
            YoloException slow = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/slow", tmp.resolve("m.pt"), null, Downloads.Kind.MODEL, "X."));
            assertTrue(slow.getMessage().contains("longer than the model deadline of 2 s"), slow.getMessage());
            assertTrue((System.nanoTime() - t0) / 1e9 < 10, "both end within seconds");
        } finally {
            System.clearProperty("yolo.trt.stall.s");
            System.clearProperty("yolo.trt.model.deadline.s");
        }
        assertNothingIn(tmp);
    }

    @Test
    void onlyHttpIsFetched() {
        YoloException e = assertThrows(YoloException.class, () -> Downloads.bytes("file:///etc/passwd", Downloads.Kind.IMAGE, "image"));
        assertTrue(e.getMessage().contains("not an http(s) URL"), e.getMessage());
    }

    @Test
    void aKilledDownloadLeavesNoPartFile(@TempDir Path tmp) throws Exception {
        // A child JVM downloads from the dripping server and is stopped (SIGTERM) midway: its shutdown hook removes the part.
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), Fetch.class.getName(), base + "/drip", tmp.resolve("m.pt").toString())
                .redirectErrorStream(true).start();
        for (int i = 0; i < 100 && parts(tmp) == 0; i++) Thread.sleep(100);
        assertEquals(1, parts(tmp), "the download had begun");
        p.destroy();
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        assertNothingIn(tmp);
    }

    /** The child of {@link #aKilledDownloadLeavesNoPartFile}. */
    static final class Fetch {
        public static void main(String[] args) {
            Downloads.fetch(args[0], Path.of(args[1]), null, Downloads.Kind.MODEL, "X.");
        }
    }

    private static long parts(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.filter(AtomicWrite::isPartial).count();
        }
    }

    private static void assertNothingIn(Path dir) throws Exception {
        try (var s = Files.walk(dir)) {
            assertEquals(List.of(dir), s.toList(), "nothing left behind");
        }
    }
}
