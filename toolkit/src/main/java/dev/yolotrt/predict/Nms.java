package dev.yolotrt.predict;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy non-maximum suppression as torchvision's {@code nms}: highest score first, drop a box whose
 * IoU with a kept one is above the threshold. Class-aware unless agnostic (Ultralytics offsets boxes
 * by class; grouping by class is the same and cheaper).
 */
public final class Nms {
    private Nms() {
    }

    /** IoU of boxes a[ai..ai+3] and b[bi..bi+3], both x1, y1, x2, y2. */
    public static float iou(float[] a, int ai, float[] b, int bi) {
        float iw = Math.min(a[ai + 2], b[bi + 2]) - Math.max(a[ai], b[bi]);
        float ih = Math.min(a[ai + 3], b[bi + 3]) - Math.max(a[ai + 1], b[bi + 1]);
        if (iw <= 0 || ih <= 0) return 0f;
        float inter = iw * ih;
        float areaA = (a[ai + 2] - a[ai]) * (a[ai + 3] - a[ai + 1]);
        float areaB = (b[bi + 2] - b[bi]) * (b[bi + 3] - b[bi + 1]);
        return inter / (areaA + areaB - inter);
    }

    /**
     * Indices of the kept boxes, by descending score, at most {@code maxDet}.
     *
     * @param xyxy  4 floats per box
     * @param score one per box
     * @param cls   one per box
     */
    public static int[] run(float[] xyxy, float[] score, int[] cls, int count, float iouThres, boolean agnostic, int maxDet) {
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -score[i]));
        Map<Integer, List<Integer>> keptByClass = new HashMap<>();
        List<Integer> kept = new ArrayList<>();
        for (int i : order) {
            List<Integer> group = keptByClass.computeIfAbsent(agnostic ? 0 : cls[i], k -> new ArrayList<>());
            boolean keep = true;
            for (int k : group) {
                if (iou(xyxy, i * 4, xyxy, k * 4) > iouThres) {
                    keep = false;
                    break;
                }
            }
            if (keep) {
                group.add(i);
                kept.add(i);
                if (kept.size() >= maxDet) break;
            }
        }
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Ultralytics' {@code nms_rotated}: by descending score, a box is dropped when any higher-scoring
     * box of its class overlaps it with probabilistic IoU ≥ the threshold, whether or not that box was
     * itself kept (the upper-triangle rule, not greedy NMS). Boxes are x, y, w, h, angle (5 floats).
     */
    public static int[] rotated(float[] xywhr, float[] score, int[] cls, int count, float iouThres, boolean agnostic, int maxDet) {
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -score[i]));
        double[][] cov = new double[count][];
        for (int i = 0; i < count; i++) cov[i] = covariance(xywhr, i);
        List<Integer> kept = new ArrayList<>();
        for (int oi = 0; oi < count && kept.size() < maxDet; oi++) {
            int i = order[oi];
            boolean drop = false;
            for (int oj = 0; oj < oi && !drop; oj++) {
                int j = order[oj];
                if ((agnostic || cls[i] == cls[j]) && probiou(xywhr, j, cov[j], xywhr, i, cov[i]) >= iouThres) drop = true;
            }
            if (!drop) kept.add(i);
        }
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Ultralytics' _get_covariance_matrix of box {@code i}: a, b, c of the Gaussian with the box's second moments. */
    static double[] covariance(float[] xywhr, int i) {
        double a = xywhr[i * 5 + 2] * (double) xywhr[i * 5 + 2] / 12, b = xywhr[i * 5 + 3] * (double) xywhr[i * 5 + 3] / 12;
        double cos = Math.cos(xywhr[i * 5 + 4]), sin = Math.sin(xywhr[i * 5 + 4]);
        return new double[] {a * cos * cos + b * sin * sin, a * sin * sin + b * cos * cos, (a - b) * cos * sin};
    }

    /** Ultralytics' probabilistic IoU (1 − Hellinger distance between the boxes' Gaussians), eps 1e-7. */
    public static double probiou(float[] p, int i, double[] c1, float[] q, int j, double[] c2) {
        final double eps = 1e-7;
        double x1 = p[i * 5], y1 = p[i * 5 + 1], x2 = q[j * 5], y2 = q[j * 5 + 1];
        double a = c1[0] + c2[0], b = c1[1] + c2[1], c = c1[2] + c2[2];
        double den = a * b - c * c + eps;
        double t1 = (a * (y1 - y2) * (y1 - y2) + b * (x1 - x2) * (x1 - x2)) / den * 0.25;
        double t2 = (c * (x2 - x1) * (y1 - y2)) / den * 0.5;
        double d1 = Math.max(0, c1[0] * c1[1] - c1[2] * c1[2]), d2 = Math.max(0, c2[0] * c2[1] - c2[2] * c2[2]);
        double t3 = Math.log((a * b - c * c) / (4 * Math.sqrt(d1 * d2) + eps) + eps) * 0.5;
        double bd = Math.max(eps, Math.min(100.0, t1 + t2 + t3));
        double hd = Math.sqrt(1.0 - Math.exp(-bd) + eps);
        return 1 - hd;
    }

    /** Probabilistic IoU of two boxes given as x, y, w, h, angle. */
    public static double probiou(float[] a, float[] b) {
        return probiou(a, 0, covariance(a, 0), b, 0, covariance(b, 0));
    }
}
