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
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void fetchChecksTheDigestAndMovesIntoPlace(@TempDir Path tmp) throws Exception {
        Path f = Downloads.fetch(base + "/ok", tmp.resolve("w.onnx"), Downloads.sha256(BODY), "hint");
        assertArrayEquals(BODY, Files.readAllBytes(f));
        assertArrayEquals(BODY, Downloads.bytes(base + "/ok", "image"));
        // sha256 of "abc", a known value
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Downloads.sha256("abc".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aWrongDigestOrAMissingFileLeavesNothing(@TempDir Path tmp) throws Exception {
        YoloException bad = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/ok", tmp.resolve("w.onnx"), "00ff", "Put it in X."));
        assertTrue(bad.getMessage().contains("expected 00ff; the file was discarded. Put it in X."), bad.getMessage());
        YoloException missing = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/none", tmp.resolve("n.onnx"), null, "Offline? Put it in X."));
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
        YoloException e = assertThrows(YoloException.class, () -> Downloads.fetch(base + "/cut", tmp.resolve("w.pt"), null, "Offline? Put it in X."));
        assertTrue(e.getMessage().startsWith("could not download " + base + "/cut"), e.getMessage());
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList()); // neither the file nor a hidden part
        }
    }
}
