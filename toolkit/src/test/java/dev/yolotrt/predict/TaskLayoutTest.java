package dev.yolotrt.predict;

import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model whose outputs do not fit its task is refused in one line that says what was expected. */
class TaskLayoutTest {

    private static ModelMetadata meta(String task, int nc, int[] kpt) {
        List<String> names = java.util.stream.IntStream.range(0, nc).mapToObj(i -> "c" + i).toList();
        return new ModelMetadata("", "", "", "", dev.yolotrt.task.Task.parse(task, "task"), 32, 1, new int[] {640, 640}, names, Map.of(), kpt);
    }

    private static String refused(ModelMetadata m, long[]... outputs) {
        YoloException e = assertThrows(YoloException.class, () -> TaskLayout.check(m, List.of(outputs), "m.onnx"));
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void eachTaskHasItsLayout() {
        assertDoesNotThrow(() -> TaskLayout.check(meta("detect", 80, null), List.of(new long[] {1, 84, 8400}), "m"));
        assertDoesNotThrow(() -> TaskLayout.check(meta("segment", 80, null), List.of(new long[] {1, 116, 8400}, new long[] {1, 32, 160, 160}), "m"));
        assertDoesNotThrow(() -> TaskLayout.check(meta("pose", 1, new int[] {17, 3}), List.of(new long[] {1, 56, 8400}), "m"));
        assertDoesNotThrow(() -> TaskLayout.check(meta("obb", 15, null), List.of(new long[] {1, 20, 8400}), "m"));
        assertDoesNotThrow(() -> TaskLayout.check(meta("classify", 2, null), List.of(new long[] {1, 2}), "m"));

        assertTrue(refused(meta("pose", 1, null), new long[] {1, 56, 8400}).contains("pose model without kpt_shape"));
        assertTrue(refused(meta("pose", 1, new int[] {17, 2}), new long[] {1, 56, 8400}).contains("kpt_shape [17, 2]"));
        assertTrue(refused(meta("segment", 80, null), new long[] {1, 84, 8400}).contains("prototypes"));
        assertTrue(refused(meta("classify", 10, null), new long[] {1, 84, 8400}).contains("[batch, 10] class probabilities"));
        assertTrue(refused(meta("obb", 15, null), new long[] {1, 19, 8400}).contains("(angle)"));
    }

    @Test
    void aTaskOverrideThatDoesNotFitIsOneLine() {
        var model = Shared.model("yolov8n.onnx");
        var settings = Shared.settings();
        YoloException e = assertThrows(YoloException.class, () -> Yolo.load(model, settings, dev.yolotrt.task.Task.SEGMENT));
        assertTrue(e.getMessage().contains("is a YOLO segment model by its metadata, but its outputs ([1, 84, 8400])"), e.getMessage());
        YoloException bad = assertThrows(YoloException.class, () -> Yolo.load(model, settings, dev.yolotrt.task.Task.parse("tracking", "task")));
        assertTrue(bad.getMessage().startsWith("task=tracking is not one of detect, segment, pose, classify, obb"), bad.getMessage());
    }
}
