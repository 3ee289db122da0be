package dev.yolotrt.viz;

import dev.yolotrt.val.Accumulator;
import dev.yolotrt.val.Metrics;
import org.jfree.chart.JFreeChart;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartsTest {

    /** Two rows of the H100 run in docs/benchmarks.md. */
    static Table bench() {
        return Table.create("b",
                StringColumn.create("Precision", "FP16", "FP16"),
                IntColumn.create("Batch", 1, 8),
                DoubleColumn.create("Engine ms/img", 0.5696, 0.1395),
                DoubleColumn.create("Engine min", 0.5692, 0.1393),
                DoubleColumn.create("Engine max", 0.5731, 0.1403),
                DoubleColumn.create("End-to-end ms/img", 6.1306, 1.1864),
                DoubleColumn.create("E2E min", 4.5264, 1.0594),
                DoubleColumn.create("E2E max", 10.7484, 1.5403),
                DoubleColumn.create("mAP50", 0.7586, 0.7586),
                DoubleColumn.create("mAP50-95", 0.5998, 0.5998));
    }

    /** Renders at notebook size; with -Dcharts.dir=DIR the PNGs are kept there for a person to look at. */
    static void renders(JFreeChart c) {
        BufferedImage img = c.createBufferedImage(800, 480);
        assertEquals(800, img.getWidth());
        String dir = System.getProperty("charts.dir");
        if (dir != null) {
            try {
                java.nio.file.Files.createDirectories(java.nio.file.Path.of(dir));
                javax.imageio.ImageIO.write(img, "png", java.nio.file.Path.of(dir, c.getTitle().getText().replaceAll("\\W+", "_") + ".png").toFile());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    void latencyWhiskersCoverMinAndMax() {
        JFreeChart c = Charts.latency(bench(), true);
        var d = (DefaultStatisticalCategoryDataset) c.getCategoryPlot().getDataset();
        assertEquals(6.1306, d.getMeanValue("batch 1", "FP16").doubleValue(), 1e-9);
        assertEquals(10.7484 - 6.1306, d.getStdDevValue("batch 1", "FP16").doubleValue(), 1e-9); // max is farther
        renders(c);
        renders(Charts.mapByPrecision(bench()));
        XYDataset lines = Charts.latencyVsBatch(bench()).getXYPlot().getDataset();
        assertEquals(1, lines.getSeriesCount());
        assertEquals(8.0, lines.getXValue(0, 1));
        renders(Charts.latencyVsBatch(bench()));
    }

    @Test
    void prCurvesAndConfusionFromMetrics() {
        Accumulator acc = new Accumulator(List.of("cat", "dog", "bird"));
        acc.add("img", new float[] {0, 0, 10, 10, 20, 20, 30, 30}, new float[] {0.9f, 0.8f}, new int[] {0, 1},
                new float[] {0, 0, 10, 10, 20, 20, 30, 30}, new int[] {0, 0});
        Metrics m = acc.metrics("m", "d", "val", Map.of());
        JFreeChart pr = Charts.prCurves(m);
        assertEquals(2, pr.getXYPlot().getDataset().getSeriesCount()); // only "cat" has labels; then the mean of the classes
        // One of the two cats found at precision 1: AP50 0.75 (half recall, then the envelope falls to 0).
        assertEquals("cat 0.750", pr.getXYPlot().getDataset().getSeriesKey(0).toString());
        renders(pr);
        JFreeChart cm = Charts.confusion(m);
        XYDataset z = cm.getXYPlot().getDataset();
        assertEquals(9, z.getItemCount(0)); // cat, dog, background
        renders(cm);
    }

    @Test
    void tuningCharts() {
        Table t = dev.yolotrt.bench.Int8TuningTest.table();
        JFreeChart sweep = Charts.calibrationSweep(t);
        var bars = sweep.getCategoryPlot().getDataset(0);
        assertEquals(4, bars.getColumnCount());
        // The bar is named by its setting; its group by the colour and the legend.
        assertEquals(0.65, bars.getValue("mAP50-95", "head in FP16").doubleValue(), 1e-12);
        // Every setting has its latency marker, not only the first group's.
        var ms = sweep.getCategoryPlot().getDataset(1);
        assertEquals(4, ms.getColumnCount());
        for (int col = 0; col < 4; col++) assertTrue(ms.getValue(0, col).doubleValue() > 0, "marker " + col);
        assertEquals(0.130, ms.getValue("engine ms/img", "FP16").doubleValue(), 1e-12);
        // The markers stay in the lower half, under the values written above the bars.
        assertEquals(2.2 * 0.130, sweep.getCategoryPlot().getRangeAxis(1).getUpperBound(), 1e-12);
        // One theme: white plot, Okabe-Ito colours per knob, values on the bars.
        assertEquals(java.awt.Color.WHITE, sweep.getCategoryPlot().getBackgroundPaint());
        assertEquals(Theme.colour(0), sweep.getCategoryPlot().getRenderer().getItemPaint(0, 0));
        assertTrue(sweep.getCategoryPlot().getRenderer().getDefaultItemLabelsVisible());
        renders(sweep);
        JFreeChart scatter = Charts.tradeoff(t);
        XYDataset d = scatter.getXYPlot().getDataset();
        assertEquals(3, d.getSeriesCount());
        assertEquals("entropy2", scatter.getXYPlot().getRenderer().getItemLabelGenerator(0, 1).generateLabel(d, 0, 1));
        assertEquals(0, scatter.getXYPlot().getAnnotations().size());
        renders(scatter);
        JFreeChart chosen = Charts.tradeoff(t, 2);
        assertEquals(2, chosen.getXYPlot().getAnnotations().size()); // the ring and the "chosen: ..." pointer
        renders(chosen);
    }

    @Test
    void trackLifetimesIsAThemedHistogramWithRoundBins() {
        // Lifetimes 1, 2, 5, 9, 40 and 87 frames: bins 10 frames wide, 0-10 holds four, 40-50 and 80-90 one each.
        Map<Integer, Integer> first = new java.util.TreeMap<>(Map.of(1, 0, 2, 3, 3, 10, 4, 0, 5, 100, 9, 5));
        Map<Integer, Integer> last = Map.of(1, 0, 2, 4, 3, 14, 4, 8, 5, 139, 9, 91);
        JFreeChart c = Charts.trackLifetimes(first, last);
        org.jfree.data.xy.IntervalXYDataset d = (org.jfree.data.xy.IntervalXYDataset) c.getXYPlot().getDataset();
        assertEquals(9, d.getItemCount(0));
        assertEquals(0, d.getStartXValue(0, 0), 0);
        assertEquals(10, d.getEndXValue(0, 0), 0);
        assertEquals(4, d.getYValue(0, 0), 0);
        assertEquals(1, d.getYValue(0, 4), 0);
        assertEquals(1, d.getYValue(0, 8), 0);
        double total = 0;
        for (int i = 0; i < d.getItemCount(0); i++) total += d.getYValue(0, i);
        assertEquals(6, total, 0);
        // The labels are the bin edges, under the bars, whole numbers.
        c.createBufferedImage(800, 480);
        java.awt.Graphics2D g = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB).createGraphics();
        List<String> ticks = c.getXYPlot().getDomainAxis().refreshTicks(g, new org.jfree.chart.axis.AxisState(),
                new java.awt.geom.Rectangle2D.Double(0, 0, 700, 400), org.jfree.chart.ui.RectangleEdge.BOTTOM).stream()
                .map(t -> ((org.jfree.chart.axis.Tick) t).getText()).toList();
        g.dispose();
        assertEquals(List.of("0", "10", "20", "30", "40", "50", "60", "70", "80", "90"), ticks);
        // The project's look, not JFreeChart's grey default.
        assertEquals(java.awt.Color.WHITE, c.getXYPlot().getBackgroundPaint());
        assertEquals(Theme.colour(0), c.getXYPlot().getRenderer().getSeriesPaint(0));
    }

    @Test
    void valuesAreRoundedToThreeSignificantDigits() {
        assertEquals("6.13", Theme.ROUNDED.format(6.1306));
        assertEquals("0.14", Theme.ROUNDED.format(0.1395));
        assertEquals("451", Theme.ROUNDED.format(450.92));
        assertEquals("1,186", Theme.ROUNDED.format(1186.4));
        assertEquals("0.435", Theme.ROUNDED.format(0.4349));
        assertEquals("3", Theme.ROUNDED.format(3.0));
    }

    @Test
    void latencyLabelsSitInsideTheBarsAndShortBarsGoWithout() {
        Table t = bench().copy();
        t.doubleColumn("End-to-end ms/img").set(1, 0.2);   // batch 8: 0.2 ms against a whisker top of 10.75
        JFreeChart c = Charts.latency(t, true);
        var r = c.getCategoryPlot().getRenderer();
        var d = c.getCategoryPlot().getDataset();
        assertEquals("6.13", r.getItemLabelGenerator(0, 0).generateLabel(d, d.getRowIndex("batch 1"), 0));
        assertEquals(null, r.getItemLabelGenerator(0, 0).generateLabel(d, d.getRowIndex("batch 8"), 0));
        assertEquals(org.jfree.chart.labels.ItemLabelAnchor.INSIDE6, r.getPositiveItemLabelPosition(0, 0).getItemLabelAnchor());
        assertEquals(java.awt.Color.WHITE, r.getItemLabelPaint(0, 0));   // on the palette's dark blue
        renders(c);
    }

    @Test
    void confusionKeepsTheMostFrequentClassesWhenThereAreMany() {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) names.add("class " + i);
        Accumulator acc = new Accumulator(names);
        // Class i has i + 1 labels, each found: classes 10..29 are the 20 most frequent.
        for (int i = 0; i < 30; i++) {
            for (int k = 0; k <= i; k++) {
                acc.add("img", new float[] {0, 0, 10, 10}, new float[] {0.9f}, new int[] {i}, new float[] {0, 0, 10, 10}, new int[] {i});
            }
        }
        JFreeChart c = Charts.confusion(acc.metrics("m", "d", "val", Map.of()));
        assertTrue(c.getTitle().getText().endsWith("(the 20 most frequent of 30 classes)"), c.getTitle().getText());
        var x = (org.jfree.chart.axis.SymbolAxis) c.getXYPlot().getDomainAxis();
        assertEquals("class 10", x.getSymbols()[0]);
        assertEquals("background", x.getSymbols()[20]);
        renders(c);
    }

    @Test
    void tradeoffLabelsOnePointOfACluster() {
        // Three INT8 settings at the same spot (as MinMax's calibration batches are), one apart, two references.
        Table t = Table.create("t", StringColumn.create("Group", "reference", "reference", "calib_batch", "calib_batch", "calib_batch", "calibrator"),
                StringColumn.create("Setting", "FP32", "FP16", "calib_batch 4", "calib_batch 8", "calib_batch 16", "entropy2"),
                StringColumn.create("Precision", "FP32", "FP16", "INT8", "INT8", "INT8", "INT8"),
                DoubleColumn.create("mAP50-95", 0.435, 0.435, 0.419, 0.419, 0.419, 0.388),
                DoubleColumn.create("Engine ms/img", 0.203, 0.138, 0.1122, 0.1123, 0.1115, 0.1076));
        JFreeChart c = Charts.tradeoff(t, 5);
        XYDataset d = c.getXYPlot().getDataset();
        var gen = c.getXYPlot().getRenderer().getItemLabelGenerator(0, 0);
        List<String> shown = new java.util.ArrayList<>();
        for (int s = 0; s < d.getSeriesCount(); s++) {
            for (int i = 0; i < d.getItemCount(s); i++) {
                String label = gen.generateLabel(d, s, i);
                if (label != null) shown.add(label);
            }
        }
        // The chosen entropy2 is named by its pointer, not again by a label.
        assertEquals(List.of("FP32", "FP16", "calib_batch 4"), shown);
        var pointer = (org.jfree.chart.annotations.XYPointerAnnotation) c.getXYPlot().getAnnotations().get(1);
        assertEquals("chosen: entropy2", pointer.getText());
        // The chosen point is at the left: its text goes right, into the plot.
        assertEquals(org.jfree.chart.ui.TextAnchor.CENTER_LEFT, pointer.getTextAnchor());
        renders(c);
    }

    @Test
    void throughputRowsCarryTheirGpuCountAndMissingDecodeCountsAsZero() {
        Table t = Table.create("t",
                StringColumn.create("Path", "sequential decode", "pipelined (2 in flight)", "sequential decode", "pipelined (4 in flight)"),
                DoubleColumn.create("Images/s", 110, 480, 112, 900),
                DoubleColumn.create("Decode ms/img", 4.0, Double.NaN, 4.1, Double.NaN),
                DoubleColumn.create("Preprocess ms/img", 3.0, 3.2, 3.0, 3.3),
                DoubleColumn.create("Inference ms/img", 0.4, 0.4, 0.4, 0.4),
                DoubleColumn.create("Postprocess ms/img", 1.4, 1.5, 1.4, 1.5),
                IntColumn.create("GPUs", 1, 1, 2, 2));
        JFreeChart rate = Charts.throughput(t), stages = Charts.stages(t);
        renders(rate);
        renders(stages);
        var d = (org.jfree.data.category.CategoryDataset) rate.getCategoryPlot().getDataset();
        // Bars grouped by GPU count, one colour per path; labels short enough for the axis.
        assertEquals(List.of("1 GPU", "2 GPUs"), d.getColumnKeys());
        assertEquals(List.of("sequential", "pipelined"), d.getRowKeys());
        assertEquals(900.0, d.getValue("pipelined", "2 GPUs").doubleValue());
        assertEquals("900", rate.getCategoryPlot().getRenderer().getDefaultItemLabelGenerator().generateLabel(d, 1, 1));
        var st = (org.jfree.data.category.CategoryDataset) stages.getCategoryPlot().getDataset();
        assertEquals(List.of("decode", "preprocess", "inference", "postprocess"), st.getRowKeys());
        assertEquals(0.0, st.getValue("decode", "1 GPU, pipelined").doubleValue(), "decode overlaps in the pipeline");
        assertEquals(4.1, st.getValue("decode", "2 GPUs, sequential").doubleValue(), 1e-12);
    }
}
