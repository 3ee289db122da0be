package dev.yolotrt.val;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class MatchingTest {

    private static final double[] T = {0.5, 0.75};

    @Test
    void greedyByIouOnePredictionPerLabel() {
        // Label 0: (0,0,10,10). Prediction 0 = label (IoU 1); prediction 1 = (0,0,10,8) (IoU .8);
        // prediction 2 = (0,0,10,6) (IoU .6). Only prediction 0 may claim the label.
        float[] labels = {0, 0, 10, 10};
        float[] preds = {0, 0, 10, 10, 0, 0, 10, 8, 0, 0, 10, 6};
        boolean[][] c = Matching.match(preds, new int[] {0, 0, 0}, labels, new int[] {0}, T);
        assertArrayEquals(new boolean[] {true, true}, c[0]);
        assertArrayEquals(new boolean[] {false, false}, c[1]);
        assertArrayEquals(new boolean[] {false, false}, c[2]);
    }

    @Test
    void classMustAgree() {
        boolean[][] c = Matching.match(new float[] {0, 0, 10, 10}, new int[] {1}, new float[] {0, 0, 10, 10}, new int[] {0}, T);
        assertArrayEquals(new boolean[] {false, false}, c[0]);
    }

    @Test
    void thresholdDecidesPerColumn() {
        // IoU .6 between prediction and label: a TP at .5, not at .75.
        boolean[][] c = Matching.match(new float[] {0, 0, 10, 6}, new int[] {0}, new float[] {0, 0, 10, 10}, new int[] {0}, T);
        assertArrayEquals(new boolean[] {true, false}, c[0]);
    }

    @Test
    void predictionTakesItsBestLabelFirst() {
        // Ultralytics dedupes by prediction before label: prediction A's best label is L0 (IoU 0.9);
        // B's best is also L0 (0.8) though B overlaps L1 (0.6). A wins L0, and B stays unmatched
        // (it is not re-offered L1) — the rule the metric must reproduce.
        float[] labels = {0, 0, 10, 10, 4, 0, 14, 10};          // L0, L1 (L0/L1 IoU 6/14)
        float[] preds = {0, 0, 10, 9, 1, 0, 11, 10};            // A: IoU(L0)=.9; B: IoU(L0)=9/11, IoU(L1)=7/13
        boolean[][] c = Matching.match(preds, new int[] {0, 0}, labels, new int[] {0, 0}, new double[] {0.5});
        assertArrayEquals(new boolean[] {true}, c[0]);
        assertArrayEquals(new boolean[] {false}, c[1]);
    }

    @Test
    void labelGoesToTheFirstPredictionNotTheClosest() {
        // Both predictions' best label is L0. Prediction 0 (first in NMS order, i.e. more confident)
        // overlaps it with IoU 0.6, prediction 1 with IoU 1. Ultralytics gives L0 to prediction 0
        // (its per-label pass runs in prediction order), so prediction 1 is a false positive.
        float[] labels = {0, 0, 10, 10};
        float[] preds = {0, 0, 10, 6, 0, 0, 10, 10};
        boolean[][] c = Matching.match(preds, new int[] {0, 0}, labels, new int[] {0}, new double[] {0.5});
        assertArrayEquals(new boolean[] {true}, c[0]);
        assertArrayEquals(new boolean[] {false}, c[1]);
    }
}
