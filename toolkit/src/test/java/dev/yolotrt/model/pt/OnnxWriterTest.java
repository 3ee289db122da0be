package dev.yolotrt.model.pt;

import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.backend.Tensor;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * yolov8n.pt rebuilt in Java gives the outputs of yolov8n.onnx, the FP32 export its FP16 weights were
 * made from (boxes within 1.5 px, scores within 1e-3: the FP16 rounding, as ASSETS.md measures for
 * Ultralytics' own export of the .pt), and the same detections on bus.jpg.
 */
class OnnxWriterTest {

    @Test
    void predictingWithThePtGivesTheOnnxDetections() {
        String bus = Shared.image("bus.jpg").toString();
        try (var pt = dev.yolotrt.model.Yolo.load("yolov8n.pt", Shared.settings()); var onnx = dev.yolotrt.model.Yolo.load("yolov8n.onnx", Shared.settings())) {
            var a = pt.predict(bus).get(0).boxes();
            var b = onnx.predict(bus).get(0).boxes();
            org.junit.jupiter.api.Assertions.assertEquals(b.size(), a.size());
            for (int i = 0; i < a.size(); i++) {
                org.junit.jupiter.api.Assertions.assertEquals(b.cls(i), a.cls(i));
                assertArrayEquals(b.xyxy(i), a.xyxy(i), 1f, "box " + i);
            }
            org.junit.jupiter.api.Assertions.assertEquals(onnx.metadata().names(), pt.metadata().names());
            org.junit.jupiter.api.Assertions.assertEquals(32, pt.metadata().stride());
        }
    }

    @Test
    void yolov8nPtMatchesItsUltralyticsExport(@TempDir Path tmp) throws Exception {
        Path ours;
        try (Checkpoint c = Checkpoint.read(Shared.model("yolov8n.pt"))) {
            ours = Files.write(tmp.resolve("yolov8n-java.onnx"), OnnxWriter.write(c, 640));
        }
        float[] input = new float[3 * 640 * 640];
        Random r = new Random(5);
        for (int i = 0; i < input.length; i++) input[i] = r.nextFloat();
        try (OnnxRuntimeBackend a = OnnxRuntimeBackend.open(ours, 0); OnnxRuntimeBackend b = OnnxRuntimeBackend.open(Shared.model("yolov8n.onnx"), 0)) {
            Tensor ta = a.infer(FloatBuffer.wrap(input), 1, 640, 640).get(0), tb = b.infer(FloatBuffer.wrap(input), 1, 640, 640).get(0);
            assertArrayEquals(tb.shape(), ta.shape());
            double maxDiff = 0, maxBox = 0, maxScoreDiff = 0;
            int anchors = tb.dim(2);
            for (int k = 0; k < ta.data().limit(); k++) {
                double d = Math.abs(ta.data().get(k) - tb.data().get(k));
                if (k < 4 * anchors) {
                    maxDiff = Math.max(maxDiff, d);
                    maxBox = Math.max(maxBox, Math.abs(tb.data().get(k)));
                } else {
                    maxScoreDiff = Math.max(maxScoreDiff, d);
                }
            }
            System.out.printf("yolov8n.pt vs yolov8n.onnx: boxes %.4f px of %.1f, scores %.6f%n", maxDiff, maxBox, maxScoreDiff);
            assertTrue(maxDiff <= 1.5, "boxes differ by up to " + maxDiff + " px (range " + maxBox + ")");
            assertTrue(maxScoreDiff <= 1e-3, "scores differ by up to " + maxScoreDiff);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"yolov8n-cls-waste", "yolo11n-cls-dogcat"})
    void classifierPtsMatchTheirUltralyticsExports(String name, @TempDir Path tmp) throws Exception {
        Path ours;
        try (Checkpoint c = Checkpoint.read(Shared.model(name + ".pt"))) {
            ours = Files.write(tmp.resolve(name + "-java.onnx"), OnnxWriter.write(c, 224));
        }
        float[] input = new float[3 * 224 * 224];
        Random r = new Random(9);
        for (int i = 0; i < input.length; i++) input[i] = r.nextFloat();
        try (OnnxRuntimeBackend a = OnnxRuntimeBackend.open(ours, 0); OnnxRuntimeBackend b = OnnxRuntimeBackend.open(Shared.model(name + ".onnx"), 0)) {
            Tensor ta = a.infer(FloatBuffer.wrap(input), 1, 224, 224).get(0), tb = b.infer(FloatBuffer.wrap(input), 1, 224, 224).get(0);
            assertArrayEquals(tb.shape(), ta.shape());
            for (int k = 0; k < tb.data().limit(); k++) {
                org.junit.jupiter.api.Assertions.assertEquals(tb.data().get(k), ta.data().get(k), 1e-3, "probability " + k);
            }
        }
    }

    @Test
    void obbPtMatchesItsUltralyticsExport(@TempDir Path tmp) throws Exception {
        Path ours;
        try (Checkpoint c = Checkpoint.read(Shared.model("yolov8n-obb-dota8.pt"))) {
            ours = Files.write(tmp.resolve("obb-java.onnx"), OnnxWriter.write(c, 640));
        }
        float[] input = new float[3 * 640 * 640];
        Random r = new Random(11);
        for (int i = 0; i < input.length; i++) input[i] = r.nextFloat();
        try (OnnxRuntimeBackend a = OnnxRuntimeBackend.open(ours, 0); OnnxRuntimeBackend b = OnnxRuntimeBackend.open(Shared.model("yolov8n-obb-dota8.onnx"), 0)) {
            Tensor ta = a.infer(FloatBuffer.wrap(input), 1, 640, 640).get(0), tb = b.infer(FloatBuffer.wrap(input), 1, 640, 640).get(0);
            assertArrayEquals(tb.shape(), ta.shape());
            int anchors = tb.dim(2);
            double box = 0, rest = 0;
            for (int k = 0; k < tb.data().limit(); k++) {
                double d = Math.abs(ta.data().get(k) - tb.data().get(k));
                if (k < 4 * anchors) box = Math.max(box, d);
                else rest = Math.max(rest, d);
            }
            assertTrue(box <= 1e-2 && rest <= 1e-3, "boxes differ by " + box + " px, scores and angles by " + rest);
        }
    }

    @Test
    void anOnnxNameWhoseCheckpointIsThereUsesTheCheckpoint(@TempDir Path tmp) throws Exception {
        Files.copy(Shared.model("yolov8n.pt"), tmp.resolve("yolov8n.pt"));
        var settings = dev.yolotrt.util.Settings.from(java.util.Map.of(dev.yolotrt.util.Settings.MODELS, tmp.toString(),
                dev.yolotrt.util.Settings.CACHE, tmp.resolve("cache").toString()));
        try (var m = dev.yolotrt.model.Yolo.load("yolov8n.onnx", settings)) {
            assertTrue(m.file().startsWith(tmp.resolve("cache/converted")), m.file().toString());
            org.junit.jupiter.api.Assertions.assertEquals("detect", m.metadata().task());
        }
    }
}
