package dev.yolotrt.val;

/**
 * Ultralytics' kpt_iou: object keypoint similarity between labelled and predicted keypoints, COCO's
 * per-keypoint sigmas for 17-point persons (else all 1/K), area = label box area × 0.53, labelled
 * keypoints with visibility 0 left out.
 */
public final class Oks {

    /** COCO's keypoint sigmas (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles). */
    static final double[] COCO_SIGMAS = {0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87,
            0.89, 0.89};

    private Oks() {
    }

    /**
     * oks[p][l] for predictions' keypoints {@code pred[p]} (x, y pairs) and labels' {@code truth[l]}
     * (x, y pairs), labels' visibility {@code visible[l][k]} and areas {@code area[l]}.
     */
    public static float[][] matrix(float[][] pred, float[][] truth, boolean[][] visible, double[] area) {
        int k = truth.length > 0 ? truth[0].length / 2 : pred.length > 0 ? pred[0].length / 2 : 0;
        double[] sigma = new double[k];
        for (int q = 0; q < k; q++) sigma[q] = k == 17 ? COCO_SIGMAS[q] / 10.0 : 1.0 / k;
        final double eps = 1e-7;
        float[][] out = new float[pred.length][truth.length];
        for (int l = 0; l < truth.length; l++) {
            int n = 0;
            for (boolean v : visible[l]) if (v) n++;
            for (int p = 0; p < pred.length; p++) {
                double s = 0;
                for (int q = 0; q < k; q++) {
                    if (!visible[l][q]) continue;
                    double dx = truth[l][2 * q] - pred[p][2 * q], dy = truth[l][2 * q + 1] - pred[p][2 * q + 1];
                    double e = (dx * dx + dy * dy) / (Math.pow(2 * sigma[q], 2) * (area[l] + eps) * 2);
                    s += Math.exp(-e);
                }
                out[p][l] = (float) (s / (n + eps));
            }
        }
        return out;
    }
}
