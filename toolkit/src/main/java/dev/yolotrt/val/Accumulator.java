package dev.yolotrt.val;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Collects per-image detections and labels (original pixels) and turns them into {@link Metrics}. */
public final class Accumulator implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final List<String> names;
    private final ConfusionMatrix confusion;
    private final List<boolean[]> tp = new ArrayList<>();
    private final List<Double> conf = new ArrayList<>();
    private final List<Integer> predCls = new ArrayList<>();
    private final List<Integer> targetCls = new ArrayList<>();
    private final Map<Integer, Integer> imagesPerClass = new TreeMap<>();
    private final List<ImageScore> scored = new ArrayList<>();
    private int images;

    public Accumulator(List<String> names) {
        this.names = List.copyOf(names);
        this.confusion = new ConfusionMatrix(names.size());
    }

    /** Adds one image (named {@code image}): detections (4 floats per box, conf, class) and labels (4 floats per box, class). */
    public void add(String image, float[] predXyxy, float[] predConf, int[] predClasses, float[] trueXyxy, int[] trueClasses) {
        boolean[][] correct = Matching.match(predXyxy, predClasses, trueXyxy, trueClasses, Matching.IOU_THRESHOLDS);
        addMatched(correct, predConf, predClasses, trueClasses);
        confusion.add(predXyxy, predConf, predClasses, trueXyxy, trueClasses);
        scored.add(new ImageScore(image, predXyxy, predConf, predClasses, trueXyxy, trueClasses, correct));
    }

    /**
     * Adds one image whose predictions were matched elsewhere ({@code correct[p][t]}, e.g. by keypoint
     * similarity): the same bookkeeping, without a confusion matrix.
     */
    public void addMatched(boolean[][] correct, float[] predConf, int[] predClasses, int[] trueClasses) {
        images++;
        for (int i = 0; i < predConf.length; i++) {
            tp.add(correct[i]);
            conf.add((double) predConf[i]);
            predCls.add(predClasses[i]);
        }
        java.util.Set<Integer> present = new java.util.HashSet<>();
        for (int c : trueClasses) {
            targetCls.add(c);
            present.add(c);
        }
        present.forEach(c -> imagesPerClass.merge(c, 1, Integer::sum));
    }

    /** Appends {@code next}'s images after this one's (the confusion matrices add up). */
    public void merge(Accumulator next) {
        images += next.images;
        tp.addAll(next.tp);
        conf.addAll(next.conf);
        predCls.addAll(next.predCls);
        targetCls.addAll(next.targetCls);
        scored.addAll(next.scored);
        next.imagesPerClass.forEach((c, n) -> imagesPerClass.merge(c, n, Integer::sum));
        confusion.merge(next.confusion);
    }

    public Metrics metrics(String model, String dataset, String split, Map<String, Double> speed) {
        ApMetrics.PerClass pc = ApMetrics.compute(tp.toArray(new boolean[0][]),
                conf.stream().mapToDouble(Double::doubleValue).toArray(),
                predCls.stream().mapToInt(Integer::intValue).toArray(),
                targetCls.stream().mapToInt(Integer::intValue).toArray());
        int n = pc.classes().length;
        double mp = 0, mr = 0, m50 = 0, m75 = 0, m = 0;
        int[] imgs = new int[n];
        for (int i = 0; i < n; i++) {
            mp += pc.p()[i] / n;
            mr += pc.r()[i] / n;
            m50 += pc.ap()[i][0] / n;
            m75 += pc.ap()[i][5] / n;
            m += Metrics.mean(pc.ap()[i]) / n;
            imgs[i] = imagesPerClass.getOrDefault(pc.classes()[i], 0);
        }
        return new Metrics(model, dataset, split, images, targetCls.size(), mp, mr, m50, m75, m, names, pc, imgs,
                confusion.matrix(), speed, List.copyOf(scored));
    }
}
