package dev.yolotrt.val;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Comparator;
import java.util.TreeMap;

/**
 * Ultralytics' {@code ap_per_class} and {@code compute_ap}: per class, precision and recall over
 * descending confidence; AP as the area under the monotone precision envelope sampled at 101 recall
 * points (trapezoidal); P and R read at the confidence that maximises the class-mean F1.
 */
public final class ApMetrics {

    private static final double EPS = 1e-16;
    public static final int CURVE_POINTS = 1000;

    /** Per-class results for the classes that have labels, in class-id order. */
    public record PerClass(int[] classes, int[] instances, double[] p, double[] r, double[][] ap,
                           double[] px, double[][] pCurve, double[][] rCurve, double[][] f1Curve, double[][] prCurve) {
    }

    private ApMetrics() {
    }

    /** mAP50-95 of pooled detections: each class's AP averaged over the ten thresholds, then over the classes with labels (0 when none). */
    public static double map(List<boolean[]> tp, List<Double> conf, List<Integer> predCls, List<Integer> targetCls) {
        return map(tp.toArray(new boolean[0][]), conf.stream().mapToDouble(Double::doubleValue).toArray(),
                predCls.stream().mapToInt(Integer::intValue).toArray(), targetCls.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * As above, from arrays, and without the curves {@link #compute} also draws: the same per-class APs, so the same value,
     * at a fraction of the cost (a bootstrap recomputes it thousands of times).
     */
    public static double map(boolean[][] tp, double[] conf, int[] predCls, int[] targetCls) {
        if (targetCls.length == 0) return 0;
        int nt = tp.length > 0 ? tp[0].length : Matching.IOU_THRESHOLDS.length;
        TreeMap<Integer, Integer> counts = counts(targetCls);
        int[][] idx = byClass(order(conf), predCls, counts);
        double[][] ap = new double[counts.size()][nt];
        int ci = 0;
        for (int nl : counts.values()) {
            if (idx[ci].length > 0) {
                double[][][] pr = recallPrecision(idx[ci], tp, nl, nt);
                for (int t = 0; t < nt; t++) ap[ci][t] = ap(pr[0][t], pr[1][t]);
            }
            ci++;
        }
        return mean(ap);
    }

    /**
     * @param tp        tp[i][t]: detection i is a true positive at IoU threshold t
     * @param conf      detection confidences
     * @param predCls   detection classes
     * @param targetCls one class id per label
     */
    public static PerClass compute(boolean[][] tp, double[] conf, int[] predCls, int[] targetCls) {
        int nt = tp.length > 0 ? tp[0].length : Matching.IOU_THRESHOLDS.length;
        TreeMap<Integer, Integer> counts = counts(targetCls);
        int[][] byClass = byClass(order(conf), predCls, counts);
        int nc = counts.size();
        int[] classes = counts.keySet().stream().mapToInt(Integer::intValue).toArray();
        int[] instances = counts.values().stream().mapToInt(Integer::intValue).toArray();

        double[] px = linspace(0, 1, CURVE_POINTS);
        double[][] ap = new double[nc][nt];
        double[][] pCurve = new double[nc][CURVE_POINTS];
        double[][] rCurve = new double[nc][CURVE_POINTS];
        double[][] prCurve = new double[nc][CURVE_POINTS];
        for (int ci = 0; ci < nc; ci++) {
            int[] idx = byClass[ci];
            if (idx.length == 0) continue;
            double[] negConf = new double[idx.length];
            double[][][] pr = recallPrecision(idx, tp, instances[ci], nt);
            double[][] recall = pr[0], precision = pr[1];
            for (int k = 0; k < idx.length; k++) negConf[k] = -conf[idx[k]];
            for (int j = 0; j < CURVE_POINTS; j++) {
                rCurve[ci][j] = interp(-px[j], negConf, recall[0], 0, recall[0][idx.length - 1]);
                pCurve[ci][j] = interp(-px[j], negConf, precision[0], 1, precision[0][idx.length - 1]);
            }
            for (int t = 0; t < nt; t++) {
                double[][] env = envelope(recall[t], precision[t]);
                ap[ci][t] = computeAp(env[0], env[1]);
                if (t == 0) {
                    for (int j = 0; j < CURVE_POINTS; j++) prCurve[ci][j] = interp(px[j], env[0], env[1], env[1][0], env[1][env[1].length - 1]);
                }
            }
        }
        double[][] f1Curve = new double[nc][CURVE_POINTS];
        double[] meanF1 = new double[CURVE_POINTS];
        for (int ci = 0; ci < nc; ci++) {
            for (int j = 0; j < CURVE_POINTS; j++) {
                f1Curve[ci][j] = 2 * pCurve[ci][j] * rCurve[ci][j] / (pCurve[ci][j] + rCurve[ci][j] + EPS);
                meanF1[j] += f1Curve[ci][j] / nc;
            }
        }
        int best = argmax(smooth(meanF1, 0.1));
        double[] p = new double[nc], r = new double[nc];
        for (int ci = 0; ci < nc; ci++) {
            p[ci] = pCurve[ci][best];
            r[ci] = rCurve[ci][best];
        }
        return new PerClass(classes, instances, p, r, ap, px, pCurve, rCurve, f1Curve, prCurve);
    }

    /** Each class's AP averaged over the thresholds, then over the classes. */
    private static double mean(double[][] ap) {
        return Arrays.stream(ap).mapToDouble(a -> Arrays.stream(a).average().orElse(0)).average().orElse(0);
    }

    /** Detection indices by descending confidence, ties in their given order. */
    private static int[] order(double[] conf) {
        Integer[] order = new Integer[conf.length];
        for (int i = 0; i < conf.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -conf[i]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    /** Labels per class, in class-id order. */
    private static TreeMap<Integer, Integer> counts(int[] targetCls) {
        TreeMap<Integer, Integer> counts = new TreeMap<>();
        for (int c : targetCls) counts.merge(c, 1, Integer::sum);
        return counts;
    }

    /** For each class of {@code counts} (in its order), its detections in {@code order}'s order. */
    private static int[][] byClass(int[] order, int[] predCls, TreeMap<Integer, Integer> counts) {
        Map<Integer, Integer> slot = new HashMap<>();
        for (int c : counts.keySet()) slot.put(c, slot.size());
        int[] at = new int[order.length], size = new int[counts.size()];
        for (int j = 0; j < order.length; j++) {
            at[j] = slot.getOrDefault(predCls[order[j]], -1);
            if (at[j] >= 0) size[at[j]]++;
        }
        int[][] out = new int[counts.size()][];
        for (int k = 0; k < out.length; k++) out[k] = new int[size[k]];
        int[] fill = new int[counts.size()];
        for (int j = 0; j < order.length; j++) if (at[j] >= 0) out[at[j]][fill[at[j]]++] = order[j];
        return out;
    }

    /** Cumulative recall and precision per IoU threshold over one class's detections {@code idx} with {@code labels} labels: {recall, precision}. */
    private static double[][][] recallPrecision(int[] idx, boolean[][] tp, int labels, int nt) {
        double[][] recall = new double[nt][idx.length];
        double[][] precision = new double[nt][idx.length];
        for (int t = 0; t < nt; t++) {
            double tpc = 0, fpc = 0;
            for (int k = 0; k < idx.length; k++) {
                if (tp[idx[k]][t]) tpc++;
                else fpc++;
                recall[t][k] = tpc / (labels + EPS);
                precision[t][k] = tpc / (tpc + fpc);
            }
        }
        return new double[][][] {recall, precision};
    }

    /** Recall and precision with sentinels, precision made non-increasing from the right. */
    static double[][] envelope(double[] recall, double[] precision) {
        int n = recall.length;
        double[] mrec = new double[n + 2], mpre = new double[n + 2];
        mrec[0] = 0;
        mpre[0] = 1;
        System.arraycopy(recall, 0, mrec, 1, n);
        System.arraycopy(precision, 0, mpre, 1, n);
        mrec[n + 1] = 1;
        mpre[n + 1] = 0;
        for (int i = n; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
        return new double[][] {mrec, mpre};
    }

    /** Trapezoidal area of the envelope sampled at 101 evenly spaced recall values. */
    static double computeAp(double[] mrec, double[] mpre) {
        double[] x = linspace(0, 1, 101);
        double area = 0, prev = interp(0, mrec, mpre, mpre[0], mpre[mpre.length - 1]);
        for (int i = 1; i < x.length; i++) {
            double y = interp(x[i], mrec, mpre, mpre[0], mpre[mpre.length - 1]);
            area += (x[i] - x[i - 1]) * (y + prev) / 2;
            prev = y;
        }
        return area;
    }

    /** AP of one recall/precision sequence (ordered by descending confidence). */
    public static double ap(double[] recall, double[] precision) {
        double[][] env = envelope(recall, precision);
        return computeAp(env[0], env[1]);
    }

    /** numpy.interp: piecewise-linear through (xp, fp), xp non-decreasing; left/right outside. */
    static double interp(double x, double[] xp, double[] fp, double left, double right) {
        int n = xp.length;
        if (x < xp[0]) return left;
        if (x > xp[n - 1]) return right;
        if (x == xp[n - 1]) return fp[n - 1];
        // The last j with xp[j] <= x; then xp[j + 1] > x.
        int lo = 0, hi = n - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (xp[mid] <= x) lo = mid;
            else hi = mid;
        }
        double slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
        return slope * (x - xp[lo]) + fp[lo];
    }

    /** A box filter over a fraction {@code f} of the points, edges repeated (Ultralytics' {@code smooth}). */
    public static double[] smooth(double[] y, double f) {
        int nf = (int) Math.rint(y.length * f * 2) / 2 + 1;
        int half = nf / 2;
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            double s = 0;
            for (int k = i - half; k <= i + half; k++) s += y[Math.max(0, Math.min(y.length - 1, k))];
            out[i] = s / nf;
        }
        return out;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static double[] linspace(double a, double b, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = a + (b - a) * i / (n - 1);
        return x;
    }
}
