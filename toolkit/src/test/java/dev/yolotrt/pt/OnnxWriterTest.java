package dev.yolotrt.pt;

import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.tensor.Tensor;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.Settings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    private record Outputs(List<Tensor> oursAll, Tensor theirs) {
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
                return new Outputs(a.infer(FloatBuffer.wrap(input), 1, imgsz, imgsz), b.infer(FloatBuffer.wrap(input), 1, imgsz, imgsz).get(0));
            }
        }

        Tensor ours() {
            return oursAll.get(0);
        }

        /** Largest difference in the box rows (the first four of each anchor column), then in the rest. */
        double[] maxDiffs() {
            assertArrayEquals(theirs.shape(), ours().shape());
            int anchors = theirs.dim(2);
            double box = 0, rest = 0;
            for (int k = 0; k < theirs.data().limit(); k++) {
                double d = Math.abs(ours().data().get(k) - theirs.data().get(k));
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
            PyObject detect = (PyObject) modules(modules(c.model()).get("model")).get("22");
            Map<?, ?> levels = modules(modules(detect).get("cv3"));
            for (Object level : levels.values()) {
                @SuppressWarnings("unchecked")
                Map<Object, Object> seq = (Map<Object, Object>) modules(level);
                PyObject wrapper = new PyObject("torch.nn.modules.container", "Sequential");
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
        Consumer<Checkpoint> pose = c -> retask(c, "Pose", "PoseModel", Map.of("kpt_shape", new Object[] {40, 2}), Map.of());
        Outputs o = Outputs.of("yolov8n.pt", pose, "yolov8n.onnx", 640, 5, tmp);
        assertArrayEquals(new long[] {1, 4 + 80 + 80, 8400}, o.ours().shape());
        assertExtraRowsAreTheClassLogits(o, true);
        try (var m = Yolo.load(tmp.resolve("java.onnx"), Shared.settings())) {
            assertEquals("pose", m.metadata().task().id());
            assertArrayEquals(new int[] {40, 2}, m.metadata().kptShape());
            assertEquals(40, m.predict(Shared.image("bus.jpg").toString()).get(0).keypoints().xy(0).length / 2);
        }
    }

    @Test
    void keypointVisibilityIsDecodedWithASigmoid(@TempDir Path tmp) throws Exception {
        // kpt_shape [2, 3] from a keypoint branch of zero weights and a bias: every anchor's raw values are the
        // bias, so x = (b·2 + column)·stride, y = (b·2 + row)·stride, visibility = sigmoid(b), by hand.
        float[] bias = {0.25f, -0.5f, 1.0f, 0.75f, 0.1f, -2.0f};
        Outputs o;
        try (Synthetic w = new Synthetic(tmp.resolve("w.zip"), Map.of("z64", new float[6 * 64], "z128", new float[6 * 128],
                "z256", new float[6 * 256], "b", bias))) {
            Map<String, Object> levels = new java.util.HashMap<>();
            int[] channels = {64, 128, 256};
            for (int l = 0; l < 3; l++) {
                levels.put(String.valueOf(l), module("torch.nn.modules.container", "Sequential",
                        Map.of("0", conv1x1(w, "z" + channels[l], "b", 6, channels[l]))));
            }
            PyObject cv4 = module("torch.nn.modules.container", "ModuleList", levels);
            o = Outputs.of("yolov8n.pt", c -> retask(c, "Pose", "PoseModel", Map.of("kpt_shape", new Object[] {2, 3}), Map.of("cv4", cv4)),
                    "yolov8n.onnx", 640, 5, tmp);
        }
        assertArrayEquals(new long[] {1, 4 + 80 + 6, 8400}, o.ours().shape());
        FloatBuffer ours = o.ours().data();
        double worst = 0;
        for (int a = 0; a < 8400; a++) {
            int[] g = grid(a);
            for (int k = 0; k < 2; k++) {
                double x = (bias[3 * k] * 2 + g[1]) * g[0], y = (bias[3 * k + 1] * 2 + g[2]) * g[0];
                double v = 1 / (1 + Math.exp(-bias[3 * k + 2]));
                worst = Math.max(worst, Math.abs(ours.get((84 + 3 * k) * 8400 + a) - x));
                worst = Math.max(worst, Math.abs(ours.get((85 + 3 * k) * 8400 + a) - y));
                worst = Math.max(worst, Math.abs(ours.get((86 + 3 * k) * 8400 + a) - v));
            }
        }
        assertTrue(worst <= 1e-3, "keypoints differ from the hand-computed ones by " + worst);
    }

    /** Anchor {@code a}'s stride, column and row in yolov8n's 80, 40 and 20 cell grids at 640. */
    private static int[] grid(int a) {
        for (int level = 0, start = 0; ; level++) {
            int side = 80 >> level;
            if (a < start + side * side) return new int[] {8 << level, (a - start) % side, (a - start) / side};
            start += side * side;
        }
    }

    /**
     * Rows 84.. of our output0 against the class logits recomputed from its scores (logit = ln(s / (1 − s))):
     * decoded as keypoints, (logit·2 + cell)·stride, or as they are (mask coefficients); rows 0..83 equal
     * yolov8n.onnx's.
     */
    private static void assertExtraRowsAreTheClassLogits(Outputs o, boolean asKeypoints) {
        FloatBuffer ours = o.ours().data(), theirs = o.theirs().data();
        int anchors = 8400;
        double box = 0, score = 0, extra = 0;
        int checked = 0;
        for (int a = 0; a < anchors; a++) {
            int[] g = grid(a);
            for (int r = 0; r < 84; r++) {
                double d = Math.abs(ours.get(r * anchors + a) - theirs.get(r * anchors + a));
                if (r < 4) box = Math.max(box, d);
                else score = Math.max(score, d);
            }
            for (int k = 0; k < 80; k++) {
                double s = ours.get((4 + k) * anchors + a);
                if (s < 1e-3 || s > 0.999) continue; // the sigmoid's rounding hides the logit there
                double logit = Math.log(s / (1 - s));
                double expected = asKeypoints ? (logit * 2 + g[1 + k % 2]) * g[0] : logit;
                extra = Math.max(extra, Math.abs(ours.get((84 + k) * anchors + a) - expected) / Math.max(1, Math.abs(expected)));
                checked++;
            }
        }
        assertTrue(box <= 1.5 && score <= 1e-3, "boxes differ by " + box + " px, scores by " + score);
        assertTrue(checked > 100, checked + " values checked");
        assertTrue(extra <= 1e-3, "rows 84.. differ by up to " + extra + " (relative), " + checked + " values checked");
    }

    @Test
    void segmentHeadsGiveCoefficientsAndPrototypes(@TempDir Path tmp) throws Exception {
        // yolov8n made a segment model: its class branch (cv3) as the coefficient branch (cv4, nm = 80), and a
        // Proto of 1×1 identity convolutions around a 2× ConvTranspose2d whose weights we choose. Run once with
        // the transposed convolution copying each channel into its 2×2 block, and once with channel i feeding
        // channel i + 1 times (2·ky + kx + 1) plus a bias of 0.5: the second prototypes follow from the first.
        float[] copy = new float[64 * 64 * 4], shifted = new float[64 * 64 * 4];
        for (int i = 0; i < 64; i++) {
            for (int q = 0; q < 4; q++) {
                copy[(i * 64 + i) * 4 + q] = 1;
                shifted[(i * 64 + (i + 1) % 64) * 4 + q] = q + 1;
            }
        }
        float[] half = new float[64];
        java.util.Arrays.fill(half, 0.5f);
        Path first = tmp.resolve("a"), second = tmp.resolve("b");
        Files.createDirectories(first);
        Files.createDirectories(second);
        Outputs a, b;
        try (Synthetic w = new Synthetic(tmp.resolve("w.zip"), Map.of("copy", copy, "shifted", shifted, "half", half,
                "eye64", eye(64, 64), "eye80", eye(80, 64)))) {
            a = Outputs.of("yolov8n.pt", c -> segment(c, w, "copy", null), "yolov8n.onnx", 640, 5, first);
            b = Outputs.of("yolov8n.pt", c -> segment(c, w, "shifted", "half"), "yolov8n.onnx", 640, 5, second);
        }
        assertArrayEquals(new long[] {1, 4 + 80 + 80, 8400}, a.ours().shape());
        assertExtraRowsAreTheClassLogits(a, false);
        Tensor pa = a.oursAll().get(1), pb = b.oursAll().get(1);
        assertArrayEquals(new long[] {1, 80, 160, 160}, pa.shape());
        double copyErr = 0, shiftErr = 0, range = 0;
        for (int q = 0; q < 80; q++) {
            for (int y = 0; y < 160; y++) {
                for (int x = 0; x < 160; x++) {
                    float v = pa.data().get((q * 160 + y) * 160 + x);
                    range = Math.max(range, Math.abs(v));
                    // nearest-neighbour: every pixel equals its 2×2 block's top-left one
                    copyErr = Math.max(copyErr, Math.abs(v - pa.data().get((q * 160 + y / 2 * 2) * 160 + x / 2 * 2)));
                    int from = ((q % 64) + 63) % 64;
                    double expected = pa.data().get((from * 160 + y) * 160 + x) * (2 * (y % 2) + (x % 2) + 1) + 0.5;
                    shiftErr = Math.max(shiftErr, Math.abs(pb.data().get((q * 160 + y) * 160 + x) - expected));
                }
            }
        }
        assertTrue(range > 1, "prototypes all near zero: " + range);
        assertTrue(copyErr <= 1e-5 && shiftErr <= 1e-4, "copy " + copyErr + ", shifted " + shiftErr);
        try (var m = Yolo.load(first.resolve("java.onnx"), Shared.settings())) {
            assertEquals("segment", m.metadata().task().id());
            var r = m.predict(Shared.image("bus.jpg").toString()).get(0);
            assertTrue(r.boxes().size() > 0);
            assertEquals(r.boxes().size(), r.masks().size());
        }
    }

    /** An identity matrix [rows, cols] (row r picks column r mod cols), as 1×1 convolution weights. */
    private static float[] eye(int rows, int cols) {
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) w[r * cols + r % cols] = 1;
        return w;
    }

    /** Turns yolov8n's checkpoint into a segment one: see {@link #segmentHeadsGiveCoefficientsAndPrototypes}. */
    private static void segment(Checkpoint c, Synthetic w, String upWeight, String upBias) {
        PyObject up = module("torch.nn.modules.conv", "ConvTranspose2d", Map.of());
        up.put("_parameters", params(w.tensor(upWeight, 64, 64, 2, 2), upBias == null ? null : w.tensor(upBias, 64)));
        up.put("kernel_size", new Object[] {2, 2});
        up.put("stride", new Object[] {2, 2});
        up.put("padding", new Object[] {0, 0});
        PyObject proto = module("ultralytics.nn.modules.block", "Proto", Map.of("cv1", identity(w, "eye64", 64),
                "upsample", up, "cv2", identity(w, "eye64", 64), "cv3", identity(w, "eye80", 80)));
        retask(c, "Segment", "SegmentationModel", Map.of("nm", 80), Map.of("proto", proto));
    }

    /**
     * yolov8n's checkpoint with its Detect head made a {@code head} of a {@code model}: the attributes and
     * children added, and its class branch (cv3) also as the head's extra branch (cv4).
     */
    private static void retask(Checkpoint c, String head, String model, Map<String, Object> attributes, Map<String, Object> children) {
        PyObject detection = c.model();
        @SuppressWarnings("unchecked")
        Map<Object, Object> layers = (Map<Object, Object>) modules(modules(detection).get("model"));
        PyObject detect = (PyObject) layers.get("22");
        PyObject h = new PyObject("ultralytics.nn.modules.head", head);
        h.putAll(detect);
        h.putAll(attributes);
        Map<Object, Object> kids = new java.util.LinkedHashMap<>(modules(detect));
        kids.put("cv4", kids.get("cv3"));
        kids.putAll(children);
        h.put("_modules", kids);
        layers.put("22", h);
        PyObject m = new PyObject("ultralytics.nn.tasks", model);
        m.putAll(detection);
        @SuppressWarnings("unchecked")
        Map<Object, Object> root = (Map<Object, Object>) c.root();
        root.remove("ema");
        root.put("model", m);
    }

    /** An Ultralytics Conv of a 1×1 Conv2d with the given weights [out, 64] and no activation. */
    private static PyObject identity(Synthetic w, String weight, int out) {
        return module("ultralytics.nn.modules.conv", "Conv", Map.of("conv", conv1x1(w, weight, null, out, 64),
                "act", module("torch.nn.modules.linear", "Identity", Map.of())));
    }

    /** A 1×1 torch Conv2d of weights [out, in] and an optional bias. */
    private static PyObject conv1x1(Synthetic w, String weight, String bias, int out, int in) {
        PyObject conv = module("torch.nn.modules.conv", "Conv2d", Map.of());
        conv.put("_parameters", params(w.tensor(weight, out, in, 1, 1), bias == null ? null : w.tensor(bias, out)));
        conv.put("kernel_size", new Object[] {1, 1});
        conv.put("stride", new Object[] {1, 1});
        conv.put("padding", new Object[] {0, 0});
        conv.put("dilation", new Object[] {1, 1});
        conv.put("groups", 1);
        return conv;
    }

    private static Map<String, Object> params(Checkpoint.Tensor weight, Checkpoint.Tensor bias) {
        Map<String, Object> p = new java.util.HashMap<>();
        p.put("weight", weight);
        p.put("bias", bias);
        return p;
    }

    private static PyObject module(String pkg, String cls, Map<String, Object> children) {
        PyObject m = new PyObject(pkg, cls);
        m.put("_modules", new java.util.LinkedHashMap<>(children));
        return m;
    }

    /** Float tensors of our choosing, stored in a zip as a checkpoint stores them. */
    private static final class Synthetic implements AutoCloseable {
        private final java.util.zip.ZipFile zip;
        private final Map<String, float[]> values;

        Synthetic(Path file, Map<String, float[]> values) throws Exception {
            this.values = values;
            try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
                for (var e : values.entrySet()) {
                    out.putNextEntry(new java.util.zip.ZipEntry("w/data/" + e.getKey()));
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(e.getValue().length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    for (float v : e.getValue()) b.putFloat(v);
                    out.write(b.array());
                    out.closeEntry();
                }
            }
            zip = new java.util.zip.ZipFile(file.toFile());
        }

        Checkpoint.Tensor tensor(String key, long... shape) {
            long[] stride = new long[shape.length];
            long n = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                stride[d] = n;
                n *= shape[d];
            }
            return new Checkpoint.Tensor(zip, "w", key, new Checkpoint.Storage("float", key, values.get(key).length), 0, shape, stride);
        }

        @Override
        public void close() throws Exception {
            zip.close();
        }
    }

    private static Map<?, ?> modules(Object module) {
        return (Map<?, ?>) ((PyObject) module).get("_modules");
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
            assertEquals("detect", m.metadata().task().id());
        }
    }
}
