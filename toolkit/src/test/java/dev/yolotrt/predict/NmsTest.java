package dev.yolotrt.predict;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class NmsTest {

    @Test
    void iouByHand() {
        float[] a = {0, 0, 10, 10};
        float[] b = {5, 5, 15, 15};      // overlap 5x5 = 25, union 100 + 100 - 25 = 175
        assertEquals(25f / 175f, Nms.iou(a, 0, b, 0), 1e-7);
        float[] c = {0, 0, 10, 20};      // contains a: 100 / 200
        assertEquals(0.5f, Nms.iou(a, 0, c, 0), 1e-7);
        float[] d = {10, 0, 20, 10};     // touching edge: no overlap
        assertEquals(0f, Nms.iou(a, 0, d, 0));
        assertEquals(1f, Nms.iou(a, 0, a, 0));
    }

    // Boxes 0 and 1 overlap with IoU 0.9 (10x10 and 10x9 inside it: 90 / 100); box 2 is far away; box 3 = box 0.
    private static final float[] XYXY = {0, 0, 10, 10, 0, 1, 10, 10, 50, 50, 60, 60, 0, 0, 10, 10};

    @Test
    void classAwareKeepsOverlappingBoxesOfOtherClasses() {
        float[] score = {0.9f, 0.8f, 0.7f, 0.95f};
        int[] cls = {0, 0, 0, 1};
        int[] keep = Nms.run(XYXY, score, cls, 4, 0.7f, false, 300);
        // class 1's box (0.95) first; box 1 suppressed by box 0 (IoU 0.9 > 0.7)
        assertArrayEquals(new int[] {3, 0, 2}, keep);
    }

    @Test
    void agnosticSuppressesAcrossClasses() {
        float[] score = {0.9f, 0.8f, 0.7f, 0.95f};
        int[] cls = {0, 0, 0, 1};
        assertArrayEquals(new int[] {3, 2}, Nms.run(XYXY, score, cls, 4, 0.7f, true, 300));
    }

    @Test
    void thresholdIsStrictAndMaxDetCaps() {
        float[] xyxy = {0, 0, 10, 10, 0, 1, 10, 10};
        float[] score = {0.9f, 0.8f};
        int[] cls = {0, 0};
        // IoU exactly 0.9: kept when the threshold is 0.9 (only IoU > threshold suppresses).
        assertArrayEquals(new int[] {0, 1}, Nms.run(xyxy, score, cls, 2, 0.9f, false, 300));
        assertArrayEquals(new int[] {0}, Nms.run(xyxy, score, cls, 2, 0.89f, false, 300));
        assertArrayEquals(new int[] {0}, Nms.run(xyxy, score, cls, 2, 0.95f, false, 1));
    }
}
