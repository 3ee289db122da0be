package dev.yolotrt.val;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.Batch;
import dev.yolotrt.predict.Decoder;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * coco8 val against what Ultralytics 8.3.218 itself printed and detected for the same ONNX files
 * (../shared/reference/ultralytics-8.3.218/detect-coco8-val.json): metrics within 0.002, and per image
 * the same detections above conf 0.25 (class, score ± 0.01, box ± 1 px) with the same letterbox.
 */
class UltralyticsParityTest {

    private static JsonNode reference() throws IOException {
        return new ObjectMapper().readTree(Shared.reference("detect-coco8-val.json").toFile());
    }

    @ParameterizedTest
    @ValueSource(strings = {"yolov8n.onnx", "yolov8s.onnx"})
    void coco8ValMatchesUltralytics(String model) throws IOException {
        JsonNode ref = reference().path("models").path(model);
        try (Yolo m = Yolo.load(model, Shared.settings())) {
            ValOptions o = ValOptions.of(Map.of("data", "coco8.yaml"));
            Metrics metrics = m.val(o).box();
            assertEquals(ref.path("mAP50").asDouble(), metrics.map50(), 0.002, "mAP50");
            assertEquals(ref.path("mAP50-95").asDouble(), metrics.map(), 0.002, "mAP50-95");
            assertEquals(ref.path("P").asDouble(), metrics.precision(), 0.002, "P");
            assertEquals(ref.path("R").asDouble(), metrics.recall(), 0.002, "R");
            JsonNode perClass = ref.path("per_class_mAP50-95");
            int[] classes = metrics.perClass().classes();
            assertEquals(perClass.size(), classes.length);
            for (int i = 0; i < classes.length; i++) {
                String name = metrics.names().get(classes[i]);
                assertEquals(perClass.path(name).asDouble(), Metrics.mean(metrics.perClass().ap()[i]), 0.002, name);
            }

            Predictor p = m.predictor();
            Path dir = Shared.datasets().resolve("coco8/images/val");
            var images = ref.path("images").fields();
            while (images.hasNext()) {
                var e = images.next();
                try (Mat img = Images.read(dir.resolve(e.getKey()))) {
                    Batch b = p.run(List.of(img), o.predictOptions());
                    JsonNode ratioPad = e.getValue().path("ratio_pad");
                    assertEquals(ratioPad.path(0).path(0).asDouble(), b.letterboxes().get(0).gain(), 1e-9, e.getKey());
                    assertEquals(ratioPad.path(1).path(0).asInt(), b.letterboxes().get(0).left(), e.getKey());
                    assertEquals(ratioPad.path(1).path(1).asInt(), b.letterboxes().get(0).top(), e.getKey());
                    assertSameDetections(e.getKey(), e.getValue().path("dets"), b.detections().get(0));
                }
            }
        }
    }

    private static void assertSameDetections(String image, JsonNode expected, Decoder.Detections d) {
        List<JsonNode> want = new ArrayList<>();
        expected.forEach(r -> {
            if (r.path(4).asDouble() > 0.25) want.add(r);
        });
        List<Integer> got = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) if (d.conf()[i] > 0.25) got.add(i);
        assertEquals(want.size(), got.size(), image + ": detections above 0.25");
        for (int k = 0; k < want.size(); k++) {
            JsonNode r = want.get(k);
            int i = got.get(k);
            String at = image + " detection " + k;
            assertEquals(r.path(5).asInt(), d.cls()[i], at + " class");
            assertEquals(r.path(4).asDouble(), d.conf()[i], 0.01, at + " conf");
            for (int c = 0; c < 4; c++) assertEquals(r.path(c).asDouble(), d.xyxy()[i * 4 + c], 1.0, at + " coordinate " + c);
        }
    }
}
