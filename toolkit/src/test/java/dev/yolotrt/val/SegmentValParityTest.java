package dev.yolotrt.val;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * yolo11n-seg on coco8-seg against Ultralytics 8.3.218's val (tasks.json): box and mask metrics within
 * 0.005 (they agree to the printed digit once label polygons are resampled to 1000 points as Ultralytics'
 * loader does; without that, mask mAP50-95 was 0.0012 high).
 */
class SegmentValParityTest {

    @Test
    void coco8SegMatchesUltralytics() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Shared.reference("tasks.json").toFile()).path("models").path("yolo11n-seg.onnx")
                .path("val_coco8-seg");
        try (Yolo m = Yolo.load("yolo11n-seg.onnx", Shared.settings())) {
            Validator.Run run = m.validate(ValOptions.of(Map.of("data", "coco8-seg.yaml")));
            Metrics box = run.metrics(), mask = run.masks();
            assertEquals(ref.path("metrics/precision(B)").asDouble(), box.precision(), 0.005, "P(B)");
            assertEquals(ref.path("metrics/recall(B)").asDouble(), box.recall(), 0.005, "R(B)");
            assertEquals(ref.path("metrics/mAP50(B)").asDouble(), box.map50(), 0.005, "mAP50(B)");
            assertEquals(ref.path("metrics/mAP50-95(B)").asDouble(), box.map(), 0.005, "mAP50-95(B)");
            assertEquals(ref.path("metrics/precision(M)").asDouble(), mask.precision(), 0.005, "P(M)");
            assertEquals(ref.path("metrics/recall(M)").asDouble(), mask.recall(), 0.005, "R(M)");
            assertEquals(ref.path("metrics/mAP50(M)").asDouble(), mask.map50(), 0.005, "mAP50(M)");
            assertEquals(ref.path("metrics/mAP50-95(M)").asDouble(), mask.map(), 0.005, "mAP50-95(M)");
        }
    }
}
