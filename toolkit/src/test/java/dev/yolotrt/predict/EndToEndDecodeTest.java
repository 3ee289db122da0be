package dev.yolotrt.predict;

import dev.yolotrt.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Decoding an engine with NMS inside: [batch, max_det, 6] rows of x1 y1 x2 y2 conf class, zero-padded. */
class EndToEndDecodeTest {

    private static Tensor output() {
        float[] b0 = {10, 20, 30, 40, 0.9f, 0, 50, 60, 70, 80, 0.6f, 5, 1, 2, 3, 4, 0.3f, 2, 0, 0, 0, 0, 0, 0};
        float[] b1 = {5, 5, 15, 15, 0.8f, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        FloatBuffer fb = FloatBuffer.allocate(48);
        fb.put(b0).put(b1).flip();
        return new Tensor("output0", new long[] {2, 4, 6}, fb);
    }

    @Test
    void keepsRowsAboveConfAndDropsPadding() {
        Decoder.Detections d = Decoder.endToEnd(output(), 0, new Decoder.Filter(0.25f, 0.7f, 300, null, false, false));
        assertEquals(3, d.size());
        assertArrayEquals(new int[] {0, 5, 2}, d.cls());
        assertArrayEquals(new float[] {10, 20, 30, 40, 50, 60, 70, 80, 1, 2, 3, 4}, d.xyxy(), 0f);
        Decoder.Detections second = Decoder.endToEnd(output(), 1, new Decoder.Filter(0.25f, 0.7f, 300, null, false, false));
        assertArrayEquals(new int[] {16}, second.cls());
        assertArrayEquals(new float[] {0.8f}, second.conf(), 0f);
    }

    @Test
    void confClassesAndMaxDetFilter() {
        assertEquals(2, Decoder.endToEnd(output(), 0, new Decoder.Filter(0.5f, 0.7f, 300, null, false, false)).size());
        assertArrayEquals(new int[] {5}, Decoder.endToEnd(output(), 0, new Decoder.Filter(0.25f, 0.7f, 300, new int[] {5}, false, false)).cls());
        assertEquals(1, Decoder.endToEnd(output(), 0, new Decoder.Filter(0.25f, 0.7f, 1, null, false, false)).size());
    }
}
