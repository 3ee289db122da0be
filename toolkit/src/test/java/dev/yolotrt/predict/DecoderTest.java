package dev.yolotrt.predict;

import dev.yolotrt.tensor.Tensor;
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

    /**
     * 4,000 anchors x 10 classes, all 40,000 pairs above conf, each anchor's box apart from every other and NMS per class:
     * without Ultralytics' max_nms cap all 40,000 would survive; with it, exactly the 30,000 best scores do, from the
     * whole head and from the same pairs picked on a device alike.
     */
    @Test
    void pastMaxNmsOnlyTheBestScoresEnterNms() {
        int anchors = 4000, nc = 10, pairs = anchors * nc;
        FloatBuffer fb = FloatBuffer.allocate((4 + nc) * anchors);
        int[] anchor = new int[pairs], cls = new int[pairs];
        float[] score = new float[pairs], cxcywh = new float[pairs * 4];
        for (int a = 0; a < anchors; a++) {
            float[] box = {(a % 64) * 20 + 10, (a / 64) * 20 + 10, 10, 10};
            for (int k = 0; k < 4; k++) fb.put(k * anchors + a, box[k]);
            for (int c = 0; c < nc; c++) {
                int i = a * nc + c;
                // Distinct scores, interleaved so that the best 30,000 are not one block of anchors.
                float s = 0.01f + ((i * 7919) % pairs) / 100_000f;
                fb.put((4 + c) * anchors + a, s);
                anchor[i] = a;
                cls[i] = c;
                score[i] = s;
                System.arraycopy(box, 0, cxcywh, i * 4, 4);
            }
        }
        float[] sorted = score.clone();
        java.util.Arrays.sort(sorted);
        float cutoff = sorted[pairs - Decoder.MAX_NMS];
        Tensor head = new Tensor("output0", new long[] {1, 4 + nc, anchors}, fb);
        Decoder.Detections d = Decoder.decode(head, 0, new Decoder.Filter(0.001f, 0.7f, pairs, null, false, true));
        Decoder.Detections p = Decoder.fromCandidates(new dev.yolotrt.tensor.Picked.Candidates(anchor, cls, score, cxcywh), new Decoder.Filter(0.001f, 0.7f, pairs, null, false, true));
        for (Decoder.Detections x : new Decoder.Detections[] {d, p}) {
            assertEquals(Decoder.MAX_NMS, x.size());
            float min = Float.MAX_VALUE;
            for (float c : x.conf()) min = Math.min(min, c);
            assertEquals(cutoff, min);
        }
        assertArrayEquals(d.conf(), p.conf());
        assertArrayEquals(d.cls(), p.cls());
    }

    @Test
    void bestClassDecodeAndNms() {
        Decoder.Detections d = Decoder.decode(output(), 0, new Decoder.Filter(0.25f, 0.7f, 300, null, false, false));
        // anchor 1 (0.80, class 0) overlaps anchor 0 (IoU 18x10/22x10 = 0.818) and is suppressed;
        // anchor 2 is class 1 at 0.70; anchor 3 is below conf.
        assertEquals(2, d.size());
        assertArrayEquals(new float[] {0.90f, 0.70f}, d.conf(), 1e-6f);
        assertArrayEquals(new int[] {0, 1}, d.cls());
        assertArrayEquals(new float[] {40, 45, 60, 55, 180, 80, 220, 120}, d.xyxy(), 1e-5f);
    }

    @Test
    void multiLabelKeepsSecondClassOfAnAnchor() {
        Decoder.Detections d = Decoder.decode(output(), 0, new Decoder.Filter(0.25f, 0.7f, 300, null, false, true));
        // Candidates: (a0,c0,.9) (a1,c0,.8) (a1,c1,.6) (a2,c1,.7); (a1,c0) suppressed by (a0,c0).
        assertArrayEquals(new float[] {0.90f, 0.70f, 0.60f}, d.conf(), 1e-6f);
        assertArrayEquals(new int[] {0, 1, 1}, d.cls());
    }

    @Test
    void classFilterAndAgnostic() {
        Decoder.Detections only1 = Decoder.decode(output(), 0, new Decoder.Filter(0.25f, 0.7f, 300, new int[] {1}, false, false));
        assertArrayEquals(new int[] {1}, only1.cls());
        Decoder.Detections agn = Decoder.decode(output(), 0, new Decoder.Filter(0.5f, 0.7f, 300, null, true, true));
        // agnostic: (a1,c1,.6) overlaps (a0,c0,.9) by 0.818 and goes too
        assertArrayEquals(new float[] {0.90f, 0.70f}, agn.conf(), 1e-6f);
    }
}
