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
}
