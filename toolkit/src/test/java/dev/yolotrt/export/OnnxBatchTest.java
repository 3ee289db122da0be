package dev.yolotrt.export;

import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.tensor.Tensor;
import dev.yolotrt.data.Images;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch rewrite checked with ONNX Runtime: batch 4 equals 4 × batch 1, and matches the reference export. */
class OnnxBatchTest {

    private static final int PLANE = 3 * 640 * 640;

    @Test
    void rewrittenModelRunsAnyBatchLikeBatchOne(@TempDir Path tmp) throws Exception {
        byte[] original = Files.readAllBytes(Shared.model("yolov8n.onnx"));
        assertFalse(OnnxBatch.isDynamic(original));
        byte[] dynamic = OnnxBatch.makeDynamic(original);
        assertTrue(OnnxBatch.isDynamic(dynamic));
        Path file = Files.write(tmp.resolve("yolov8n-dyn.onnx"), dynamic);

        List<String> images = List.of("bus.jpg", "zidane.jpg", "dog.jpg", "horses.jpg");
        FloatBuffer batch = FloatBuffer.allocate(4 * PLANE);
        for (int i = 0; i < 4; i++) {
            Mat m = Images.read(Shared.image(images.get(i)));
            Letterbox.of(m.rows(), m.cols(), 640, 640).toChw(m, batch, i * PLANE);
        }
        try (OnnxRuntimeBackend dyn = OnnxRuntimeBackend.open(file, 0);
             OnnxRuntimeBackend stat = OnnxRuntimeBackend.open(Shared.model("yolov8n.onnx"), 0);
             OnnxRuntimeBackend ref = OnnxRuntimeBackend.open(Shared.model("yolov8n-dynamic.onnx"), 0)) {
            assertEquals(-1, dyn.inputShape()[0]);
            assertEquals(-1, dyn.outputShapes().get("output0")[0]);
            Tensor four = dyn.infer(batch.duplicate(), 4, 640, 640).get(0);
            assertArrayEquals(new long[] {4, 84, 8400}, four.shape());
            Tensor refFour = ref.infer(batch.duplicate(), 4, 640, 640).get(0);
            int item = four.itemSize();
            double maxRef = 0, maxOne = 0;
            for (int k = 0; k < 4 * item; k++) maxRef = Math.max(maxRef, Math.abs(four.data().get(k) - refFour.data().get(k)));
            for (int i = 0; i < 4; i++) {
                float[] one = new float[PLANE];
                batch.get(i * PLANE, one);
                Tensor single = stat.infer(FloatBuffer.wrap(one), 1, 640, 640).get(0);
                for (int k = 0; k < item; k++) maxOne = Math.max(maxOne, Math.abs(four.data().get(i * item + k) - single.data().get(k)));
            }
            // Pixel coordinates up to 640 and scores: agreement to float rounding.
            assertTrue(maxOne < 1e-3, "batch 4 vs 4 x batch 1 differ by " + maxOne);
            assertTrue(maxRef < 1e-3, "rewrite vs reference export differ by " + maxRef);
        }
    }
}
