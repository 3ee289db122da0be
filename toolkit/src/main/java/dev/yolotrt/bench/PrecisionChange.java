package dev.yolotrt.bench;

import dev.yolotrt.val.ImageScore;
import dev.yolotrt.val.Matching;
import dev.yolotrt.val.Metrics;
import dev.yolotrt.val.ObjectSize;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.viz.ChangeImage;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What changed between two engines validated on the same images (say FP16, then INT8): mAP50-95 per class and per
 * object size, the difference with a bootstrap interval that says whether it is real, and the images where detections
 * were lost or added.
 */
public final class PrecisionChange {

    /** One image whose detections (at the gallery's confidence) differ: boxes only the reference found, and only the other. */
    public record Diff(String image, float[] lostXyxy, int[] lostCls, float[] lostConf, float[] addedXyxy, int[] addedCls, float[] addedConf) {
        public int lost() {
            return lostCls.length;
        }

        public int added() {
            return addedCls.length;
        }

        /** The image with the lost boxes in red and the added ones in green, labelled with class name and confidence. */
        public BufferedImage picture(List<String> names) {
            return ChangeImage.of(Path.of(image), lostXyxy, labels(lostCls, lostConf, names), addedXyxy, labels(addedCls, addedConf, names));
        }

        private static String[] labels(int[] cls, float[] conf, List<String> names) {
            return IntStream.range(0, cls.length)
                    .mapToObj(k -> String.format(java.util.Locale.ROOT, "%s %.2f", cls[k] < names.size() ? names.get(cls[k]) : cls[k], conf[k]))
                    .toArray(String[]::new);
        }
    }

    private PrecisionChange() {
    }

    /**
     * mAP50-95 per class of two validations of the same images (e.g. FP16, then INT8) and the change, the classes that
     * lost most first ("all" stays on top as the overall row).
     */
    public static Table perClass(Metrics reference, Metrics other) {
        sameImages(reference, other);
        return perClass(reference.table().setName(reference.model()), other.table().setName(other.model()));
    }

    /** {@link #perClass(Metrics, Metrics)} from two {@code Metrics.table()}s, each named after its model. */
    static Table perClass(Table reference, Table other) {
        Map<String, Integer> row = new HashMap<>();
        for (int r = 0; r < other.rowCount(); r++) row.put(other.stringColumn("Class").get(r), r);
        List<Integer> order = new ArrayList<>();
        for (int r = 0; r < reference.rowCount(); r++) if (row.containsKey(reference.stringColumn("Class").get(r))) order.add(r);
        DoubleColumn refMap = reference.doubleColumn("mAP50-95"), otherMap = other.doubleColumn("mAP50-95");
        java.util.function.ToDoubleFunction<Integer> delta = r -> otherMap.get(row.get(reference.stringColumn("Class").get(r))) - refMap.get(r);
        order.sort((a, b) -> reference.stringColumn("Class").get(a).equals("all") ? -1 : reference.stringColumn("Class").get(b).equals("all") ? 1
                : Double.compare(delta.applyAsDouble(a), delta.applyAsDouble(b)));
        StringColumn cls = StringColumn.create("Class");
        IntColumn inst = IntColumn.create("Instances");
        DoubleColumn a = DoubleColumn.create("mAP50-95 " + reference.name()), b = DoubleColumn.create("mAP50-95 " + other.name()),
                d = DoubleColumn.create("Change");
        for (int r : order) {
            cls.append(reference.stringColumn("Class").get(r));
            inst.append(reference.intColumn("Instances").get(r));
            a.append(refMap.get(r));
            b.append(otherMap.get(row.get(reference.stringColumn("Class").get(r))));
            d.append(delta.applyAsDouble(r));
        }
        return rounded(Table.create("mAP50-95 per class: " + other.name() + " against " + reference.name(), cls, inst, a, b, d));
    }

    /** mAP50-95 per COCO object size ({@link ObjectSize}: small, medium, large) for both, and the change. */
    public static Table perSize(Metrics reference, Metrics other) {
        sameImages(reference, other);
        StringColumn size = StringColumn.create("Size");
        IntColumn inst = IntColumn.create("Instances");
        DoubleColumn a = DoubleColumn.create("mAP50-95 " + reference.model()), b = DoubleColumn.create("mAP50-95 " + other.model()),
                d = DoubleColumn.create("Change");
        for (ObjectSize s : ObjectSize.values()) {
            double ra = s.map(reference.scores()), rb = s.map(other.scores());
            size.append(s.name().toLowerCase(java.util.Locale.ROOT));
            inst.append(s.instances(reference.scores()));
            a.append(ra);
            b.append(rb);
            d.append(rb - ra);
        }
        return rounded(Table.create("mAP50-95 per object size: " + other.model() + " against " + reference.model(), size, inst, a, b, d));
    }

    /** The change in mAP50-95 (other − reference) with its paired 95 % bootstrap interval over the images. */
    public static Bootstrap.Interval interval(Metrics reference, Metrics other, int resamples, long seed) {
        sameImages(reference, other);
        return Bootstrap.difference(reference.scores(), other.scores(), resamples, seed);
    }

    /**
     * The images where the detections at confidence {@code conf} or more differ, most changes first (at most {@code max}):
     * a detection is kept when the other engine has one of its class overlapping it at IoU 0.5 or more (each paired
     * once, as val pairs detections with labels), lost when only the reference has it, added when only the other does.
     */
    public static List<Diff> gallery(Metrics reference, Metrics other, double conf, int max) {
        sameImages(reference, other);
        List<Diff> out = new ArrayList<>();
        for (int i = 0; i < reference.scores().size(); i++) {
            ImageScore r = reference.scores().get(i), o = other.scores().get(i);
            int[] rk = confident(r, conf), ok = confident(o, conf);
            float[] rXyxy = ImageScore.boxes(r.predXyxy(), rk), oXyxy = ImageScore.boxes(o.predXyxy(), ok);
            int[] rCls = pick(r.predCls(), rk), oCls = pick(o.predCls(), ok);
            double[] half = {0.5};
            boolean[][] rFound = Matching.match(rXyxy, rCls, oXyxy, oCls, half), oFound = Matching.match(oXyxy, oCls, rXyxy, rCls, half);
            int[] lost = IntStream.range(0, rk.length).filter(k -> !rFound[k][0]).toArray();
            int[] added = IntStream.range(0, ok.length).filter(k -> !oFound[k][0]).toArray();
            if (lost.length + added.length == 0) continue;
            out.add(new Diff(r.image(), ImageScore.boxes(rXyxy, lost), pick(rCls, lost), pick(pick(r.conf(), rk), lost),
                    ImageScore.boxes(oXyxy, added), pick(oCls, added), pick(pick(o.conf(), ok), added)));
        }
        out.sort(Comparator.comparingInt((Diff d) -> -(d.lost() + d.added())));
        return List.copyOf(out.subList(0, Math.min(max, out.size())));
    }

    private static void sameImages(Metrics a, Metrics b) {
        List<String> ia = a.scores().stream().map(ImageScore::image).toList(), ib = b.scores().stream().map(ImageScore::image).toList();
        if (ia.isEmpty() || !ia.equals(ib)) {
            throw new YoloException("compare two box validations of the same images in the same order (" + a.model() + ": " + ia.size()
                    + " images, " + b.model() + ": " + ib.size() + ")");
        }
    }

    private static int[] confident(ImageScore s, double conf) {
        return IntStream.range(0, s.conf().length).filter(k -> s.conf()[k] >= conf).toArray();
    }

    private static int[] pick(int[] v, int[] idx) {
        return IntStream.of(idx).map(k -> v[k]).toArray();
    }

    private static float[] pick(float[] v, int[] idx) {
        float[] out = new float[idx.length];
        for (int k = 0; k < idx.length; k++) out[k] = v[idx[k]];
        return out;
    }

    private static Table rounded(Table t) {
        for (int c = 2; c < t.columnCount(); c++) ((DoubleColumn) t.column(c)).setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(3));
        return t;
    }
}
