package dev.yolotrt.bench;

import dev.yolotrt.val.ApMetrics;
import dev.yolotrt.val.ImageScore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A bootstrap over images for the difference in mAP50-95 between two engines scored on the same images: resample the
 * images with replacement (the same draw for both engines, so the difference is paired), recompute both mAPs, and take
 * the 2.5th and 97.5th percentiles of the differences. An interval that excludes 0 says the difference is real on
 * data like this; one that straddles it says these images cannot tell the two apart.
 */
public final class Bootstrap {

    /** The observed difference (b − a) and its 95 % interval. */
    public record Interval(double diff, double lo, double hi) {
        /** True when the interval excludes 0. */
        public boolean real() {
            return lo > 0 || hi < 0;
        }
    }

    private Bootstrap() {
    }

    /** mAP50-95 of the images: per class AP averaged over the ten thresholds, then over classes with labels. */
    public static double map(List<ImageScore> images) {
        int n = 0, labels = 0;
        for (ImageScore im : images) {
            n += im.conf().length;
            labels += im.trueCls().length;
        }
        boolean[][] tp = new boolean[n][];
        double[] conf = new double[n];
        int[] pc = new int[n], tc = new int[labels];
        int k = 0, l = 0;
        for (ImageScore im : images) {
            for (int i = 0; i < im.conf().length; i++, k++) {
                tp[k] = im.correct()[i];
                conf[k] = im.conf()[i];
                pc[k] = im.predCls()[i];
            }
            for (int c : im.trueCls()) tc[l++] = c;
        }
        return ApMetrics.map(tp, conf, pc, tc);
    }

    /**
     * The paired bootstrap interval of map(b) − map(a) over {@code resamples} draws; a and b list the same images in the
     * same order. The draws come from {@code seed} in order and are then scored on all cores: the interval does not
     * depend on how many there are.
     */
    public static Interval difference(List<ImageScore> a, List<ImageScore> b, int resamples, long seed) {
        if (a.size() != b.size() || a.isEmpty()) throw new IllegalArgumentException("both engines must be scored on the same images");
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = a.size();
        int[][] draws = new int[resamples][n];
        for (int[] draw : draws) for (int i = 0; i < n; i++) draw[i] = rnd.nextInt(n);
        double[] d = IntStream.range(0, resamples).parallel().mapToDouble(s -> {
            List<ImageScore> ra = new ArrayList<>(n), rb = new ArrayList<>(n);
            for (int k : draws[s]) {
                ra.add(a.get(k));
                rb.add(b.get(k));
            }
            return map(rb) - map(ra);
        }).toArray();
        Arrays.sort(d);
        return new Interval(map(b) - map(a), d[(int) Math.floor(0.025 * (resamples - 1))], d[(int) Math.ceil(0.975 * (resamples - 1))]);
    }
}
