package dev.yolotrt.viz;

import dev.yolotrt.val.Metrics;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.annotations.XYPointerAnnotation;
import org.jfree.chart.annotations.XYShapeAnnotation;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.renderer.xy.XYItemRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.Table;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The notebook charts, from the toolkit's own tables and records: latency per precision with min/max
 * whiskers, mAP per precision, latency against batch, precision–recall curves per class, the
 * confusion matrix as a heat map, and the INT8 tuning views (calibration sweep, mAP against latency,
 * activation ranges). Benchmark tables are those {@code Benchmark.run} returns, tuning tables
 * {@code Int8Tuning.run}'s.
 */
public final class Charts {
    private Charts() {
    }

    /**
     * Engine (or end-to-end) ms per image per precision and batch; the whisker reaches the farther of
     * the run's min and max, so no repetition lies outside it.
     */
    public static JFreeChart latency(Table bench, boolean endToEnd) {
        String mean = endToEnd ? Columns.E2E_MS : Columns.ENGINE_MS;
        String min = endToEnd ? Columns.E2E_MIN : Columns.ENGINE_MIN;
        String max = endToEnd ? Columns.E2E_MAX : Columns.ENGINE_MAX;
        DefaultStatisticalCategoryDataset d = new DefaultStatisticalCategoryDataset();
        for (int r = 0; r < bench.rowCount(); r++) {
            double m = bench.doubleColumn(mean).get(r);
            double spread = Math.max(m - bench.doubleColumn(min).get(r), bench.doubleColumn(max).get(r) - m);
            d.add(m, spread, "batch " + bench.intColumn(Columns.BATCH).get(r), bench.stringColumn(Columns.PRECISION).get(r));
        }
        JFreeChart c = ChartFactory.createBarChart((endToEnd ? "End-to-end" : "Engine") + " latency per image", "precision",
                "ms / image", d, PlotOrientation.VERTICAL, true, false, false);
        // Values sit inside their bars at the foot, clear of the whiskers; a bar too short to hold one goes without.
        double top = d.getRangeUpperBound(true);
        StatisticalBarRenderer renderer = new StatisticalBarRenderer() {
            @Override
            public Paint getItemLabelPaint(int row, int column) {
                return Theme.labelOn(getItemPaint(row, column));
            }
        };
        renderer.setErrorIndicatorPaint(Color.DARK_GRAY);
        c.getCategoryPlot().setRenderer(renderer);
        Theme.apply(c);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", Theme.ROUNDED) {
            @Override
            public String generateLabel(org.jfree.data.category.CategoryDataset data, int row, int column) {
                Number v = data.getValue(row, column);
                return v == null || v.doubleValue() < 0.08 * top ? null : super.generateLabel(data, row, column);
            }
        });
        renderer.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.INSIDE6, TextAnchor.BOTTOM_CENTER));
        // Whiskers are drawn both ways at the larger spread; below zero they mean nothing.
        NumberAxis y = (NumberAxis) c.getCategoryPlot().getRangeAxis();
        y.setRange(0, y.getUpperBound());
        return c;
    }

    /**
     * A throughput table ({@code bench.Throughput}): images per second per path (and GPU count, where the table has a
     * GPUs column), decode included, one labelled bar each.
     */
    public static JFreeChart throughput(Table t) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (int r = 0; r < t.rowCount(); r++) d.setValue(t.doubleColumn(Columns.IMAGES_PER_S).getDouble(r), pathKind(t, r), gpus(t, r));
        JFreeChart c = ChartFactory.createBarChart("Throughput, decoding included", null, "images / s", d, PlotOrientation.VERTICAL,
                true, false, false);
        Theme.apply(c);
        // Whole images per second: decimals would only crowd the bars.
        c.getCategoryPlot().getRenderer().setDefaultItemLabelGenerator(
                new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("#,##0", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT))));
        return c;
    }

    /** The same rows' time per image in each stage (stacked), with the stage that limits each. */
    public static JFreeChart stages(Table t) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (int r = 0; r < t.rowCount(); r++) {
            String row = gpus(t, r) + ", " + pathKind(t, r);
            for (String stage : List.of(Columns.DECODE_MS, Columns.PREPROCESS_MS, Columns.INFERENCE_MS, Columns.POSTPROCESS_MS)) {
                double v = t.doubleColumn(stage).getDouble(r);
                d.setValue(Double.isNaN(v) ? 0 : v, stage.replace(" ms/img", "").toLowerCase(Locale.ROOT), row);
            }
        }
        JFreeChart c = ChartFactory.createStackedBarChart("Time per image in each stage", null, "ms / image", d, PlotOrientation.VERTICAL,
                true, false, false);
        return Theme.apply(c);
    }

    /**
     * How long tracks lived: a histogram of tracks by frames from first to last seen ({@code firstSeen}, {@code lastSeen}:
     * frame index per track id), in round bins (1, 2, 5, 10 ... frames wide) labelled under their edges.
     */
    public static JFreeChart trackLifetimes(Map<Integer, Integer> firstSeen, Map<Integer, Integer> lastSeen) {
        List<Integer> frames = firstSeen.entrySet().stream().map(e -> lastSeen.getOrDefault(e.getKey(), e.getValue()) - e.getValue() + 1).toList();
        int longest = frames.stream().mapToInt(Integer::intValue).max().orElse(1);
        // About ten bins, each a round number of frames wide; the bins start at 0, so frame counts 1..w fall in the first.
        int width = (int) Math.max(1, Theme.niceStep(longest / 10.0));
        int bins = longest / width + 1;
        org.jfree.data.statistics.SimpleHistogramDataset d = new org.jfree.data.statistics.SimpleHistogramDataset("tracks");
        for (int b = 0; b < bins; b++) d.addBin(new org.jfree.data.statistics.SimpleHistogramBin(b * width, (b + 1) * width, true, false));
        d.setAdjustForBinSize(false);
        frames.forEach(f -> d.addObservation(f));
        JFreeChart c = ChartFactory.createHistogram("Track lifetimes (" + frames.size() + " tracks)", "frames from first to last seen",
                "tracks", d, PlotOrientation.VERTICAL, false, false, false);
        Theme.apply(c);
        org.jfree.chart.plot.XYPlot p = c.getXYPlot();
        NumberAxis x = (NumberAxis) p.getDomainAxis(), y = (NumberAxis) p.getRangeAxis();
        DecimalFormat whole = new DecimalFormat("#,##0", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT));
        // Every bin edge while they fit (up to 12 labels), every other one beyond; whole tracks up the side.
        x.setRange(0, bins * width);
        x.setTickUnit(new NumberTickUnit(bins <= 12 ? width : 2 * width, whole));
        x.setMinorTickCount(0);
        c.setPadding(new org.jfree.chart.ui.RectangleInsets(0, 0, 0, 16)); // room for the last edge's label
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        org.jfree.chart.renderer.xy.XYBarRenderer r = (org.jfree.chart.renderer.xy.XYBarRenderer) p.getRenderer();
        r.setSeriesPaint(0, Theme.colour(0));
        r.setDrawBarOutline(true);
        r.setSeriesOutlinePaint(0, Color.WHITE);
        return c;
    }

    /** "sequential" or "pipelined": a throughput row's path without its details, short enough for an axis. */
    private static String pathKind(Table t, int r) {
        return t.stringColumn(Columns.PATH).get(r).replaceFirst(" \\(.*", "").replace(" decode", "");
    }

    private static String gpus(Table t, int r) {
        if (!t.columnNames().contains(Columns.GPUS)) return "this machine";
        int n = t.intColumn(Columns.GPUS).get(r);
        return n + (n == 1 ? " GPU" : " GPUs");
    }

    /** mAP50-95 (and mAP50) per precision, one bar each; rows of the same precision share their mAP. */
    public static JFreeChart mapByPrecision(Table bench) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (int r = 0; r < bench.rowCount(); r++) {
            String p = bench.stringColumn(Columns.PRECISION).get(r);
            d.setValue(bench.doubleColumn(Columns.MAP).get(r), "mAP50-95", p);
            d.setValue(bench.doubleColumn(Columns.MAP50).get(r), "mAP50", p);
        }
        JFreeChart c = ChartFactory.createBarChart("mAP per precision", "precision", "mAP", d, PlotOrientation.VERTICAL, true, false, false);
        ((NumberAxis) c.getCategoryPlot().getRangeAxis()).setRange(0, 1);
        return Theme.apply(c);
    }

    /** Engine ms per image against batch, one line per precision. */
    public static JFreeChart latencyVsBatch(Table bench) {
        XYSeriesCollection d = new XYSeriesCollection();
        for (int r = 0; r < bench.rowCount(); r++) {
            String p = bench.stringColumn(Columns.PRECISION).get(r);
            XYSeries s;
            int i = d.getSeriesIndex(p);
            if (i < 0) {
                s = new XYSeries(p);
                d.addSeries(s);
            } else {
                s = d.getSeries(i);
            }
            s.add(bench.intColumn(Columns.BATCH).get(r), bench.doubleColumn(Columns.ENGINE_MS).get(r));
        }
        JFreeChart c = ChartFactory.createXYLineChart("Latency against batch", "batch", "engine ms / image", d, PlotOrientation.VERTICAL,
                true, false, false);
        ((XYLineAndShapeRenderer) c.getXYPlot().getRenderer()).setDefaultShapesVisible(true);
        return Theme.apply(c);
    }

    /**
     * Precision against recall at IoU 0.5: each class with labels (grey and unnamed past 20 classes) and their mean,
     * as val saves it ({@link ValPlots#prCurve}).
     */
    public static JFreeChart prCurves(Metrics m) {
        return ValPlots.prCurve(m, "Box");
    }

    /**
     * The confusion matrix as counts, over the 20 classes that occur most (plus background): more names than that
     * no longer fit beside a notebook-sized chart.
     */
    public static JFreeChart confusion(Metrics m) {
        return ValPlots.confusionMatrix(m, false, 20);
    }

    /**
     * The calibration sweep: mAP50-95 per setting as bars (coloured by knob, value on each bar) and the
     * engine's ms per image of every setting as a marker on a second axis, so a setting that wins
     * accuracy at a price in speed shows both.
     */
    public static JFreeChart calibrationSweep(Table tuning) {
        DefaultCategoryDataset acc = new DefaultCategoryDataset();
        DefaultCategoryDataset speed = new DefaultCategoryDataset();
        List<String> groups = new ArrayList<>();
        List<Integer> groupOf = new ArrayList<>();
        for (int r = 0; r < tuning.rowCount(); r++) {
            String g = tuning.stringColumn(Columns.GROUP).get(r);
            // The colour and the legend name the group: the setting alone names the bar, unless two groups share it.
            String setting = tuning.stringColumn(Columns.SETTING).get(r);
            String key = tuning.stringColumn(Columns.SETTING).countOccurrences(setting) > 1 ? g + ": " + setting : setting;
            if (!groups.contains(g)) groups.add(g);
            groupOf.add(groups.indexOf(g));
            // One series for all bars (so each category has exactly one bar), coloured per group below.
            acc.addValue(tuning.doubleColumn(Columns.MAP).get(r), "mAP50-95", key);
            speed.addValue(tuning.doubleColumn(Columns.ENGINE_MS).get(r), "engine ms/img", key);
        }
        JFreeChart c = ChartFactory.createBarChart("INT8 calibration sweep", null, "mAP50-95", acc, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = c.getCategoryPlot();
        plot.setRenderer(new BarRenderer() {
            @Override
            public Paint getItemPaint(int row, int column) {
                return Theme.colour(groupOf.get(column));
            }
        });
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        NumberAxis ms = new NumberAxis("engine ms / image (markers)");
        // Markers in the lower half of the plot, under the mAP values written above the bars.
        ms.setRange(0, 2.2 * tuning.doubleColumn("Engine ms/img").max());
        plot.setRangeAxis(1, ms);
        plot.setDataset(1, speed);
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);
        LineAndShapeRenderer dots = new LineAndShapeRenderer(false, true);
        plot.setRenderer(1, dots);
        Theme.apply(c);
        dots.setSeriesPaint(0, Color.BLACK);
        dots.setSeriesShape(0, new Rectangle2D.Double(-4, -4, 8, 8));
        LegendItemCollection legend = new LegendItemCollection();
        for (int g = 0; g < groups.size(); g++) legend.add(new LegendItem(groups.get(g), Theme.colour(g)));
        legend.add(new LegendItem("engine ms / image", Color.BLACK));
        plot.setFixedLegendItems(legend);
        return c;
    }

    /** mAP50-95 against engine ms per image, one point per setting with its label: up and left is better. */
    public static JFreeChart tradeoff(Table tuning) {
        return tradeoff(tuning, -1);
    }

    /** As {@link #tradeoff(Table)}, with row {@code chosen} of the table ringed and named as the chosen setting. */
    public static JFreeChart tradeoff(Table tuning, int chosen) {
        XYSeriesCollection d = new XYSeriesCollection();
        Map<String, List<String>> labels = new HashMap<>();
        for (int r = 0; r < tuning.rowCount(); r++) {
            String g = tuning.stringColumn(Columns.GROUP).get(r);
            int i = d.getSeriesIndex(g);
            XYSeries s = i >= 0 ? d.getSeries(i) : new XYSeries(g, false, true);
            if (i < 0) d.addSeries(s);
            s.add(tuning.doubleColumn(Columns.ENGINE_MS).get(r), tuning.doubleColumn(Columns.MAP).get(r));
            labels.computeIfAbsent(g, k -> new ArrayList<>()).add(tuning.stringColumn(Columns.SETTING).get(r));
        }
        JFreeChart c = ChartFactory.createScatterPlot("mAP50-95 against latency", "engine ms / image", "mAP50-95", d,
                PlotOrientation.VERTICAL, true, false, false);
        Theme.apply(c);
        Set<String> shown = labelled(tuning, chosen);
        XYItemRenderer r = c.getXYPlot().getRenderer();
        r.setDefaultItemLabelGenerator((data, series, item) -> {
            String g = (String) data.getSeriesKey(series), label = labels.get(g).get(item);
            return shown.contains(g + "\n" + label) ? label : null;
        });
        r.setDefaultItemLabelsVisible(true);
        NumberAxis x0 = (NumberAxis) c.getXYPlot().getDomainAxis(), y0 = (NumberAxis) c.getXYPlot().getRangeAxis();
        x0.setAutoRangeIncludesZero(false);
        y0.setAutoRangeIncludesZero(false);
        // Room for the point labels at the edges.
        x0.setLowerMargin(0.12);
        x0.setUpperMargin(0.12);
        y0.setUpperMargin(0.12);
        y0.setLowerMargin(0.12);
        if (chosen >= 0 && chosen < tuning.rowCount()) {
            double x = tuning.doubleColumn(Columns.ENGINE_MS).get(chosen), y = tuning.doubleColumn(Columns.MAP).get(chosen);
            var ring = new XYShapeAnnotation(new Ellipse2D.Double(x, y, 0, 0),
                    new BasicStroke(2f), Color.BLACK);
            c.getXYPlot().addAnnotation(ring);
            // The text goes from the point towards the middle of the plot, where scatter plots are emptiest, and well away
            // from the point's neighbours: never cut at an edge, never over another label.
            DoubleColumn ms = tuning.doubleColumn(Columns.ENGINE_MS), map = tuning.doubleColumn(Columns.MAP);
            double dx = ((ms.min() + ms.max()) / 2 - x) / Math.max(ms.max() - ms.min(), 1e-9);
            double dy = -((map.min() + map.max()) / 2 - y) / Math.max(map.max() - map.min(), 1e-9); // screen y grows downwards
            double angle = Math.atan2(dy, dx);
            var pointer = new XYPointerAnnotation("chosen: " + tuning.stringColumn(Columns.SETTING).get(chosen), x, y, angle);
            pointer.setBaseRadius(80);
            pointer.setLabelOffset(4);
            pointer.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            pointer.setArrowPaint(Color.BLACK);
            pointer.setTextAnchor(Math.cos(angle) >= 0 ? TextAnchor.CENTER_LEFT : TextAnchor.CENTER_RIGHT);
            c.getXYPlot().addAnnotation(pointer);
        }
        return c;
    }

    /**
     * The rows of a trade-off plot that get a text label ("group\nsetting"): references first, then the rest in table
     * order, each only if no labelled point lies within 4% of the plot's width and 3% of its height (a cluster of
     * equal settings gets one label, the legend's colours tell the rest). The chosen row has its own annotation.
     */
    private static Set<String> labelled(Table t, int chosen) {
        DoubleColumn xs = t.doubleColumn(Columns.ENGINE_MS), ys = t.doubleColumn(Columns.MAP);
        double w = Math.max(xs.max() - xs.min(), 1e-9), h = Math.max(ys.max() - ys.min(), 1e-9);
        List<Integer> order = new ArrayList<>();
        for (int r = 0; r < t.rowCount(); r++) if (t.stringColumn(Columns.GROUP).get(r).equals("reference")) order.add(r);
        for (int r = 0; r < t.rowCount(); r++) if (!order.contains(r)) order.add(r);
        List<Integer> placed = new ArrayList<>();
        if (chosen >= 0 && chosen < t.rowCount()) placed.add(chosen);
        Set<String> shown = new HashSet<>();
        for (int r : order) {
            if (r == chosen) continue;
            boolean crowded = false;
            for (int q : placed) {
                crowded |= Math.abs(xs.get(r) - xs.get(q)) < 0.04 * w && Math.abs(ys.get(r) - ys.get(q)) < 0.03 * h;
            }
            if (crowded) continue;
            placed.add(r);
            shown.add(t.stringColumn(Columns.GROUP).get(r) + "\n" + t.stringColumn(Columns.SETTING).get(r));
        }
        return shown;
    }

    /**
     * Per YOLO module, the largest activation (MinMax's range) and the percentile range, on a log axis:
     * where they part, outliers make MinMax's INT8 steps coarse. Rows are {@code PercentileRanges.Trace.byModule}'s.
     */
    public static JFreeChart activationRanges(Table byModule) {
        XYSeriesCollection d = new XYSeriesCollection();
        for (String col : List.of(byModule.column(2).name(), byModule.column(3).name())) {
            XYSeries s = new XYSeries(col);
            for (int r = 0; r < byModule.rowCount(); r++) {
                s.add((double) byModule.intColumn("Module").get(r), Math.max(1e-3, byModule.doubleColumn(col).get(r)));
            }
            d.addSeries(s);
        }
        JFreeChart c = ChartFactory.createXYLineChart("Activation ranges per module", "module (model.N)", "|x|", d,
                PlotOrientation.VERTICAL, true, false, false);
        LogAxis log = new LogAxis("|x| (log scale)");
        log.setTickUnit(new NumberTickUnit(0.5)); // in powers of ten: ticks at 1, 3.16, 10, 31.6, ...
        log.setNumberFormatOverride(new DecimalFormat("0.#"));
        c.getXYPlot().setRangeAxis(log);
        ((XYLineAndShapeRenderer) c.getXYPlot().getRenderer()).setDefaultShapesVisible(true);
        return Theme.apply(c);
    }

    /**
     * What ran: per YOLO block, the engine layers in each precision stacked (INT8, FP16, FP32, other types, reformats).
     * Rows are {@code LayerPrecision.table}'s: a Block column, then one count column per kind.
     */
    public static JFreeChart layerPrecision(Table perBlock) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        for (int c = 1; c < perBlock.columnCount(); c++) {
            String kind = perBlock.column(c).name();
            for (int r = 0; r < perBlock.rowCount(); r++) {
                d.addValue(((Number) perBlock.column(c).get(r)).doubleValue(), kind, perBlock.stringColumn("Block").get(r));
            }
        }
        JFreeChart c = ChartFactory.createStackedBarChart("Engine layers per block and precision", null, "layers", d,
                PlotOrientation.VERTICAL, true, false, false);
        return Theme.apply(c);
    }
}
