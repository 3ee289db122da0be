package dev.yolotrt.val;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.LabelScan;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** coco8 validation end to end on the CPU: counts, the table and the confusion matrix (numbers: UltralyticsParityTest). */
class ValidatorTest {

    @Test
    void coco8ValYolov8nAndYolov8s(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        Metrics n, s;
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings())) {
            n = m.val(Map.of("data", "coco8.yaml", "project", tmp.toString())).box();
        }
        // As Ultralytics' model.val(): the results and the plots in the run folder.
        for (String f : java.util.List.of("results.csv", "BoxPR_curve.png", "BoxF1_curve.png", "confusion_matrix.png")) {
            assertTrue(java.nio.file.Files.isRegularFile(tmp.resolve("val").resolve(f)), f + " in " + tmp.resolve("val"));
        }
        try (Yolo m = Yolo.load("yolov8s.onnx", Shared.settings())) {
            s = m.val(ValOptions.defaults()).box();
        }
        assertEquals(4, n.images());
        assertEquals(17, n.instances());
        assertEquals(6, n.perClass().classes().length);
        assertTrue(s.map() > n.map());
        // "all" then one row per class with labels; the table and the record agree.
        assertEquals(7, n.table().rowCount());
        assertEquals(n.map(), n.table().doubleColumn("mAP50-95").get(0), 1e-12);
        assertEquals("person", n.table().stringColumn("Class").get(1));
        assertEquals(10, n.table().intColumn("Instances").get(1));
        long[][] cm = n.confusion();
        assertEquals(81, cm.length);
        long labels = 0;
        for (long[] row : cm) for (int c = 0; c < 80; c++) labels += row[c];
        assertEquals(17, labels); // every label lands in exactly one cell of its column
    }

    /** Parts of a split scored apart, shipped as bytes (as Spark returns them) and merged in order: one run's metrics. */
    @Test
    void partsMergedInOrderGiveOneRunsMetrics() throws IOException, ClassNotFoundException {
        ValOptions o = ValOptions.of(Map.of("data", "coco8.yaml"));
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings())) {
            Metrics whole = m.val(o).box();
            Dataset ds = Dataset.load(o.data(), m.settings());
            LabelScan scan = Validator.scan(m.metadata(), "yolov8n.onnx", ds, m.settings(), o);
            Validator.Partial merged = null;
            for (int[] range : new int[][] {{0, 1}, {1, 3}, {3, 4}}) {
                LabelScan part = new LabelScan(scan.images().subList(range[0], range[1]), scan.labels().subList(range[0], range[1]), 0, 0, 0, 0, null);
                Validator.Partial p = roundTrip(Validator.score(m.predictor(), m.metadata(), ds, part, o));
                merged = merged == null ? p : merged.merge(p);
            }
            Metrics split = merged.run("yolov8n.onnx", ds.name(), o.split()).box();
            assertEquals(whole.images(), split.images());
            assertEquals(whole.instances(), split.instances());
            assertEquals(whole.map(), split.map());
            assertEquals(whole.map50(), split.map50());
            assertEquals(whole.precision(), split.precision());
            assertEquals(whole.recall(), split.recall());
            assertArrayEquals(whole.imagesPerClass(), split.imagesPerClass());
            for (int i = 0; i < whole.confusion().length; i++) assertArrayEquals(whole.confusion()[i], split.confusion()[i]);
        }
    }

    private static Validator.Partial roundTrip(Validator.Partial p) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (Validator.Partial) in.readObject();
        }
    }

    @Test
    void coco128HeldOutSplitCountsEveryBox() {
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings())) {
            Metrics v = m.val(Map.of("data", "coco128-val2017.yaml", "save", false)).box();
            assertEquals(128, v.images());
            assertEquals(898, v.instances());
            assertTrue(v.map() > 0.3 && v.map() < 0.6, "yolov8n on COCO val2017 images scores about 0.37-0.45: " + v.map());
        }
    }

    @Test
    void cocoJsonUsesCoco91Ids() {
        CocoJson j = new CocoJson(true);
        j.add(java.nio.file.Path.of("000000000049.jpg"), new float[] {10, 20, 30, 60}, new float[] {0.5f}, new int[] {79});
        assertEquals(1, j.size());
        assertEquals(90, CocoJson.COCO80_TO_91[79]);
        assertEquals(11, CocoJson.COCO80_TO_91[10]);
        assertEquals(13, CocoJson.COCO80_TO_91[11]);
    }
}
