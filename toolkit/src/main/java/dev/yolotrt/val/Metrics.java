package dev.yolotrt.val;

import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Box metrics of a validation run: overall P, R, mAP50 and mAP50-95, the same per class (classes
 * with labels), the curves behind them, the confusion matrix, the speed per image (ms), and each image's matched boxes
 * ({@code scores}: empty for the mask and keypoint metrics).
 */
public record Metrics(String model, String dataset, String split, int images, int instances,
                      double precision, double recall, double map50, double map75, double map,
                      List<String> names, ApMetrics.PerClass perClass, int[] imagesPerClass,
                      long[][] confusion, Map<String, Double> speed, List<ImageScore> scores) {

    /** The Ultralytics table: one "all" row, then a row per class with labels. */
    public Table table() {
        int n = perClass.classes().length;
        StringColumn cls = StringColumn.create("Class");
        IntColumn imgs = IntColumn.create("Images"), inst = IntColumn.create("Instances");
        DoubleColumn p = DoubleColumn.create("P"), r = DoubleColumn.create("R");
        DoubleColumn m50 = DoubleColumn.create("mAP50"), m = DoubleColumn.create("mAP50-95");
        cls.append("all");
        imgs.append(images);
        inst.append(instances);
        p.append(precision);
        r.append(recall);
        m50.append(map50);
        m.append(map);
        for (int i = 0; i < n; i++) {
            int c = perClass.classes()[i];
            cls.append(c < names.size() ? names.get(c) : String.valueOf(c));
            imgs.append(imagesPerClass[i]);
            inst.append(perClass.instances()[i]);
            p.append(perClass.p()[i]);
            r.append(perClass.r()[i]);
            m50.append(perClass.ap()[i][0]);
            m.append(mean(perClass.ap()[i]));
        }
        return Table.create(model + " on " + dataset + " " + split, cls, imgs, inst, p, r, m50, m);
    }

    /** mAP50-95 of class row {@code i}. */
    public double classMap(int i) {
        return mean(perClass.ap()[i]);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? 0 : s / v.length;
    }

    /** The table as Ultralytics prints it, plus the speed line. */
    public String report(boolean perClassRows) {
        return report(perClassRows, "Box");
    }

    /** As {@link #report(boolean)} with the metric's name in the header: "Box", "Pose", "Mask". */
    public String report(boolean perClassRows, String kind) {
        return report(perClassRows, kind, null, null);
    }

    /**
     * The report with {@code second} (masks or keypoints, scored on the same images; null for none) beside the boxes,
     * as Ultralytics prints segment and pose val: one table, {@code Box(P R mAP50 mAP50-95)} then
     * {@code secondKind(P ...)} on each class's row, and one speed line.
     */
    public String report(boolean perClassRows, String kind, Metrics second, String secondKind) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%22s%11s%11s%11s%11s%11s%11s", "Class", "Images", "Instances",
                kind + "(P", "R", "mAP50", "mAP50-95)"));
        if (second != null) sb.append(String.format(Locale.ROOT, "%11s%11s%11s%11s", secondKind + "(P", "R", "mAP50", "mAP50-95)"));
        sb.append(System.lineSeparator());
        Table t = table(), u = second == null ? null : second.table();
        int rows = perClassRows ? t.rowCount() : 1;
        for (int i = 0; i < rows; i++) {
            sb.append(String.format(Locale.ROOT, "%22s%11d%11d%11.3g%11.3g%11.3g%11.3g", t.stringColumn(0).get(i),
                    t.intColumn(1).get(i), t.intColumn(2).get(i), t.doubleColumn(3).get(i), t.doubleColumn(4).get(i),
                    t.doubleColumn(5).get(i), t.doubleColumn(6).get(i)));
            // The same classes in the same order, as both come from one dataset; by name should they ever differ.
            int j = u == null ? -1 : i < u.rowCount() && u.stringColumn(0).get(i).equals(t.stringColumn(0).get(i)) ? i : u.stringColumn(0).indexOf(t.stringColumn(0).get(i));
            if (j >= 0) {
                sb.append(String.format(Locale.ROOT, "%11.3g%11.3g%11.3g%11.3g", u.doubleColumn(3).get(j), u.doubleColumn(4).get(j),
                        u.doubleColumn(5).get(j), u.doubleColumn(6).get(j)));
            }
            sb.append(System.lineSeparator());
        }
        sb.append(String.format(Locale.ROOT, "Speed: %.1fms preprocess, %.1fms inference, %.1fms postprocess per image%n",
                speed.getOrDefault("preprocess", 0.0), speed.getOrDefault("inference", 0.0), speed.getOrDefault("postprocess", 0.0)));
        return sb.toString();
    }

    @Override
    public String toString() {
        return report(true);
    }
}
