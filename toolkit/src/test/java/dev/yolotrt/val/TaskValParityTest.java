package dev.yolotrt.val;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Segment and pose val against Ultralytics 8.3.218's own (tasks.json): box metrics and the task's
 * second metric (masks: M, keypoints: P) within 0.005. They agree to the printed digit: label polygons
 * resampled to 1000 points as Ultralytics' loader does (without it mask mAP50-95 was 0.0012 high), and
 * keypoints scored unclipped (clipped they gave pose mAP50-95 0.008 high).
 */
class TaskValParityTest {

    @ParameterizedTest
    @CsvSource({"yolo11n-seg.onnx, coco8-seg.yaml, val_coco8-seg, M", "yolo11n-pose.onnx, coco8-pose.yaml, val_coco8-pose, P"})
    void matchesUltralytics(String model, String data, String key, String second) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Shared.reference("tasks.json").toFile()).path("models").path(model).path(key);
        try (Yolo m = Yolo.load(model, Shared.settings())) {
            Validator.Run run = m.val(ValOptions.of(Map.of("data", data)));
            check(ref, "B", run.box());
            // Masks and keypoints each in their own slot: a segment model has no pose metrics, a pose model no masks.
            check(ref, second, second.equals("M") ? run.masks() : run.pose());
            assertNull(second.equals("M") ? run.pose() : run.masks());
            assertEquals(second, run.task().secondMetric().substring(0, 1));
            // One table with both metrics on each row, then one speed line, as Ultralytics prints them.
            String[] lines = run.report(false).split("\\R");
            assertEquals(3, lines.length, run.report(false));
            assertTrue(lines[0].matches(" *Class +Images +Instances +Box\\(P +R +mAP50 +mAP50-95\\) +" + run.task().secondMetric() + "\\(P +R +mAP50 +mAP50-95\\)"), lines[0]);
            String[] all = lines[1].trim().split(" +");
            Metrics b = run.box(), k = second.equals("M") ? run.masks() : run.pose();
            assertEquals("all", all[0]);
            assertEquals(11, all.length, lines[1]);
            assertEquals(b.map(), Double.parseDouble(all[6]), 0.0005);
            assertEquals(k.map(), Double.parseDouble(all[10]), 0.0005);
            assertTrue(lines[2].startsWith("Speed: "), lines[2]);
        }
    }

    private static void check(JsonNode ref, String kind, Metrics m) {
        assertEquals(ref.path("metrics/precision(" + kind + ")").asDouble(), m.precision(), 0.005, "P(" + kind + ")");
        assertEquals(ref.path("metrics/recall(" + kind + ")").asDouble(), m.recall(), 0.005, "R(" + kind + ")");
        assertEquals(ref.path("metrics/mAP50(" + kind + ")").asDouble(), m.map50(), 0.005, "mAP50(" + kind + ")");
        assertEquals(ref.path("metrics/mAP50-95(" + kind + ")").asDouble(), m.map(), 0.005, "mAP50-95(" + kind + ")");
    }
}
