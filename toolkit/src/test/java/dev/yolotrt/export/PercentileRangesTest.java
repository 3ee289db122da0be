package dev.yolotrt.export;

import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PercentileRangesTest {

    @Test
    void tracesEveryActivationAndClipsOutliers() throws Exception {
        byte[] onnx = Files.readAllBytes(Shared.model("yolov8n.onnx"));
        List<List<Path>> batches = List.of(List.of(Shared.image("bus.jpg"), Shared.image("zidane.jpg"), Shared.image("bus.jpg")));
        Map<String, Float> p9999 = PercentileRanges.compute(onnx, batches, 640, false, 99.99);
        Map<String, Float> p100 = PercentileRanges.compute(onnx, batches, 640, false, 100);
        assertTrue(p9999.size() > 150, "activations traced: " + p9999.size());
        assertEquals(p9999.keySet(), p100.keySet());
        // The final output holds pixel coordinates (up to 640 and beyond for boxes at the border).
        assertTrue(p100.get("output0") > 500 && p100.get("output0") < 1000, "output0 max " + p100.get("output0"));
        int clipped = 0;
        for (String k : p9999.keySet()) {
            assertTrue(p9999.get(k) <= p100.get(k), k);
            if (p9999.get(k) < p100.get(k)) clipped++;
        }
        assertTrue(clipped > p9999.size() / 2, "most ranges shrink below the max: " + clipped);
    }

    @Test
    void perModuleRangesOfYolov8n() throws Exception {
        byte[] onnx = Files.readAllBytes(Shared.model("yolov8n.onnx"));
        var t = PercentileRanges.trace(onnx, List.of(Shared.image("bus.jpg")), 640, false).byModule(99.99);
        // model.0 .. model.22, each with its activations.
        assertEquals(23, t.rowCount());
        assertEquals(0, t.intColumn("Module").get(0));
        assertEquals(22, t.intColumn("Module").get(22));
        for (int r = 0; r < t.rowCount(); r++) {
            assertTrue(t.doubleColumn(3).get(r) <= t.doubleColumn(2).get(r), "percentile <= max in module " + r);
            assertTrue(t.doubleColumn("Worst max/P").get(r) >= 1, "ratio >= 1 in module " + r);
        }
    }
}
