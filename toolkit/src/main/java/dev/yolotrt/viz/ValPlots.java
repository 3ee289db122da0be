package dev.yolotrt.viz;

import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.val.ApMetrics;
import dev.yolotrt.val.Metrics;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The plots Ultralytics saves in a val run folder, drawn from a {@link Metrics} record: the precision-recall curve
 * and the precision, recall and F1 curves against confidence (one thin line per class, the mean of all classes thick,
 * smoothed and named with its best value, as Ultralytics draws them), and the confusion matrix, as counts and normalised per true class.
 */
public final class ValPlots {

    /** The curves against confidence. */
    public enum Curve {
        P("Precision", "P_curve.png"), R("Recall", "R_curve.png"), F1("F1", "F1_curve.png");

        final String label;
        final String file;

        Curve(String label, String file) {
            this.label = label;
            this.file = file;
        }
    }

    /** Past this many classes the per-class lines are grey and unnamed, as in Ultralytics (a legend would fill the plot). */
    static final int NAMED_CLASSES = 20;
    private static final int WIDTH = 900, HEIGHT = 600;
    private static final Color MEAN = new Color(0x0072B2);
    private static final Color CLASS_GREY = new Color(0xB0B0B0);

    private ValPlots() {
    }

    /**
     * Writes {@code prefix}PR_curve.png, {@code prefix}P_curve.png, {@code prefix}R_curve.png and
     * {@code prefix}F1_curve.png into {@code dir} (prefix "Box", "Mask" or "Pose", as Ultralytics names them), and, with
     * {@code confusion}, confusion_matrix.png and confusion_matrix_normalized.png. Returns the files written.
     */
    public static List<Path> save(Metrics m, String prefix, boolean confusion, Path dir) {
        List<Path> files = new ArrayList<>();
        if (m.perClass().classes().length == 0) return files;   // no labels: nothing to draw a curve of
        files.add(png(prCurve(m, prefix), dir.resolve(prefix + "PR_curve.png")));
        for (Curve c : Curve.values()) files.add(png(curve(m, c, prefix), dir.resolve(prefix + c.file)));
        if (confusion && m.confusion() != null) {
            // Every class that occurs, as Ultralytics saves it: the image grows with them, so each name keeps its room.
            int n = m.confusion().length;
            int w = Math.max(WIDTH, 260 + 18 * n), h = Math.max(HEIGHT, 200 + 18 * n);
            files.add(png(confusionMatrix(m, false, n), dir.resolve("confusion_matrix.png"), w, h));
            files.add(png(confusionMatrix(m, true, n), dir.resolve("confusion_matrix_normalized.png"), w, h));
        }
        return files;
    }

    /** Precision against recall at IoU 0.5, per class with its AP50, and the mean over classes with mAP50. */
    public static JFreeChart prCurve(Metrics m, String prefix) {
        var pc = m.perClass();
        double[] px = pc.px();
        double[][] ys = pc.prCurve();
        XYSeriesCollection d = classLines(m, ys, px, i -> String.format(Locale.ROOT, "%s %.3f", className(m, i), pc.ap()[i][0]));
        XYSeries mean = new XYSeries(String.format(Locale.ROOT, "all classes %.3f mAP@0.5", m.map50()));
        double[] avg = mean(ys);
        for (int k = 0; k < px.length; k++) mean.add(px[k], avg[k]);
        d.addSeries(mean);
        return chart(prefix + " precision-recall curve", "Recall", "Precision", d, pc.classes().length);
    }

    /** Precision, recall or F1 against confidence, per class and their mean, the mean's best value named. */
    public static JFreeChart curve(Metrics m, Curve which, String prefix) {
        var pc = m.perClass();
        double[][] ys = switch (which) {
            case P -> pc.pCurve();
            case R -> pc.rCurve();
            case F1 -> pc.f1Curve();
        };
        double[] px = pc.px();
        XYSeriesCollection d = classLines(m, ys, px, i -> className(m, i));
        double[] avg = ApMetrics.smooth(mean(ys), 0.05);   // Ultralytics draws and names the smoothed mean
        int best = 0;
        for (int k = 1; k < avg.length; k++) if (avg[k] > avg[best]) best = k;
        XYSeries mean = new XYSeries(String.format(Locale.ROOT, "all classes %.2f at %.3f", avg[best], px[best]));
        for (int k = 0; k < px.length; k++) mean.add(px[k], avg[k]);
        d.addSeries(mean);
        return chart(prefix + " " + which.label + "-confidence curve", "Confidence", which.label, d,
                pc.classes().length);
    }

    /**
     * The confusion matrix over the classes that occur, plus background: true class across, predicted class down, as
     * Ultralytics draws it. Normalised, each true class's column sums to 1. Past {@code maxClasses}, only the classes
     * with the most labels and predictions are drawn, and the title says how many of how many.
     */
    public static JFreeChart confusionMatrix(Metrics m, boolean normalized, int maxClasses) {
        long[][] cm = m.confusion();   // cm[predicted][true]
        int nc = cm.length - 1;
        long[] total = new long[nc];
        List<Integer> used = new ArrayList<>();
        for (int k = 0; k < nc; k++) {
            for (int j = 0; j <= nc; j++) total[k] += cm[k][j] + cm[j][k];
            if (total[k] > 0) used.add(k);
        }
        int occurring = used.size();
        if (occurring > maxClasses) {
            used.sort((a, b) -> Long.compare(total[b], total[a]));
            used = new ArrayList<>(used.subList(0, maxClasses));
            java.util.Collections.sort(used);
        }
        used.add(nc);
        int n = used.size();
        String[] labels = used.stream().map(k -> k == nc ? "background" : m.names().get(k)).toArray(String[]::new);
        double[][] xyz = new double[3][n * n];
        double top = 0;
        List<XYTextAnnotation> values = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            long column = 0;
            for (int b = 0; b < n; b++) column += cm[used.get(b)][used.get(a)];
            for (int b = 0; b < n; b++) {
                long count = cm[used.get(b)][used.get(a)];
                double v = normalized ? (column == 0 ? 0 : (double) count / column) : count;
                int i = a * n + b;
                xyz[0][i] = a;
                xyz[1][i] = b;
                xyz[2][i] = v;
                top = Math.max(top, v);
                if (count > 0 && n <= 30) {
                    values.add(new XYTextAnnotation(normalized ? String.format(Locale.ROOT, "%.2f", v) : Long.toString(count), a, b));
                }
            }
        }
        double max = top > 0 ? top : 1;
        PaintScale scale = new PaintScale() {
            @Override public double getLowerBound() { return 0; }
            @Override public double getUpperBound() { return max; }
            @Override public Paint getPaint(double v) {
                float f = (float) Math.max(0, Math.min(1, v / max));
                return new Color(1 - 0.85f * f, 1 - 0.6f * f, 1f);
            }
        };
        XYBlockRenderer r = new XYBlockRenderer();
        r.setPaintScale(scale);
        DefaultXYZDataset d = new DefaultXYZDataset();
        d.addSeries(normalized ? "fraction" : "count", xyz);
        SymbolAxis x = new SymbolAxis("True", labels), y = new SymbolAxis("Predicted", labels);
        x.setVerticalTickLabels(n > 6);
        y.setInverted(true);   // the first class at the top, as in a printed matrix
        XYPlot plot = new XYPlot(d, x, y, r);
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, n <= 12 ? 12 : 9);
        for (XYTextAnnotation a : values) {
            a.setFont(font);
            plot.addAnnotation(a);
        }
        String title = (normalized ? "Confusion matrix, normalised" : "Confusion matrix")
                + (occurring > maxClasses ? " (the " + maxClasses + " most frequent of " + occurring + " classes)" : "");
        JFreeChart c = new JFreeChart(title, plot);
        c.removeLegend();
        Theme.apply(c);
        // Every name, in a size that fits its row (the axis would otherwise skip every other one).
        Font names = new Font(Font.SANS_SERIF, Font.PLAIN, n <= 12 ? 12 : n <= 24 ? 10 : 8);
        for (SymbolAxis a : new SymbolAxis[] {x, y}) {
            a.setTickUnit(new NumberTickUnit(1));
            a.setTickLabelFont(names);
        }
        NumberAxis bar = new NumberAxis(normalized ? "fraction of the true class" : "count");
        // A handful of round ticks (a short bar picked hundredths on its own): fifths of 1, or whole counts.
        double step = normalized ? 0.2 : Math.max(1, Theme.niceStep(max / 5));
        bar.setRange(0, max);
        bar.setTickUnit(new NumberTickUnit(step, new java.text.DecimalFormat(normalized ? "0.0" : "0",
                java.text.DecimalFormatSymbols.getInstance(Locale.ROOT))));
        bar.setMinorTickCount(0);
        PaintScaleLegend legend = new PaintScaleLegend(scale, bar);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        c.addSubtitle(legend);
        return c;
    }

    private static String className(Metrics m, int row) {
        int c = m.perClass().classes()[row];
        return c < m.names().size() ? m.names().get(c) : String.valueOf(c);
    }

    private static XYSeriesCollection classLines(Metrics m, double[][] ys, double[] px, java.util.function.IntFunction<String> name) {
        XYSeriesCollection d = new XYSeriesCollection();
        for (int i = 0; i < ys.length; i++) {
            // Series keys must differ: a class name can repeat only through the generated fallback, never with its index.
            XYSeries s = new XYSeries(ys.length > NAMED_CLASSES ? "class " + i : name.apply(i), false, true);
            for (int k = 0; k < px.length; k++) s.add(px[k], ys[i][k]);
            d.addSeries(s);
        }
        return d;
    }

    private static double[] mean(double[][] ys) {
        int points = ys.length == 0 ? 0 : ys[0].length;
        double[] avg = new double[points];
        for (double[] y : ys) for (int k = 0; k < points; k++) avg[k] += y[k] / ys.length;
        return avg;
    }

    /** Lines on a unit square; the last series (the mean) thick and blue; classes grey and unnamed past 20. */
    private static JFreeChart chart(String title, String x, String y, XYSeriesCollection d, int classes) {
        NumberAxis xa = new NumberAxis(x), ya = new NumberAxis(y);
        xa.setRange(0, 1);
        ya.setRange(0, 1.02);
        xa.setTickUnit(new NumberTickUnit(0.1));
        ya.setTickUnit(new NumberTickUnit(0.1));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        XYPlot plot = new XYPlot(d, xa, ya, r);
        JFreeChart c = new JFreeChart(title, plot);
        Theme.apply(c);
        boolean named = classes <= NAMED_CLASSES;
        for (int i = 0; i < classes; i++) {
            r.setSeriesStroke(i, new BasicStroke(1f));
            if (!named) {
                r.setSeriesPaint(i, CLASS_GREY);
                r.setSeriesVisibleInLegend(i, false);
            }
        }
        r.setSeriesStroke(classes, new BasicStroke(3f));
        r.setSeriesPaint(classes, MEAN);
        if (named) {
            // The mean's colour is reserved: classes cycle through the rest of the palette.
            for (int i = 0; i < classes; i++) r.setSeriesPaint(i, Theme.colour(i + 1 + i / (Theme.PALETTE.length - 1)));
        }
        return c;
    }

    private static Path png(JFreeChart c, Path file) {
        return png(c, file, WIDTH, HEIGHT);
    }

    private static Path png(JFreeChart c, Path file, int width, int height) {
        try {
            return AtomicWrite.write(file, ChartUtils.encodeAsPNG(c.createBufferedImage(width, height)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
