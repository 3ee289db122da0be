package dev.yolotrt.bench;

import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.export.LayerGroups;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.ImageScore;
import dev.yolotrt.val.Metrics;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

public class Int8TuningTest {

    static final ExportOptions BASE = ExportOptions.builder().int8(true).batch(8).imgsz(640).data("coco8.yaml").split("train").build();

    /** A hand-made tuning table: three INT8 settings and FP16. */
    public static Table table() {
        return Table.create("t",
                StringColumn.create("Group", "calibrator", "calibrator", "fp16 block", "reference"),
                StringColumn.create("Setting", "minmax", "entropy2", "head in FP16", "FP16"),
                StringColumn.create("Precision", "INT8", "INT8", "INT8", "FP16"),
                DoubleColumn.create("mAP50", 0.7, 0.7, 0.8, 0.8),
                DoubleColumn.create("mAP50-95", 0.60, 0.62, 0.65, 0.66),
                DoubleColumn.create("Engine ms/img", 0.110, 0.115, 0.130, 0.130));
    }

    @Test
    void bestIsTheMostAccurateWithinTheLatencyTolerance() {
        // 10%: 0.110 × 1.1 = 0.121 admits minmax and entropy2; entropy2 has the higher mAP.
        assertEquals(1, Int8Tuning.best(table(), 0.10));
        // 20%: 0.132 admits the head-in-FP16 engine too; FP16 itself is never an INT8 pick.
        assertEquals(2, Int8Tuning.best(table(), 0.20));
        assertEquals(0, Int8Tuning.best(table(), 0.0));
        Table fp16Only = table().where(table().stringColumn("Precision").isEqualTo("FP16"));
        assertThrows(YoloException.class, () -> Int8Tuning.best(fp16Only, 0.1));
    }

    @Test
    void settingsVaryOneKnobAroundTheBase() {
        var f = Int8Tuning.fractions(BASE, 0.25, 1.0);
        assertEquals(0.25, f.get(0).options().fraction());
        assertEquals("train", f.get(0).options().split());
        assertEquals(16, f.get(0).options().calibrationBatch());
        assertEquals(4, Int8Tuning.calibrationBatches(BASE, 4).get(0).options().calibrationBatch());
        assertEquals("entropy2", Int8Tuning.calibrators(BASE, "entropy2").get(0).options().calibrator());
        var refs = Int8Tuning.references(BASE.toBuilder().fp16Layers("/model\\.22/").build());
        assertEquals("fp32", refs.get(0).options().precision());
        assertEquals("fp16", refs.get(1).options().precision());
        assertNull(refs.get(1).options().fp16Layers());
        assertTrue(refs.get(1).options().dynamic());
        var s = Int8Tuning.sensitivity(BASE, LayerGroups.of(Shared.model("yolov8n.onnx")));
        assertEquals(6, s.size());
        assertEquals("head in FP16", s.get(3).label());
        assertEquals("^/model\\.22/", s.get(3).options().fp16Layers());
        // Every setting is a distinct engine: the tuning keys differ, so cached names differ.
        assertFalse(s.get(3).options().tuning().equals(s.get(4).options().tuning()));
        // On Q/DQ the stem is float already: its row would be the all-INT8 engine again.
        var q = Int8Tuning.sensitivity(BASE.toBuilder().quant("qdq").build(), LayerGroups.of(Shared.model("yolov8n.onnx")));
        assertEquals(5, q.size());
        assertTrue(q.stream().noneMatch(x -> x.label().startsWith("stem")), q.toString());
    }

    @Test
    void withoutAGpuItSaysSo() {
        assumeFalse(TensorRt.available());
        try (Yolo model = Yolo.load("yolov8n.onnx", Shared.settings())) {
            var e = assertThrows(YoloException.class, () -> Int8Tuning.run(model, Int8Tuning.references(BASE), "coco8.yaml"));
            assertTrue(e.getMessage().contains("INT8 tuning"), e.getMessage());
        }
    }

    @Test
    void tuningKeysOnlyForInt8() {
        assertEquals(List.of(), List.copyOf(ExportOptions.builder().half(true).stronglyTyped(false).fraction(0.5).build().tuning().keySet()));
        // The strongly typed FP16 network's own default level names its engines apart from level 3's.
        assertEquals(Map.of("opt_level", ExportOptions.TYPED_LEVEL), ExportOptions.builder().half(true).fraction(0.5).build().tuning());
        assertEquals(List.of("fraction", "split", "calib_batch", "fp16_layers"),
                List.copyOf(BASE.toBuilder().fraction(0.5).calibBatch(4).fp16Layers("x").build().tuning().keySet()));
    }

    @Test
    void benchmarkVariantsNameTheExplicitPaths() {
        for (String v : List.of("fp32", "fp16", "fp16-flags", "int8", "int8-percentile", "int8-qdq", "int8-qdq-percentile", "fp16+nms", "fp16-typed+nms")) {
            assertEquals(v, Benchmark.exportOptions(v, 8, 640, "coco8.yaml").variant());
        }
        assertEquals("qdq", Benchmark.exportOptions("int8-qdq-percentile", 8, 640, "coco8.yaml").quant());
        // FP16 is strongly typed unless asked otherwise (or with NMS inside): fp16-typed is fp16's engine.
        assertTrue(Benchmark.exportOptions("fp16", 8, 640, "coco8.yaml").stronglyTyped());
        assertEquals("fp16", Benchmark.exportOptions("fp16-typed", 8, 640, "coco8.yaml").variant());
        assertFalse(Benchmark.exportOptions("fp16-flags", 8, 640, "coco8.yaml").stronglyTyped());
        assertFalse(Benchmark.exportOptions("fp16+nms", 8, 640, "coco8.yaml").stronglyTyped());
    }

    @Test
    void greedyAddsTheBestGainPerMillisecondFirstAndSkipsUselessBlocks() {
        List<Int8Tuning.Block> blocks = List.of(new Int8Tuning.Block("stem", "a", 0.004, 0.002), new Int8Tuning.Block("backbone", "b", 0.006, 0.020),
                new Int8Tuning.Block("neck", "c", -0.001, 0.010), new Int8Tuning.Block("head box", "d", 0.003, 0.0),
                new Int8Tuning.Block("head cls", "e", 0.002, 0.001));
        // ratios: stem 2, backbone 0.3, head box 0.003/1e-6 (free), head cls 2; the neck regains nothing.
        assertEquals(List.of("head box", "stem", "head cls", "backbone"), Int8Tuning.greedyOrder(blocks).stream().map(Int8Tuning.Block::name).toList());
    }

    @Test
    void paretoFrontAndChoice() {
        Table t = table();
        // minmax (0.110 ms, 0.60) and entropy2 (0.115, 0.62) have nothing faster and as good; FP16 (0.130, 0.66) dominates head-in-FP16 (0.130, 0.65).
        assertEquals(List.of(0, 1, 3), Int8Tuning.pareto(t));
        // FP16 0.66, loss ≤ 0.02 within 1.15 × 0.110 = 0.1265 ms: minmax and entropy2 lose too much, head-in-FP16 (loss 0.01) is too slow.
        assertEquals(-1, Int8Tuning.choose(t, 0.66, 0.110, 0.02, 1.15));
        assertEquals(2, Int8Tuning.choose(t, 0.66, 0.110, 0.02, 1.20));
        assertEquals(1, Int8Tuning.choose(t, 0.66, 0.110, 0.05, 1.20)); // entropy2 is faster than head-in-FP16 and within 0.05
    }

    /**
     * Images with one label each of class 0 and one prediction: in {@code hits} of them a TP at every IoU threshold
     * (conf 0.9), in the rest a false positive (conf 0.3), so AP depends only on hits / n, not on the image order.
     */
    private static List<ImageScore> images(int n, int hits) {
        List<ImageScore> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean[] row = new boolean[10];
            java.util.Arrays.fill(row, i < hits);
            out.add(new ImageScore("img" + i, new float[] {0, 0, 10, 10}, new float[] {i < hits ? 0.9f : 0.3f}, new int[] {0}, new float[] {0, 0, 10, 10}, new int[] {0}, new boolean[][] {row}));
        }
        return out;
    }

    @Test
    void bootstrapIntervalsSeparateRealDifferencesFromNoise() {
        List<ImageScore> a = images(200, 100);
        // Same engine twice: the difference is exactly 0, every resample too.
        Bootstrap.Interval same = Bootstrap.difference(a, a, 200, 1);
        assertEquals(0, same.diff(), 1e-12);
        assertFalse(same.real());
        // One image in 200 better: well inside the noise.
        Bootstrap.Interval tiny = Bootstrap.difference(a, images(200, 101), 300, 2);
        assertTrue(tiny.diff() > 0 && !tiny.real(), tiny.toString());
        // 60 more images found (recall 0.5 → 0.8): AP rises by 0.2565, not 0.3, as the 101-point AP also counts the
        // precision interpolated from the last recall down to 0 at recall 1; the paired resamples spread around it.
        Bootstrap.Interval big = Bootstrap.difference(a, images(200, 160), 300, 3);
        assertEquals(0.2565, big.diff(), 0.002);
        assertTrue(big.real() && big.lo() < big.diff() && big.hi() > big.diff() && big.hi() - big.lo() < 0.2, big.toString());
        assertEquals(Bootstrap.map(images(200, 160)) - Bootstrap.map(a), big.diff(), 1e-12);
        // The same seed draws the same resamples however many cores score them: the interval of the serial version.
        assertEquals(0.19543902439024385, big.lo(), 0.0);
        assertEquals(0.3230358974358979, big.hi(), 0.0);
    }

    /** auto's interval table on two real runs (yolov8n and yolov8s on coco8, ONNX Runtime): one row per engine. */
    @Test
    void intervalsAgainstTheReferenceOnRealRuns() {
        Metrics n, s;
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings())) {
            n = m.val(java.util.Map.of("data", "coco8.yaml", "verbose", false, "save", false)).box();
        }
        try (Yolo m = Yolo.load("yolov8s.onnx", Shared.settings())) {
            s = m.val(java.util.Map.of("data", "coco8.yaml", "verbose", false, "save", false)).box();
        }
        Table t = Int8Tuning.intervals(List.of("n", "s"), n, List.of(n, s), 200, 3);
        assertEquals(List.of("n", "s"), t.stringColumn("Setting").asList());
        assertEquals(0, t.doubleColumn("Change to FP16").get(0), 0);
        assertEquals(0, t.doubleColumn("95 % low").get(0), 0);
        assertEquals(0, t.doubleColumn("95 % high").get(0), 0);
        assertEquals("no", t.stringColumn("Real").get(0));
        double d = t.doubleColumn("Change to FP16").get(1);
        assertEquals(s.map() - n.map(), d, 1e-12);
        assertTrue(d != 0 && t.doubleColumn("95 % low").get(1) <= d && d <= t.doubleColumn("95 % high").get(1), t.printAll());
        assertEquals(t.doubleColumn("95 % low").get(1) > 0 || t.doubleColumn("95 % high").get(1) < 0 ? "yes" : "no", t.stringColumn("Real").get(1));
    }

    @Test
    void perClassChangeListsTheWorstLossesFirst() {
        Table fp16 = Table.create("FP16", StringColumn.create("Class", "all", "person", "car", "dog"),
                tech.tablesaw.api.IntColumn.create("Instances", 30, 20, 8, 2), DoubleColumn.create("mAP50-95", 0.5, 0.6, 0.4, 0.3));
        Table int8 = Table.create("INT8", StringColumn.create("Class", "all", "dog", "car", "person"),
                tech.tablesaw.api.IntColumn.create("Instances", 30, 2, 8, 20), DoubleColumn.create("mAP50-95", 0.48, 0.32, 0.35, 0.59));
        Table t = PrecisionChange.perClass(fp16, int8);
        assertEquals(List.of("all", "car", "person", "dog"), t.stringColumn("Class").asList());
        assertEquals(-0.05, t.doubleColumn("Change").get(1), 1e-9);
        assertEquals(0.02, t.doubleColumn("Change").get(3), 1e-9);
        assertEquals(List.of(30, 8, 20, 2), t.intColumn("Instances").asList());
        assertEquals("mAP50-95 per class: INT8 against FP16", t.name());
    }
}
