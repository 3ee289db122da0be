package dev.yolotrt.data;

import com.sun.net.httpserver.HttpServer;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Official names download their checkpoint from the releases address (a loopback server standing in for
 * Ultralytics' release assets), once; an ONNX name with neither file nor checkpoint falls back to the download.
 */
class ModelsByNameTest {

    private HttpServer server;
    private String base;
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void serve() throws Exception {
        byte[] checkpoint = Files.readAllBytes(Shared.model("yolov8n.pt"));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // The test checkpoint (yolov8n weights, not Ultralytics' file) under two official names: yolov8s.pt, whose
        // sha256 the table does not pin yet, and yolov8n.pt, whose pinned sha256 it does not have.
        for (String name : new String[] {"yolov8s.pt", "yolov8n.pt"}) {
            server.createContext("/v8.4.0/" + name, x -> {
                requests.incrementAndGet();
                x.sendResponseHeaders(200, checkpoint.length);
                x.getResponseBody().write(checkpoint);
                x.close();
            });
        }
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/v8.4.0/";
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private static Settings settings(Path tmp, String releases) {
        return Settings.from(Map.of(Settings.MODELS, tmp.resolve("models").toString(), Settings.CACHE, tmp.resolve("cache").toString(),
                Settings.RELEASES, releases));
    }

    @Test
    void anOnnxNameFallsBackToDownloadingItsCheckpoint(@TempDir Path tmp) throws Exception {
        Settings s = settings(tmp, base);
        Path got = Assets.model("yolov8s.onnx", s);
        assertEquals(tmp.resolve("models/yolov8s.pt"), got);
        assertArrayEquals(Files.readAllBytes(Shared.model("yolov8n.pt")), Files.readAllBytes(got));
        try (Yolo m = Yolo.load("yolov8s.pt", s)) {
            assertEquals("detect", m.metadata().task().id());
            assertEquals(80, m.metadata().names().size());
        }
        assertEquals(1, requests.get(), "downloaded once, then found in the models folder");
    }

    @Test
    void aPinnedNameRefusesOtherBytes(@TempDir Path tmp) {
        YoloException e = assertThrows(YoloException.class, () -> Assets.model("yolov8n.pt", settings(tmp, base)));
        assertTrue(e.getMessage().contains("expected f59b3d833e2ff32e194b5bb8e08d211dc7c5bdf144b90d2c8412c47ccfc83b36; the file was discarded"),
                e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("models")), "nothing is left of the refused download");
    }

    @Test
    void aMissingEngineSaysHowToBuildIt(@TempDir Path tmp) {
        YoloException e = assertThrows(YoloException.class, () -> Assets.model("yolov8n.engine", settings(tmp, base)));
        assertTrue(e.getMessage().endsWith("(set YOLO_TRT_MODELS to the folder that holds it, or an engine is built on the GPU that runs it: "
                + "yolo-trt export model=yolov8n.onnx format=engine on a machine with an NVIDIA GPU)"), e.getMessage());
        assertEquals(0, requests.get(), "engines are never downloaded");
    }

    @Test
    void aMissingUnofficialModelSaysWhichCheckpointsConvert(@TempDir Path tmp) {
        YoloException e = assertThrows(YoloException.class, () -> Assets.model("mine.onnx", settings(tmp, base)));
        assertTrue(e.getMessage().endsWith("put mine.pt there (YOLOv8 and YOLO11 checkpoints are converted in Java when loaded))"), e.getMessage());
        assertEquals(0, requests.get(), "only official names are downloaded");
    }

    @Test
    void offlineItSaysWhereToPutTheFile(@TempDir Path tmp) {
        server.stop(0);
        YoloException e = assertThrows(YoloException.class, () -> Assets.model("yolo11n-seg.pt", settings(tmp, base)));
        assertTrue(e.getMessage().startsWith("could not download " + base + "yolo11n-seg.pt ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("Offline? Put yolo11n-seg.pt in " + tmp.resolve("models") + " (or set YOLO_TRT_MODELS)"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("models")), "the models folder it made for the download is gone again");
    }
}
