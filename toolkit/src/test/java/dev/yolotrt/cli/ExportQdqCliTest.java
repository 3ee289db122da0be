package dev.yolotrt.cli;

import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.yolotrt.cli.MainTest.assertOneLineError;
import static dev.yolotrt.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code export format=onnx int8=True}: a Q/DQ ONNX beside the model, which ONNX Runtime then predicts with. */
class ExportQdqCliTest {

    @Test
    void int8OnnxBesideTheModelPredictsTheBus(@TempDir Path tmp) throws Exception {
        Path onnx = Files.copy(Shared.model("yolov8n.onnx"), tmp.resolve("yolov8n.onnx"));
        // One coco8 val image calibrates (fraction 0.25 of 4): enough to run the path end to end in seconds.
        MainTest.Run r = run("export", "model=" + onnx, "format=onnx", "int8=True", "data=coco8.yaml", "fraction=0.25");
        assertEquals(0, r.code(), r.err());
        Path q = tmp.resolve("yolov8n-int8.onnx");
        assertTrue(r.out().contains("Exported yolov8n.onnx -> " + q + " (INT8 Q/DQ)"), r.out());
        assertTrue(Files.size(q) < Files.size(onnx) / 2, "int8 weights: " + Files.size(q) + " bytes");
        MainTest.Run p = run("predict", "model=" + q, "source=" + Shared.image("bus.jpg"), "save=false");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("1 bus"), p.out());
        assertOneLineError(run("export", "model=" + onnx, "format=onnx", "int8=True", "quant=implicit"), "quant=implicit");
    }
}
