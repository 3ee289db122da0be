package dev.yolotrt.bench;

import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.export.LayerGroups;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.List;

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
    }

    @Test
    void withoutAGpuItSaysSo() {
        assumeFalse(TensorRt.available());
        try (Yolo model = Yolo.load("yolov8n.onnx", Shared.settings())) {
            var e = assertThrows(YoloException.class, () -> Int8Tuning.run(model, Int8Tuning.references(BASE), "coco8.yaml", s -> { }));
            assertTrue(e.getMessage().contains("INT8 tuning"), e.getMessage());
        }
    }

    @Test
    void tuningKeysOnlyForInt8() {
        assertEquals(List.of(), List.copyOf(ExportOptions.builder().half(true).fraction(0.5).build().tuning().keySet()));
        assertEquals(List.of("fraction", "split", "calib_batch", "fp16_layers"),
                List.copyOf(BASE.toBuilder().fraction(0.5).calibBatch(4).fp16Layers("x").build().tuning().keySet()));
    }
}
