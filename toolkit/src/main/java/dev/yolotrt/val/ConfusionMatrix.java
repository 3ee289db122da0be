package dev.yolotrt.val;

import dev.yolotrt.predict.Nms;

/**
 * Ultralytics' detection confusion matrix: rows are predicted classes, columns true classes, the
 * last row and column "background". Detections above {@code conf} match labels class-agnostically
 * at IoU above {@code iou}, greedily by IoU.
 */
public final class ConfusionMatrix implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int nc;
    private final double conf;
    private final double iou;
    private final long[][] matrix;

    public ConfusionMatrix(int nc, double conf, double iou) {
        this.nc = nc;
        this.conf = conf;
        this.iou = iou;
        this.matrix = new long[nc + 1][nc + 1];
    }

    public ConfusionMatrix(int nc) {
        this(nc, 0.25, 0.45);
    }

    public void add(float[] predXyxy, float[] predConf, int[] predCls, float[] trueXyxy, int[] trueCls) {
        int[] keep = java.util.stream.IntStream.range(0, predConf.length).filter(i -> predConf[i] > conf).toArray();
        int nl = trueCls.length, np = keep.length;
        if (np == 0) {
            for (int gc : trueCls) matrix[nc][gc]++;
            return;
        }
        // Matches (label, detection) above the IoU threshold: best IoU per detection, then per label.
        java.util.List<double[]> m = new java.util.ArrayList<>();
        for (int l = 0; l < nl; l++) {
            for (int p = 0; p < np; p++) {
                double v = Nms.iou(trueXyxy, l * 4, predXyxy, keep[p] * 4);
                if (v > iou) m.add(new double[] {l, p, v});
            }
        }
        m = uniqueBest(m, 1);
        m = uniqueBest(m, 0);
        int[] detOfLabel = new int[nl];
        java.util.Arrays.fill(detOfLabel, -1);
        boolean[] matchedDet = new boolean[np];
        for (double[] x : m) {
            detOfLabel[(int) x[0]] = (int) x[1];
            matchedDet[(int) x[1]] = true;
        }
        for (int l = 0; l < nl; l++) {
            if (detOfLabel[l] >= 0) matrix[predCls[keep[detOfLabel[l]]]][trueCls[l]]++;
            else matrix[nc][trueCls[l]]++;
        }
        for (int p = 0; p < np; p++) if (!matchedDet[p]) matrix[predCls[keep[p]]][nc]++;
    }

    private static java.util.List<double[]> uniqueBest(java.util.List<double[]> m, int column) {
        java.util.Map<Integer, double[]> best = new java.util.HashMap<>();
        for (double[] x : m) best.merge((int) x[column], x, (a, b) -> b[2] > a[2] ? b : a);
        return new java.util.ArrayList<>(best.values());
    }

    /** Adds {@code other}'s counts (of the same classes and thresholds) to these. */
    public void merge(ConfusionMatrix other) {
        for (int i = 0; i <= nc; i++) for (int j = 0; j <= nc; j++) matrix[i][j] += other.matrix[i][j];
    }

    /** A copy of the counts: [predicted][true], index nc is background. */
    public long[][] matrix() {
        long[][] copy = new long[nc + 1][];
        for (int i = 0; i <= nc; i++) copy[i] = matrix[i].clone();
        return copy;
    }
}
