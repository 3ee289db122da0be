package dev.yolotrt.predict;

import dev.yolotrt.tensor.Picked;
import dev.yolotrt.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Turns a raw YOLOv8/YOLO11 detect output, [batch, 4 + nc, anchors] with rows cx, cy, w, h then
 * class scores, into NMS-filtered boxes in letterboxed pixels (Ultralytics' non_max_suppression).
 */
public final class Decoder {

    /** Ultralytics' cap on boxes that enter NMS. */
    public static final int MAX_NMS = 30_000;

    /**
     * Boxes of one image: 4 floats each (x1, y1, x2, y2), a score and a class, and the anchor (column
     * of the raw output) each came from, where the extra rows of a task (mask coefficients, keypoints,
     * angle) are read; null for end-to-end outputs.
     */
    public record Detections(float[] xyxy, float[] conf, int[] cls, int[] anchor) {
        public Detections(float[] xyxy, float[] conf, int[] cls) {
            this(xyxy, conf, cls, null);
        }

        public int size() {
            return conf.length;
        }
    }

    /**
     * What decoding keeps: scores above {@code conf} (every class above it with {@code multiLabel}, as validation does,
     * else each anchor's best class), of {@code classes} only (null: all), after NMS at {@code iou} (across classes when
     * {@code agnostic}), at most {@code maxDet} boxes.
     */
    public record Filter(float conf, float iou, int maxDet, int[] classes, boolean agnostic, boolean multiLabel) {
        public Filter {
            classes = classes == null ? null : classes.clone();
        }

        @Override
        public int[] classes() {
            return classes == null ? null : classes.clone();
        }
    }

    private Decoder() {
    }

    /**
     * Reads image {@code b} of an end-to-end output (NMS inside the engine, Ultralytics' layout):
     * [batch, max_det, 6] rows of x1, y1, x2, y2, confidence, class; rows at or below {@code conf} are dropped.
     */
    public static Detections endToEnd(Tensor output, int b, Filter f) {
        float conf = f.conf();
        int maxDet = f.maxDet();
        int[] classes = f.classes();
        int rows = output.dim(1);
        FloatBuffer data = output.data();
        int base = b * rows * 6;
        float[] xyxy = new float[rows * 4];
        float[] score = new float[rows];
        int[] cls = new int[rows];
        int n = 0;
        for (int r = 0; r < rows && n < maxDet; r++) {
            int at = base + r * 6;
            float s = data.get(at + 4);
            int c = Math.round(data.get(at + 5));
            if (s <= conf || (classes != null && java.util.Arrays.stream(classes).noneMatch(x -> x == c))) continue;
            for (int k = 0; k < 4; k++) xyxy[n * 4 + k] = data.get(at + k);
            score[n] = s;
            cls[n++] = c;
        }
        return new Detections(Arrays.copyOf(xyxy, n * 4), Arrays.copyOf(score, n), Arrays.copyOf(cls, n));
    }

    /** Decodes image {@code b} of a detect head ({@code output}: [batch, 4 + nc, anchors]). */
    public static Detections decode(Tensor output, int b, Filter f) {
        return decode(output, b, output.dim(1) - 4, false, f);
    }

    /**
     * Decodes image {@code b} of a head with {@code nc} class rows after the 4 box rows (rows after
     * them are a task's extras). {@code rotated}: the last row is an angle and NMS compares rotated
     * boxes by Ultralytics' probabilistic IoU (the boxes returned stay axis-aligned; the task decoder
     * reads centre, size and angle again at each kept anchor).
     */
    public static Detections decode(Tensor output, int b, int nc, boolean rotated, Filter f) {
        float conf = f.conf(), iou = f.iou();
        int maxDet = f.maxDet();
        int[] classes = f.classes();
        boolean agnostic = f.agnostic(), multiLabel = f.multiLabel();
        int channels = output.dim(1);
        int anchors = output.dim(2);
        if (nc < 1 || 4 + nc > channels) throw new IllegalArgumentException("output " + output + " has no class rows");
        FloatBuffer data = output.data();
        int base = b * channels * anchors;
        boolean[] allowed = null;
        if (classes != null) {
            allowed = new boolean[nc];
            for (int c : classes) if (c >= 0 && c < nc) allowed[c] = true;
        }

        // Candidates: (anchor, class, score), gathered class row by class row for locality.
        int cap = 1024, n = 0;
        int[] anchorOf = new int[cap];
        int[] clsOf = new int[cap];
        float[] scoreOf = new float[cap];
        if (multiLabel) {
            for (int c = 0; c < nc; c++) {
                if (allowed != null && !allowed[c]) continue;
                int row = base + (4 + c) * anchors;
                for (int a = 0; a < anchors; a++) {
                    float s = data.get(row + a);
                    if (s > conf) {
                        if (n == cap) {
                            cap *= 2;
                            anchorOf = Arrays.copyOf(anchorOf, cap);
                            clsOf = Arrays.copyOf(clsOf, cap);
                            scoreOf = Arrays.copyOf(scoreOf, cap);
                        }
                        anchorOf[n] = a;
                        clsOf[n] = c;
                        scoreOf[n++] = s;
                    }
                }
            }
        } else {
            float[] best = new float[anchors];
            int[] bestCls = new int[anchors];
            Arrays.fill(best, Float.NEGATIVE_INFINITY);
            for (int c = 0; c < nc; c++) {
                int row = base + (4 + c) * anchors;
                for (int a = 0; a < anchors; a++) {
                    float s = data.get(row + a);
                    if (s > best[a]) {
                        best[a] = s;
                        bestCls[a] = c;
                    }
                }
            }
            anchorOf = new int[anchors];
            clsOf = new int[anchors];
            scoreOf = new float[anchors];
            for (int a = 0; a < anchors; a++) {
                if (best[a] > conf && (allowed == null || allowed[bestCls[a]])) {
                    anchorOf[n] = a;
                    clsOf[n] = bestCls[a];
                    scoreOf[n++] = best[a];
                }
            }
        }

        if (n > MAX_NMS) {
            int[] top = topByScore(scoreOf, n);
            anchorOf = pick(anchorOf, top);
            clsOf = pick(clsOf, top);
            scoreOf = pick(scoreOf, top);
            n = top.length;
        }

        float[] xyxy = new float[n * 4];
        for (int i = 0; i < n; i++) {
            int a = anchorOf[i];
            corners(xyxy, i, data.get(base + a), data.get(base + anchors + a), data.get(base + 2 * anchors + a), data.get(base + 3 * anchors + a));
        }
        int[] keep;
        if (rotated) {
            float[] xywhr = new float[n * 5];
            int angleRow = base + (channels - 1) * anchors;
            for (int i = 0; i < n; i++) {
                int a = anchorOf[i];
                xywhr[i * 5] = (xyxy[i * 4] + xyxy[i * 4 + 2]) / 2;
                xywhr[i * 5 + 1] = (xyxy[i * 4 + 1] + xyxy[i * 4 + 3]) / 2;
                xywhr[i * 5 + 2] = xyxy[i * 4 + 2] - xyxy[i * 4];
                xywhr[i * 5 + 3] = xyxy[i * 4 + 3] - xyxy[i * 4 + 1];
                xywhr[i * 5 + 4] = data.get(angleRow + a);
            }
            keep = Nms.rotated(xywhr, scoreOf, clsOf, n, iou, agnostic, maxDet);
        } else {
            keep = Nms.run(xyxy, scoreOf, clsOf, n, iou, agnostic, maxDet);
        }
        return kept(keep, xyxy, scoreOf, clsOf, anchorOf);
    }

    /**
     * Detections from the candidates a device picked ({@code gpu_decode}): the result {@link #decode} gives on the whole
     * head. The pairs come in the order of the device's atomics; they are sorted back into the order decode gathers them
     * (class by class, anchors ascending, with {@code multiLabel}; by anchor otherwise), so that equal scores keep the same
     * order through NMS.
     */
    public static Detections fromCandidates(Picked.Candidates c, Filter f) {
        float iou = f.iou();
        int maxDet = f.maxDet();
        boolean agnostic = f.agnostic(), multiLabel = f.multiLabel();
        int n = c.size();
        // Each pair's sort key (class, then anchor; or anchor alone) above its index, sorted as primitives: (anchor, class)
        // pairs are unique, so no two keys tie. Anchors and indices stay below 2^20 (CAP is 30,000; 1280 px gives 33,600 anchors).
        long[] keyed = new long[n];
        for (int i = 0; i < n; i++) {
            long key = multiLabel ? (long) c.cls()[i] << 20 | c.anchor()[i] : c.anchor()[i];
            keyed[i] = key << 20 | i;
        }
        Arrays.sort(keyed);
        int[] sorted = new int[n];
        for (int i = 0; i < n; i++) sorted[i] = (int) (keyed[i] & 0xFFFFF);
        int[] at = n > MAX_NMS ? pick(sorted, topByScore(pick(c.score(), sorted), n)) : sorted;
        int[] anchorOf = pick(c.anchor(), at), clsOf = pick(c.cls(), at);
        float[] scoreOf = pick(c.score(), at);
        float[] xyxy = new float[at.length * 4], b = c.cxcywh();
        for (int i = 0; i < at.length; i++) {
            int k = at[i] * 4;
            corners(xyxy, i, b[k], b[k + 1], b[k + 2], b[k + 3]);
        }
        int[] keep = Nms.run(xyxy, scoreOf, clsOf, at.length, iou, agnostic, maxDet);
        return kept(keep, xyxy, scoreOf, clsOf, anchorOf);
    }

    /** Box {@code i} of {@code xyxy} from its centre and size. */
    private static void corners(float[] xyxy, int i, float cx, float cy, float w, float h) {
        xyxy[i * 4] = cx - w / 2;
        xyxy[i * 4 + 1] = cy - h / 2;
        xyxy[i * 4 + 2] = cx + w / 2;
        xyxy[i * 4 + 3] = cy + h / 2;
    }

    /**
     * Past Ultralytics' max_nms, the candidates NMS looks at: the {@link #MAX_NMS} best scores of {@code n} (a stable sort:
     * equal scores keep their order).
     */
    private static int[] topByScore(float[] score, int n) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, (x, y) -> Float.compare(score[y], score[x]));
        int[] top = new int[MAX_NMS];
        for (int i = 0; i < top.length; i++) top[i] = idx[i];
        return top;
    }

    private static int[] pick(int[] v, int[] at) {
        int[] out = new int[at.length];
        for (int i = 0; i < at.length; i++) out[i] = v[at[i]];
        return out;
    }

    private static float[] pick(float[] v, int[] at) {
        float[] out = new float[at.length];
        for (int i = 0; i < at.length; i++) out[i] = v[at[i]];
        return out;
    }

    /** The kept candidates' boxes, scores, classes and anchors. */
    private static Detections kept(int[] keep, float[] xyxy, float[] scoreOf, int[] clsOf, int[] anchorOf) {
        float[] kx = new float[keep.length * 4];
        float[] ks = new float[keep.length];
        int[] kc = new int[keep.length];
        int[] ka = new int[keep.length];
        for (int i = 0; i < keep.length; i++) {
            System.arraycopy(xyxy, keep[i] * 4, kx, i * 4, 4);
            ks[i] = scoreOf[keep[i]];
            kc[i] = clsOf[keep[i]];
            ka[i] = anchorOf[keep[i]];
        }
        return new Detections(kx, ks, kc, ka);
    }
}
