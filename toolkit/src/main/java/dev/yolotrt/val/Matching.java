package dev.yolotrt.val;

import dev.yolotrt.predict.Nms;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Ultralytics' {@code match_predictions}: at each IoU threshold, pairs (label, prediction) of the
 * same class with IoU ≥ threshold are taken greedily by descending IoU, each prediction and each
 * label used at most once.
 */
public final class Matching {

    /** The ten COCO IoU thresholds 0.50, 0.55 ... 0.95. */
    public static final double[] IOU_THRESHOLDS = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};

    private Matching() {
    }

    /** correct[p][t]: prediction p is a true positive at threshold t. */
    public static boolean[][] match(float[] predXyxy, int[] predCls, float[] trueXyxy, int[] trueCls, double[] thresholds) {
        int np = predCls.length, nl = trueCls.length;
        boolean[][] correct = new boolean[np][thresholds.length];
        if (np == 0 || nl == 0) return correct;
        float[][] iou = new float[nl][np];
        for (int l = 0; l < nl; l++) {
            for (int p = 0; p < np; p++) {
                iou[l][p] = trueCls[l] == predCls[p] ? Nms.iou(trueXyxy, l * 4, predXyxy, p * 4) : 0f;
            }
        }
        for (int t = 0; t < thresholds.length; t++) {
            List<int[]> pairs = new ArrayList<>();
            for (int l = 0; l < nl; l++) {
                for (int p = 0; p < np; p++) if (iou[l][p] >= thresholds[t] && iou[l][p] > 0) pairs.add(new int[] {l, p});
            }
            // Stable sort by descending IoU; then first occurrence wins, per prediction, then per label.
            pairs.sort(Comparator.comparingDouble((int[] lp) -> -iou[lp[0]][lp[1]]));
            Set<Integer> usedPred = new HashSet<>();
            List<int[]> uniquePred = new ArrayList<>();
            for (int[] lp : pairs) if (usedPred.add(lp[1])) uniquePred.add(lp);
            Set<Integer> usedLabel = new HashSet<>();
            for (int[] lp : uniquePred) if (usedLabel.add(lp[0])) correct[lp[1]][t] = true;
        }
        return correct;
    }
}
