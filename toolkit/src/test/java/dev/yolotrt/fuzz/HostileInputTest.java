package dev.yolotrt.fuzz;

import ai.onnx.proto.OnnxMl;
import com.sun.net.httpserver.HttpServer;
import dev.yolotrt.backend.OnnxExternalData;
import dev.yolotrt.cli.Main;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.testutil.TinyOnnx;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The classes of defect a careful attacker found with hostile models, dataset YAMLs, archives, options and messages
 * (issue 22): each is reproduced here, and must end in one clear line with nothing read or written outside the folders
 * the user chose.
 */
class HostileInputTest {

    @TempDir
    Path tmp;

    /** These cases load yolov8n or read bus.jpg from the test assets: without them, they are skipped. */
    @org.junit.jupiter.api.BeforeEach
    void assets() {
        Shared.require();
    }

    // --- reads outside the model's folder --------------------------------------------------------------

    @Test
    void onnxExternalDataMayNotLeaveTheModelsFolder() throws Exception {
        Path secret = Files.writeString(tmp.resolve("secret.bin"), "0123456789abcdef");
        Path models = Files.createDirectories(tmp.resolve("models"));
        for (String location : List.of("../secret.bin", secret.toString(), "sub/../../secret.bin", "/etc/passwd")) {
            Path onnx = external(models.resolve("m.onnx"), location);
            YoloException e = assertThrows(YoloException.class, () -> Yolo.load(onnx, settings()));
            assertTrue(e.getMessage().contains("keeps its data at") && (e.getMessage().contains("outside") || e.getMessage().contains("absolute")),
                    location + ": " + e.getMessage());
            assertOneLine(e.getMessage());
        }
        // A link inside the folder that points out of it is refused as well.
        Files.createSymbolicLink(models.resolve("link.bin"), secret);
        Path linked = external(models.resolve("l.onnx"), "link.bin");
        assertTrue(assertThrows(YoloException.class, () -> OnnxExternalData.check(linked)).getMessage().contains("outside"));
        // Data beside the model is fine.
        Files.write(models.resolve("w.bin"), new byte[16]);
        OnnxExternalData.check(external(models.resolve("ok.onnx"), "w.bin"));
    }

    /** y = x + w, with w's 4 floats kept in an external file at {@code location}. */
    private static Path external(Path file, String location) throws Exception {
        OnnxMl.TensorProto w = OnnxMl.TensorProto.newBuilder().setName("w").addDims(4).setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
                .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("length").setValue("16")).build();
        OnnxMl.ModelProto m = OnnxMl.ModelProto.newBuilder().setIrVersion(8).addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17))
                .setGraph(OnnxMl.GraphProto.newBuilder().setName("g").addInitializer(w)
                        .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"))
                        .addInput(TinyOnnx.tensor("x", 4)).addOutput(TinyOnnx.tensor("y", 4)))
                .build();
        return Files.write(file, m.toByteArray());
    }

    // --- writes outside the datasets folder --------------------------------------------------------------

    @Test
    void datasetDownloadTargetsPathsAndArchiveEntriesStayInTheDatasetsFolder() throws Exception {
        Path datasets = Files.createDirectories(tmp.resolve("datasets"));
        Path outside = tmp.resolve("outside");
        byte[] zip = zip(Map.of("ok/images/val/a.txt", "x"));
        byte[] slip = zip(Map.of("../../outside/pwned.txt", "x"));
        HttpServer server = serve(Map.of("/ok.zip", zip, "/slip.zip", slip));
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Settings s = Settings.from(Map.of(Settings.DATASETS, datasets.toString(), Settings.CACHE, tmp.resolve("cache").toString()));
        try {
            for (String target : List.of("../outside", outside.toString(), "a/../../outside")) {
                String yaml = "path: ds\nval: images/val\nnames: [a]\ndownload:\n  " + base + "/ok.zip: " + target + "\n";
                YoloException e = assertThrows(YoloException.class, () -> Dataset.fromYaml(yaml, "d.yaml", s).images("val", s));
                assertTrue(e.getMessage().contains("download target"), target + ": " + e.getMessage());
            }
            String slipYaml = "path: ds\nval: images/val\nnames: [a]\ndownload: " + base + "/slip.zip\n";
            YoloException e = assertThrows(YoloException.class, () -> Dataset.fromYaml(slipYaml, "d.yaml", s).images("val", s));
            assertTrue(e.getMessage().contains("archive entry") && e.getMessage().contains("outside"), e.getMessage());
            // path: climbing out of the datasets folder, or an absolute path elsewhere, is refused before anything is read.
            for (String path : List.of("../outside", "/etc")) {
                YoloException p = assertThrows(YoloException.class, () -> Dataset.fromYaml("path: " + path + "\nval: x\nnames: [a]\n", "d.yaml", s));
                assertTrue(p.getMessage().contains("lies outside") && p.getMessage().contains("YOLO_TRT_DATASETS"), p.getMessage());
            }
        } finally {
            server.stop(0);
        }
        assertFalse(Files.exists(outside), "nothing written outside the datasets folder");
        try (var files = Files.walk(datasets)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".part") || f.getFileName().toString().contains(".part.")));
        }
    }

    @Test
    void aLinkInsideTheDatasetsFolderDoesNotLeadOut() throws Exception {
        Path datasets = Files.createDirectories(tmp.resolve("datasets"));
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere/images/val"));
        Files.copy(Shared.image("bus.jpg"), elsewhere.resolve("bus.jpg"));
        Files.createSymbolicLink(datasets.resolve("ds"), tmp.resolve("elsewhere"));
        Settings s = Settings.from(Map.of(Settings.DATASETS, datasets.toString(), Settings.CACHE, tmp.resolve("cache").toString()));
        YoloException e = assertThrows(YoloException.class, () -> Dataset.fromYaml("path: ds\nval: images/val\nnames: [a]\n", "d.yaml", s));
        assertTrue(e.getMessage().contains("lies outside"), e.getMessage());
    }

    @Test
    void classNamesFromAModelCannotLeadCropsOutOfTheRunFolder() throws Exception {
        // yolov8n.onnx with its class names replaced: person is "../../../escaped", bus is "/abs"
        OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(Shared.model("yolov8n.onnx")));
        OnnxMl.ModelProto.Builder b = m.toBuilder().clearMetadataProps();
        for (OnnxMl.StringStringEntryProto p : m.getMetadataPropsList()) {
            String v = p.getKey().equals("names") ? p.getValue().replace("'person'", "'../../../escaped'").replace("'bus'", "'/abs'") : p.getValue();
            b.addMetadataProps(p.toBuilder().setValue(v));
        }
        Path model = Files.write(Files.createDirectories(tmp.resolve("m")).resolve("evil.onnx"), b.build().toByteArray());
        Path runs = tmp.resolve("a/b/runs");
        try (Yolo y = Yolo.load(model, settings())) {
            y.predict(Shared.image("bus.jpg").toString(), Map.of("save_crop", true, "project", runs.toString(), "name", "p"));
        }
        try (var all = Files.walk(tmp)) {
            List<Path> crops = all.filter(f -> f.toString().endsWith(".jpg")).toList();
            assertTrue(crops.size() >= 5, "crops: " + crops);
            assertTrue(crops.stream().allMatch(f -> f.startsWith(runs.resolve("p/crops"))), "every crop inside the run folder: " + crops);
        }
    }

    // --- decompression bombs in every format OpenCV reads --------------------------------------------------

    @Test
    void imageHeadersClaimingGigapixelsAreRefusedInEveryFormat() throws Exception {
        java.nio.ByteBuffer bmp = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bmp.put((byte) 'B').put((byte) 'M').putInt(2, 64).putInt(18, 30_000).putInt(22, -30_000).putShort(26, (short) 1).putShort(28, (short) 24);
        java.nio.ByteBuffer webp = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        webp.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(56).put("WEBPVP8X".getBytes(StandardCharsets.US_ASCII)).putInt(10).putInt(0);
        webp.put(24, (byte) 0xff).put(25, (byte) 0x3f).put(27, (byte) 0xff).put(28, (byte) 0x3f); // 16384 x 16384
        java.nio.ByteBuffer tiff = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        tiff.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8).putShort((short) 2)
                .putShort((short) 256).putShort((short) 4).putInt(1).putInt(40_000).putShort((short) 257).putShort((short) 4).putInt(1).putInt(40_000);
        byte[] pfm = "PF\n20000 20000\n-1.0\n".getBytes(StandardCharsets.US_ASCII);
        Map<String, byte[]> bombs = Map.of("bomb.bmp", bmp.array(), "bomb.webp", webp.array(), "bomb.tif", tiff.array(), "bomb.pfm", pfm);
        for (var b : bombs.entrySet()) {
            Path f = Files.write(tmp.resolve(b.getKey()), b.getValue());
            YoloException e = assertThrows(YoloException.class, () -> dev.yolotrt.data.Images.read(f));
            assertTrue(e.getMessage().contains("megapixels allowed"), b.getKey() + ": " + e.getMessage());
        }
    }

    // --- options without upper bounds, messages ---------------------------------------------------------

    @Test
    void optionsOutOfRangeAreRefusedBeforeAnythingRuns() {
        Path project = tmp.resolve("runs");
        for (String[] bad : List.of(new String[] {"threads=1000000", "threads=1000000: must be from 0 to 1024"},
                new String[] {"threads=-1", "threads=-1: must be from 0 to 1024"},
                new String[] {"line_width=1000000", "line_width=1000000: must be from 1 to 100"},
                new String[] {"device=dla:7", "a DLA core is dla:0 or dla:1"})) {
            String err = cli("predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "project=" + project, bad[0]);
            assertTrue(err.contains(bad[1]), bad[0] + ": " + err);
            assertFalse(Files.exists(project), bad[0] + " left a run folder");
        }
        String err = cli("predict", "model=yolov8n.onnx", "device=99", "project=" + project);
        assertTrue(err.contains("device=99: this machine has"), err);
    }

    @Test
    void aHugeArgumentGivesAShortLine() {
        String huge = "x".repeat(3_000_000);
        for (String arg : List.of(huge + "=1", "conf=" + huge, "model=" + huge, huge)) {
            String err = cli("predict", arg);
            assertTrue(err.length() < 2_100, err.length() + " characters");
        }
    }

    @Test
    void aClosedModelSaysSo() {
        Yolo m = Yolo.load(Shared.model("yolov8n.onnx"), settings());
        m.close();
        YoloException e = assertThrows(YoloException.class, () -> m.predict(Shared.image("bus.jpg").toString()));
        assertTrue(e.getMessage().contains("this model was closed"), e.getMessage());
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private Settings settings() {
        return Settings.from(Map.of(Settings.CACHE, tmp.resolve("cache").toString(), Settings.MODELS, Shared.model("yolov8n.onnx").getParent().toString()));
    }

    private String cli(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(new ByteArrayOutputStream(), true), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8).strip();
        assertTrue(rc != 0, "exit code " + rc);
        assertEquals(1, text.lines().count(), "one line: " + text.substring(0, Math.min(300, text.length())));
        assertFalse(text.contains("Exception"), text.substring(0, Math.min(300, text.length())));
        return text;
    }

    private static void assertOneLine(String m) {
        assertFalse(m.contains("\n"), m);
    }

    private static byte[] zip(Map<String, String> entries) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toByteArray();
    }

    private static HttpServer serve(Map<String, byte[]> files) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        files.forEach((path, body) -> server.createContext(path, x -> {
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        }));
        server.start();
        return server;
    }
}
