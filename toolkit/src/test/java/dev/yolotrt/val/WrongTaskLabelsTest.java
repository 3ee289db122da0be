package dev.yolotrt.val;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Labels of another task are one line naming the dataset and the dataset kind the model needs, never a silent score. */
class WrongTaskLabelsTest {

    @Test
    void aSegmentModelOnBoxLabels() {
        try (Yolo m = Yolo.load("yolo11n-seg.onnx", Shared.settings())) {
            YoloException e = assertThrows(YoloException.class, () -> m.val(Map.of("data", "coco8.yaml", "verbose", false)));
            assertTrue(e.getMessage().startsWith("coco8.yaml has box labels only (class x y w h), but yolo11n-seg.onnx is a segment model"),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith("validate it on a segment dataset such as coco8-seg.yaml"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"));
        }
    }

    @Test
    void anObbModelOnBoxLabels(@TempDir Path tmp) throws Exception {
        // dota8's val images with each oriented box written as the axis-aligned box around it.
        Path src = Shared.datasets().resolve("dota8");
        Files.createDirectories(tmp.resolve("images/val"));
        Files.createDirectories(tmp.resolve("labels/val"));
        try (Stream<Path> s = Files.list(src.resolve("images/val"))) {
            for (Path img : s.toList()) Files.copy(img, tmp.resolve("images/val").resolve(img.getFileName()));
        }
        try (Stream<Path> s = Files.list(src.resolve("labels/val"))) {
            for (Path lbl : s.toList()) {
                StringBuilder out = new StringBuilder();
                for (String line : Files.readAllLines(lbl)) {
                    String[] v = line.trim().split("\\s+");
                    double x0 = 1, y0 = 1, x1 = 0, y1 = 0;
                    for (int k = 1; k < 9; k += 2) {
                        double x = Double.parseDouble(v[k]), y = Double.parseDouble(v[k + 1]);
                        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
                    }
                    out.append(String.format(java.util.Locale.ROOT, "%s %.6f %.6f %.6f %.6f%n", v[0], (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0));
                }
                Files.writeString(tmp.resolve("labels/val").resolve(lbl.getFileName()), out);
            }
        }
        List<String> yaml = Files.readAllLines(Path.of("../datasets/dota8.yaml")); // tests run in toolkit/
        Path data = tmp.resolve("boxes.yaml");
        Files.write(data, yaml.stream().map(l -> l.startsWith("path:") ? "path: " + tmp : l).filter(l -> !l.startsWith("download:")).toList());
        try (Yolo m = Yolo.load("yolov8n-obb-dota8.onnx", Shared.settings())) {
            YoloException e = assertThrows(YoloException.class, () -> m.val(Map.of("data", data.toString(), "verbose", false)));
            assertTrue(e.getMessage().startsWith("boxes.yaml has box labels only (class x y w h), but yolov8n-obb-dota8.onnx is an OBB model"),
                    e.getMessage());
        }
    }
}
