package dev.yolotrt.model.pt;

import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.backend.Tensor;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.Settings;
import net.razorvine.pickle.objects.ClassDict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints rebuilt in Java give the outputs of Ultralytics' ONNX exports of them. yolov8n.pt is
 * compared with yolov8n.onnx, the FP32 export its FP16 weights were made from (boxes within 1.5 px,
 * scores within 1e-3: the FP16 rounding, as ASSETS.md measures for Ultralytics' own export of the .pt).
 */
class OnnxWriterTest {

    /** Our conversion of {@code name}.pt and Ultralytics' {@code name}.onnx, run on one random image. */
    private record Outputs(Tensor ours, Tensor theirs) {
        static Outputs of(String pt, String onnx, int imgsz, long seed, Path tmp) throws Exception {
            return of(pt, c -> { }, onnx, imgsz, seed, tmp);
        }

        /** The same, with the checkpoint's module tree edited before conversion. */
        static Outputs of(String pt, Consumer<Checkpoint> edit, String onnx, int imgsz, long seed, Path tmp) throws Exception {
            Path ours;
            try (Checkpoint c = Checkpoint.read(Shared.model(pt))) {
                edit.accept(c);
                ours = Files.write(tmp.resolve("java.onnx"), OnnxWriter.write(c, imgsz));
            }
            float[] input = new float[3 * imgsz * imgsz];
            Random r = new Random(seed);
            for (int i = 0; i < input.length; i++) input[i] = r.nextFloat();
            try (OnnxRuntimeBackend a = OnnxRuntimeBackend.open(ours, 0); OnnxRuntimeBackend b = OnnxRuntimeBackend.open(Shared.model(onnx), 0)) {
                return new Outputs(a.infer(FloatBuffer.wrap(input), 1, imgsz, imgsz).get(0), b.infer(FloatBuffer.wrap(input), 1, imgsz, imgsz).get(0));
            }
        }

        /** Largest difference in the box rows (the first four of each anchor column), then in the rest. */
        double[] maxDiffs() {
            assertArrayEquals(theirs.shape(), ours.shape());
            int anchors = theirs.dim(2);
            double box = 0, rest = 0;
            for (int k = 0; k < theirs.data().limit(); k++) {
                double d = Math.abs(ours.data().get(k) - theirs.data().get(k));
                if (k < 4 * anchors) box = Math.max(box, d);
                else rest = Math.max(rest, d);
            }
            return new double[] {box, rest};
        }
    }

    @Test
    void predictingWithThePtGivesTheOnnxDetections() {
        String bus = Shared.image("bus.jpg").toString();
        try (var pt = Yolo.load("yolov8n.pt", Shared.settings()); var onnx = Yolo.load("yolov8n.onnx", Shared.settings())) {
            var a = pt.predict(bus).get(0).boxes();
            var b = onnx.predict(bus).get(0).boxes();
            assertEquals(b.size(), a.size());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(b.cls(i), a.cls(i));
                assertArrayEquals(b.xyxy(i), a.xyxy(i), 1f, "box " + i);
            }
            assertEquals(onnx.metadata().names(), pt.metadata().names());
            assertEquals(32, pt.metadata().stride());
        }
    }

    @Test
    void yolov8nPtMatchesItsUltralyticsExport(@TempDir Path tmp) throws Exception {
        double[] d = Outputs.of("yolov8n.pt", "yolov8n.onnx", 640, 5, tmp).maxDiffs();
        System.out.printf("yolov8n.pt vs yolov8n.onnx: boxes %.4f px, scores %.6f%n", d[0], d[1]);
        assertTrue(d[0] <= 1.5, "boxes differ by up to " + d[0] + " px");
        assertTrue(d[1] <= 1e-3, "scores differ by up to " + d[1]);
    }

    @Test
    void nestedSequentialBranchesAsInYolo11HeadsConvertToo(@TempDir Path tmp) throws Exception {
        // YOLO11's class branches are Sequential(Sequential(DWConv, Conv), Sequential(DWConv, Conv), Conv2d).
        // Wrapping yolov8n's first class-branch Conv of every level in a Sequential of its own changes nothing
        // mathematically, so the output must still be yolov8n.onnx's.
        Consumer<Checkpoint> nest = c -> {
            ClassDict detect = (ClassDict) modules(modules(c.model()).get("model")).get("22");
            Map<?, ?> levels = modules(modules(detect).get("cv3"));
            for (Object level : levels.values()) {
                @SuppressWarnings("unchecked")
                Map<Object, Object> seq = (Map<Object, Object>) modules(level);
                ClassDict wrapper = new ClassDict("torch.nn.modules.container", "Sequential");
                wrapper.put("_modules", new java.util.LinkedHashMap<>(Map.of("0", seq.get("0"))));
                seq.put("0", wrapper);
            }
        };
        double[] d = Outputs.of("yolov8n.pt", nest, "yolov8n.onnx", 640, 5, tmp).maxDiffs();
        assertTrue(d[0] <= 1.5 && d[1] <= 1e-3, "boxes differ by " + d[0] + " px, scores by " + d[1]);
    }

    @Test
    void poseHeadsDecodeKeypointsAsUltralyticsExportDoes(@TempDir Path tmp) throws Exception {
        // yolov8n made a pose model whose keypoint branch (cv4) is its class branch (cv3): kpt_shape [40, 2],
        // so keypoint value k is the class logit k decoded as a keypoint, (logit·2 + cell)·stride, which we
        // recompute from the class scores (logit = ln(s / (1 − s))).
        Consumer<Checkpoint> pose = c -> {
            ClassDict detection = c.model();
            @SuppressWarnings("unchecked")
            Map<Object, Object> layers = (Map<Object, Object>) modules(modules(detection).get("model"));
            ClassDict detect = (ClassDict) layers.get("22");
            ClassDict head = new ClassDict("ultralytics.nn.modules.head", "Pose");
            head.putAll(detect);
            head.put("kpt_shape", new Object[] {40, 2});
            Map<Object, Object> children = new java.util.LinkedHashMap<>(modules(detect));
            children.put("cv4", children.get("cv3"));
            head.put("_modules", children);
            layers.put("22", head);
            ClassDict model = new ClassDict("ultralytics.nn.tasks", "PoseModel");
            model.putAll(detection);
            @SuppressWarnings("unchecked")
            Map<Object, Object> root = (Map<Object, Object>) c.root();
            root.remove("ema");
            root.put("model", model);
        };
        Outputs o = Outputs.of("yolov8n.pt", pose, "yolov8n.onnx", 640, 5, tmp);
        assertArrayEquals(new long[] {1, 4 + 80 + 80, 8400}, o.ours().shape());
        FloatBuffer ours = o.ours().data(), theirs = o.theirs().data();
        int anchors = 8400;
        double box = 0, score = 0, kpt = 0;
        int checked = 0;
        for (int a = 0, level = 0, start = 0; a < anchors; a++) {
            int side = 80 >> level;
            if (a - start == side * side) {
                start = a;
                side = 80 >> ++level;
            }
            int stride = 8 << level, cell = a - start;
            for (int r = 0; r < 84; r++) {
                double d = Math.abs(ours.get(r * anchors + a) - theirs.get(r * anchors + a));
                if (r < 4) box = Math.max(box, d);
                else score = Math.max(score, d);
            }
            for (int k = 0; k < 80; k++) {
                double s = ours.get((4 + k) * anchors + a);
                if (s < 1e-3 || s > 0.999) continue; // the sigmoid's rounding hides the logit there
                double logit = Math.log(s / (1 - s));
                double expected = (logit * 2 + (k % 2 == 0 ? cell % side : cell / side)) * stride;
                kpt = Math.max(kpt, Math.abs(ours.get((84 + k) * anchors + a) - expected) / Math.max(1, Math.abs(expected)));
                checked++;
            }
        }
        assertTrue(box <= 1.5 && score <= 1e-3, "boxes differ by " + box + " px, scores by " + score);
        assertTrue(checked > 100, checked + " keypoint values checked");
        assertTrue(kpt <= 1e-3, "keypoints differ by up to " + kpt + " (relative), " + checked + " values checked");
        try (var m = Yolo.load(tmp.resolve("java.onnx"), Shared.settings())) {
            assertEquals("pose", m.metadata().task());
            assertArrayEquals(new int[] {40, 2}, m.metadata().kptShape());
            assertEquals(40, m.predict(Shared.image("bus.jpg").toString()).get(0).keypoints().xy(0).length / 2);
        }
    }

    private static Map<?, ?> modules(Object module) {
        return (Map<?, ?>) ((ClassDict) module).get("_modules");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yolov8n-cls-waste", "yolo11n-cls-dogcat"})
    void classifierPtsMatchTheirUltralyticsExports(String name, @TempDir Path tmp) throws Exception {
        Outputs o = Outputs.of(name + ".pt", name + ".onnx", 224, 9, tmp);
        assertArrayEquals(o.theirs().shape(), o.ours().shape());
        for (int k = 0; k < o.theirs().data().limit(); k++) {
            assertEquals(o.theirs().data().get(k), o.ours().data().get(k), 1e-3, "probability " + k);
        }
    }

    @Test
    void obbPtMatchesItsUltralyticsExport(@TempDir Path tmp) throws Exception {
        double[] d = Outputs.of("yolov8n-obb-dota8.pt", "yolov8n-obb-dota8.onnx", 640, 11, tmp).maxDiffs();
        assertTrue(d[0] <= 1e-2 && d[1] <= 1e-3, "boxes differ by " + d[0] + " px, scores and angles by " + d[1]);
    }

    @Test
    void anOnnxNameWhoseCheckpointIsThereUsesTheCheckpoint(@TempDir Path tmp) throws Exception {
        Files.copy(Shared.model("yolov8n.pt"), tmp.resolve("yolov8n.pt"));
        var settings = Settings.from(Map.of(Settings.MODELS, tmp.toString(), Settings.CACHE, tmp.resolve("cache").toString()));
        try (var m = Yolo.load("yolov8n.onnx", settings)) {
            assertTrue(m.file().startsWith(tmp.resolve("cache/converted")), m.file().toString());
            assertEquals("detect", m.metadata().task());
        }
    }
}
