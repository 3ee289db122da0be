package dev.yolotrt.val;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * COCO's object sizes by box area in original pixels: small below 32², medium below 96², large from 96². mAP50-95 per
 * size matches the detections and labels of that size only, each image as val matched it otherwise. That simplifies
 * COCO's rule (which ignores, rather than drops, a detection of another size that hits a label of this size), and
 * treats every engine alike, which is what comparing two precisions needs.
 */
public enum ObjectSize {
    SMALL(0, 32 * 32), MEDIUM(32 * 32, 96 * 96), LARGE(96 * 96, Double.POSITIVE_INFINITY);

    private final double min, max;

    ObjectSize(double min, double max) {
        this.min = min;
        this.max = max;
    }

    /** Whether a box of {@code area} pixels² is of this size. */
    public boolean holds(double area) {
        return area >= min && area < max;
    }

    /** The labels of this size in {@code images}. */
    public int instances(List<ImageScore> images) {
        int n = 0;
        for (ImageScore im : images) {
            for (int t = 0; t < im.trueCls().length; t++) if (holds(ImageScore.area(im.trueXyxy(), t))) n++;
        }
        return n;
    }

    /** mAP50-95 over the classes with labels of this size (0 when there are none). */
    public double map(List<ImageScore> images) {
        List<boolean[]> tp = new ArrayList<>();
        List<Double> conf = new ArrayList<>();
        List<Integer> pc = new ArrayList<>(), tc = new ArrayList<>();
        for (ImageScore im : images) {
            int[] p = select(im.predXyxy(), im.predCls().length), t = select(im.trueXyxy(), im.trueCls().length);
            int[] pCls = Arrays.stream(p).map(i -> im.predCls()[i]).toArray(), tCls = Arrays.stream(t).map(i -> im.trueCls()[i]).toArray();
            boolean[][] correct = Matching.match(ImageScore.boxes(im.predXyxy(), p), pCls, ImageScore.boxes(im.trueXyxy(), t), tCls, Matching.IOU_THRESHOLDS);
            for (int k = 0; k < p.length; k++) {
                tp.add(correct[k]);
                conf.add((double) im.conf()[p[k]]);
                pc.add(pCls[k]);
            }
            for (int c : tCls) tc.add(c);
        }
        return ApMetrics.map(tp, conf, pc, tc);
    }

    private int[] select(float[] xyxy, int n) {
        return java.util.stream.IntStream.range(0, n).filter(i -> holds(ImageScore.area(xyxy, i))).toArray();
    }
}
