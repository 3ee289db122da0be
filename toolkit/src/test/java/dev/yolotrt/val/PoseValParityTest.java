package dev.yolotrt.val;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * yolo11n-pose on coco8-pose against Ultralytics 8.3.218's val (tasks.json): box and pose metrics within
 * 0.005 (they agree to the printed digit: OKS on unclipped keypoints, as Ultralytics scores them).
 */
class PoseValParityTest {

    @Test
    void coco8PoseMatchesUltralytics() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Shared.reference("tasks.json").toFile()).path("models").path("yolo11n-pose.onnx")
                .path("val_coco8-pose");
        try (Yolo m = Yolo.load("yolo11n-pose.onnx", Shared.settings())) {
            Validator.Run run = m.validate(ValOptions.of(Map.of("data", "coco8-pose.yaml")));
            Metrics box = run.metrics(), pose = run.pose();
            assertEquals(ref.path("metrics/precision(B)").asDouble(), box.precision(), 0.005, "P(B)");
            assertEquals(ref.path("metrics/recall(B)").asDouble(), box.recall(), 0.005, "R(B)");
            assertEquals(ref.path("metrics/mAP50(B)").asDouble(), box.map50(), 0.005, "mAP50(B)");
            assertEquals(ref.path("metrics/mAP50-95(B)").asDouble(), box.map(), 0.005, "mAP50-95(B)");
            assertEquals(ref.path("metrics/precision(P)").asDouble(), pose.precision(), 0.005, "P(P)");
            assertEquals(ref.path("metrics/recall(P)").asDouble(), pose.recall(), 0.005, "R(P)");
            assertEquals(ref.path("metrics/mAP50(P)").asDouble(), pose.map50(), 0.005, "mAP50(P)");
            assertEquals(ref.path("metrics/mAP50-95(P)").asDouble(), pose.map(), 0.005, "mAP50-95(P)");
        }
    }
}
