package dev.yolotrt.val;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Top-1 / top-5 accuracy on hand-made ImageNet-style folders of the sample photos, against values
 * worked out by hand from the classifiers' known predictions (tasks.json).
 */
class ClassifyValidatorTest {

    private static void put(Path root, String cls, String... photos) throws Exception {
        Path dir = Files.createDirectories(root.resolve("val").resolve(cls));
        for (String p : photos) Files.copy(Shared.image(p), dir.resolve(p));
    }

    @Test
    void dogsAndCats(@TempDir Path root) throws Exception {
        // The cats/dogs model calls eagle and kite cats, giraffe and zidane dogs, and dog.jpg cats (0.55):
        // 4 of 5 right at top-1; with two classes every label is in the top 5.
        put(root, "cats", "eagle.jpg", "kite.jpg");
        put(root, "dogs", "dog.jpg", "giraffe.jpg", "zidane.jpg");
        try (Yolo m = Yolo.load("yolo11n-cls-dogcat.onnx", Shared.settings())) {
            ClassifyValidator.Result r = m.val(ValOptions.of(Map.of("data", root.toString()))).top();
            assertEquals(5, r.images());
            assertEquals(0.8, r.top1(), 1e-12);
            assertEquals(1.0, r.top5(), 1e-12);
            assertTrue(r.report().contains("all      0.800      1.000"), r.report());
            assertEquals(1, r.table().rowCount());
            assertEquals(0.8, r.table().doubleColumn("top1_acc").get(0), 1e-12);
        }
    }

    @Test
    void wasteTopFive(@TempDir Path root) throws Exception {
        // Waste model top 5: bus [6,7,2,4,8], dog [8,4,3,9,6], eagle [1,9,8,4,5], giraffe [1,9,8,4,3].
        // Labels: bus 6 (top-1), dog 3 (third), eagle 0 (absent), giraffe 1 (top-1): top-1 2/4, top-5 3/4.
        for (int c = 0; c < 10; c++) Files.createDirectories(root.resolve("val/class" + c));
        put(root, "class6", "bus.jpg");
        put(root, "class3", "dog.jpg");
        put(root, "class0", "eagle.jpg");
        put(root, "class1", "giraffe.jpg");
        try (Yolo m = Yolo.load("yolov8n-cls-waste.onnx", Shared.settings())) {
            ClassifyValidator.Result r = m.val(ValOptions.of(Map.of("data", root.toString()))).top();
            assertEquals(0.5, r.top1(), 1e-12);
            assertEquals(0.75, r.top5(), 1e-12);
        }
    }

    @Test
    void aFolderThatDoesNotFitIsOneLine(@TempDir Path root) throws Exception {
        put(root, "cats", "eagle.jpg");
        try (Yolo m = Yolo.load("yolo11n-cls-dogcat.onnx", Shared.settings())) {
            YoloException e = assertThrows(YoloException.class, () -> m.val(ValOptions.of(Map.of("data", root.toString()))).top());
            assertTrue(e.getMessage().contains("has 1 class folders but yolo11n-cls-dogcat.onnx predicts 2 classes (cats, dogs)"), e.getMessage());
            YoloException yaml = assertThrows(YoloException.class, () -> m.val(ValOptions.of(Map.of("data", "coco8.yaml"))));
            assertTrue(yaml.getMessage().startsWith("classification val takes data=FOLDER"), yaml.getMessage());
        }
    }
}
