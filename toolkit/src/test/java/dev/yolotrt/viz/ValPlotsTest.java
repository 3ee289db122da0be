package dev.yolotrt.viz;

import dev.yolotrt.val.ApMetrics;
import dev.yolotrt.val.Metrics;
import org.jfree.chart.JFreeChart;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ValPlotsTest {

    /**
     * One class, two labels, three detections: 0.9 right, 0.8 wrong, 0.7 right. Kept down to 0.7: P 2/3, R 1, F1 0.8
     * (the best); from 0.8 to 0.9: P 1, R 0.5; above 0.9 nothing is kept: R 0. The confusion matrix: 2 found, 1 background predicted as it.
     */
    static Metrics metrics() {
        boolean[][] tp = new boolean[3][10];
        for (int t = 0; t < 10; t++) {
            tp[0][t] = true;
            tp[2][t] = true;
        }
        ApMetrics.PerClass pc = ApMetrics.compute(tp, new double[] {0.9, 0.8, 0.7}, new int[] {0, 0, 0}, new int[] {0, 0});
        long[][] confusion = {{2, 1}, {0, 0}};   // [predicted][true]: class 0 twice right, once on background
        return new Metrics("m.onnx", "d.yaml", "val", 1, 2, pc.p()[0], pc.r()[0], pc.ap()[0][0], pc.ap()[0][5], 0.5,
                List.of("cat"), pc, new int[] {1}, confusion, Map.of(), List.of());
    }

    @Test
    void f1CurveNamesItsBestValueAndConfidence() {
        JFreeChart c = ValPlots.curve(metrics(), ValPlots.Curve.F1, "Box");
        XYDataset d = c.getXYPlot().getDataset();
        assertEquals(2, d.getSeriesCount());
        assertEquals("cat", d.getSeriesKey(0));
        // F1 is 0.8 from confidence 0 to 0.7 (below the lowest detection precision stays at its last value, 2/3), then
        // falls: the first of the best points, as numpy's argmax picks it
        assertEquals("all classes 0.80 at 0.000", d.getSeriesKey(1));
        assertEquals("Box F1-confidence curve", c.getTitle().getText());
    }

    @Test
    void recallCurveIsOneUpToTheLastTruePositive() {
        XYDataset d = ValPlots.curve(metrics(), ValPlots.Curve.R, "Box").getXYPlot().getDataset();
        for (int i = 0; i < d.getItemCount(0); i++) {
            if (d.getXValue(0, i) <= 0.7) assertEquals(1.0, d.getYValue(0, i), 1e-9, "x " + d.getXValue(0, i));
            if (d.getXValue(0, i) > 0.8 && d.getXValue(0, i) <= 0.9) assertEquals(0.5, d.getYValue(0, i), 1e-9, "x " + d.getXValue(0, i));
            if (d.getXValue(0, i) > 0.9) assertEquals(0.0, d.getYValue(0, i), 1e-9, "x " + d.getXValue(0, i));   // nothing kept
        }
    }

    /** The colour bar's tick labels as drawn beside a 400-pixel bar. */
    static List<String> colourBarTicks(JFreeChart c) {
        c.createBufferedImage(640, 480);
        org.jfree.chart.title.PaintScaleLegend legend = (org.jfree.chart.title.PaintScaleLegend) c.getSubtitles().stream()
                .filter(t -> t instanceof org.jfree.chart.title.PaintScaleLegend).findFirst().orElseThrow();
        java.awt.Graphics2D g = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB).createGraphics();
        List<String> ticks = legend.getAxis().refreshTicks(g, new org.jfree.chart.axis.AxisState(), new java.awt.geom.Rectangle2D.Double(0, 0, 40, 400),
                org.jfree.chart.ui.RectangleEdge.RIGHT).stream().map(t -> ((org.jfree.chart.axis.Tick) t).getText()).toList();
        g.dispose();
        return ticks;
    }

    @Test
    void confusionColourBarsHaveAHandfulOfRoundTicks() {
        assertEquals(List.of("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"), colourBarTicks(ValPlots.confusionMatrix(metrics(), true, 20)));
        // Counts up to 2: whole numbers only.
        assertEquals(List.of("0", "1", "2"), colourBarTicks(ValPlots.confusionMatrix(metrics(), false, 20)));
        assertEquals(2.0, Theme.niceStep(1.7));
        assertEquals(50.0, Theme.niceStep(23));
        assertEquals(100.0, Theme.niceStep(51));
    }

    @Test
    void normalisedConfusionMatrixColumnsSumToOne() {
        XYDataset d = ValPlots.confusionMatrix(metrics(), true, 20).getXYPlot().getDataset();
        org.jfree.data.xy.XYZDataset z = (org.jfree.data.xy.XYZDataset) d;
        double[] column = new double[2];
        for (int i = 0; i < z.getItemCount(0); i++) column[(int) z.getXValue(0, i)] += z.getZValue(0, i);
        assertEquals(1.0, column[0], 1e-9);   // the true cats: both found
        assertEquals(1.0, column[1], 1e-9);   // background: the one false detection
    }

    @Test
    void saveWritesUltralyticsFiles(@TempDir Path tmp) throws Exception {
        List<Path> files = ValPlots.save(metrics(), "Box", true, tmp);
        assertEquals(List.of("BoxPR_curve.png", "BoxP_curve.png", "BoxR_curve.png", "BoxF1_curve.png", "confusion_matrix.png",
                "confusion_matrix_normalized.png"), files.stream().map(f -> f.getFileName().toString()).toList());
        for (Path f : files) {
            BufferedImage img = ImageIO.read(f.toFile());
            assertEquals(900, img.getWidth(), f.toString());
            assertEquals(600, img.getHeight(), f.toString());
        }
        assertTrue(ValPlots.save(metrics(), "Mask", false, tmp.resolve("m")).stream().noneMatch(f -> f.toString().contains("confusion")));
    }

    @Test
    void windowNamesTheMissingDisplay() {
        assertTrue(Window.whyNoDisplay(null, "").contains("DISPLAY"));
        assertNull(Window.whyNoDisplay(":0", null));
        assertNull(Window.whyNoDisplay(null, "wayland-0"));
    }
}
