package dev.yolotrt.predict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Predictions of the other four tasks against what Ultralytics 8.3.218 predicted with the same ONNX
 * files (../shared/reference/ultralytics-8.3.218/tasks.json): same classes and count, boxes ± 1 px,
 * mask areas and outlines, keypoints ± 2 px, oriented boxes' centre ± 1 px and angle ± 0.01 rad,
 * top-5 classes in the same order with probabilities ± 1e-3.
 */
class TasksParityTest {

    private static final List<String> PHOTOS = List.of("bus.jpg", "dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg", "kite.jpg",
            "person.jpg", "zidane.jpg");

    private static JsonNode model(String name) throws Exception {
        return new ObjectMapper().readTree(Shared.reference("tasks.json").toFile()).path("models").path(name);
    }

    private static void sameBoxes(String what, JsonNode ref, Boxes b, double tol) {
        assertEquals(ref.path("conf").size(), b.size(), what + ": count");
        for (int i = 0; i < b.size(); i++) {
            assertEquals(ref.path("cls").path(i).asInt(), b.cls(i), what + " box " + i + " class");
            assertEquals(ref.path("conf").path(i).asDouble(), b.conf(i), 0.002, what + " box " + i + " conf");
            for (int k = 0; k < 4; k++) assertEquals(ref.path("boxes_xyxy").path(i).path(k).asDouble(), b.xyxy(i)[k], tol, what + " box " + i);
        }
    }

    @Test
    void yolo11Detect320() throws Exception {
        JsonNode ref = model("yolo11n-320.onnx");
        try (Yolo m = Yolo.load("yolo11n-320.onnx", Shared.settings())) {
            for (String p : PHOTOS) sameBoxes(p, ref.path("predict").path(p), m.predict(Shared.image(p).toString()).get(0).boxes(), 1.0);
        }
    }

    @Test
    void classifiersRankTheSameTopFive() throws Exception {
        for (String name : List.of("yolo11n-cls-dogcat.onnx", "yolov8n-cls-waste.onnx")) {
            JsonNode ref = model(name);
            assertEquals("classify", ref.path("task").asText());
            try (Yolo m = Yolo.load(name, Shared.settings())) {
                assertEquals("classify", m.metadata().task().id());
                for (String p : PHOTOS) {
                    Probs probs = m.predict(Shared.image(p).toString()).get(0).probs();
                    JsonNode r = ref.path("predict").path(p);
                    int[] top5 = new int[r.path("top5").size()];
                    for (int i = 0; i < top5.length; i++) top5[i] = r.path("top5").path(i).asInt();
                    float[] conf = probs.top5conf();
                    assertArrayEquals(top5, probs.top5(), name + " " + p);
                    for (int i = 0; i < top5.length; i++) assertEquals(r.path("top5conf").path(i).asDouble(), conf[i], 1e-3 + 5e-4, name + " " + p + " top" + i);
                }
            }
        }
    }

    @Test
    void poseKeypoints() throws Exception {
        JsonNode ref = model("yolo11n-pose.onnx");
        try (Yolo m = Yolo.load("yolo11n-pose.onnx", Shared.settings())) {
            assertArrayEquals(new int[] {17, 3}, m.metadata().kptShape());
            for (String p : PHOTOS) {
                Results r = m.predict(Shared.image(p).toString()).get(0);
                JsonNode rp = ref.path("predict").path(p);
                sameBoxes(p, rp, r.boxes(), 1.0);
                Keypoints k = r.keypoints();
                for (int i = 0; i < k.size(); i++) {
                    for (int q = 0; q < 17; q++) {
                        assertEquals(rp.path("kpts_xy").path(i).path(q).path(0).asDouble(), k.xy(i)[2 * q], 2.0, p + " person " + i + " kpt " + q + " x");
                        assertEquals(rp.path("kpts_xy").path(i).path(q).path(1).asDouble(), k.xy(i)[2 * q + 1], 2.0, p + " person " + i + " kpt " + q + " y");
                        assertEquals(rp.path("kpts_conf").path(i).path(q).asDouble(), k.conf(i)[q], 0.002, p + " person " + i + " kpt " + q + " conf");
                    }
                }
            }
        }
    }

    @Test
    void segmentMasks() throws Exception {
        JsonNode ref = model("yolo11n-seg.onnx");
        try (Yolo m = Yolo.load("yolo11n-seg.onnx", Shared.settings())) {
            for (String p : PHOTOS) {
                Results r = m.predict(Shared.image(p).toString()).get(0);
                JsonNode rp = ref.path("predict").path(p);
                sameBoxes(p, rp, r.boxes(), 1.0);
                Masks k = r.masks();
                for (int i = 0; i < k.size(); i++) {
                    // Mask IoU 1 where the areas agree to the pixel: the bitmaps are Ultralytics' own.
                    assertEquals(rp.path("mask_area_px").path(i).asInt(), k.area(i), p + " mask " + i + " area at 640x640");
                    float[] xy = k.xy(i);
                    JsonNode poly = rp.path("masks_xy").path(i);
                    assertEquals(rp.path("masks_xy_points").path(i).asInt(), xy.length / 2, p + " mask " + i + " outline points");
                    // The reference keeps every n-th vertex; they lie on our outline within a pixel.
                    int step = Math.max(1, (int) Math.ceil((double) (xy.length / 2) / poly.size()));
                    for (int v = 0; v < poly.size(); v++) {
                        double px = poly.path(v).path(0).asDouble(), py = poly.path(v).path(1).asDouble();
                        double best = Double.MAX_VALUE;
                        for (int q = 0; q < xy.length; q += 2) best = Math.min(best, Math.hypot(xy[q] - px, xy[q + 1] - py));
                        assertTrue(best < 1.0, p + " mask " + i + " vertex " + v + " is " + best + " px from our outline (step " + step + ")");
                    }
                }
            }
        }
    }

    @Test
    void orientedBoxes() throws Exception {
        JsonNode ref = model("yolov8n-obb-dota8.onnx").path("predict_conf0.01");
        try (Yolo m = Yolo.load("yolov8n-obb-dota8.onnx", Shared.settings())) {
            var names = ref.fieldNames();
            while (names.hasNext()) {
                String p = names.next();
                Path img = Shared.datasets().resolve("dota8/images/train").resolve(p);
                if (!img.toFile().exists()) img = Shared.datasets().resolve("dota8/images/val").resolve(p);
                Results r = m.predict(img.toString(), Map.of("conf", 0.01)).get(0);
                JsonNode rp = ref.path(p);
                Obb o = r.obb();
                assertEquals(rp.path("conf").size(), o.size(), p + ": count");
                for (int i = 0; i < o.size(); i++) {
                    JsonNode b = rp.path("obb_xywhr").path(i);
                    float[] x = o.xywhr(i);
                    assertEquals(rp.path("cls").path(i).asInt(), o.cls(i), p + " obb " + i + " class");
                    assertEquals(b.path(0).asDouble(), x[0], 1.0, p + " obb " + i + " x");
                    assertEquals(b.path(1).asDouble(), x[1], 1.0, p + " obb " + i + " y");
                    assertEquals(b.path(4).asDouble(), x[4], 0.01 + 5e-4, p + " obb " + i + " angle");
                }
            }
        }
    }
}
