package dev.yolotrt.predict;

import dev.yolotrt.backend.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class DecoderTest {

    /** [1, 4 + 2 classes, 4 anchors], rows cx, cy, w, h, score0, score1 (channel-major, as YOLOv8). */
    private static Tensor output() {
        float[][] rows = {
                {50, 52, 200, 10},        // cx
                {50, 50, 100, 10},        // cy
                {20, 20, 40, 4},          // w
                {10, 10, 40, 4},          // h
                {0.90f, 0.80f, 0.10f, 0.02f}, // class 0
                {0.05f, 0.60f, 0.70f, 0.01f}, // class 1
        };
        FloatBuffer fb = FloatBuffer.allocate(24);
        for (float[] r : rows) fb.put(r);
        fb.flip();
        return new Tensor("output0", new long[] {1, 6, 4}, fb);
    }

    @Test
    void bestClassDecodeAndNms() {
        Decoder.Detections d = Decoder.decode(output(), 0, 0.25f, 0.7f, 300, null, false, false);
        // anchor 1 (0.80, class 0) overlaps anchor 0 (IoU 18x10/22x10 = 0.818) and is suppressed;
        // anchor 2 is class 1 at 0.70; anchor 3 is below conf.
        assertEquals(2, d.size());
        assertArrayEquals(new float[] {0.90f, 0.70f}, d.conf(), 1e-6f);
        assertArrayEquals(new int[] {0, 1}, d.cls());
        assertArrayEquals(new float[] {40, 45, 60, 55, 180, 80, 220, 120}, d.xyxy(), 1e-5f);
    }

    @Test
    void multiLabelKeepsSecondClassOfAnAnchor() {
        Decoder.Detections d = Decoder.decode(output(), 0, 0.25f, 0.7f, 300, null, false, true);
        // Candidates: (a0,c0,.9) (a1,c0,.8) (a1,c1,.6) (a2,c1,.7); (a1,c0) suppressed by (a0,c0).
        assertArrayEquals(new float[] {0.90f, 0.70f, 0.60f}, d.conf(), 1e-6f);
        assertArrayEquals(new int[] {0, 1, 1}, d.cls());
    }

    @Test
    void classFilterAndAgnostic() {
        Decoder.Detections only1 = Decoder.decode(output(), 0, 0.25f, 0.7f, 300, new int[] {1}, false, false);
        assertArrayEquals(new int[] {1}, only1.cls());
        Decoder.Detections agn = Decoder.decode(output(), 0, 0.5f, 0.7f, 300, null, true, true);
        // agnostic: (a1,c1,.6) overlaps (a0,c0,.9) by 0.818 and goes too
        assertArrayEquals(new float[] {0.90f, 0.70f}, agn.conf(), 1e-6f);
    }
}
