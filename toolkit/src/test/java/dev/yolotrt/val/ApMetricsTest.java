package dev.yolotrt.val;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApMetricsTest {

    @Test
    void tpFpTpByHand() {
        // Two labels; detections by confidence: TP, FP, TP -> recall .5 .5 1, precision 1 .5 2/3.
        // Envelope: 1 up to recall .5, 2/3 after, and the sentinel 0 at recall 1 (numpy.interp returns
        // the last value there). 101-point trapezoid: 49 steps at 1, one from 1 to 2/3, 49 at 2/3,
        // one from 2/3 to 0.
        double expected = 0.49 + 0.01 * (1 + 2.0 / 3) / 2 + 0.49 * 2.0 / 3 + 0.01 * (2.0 / 3) / 2;
        assertEquals(expected, ApMetrics.ap(new double[] {0.5, 0.5, 1}, new double[] {1, 0.5, 2.0 / 3}), 1e-12);
    }

    @Test
    void perfectDetectorScoresUltralytics0995() {
        // The envelope drops to 0 at recall 1 (the sentinel), so the last trapezoid is halved: 1 - 0.005.
        assertEquals(0.995, ApMetrics.ap(new double[] {0.5, 1}, new double[] {1, 1}), 1e-12);
    }

    @Test
    void halfRecallAtFullPrecision() {
        // Recall stops at .5: the envelope is 1 on [0, .5] then interpolates down to 0 at recall 1.
        // Trapezoid: 0.5 + 50 steps of a line from 1 to 0 = 0.5 + 0.25.
        assertEquals(0.75, ApMetrics.ap(new double[] {0.5}, new double[] {1}), 1e-12);
    }

    @Test
    void falsePositivesOnlyScoreZero() {
        assertEquals(0.0, ApMetrics.ap(new double[] {0, 0}, new double[] {0, 0}), 1e-12);
    }

    @Test
    void perClassPrecisionRecallAtBestF1() {
        // One class, 2 labels, three detections: TP (0.9), TP (0.8), FP (0.3).
        boolean[][] tp = new boolean[3][10];
        for (int t = 0; t < 10; t++) {
            tp[0][t] = true;
            tp[1][t] = true;
        }
        ApMetrics.PerClass pc = ApMetrics.compute(tp, new double[] {0.9, 0.8, 0.3}, new int[] {0, 0, 0}, new int[] {0, 0});
        assertArrayEquals(new int[] {0}, pc.classes());
        assertArrayEquals(new int[] {2}, pc.instances());
        // Best F1 where both TPs are in: R = 1. P is read off a curve interpolated over confidence, so
        // between the 0.8 (P = 1) and 0.3 (P = 2/3) detections it lies strictly between the two.
        assertEquals(1.0, pc.r()[0], 1e-9);
        assertTrue(pc.p()[0] > 2.0 / 3 && pc.p()[0] < 1.0, "P " + pc.p()[0]);
        assertEquals(0.995, pc.ap()[0][0], 1e-12);
    }

    /** The mAP-only path (what bootstraps call) equals the mean of compute's APs bit for bit, ties in confidence included. */
    @Test
    void mapAloneEqualsComputesMean() {
        java.util.Random r = new java.util.Random(3);
        int n = 3000;
        boolean[][] tp = new boolean[n][10];
        double[] conf = new double[n];
        int[] pc = new int[n];
        for (int i = 0; i < n; i++) {
            conf[i] = Math.round(r.nextDouble() * 50) / 50.0; // many ties
            pc[i] = r.nextInt(25);                             // classes 20-24 have no labels
            for (int t = 0; t < 10; t++) tp[i][t] = r.nextDouble() < 0.6 - 0.05 * t;
        }
        int[] tc = new int[400];
        for (int j = 0; j < tc.length; j++) tc[j] = j % 21 == 20 ? 30 : r.nextInt(20); // class 30: labels, no detections
        ApMetrics.PerClass all = ApMetrics.compute(tp, conf, pc, tc);
        double expected = java.util.Arrays.stream(all.ap()).mapToDouble(a -> java.util.Arrays.stream(a).average().orElse(0)).average().orElse(0);
        assertTrue(expected > 0.1 && expected < 0.9, "a mAP that says something: " + expected);
        assertEquals(expected, ApMetrics.map(tp, conf, pc, tc), 0.0);
        assertEquals(0.0, ApMetrics.map(tp, conf, pc, new int[0]), 0.0);
    }

    @Test
    void numpyInterpSemantics() {
        double[] xp = {0, 0.5, 0.5, 1};
        double[] fp = {1, 1, 0.6, 0.6};
        assertEquals(1.0, ApMetrics.interp(0.25, xp, fp, 9, 9), 0);
        assertEquals(0.6, ApMetrics.interp(0.5, xp, fp, 9, 9), 0); // a tie takes the last of the equal xp
        assertEquals(0.6, ApMetrics.interp(1.0, xp, fp, 9, 9), 0);
        assertEquals(9.0, ApMetrics.interp(-0.1, xp, fp, 9, 8), 0);
        assertEquals(8.0, ApMetrics.interp(1.1, xp, fp, 9, 8), 0);
    }
}
