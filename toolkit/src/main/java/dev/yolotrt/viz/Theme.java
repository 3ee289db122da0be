package dev.yolotrt.viz;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.ui.RectangleInsets;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.text.DecimalFormat;

/**
 * One look for every chart: white background, light grid, the Okabe–Ito colour-blind-safe palette,
 * flat bars with their values written on them, and type sized to stay readable at notebook width
 * (charts render at 800 × 480).
 */
public final class Theme {

    /** Okabe & Ito's palette (blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black). */
    public static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73), new Color(0xD55E00),
            new Color(0xCC79A7), new Color(0x56B4E9), new Color(0xF0E442), new Color(0x000000)};
    static final Color GRID = new Color(0xDDDDDD);
    static final Color TEXT = new Color(0x333333);

    private static final StandardChartTheme THEME = build();

    private Theme() {
    }

    private static StandardChartTheme build() {
        StandardChartTheme t = new StandardChartTheme("yolo-trt");
        t.setExtraLargeFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        t.setLargeFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        t.setRegularFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        t.setSmallFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        t.setChartBackgroundPaint(Color.WHITE);
        t.setPlotBackgroundPaint(Color.WHITE);
        t.setLegendBackgroundPaint(Color.WHITE);
        t.setDomainGridlinePaint(GRID);
        t.setRangeGridlinePaint(GRID);
        t.setPlotOutlinePaint(GRID);
        t.setTitlePaint(TEXT);
        t.setAxisLabelPaint(TEXT);
        t.setTickLabelPaint(TEXT);
        t.setLegendItemPaint(TEXT);
        t.setItemLabelPaint(TEXT);
        t.setBarPainter(new StandardBarPainter());
        t.setXYBarPainter(new StandardXYBarPainter());
        t.setShadowVisible(false);
        t.setAxisOffset(RectangleInsets.ZERO_INSETS);
        t.setDrawingSupplier(new DefaultDrawingSupplier(PALETTE, PALETTE, PALETTE,
                DefaultDrawingSupplier.DEFAULT_STROKE_SEQUENCE, DefaultDrawingSupplier.DEFAULT_OUTLINE_STROKE_SEQUENCE,
                DefaultDrawingSupplier.DEFAULT_SHAPE_SEQUENCE));
        return t;
    }

    /** Applies the theme (and value labels on bar charts) to {@code c}; returns it. */
    public static JFreeChart apply(JFreeChart c) {
        THEME.apply(c);
        if (c.getPlot() instanceof CategoryPlot p) {
            p.setRangeGridlineStroke(new BasicStroke(1f));
            for (int i = 0; i < p.getRendererCount(); i++) {
                if (p.getRenderer(i) instanceof BarRenderer r) {
                    r.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", ROUNDED));
                    r.setDefaultItemLabelsVisible(true);
                    r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
                    r.setMaximumBarWidth(0.12);
                }
            }
        } else if (c.getPlot() instanceof XYPlot p) {
            p.setDomainGridlineStroke(new BasicStroke(1f));
            p.setRangeGridlineStroke(new BasicStroke(1f));
        }
        return c;
    }

    /**
     * Bar values to three significant digits, trailing zeros dropped (6.13, 0.14, 451, 1,186): enough to compare bars,
     * short enough not to run into each other; the tables beside the charts carry every digit.
     */
    public static final java.text.NumberFormat ROUNDED = new java.text.NumberFormat() {
        @Override
        public StringBuffer format(double v, StringBuffer to, java.text.FieldPosition pos) {
            if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) return to.append(v == 0 ? "0" : String.valueOf(v));
            int digits = Math.max(0, 2 - (int) Math.floor(Math.log10(Math.abs(v))));
            java.math.BigDecimal d = new java.math.BigDecimal(v).setScale(digits, java.math.RoundingMode.HALF_UP).stripTrailingZeros();
            return to.append(new DecimalFormat("#,##0.###", java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)).format(d));
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, java.text.FieldPosition pos) {
            return format((double) v, to, pos);
        }

        @Override
        public Number parse(String s, java.text.ParsePosition pos) {
            throw new UnsupportedOperationException("display only");
        }
    };

    /** Dark text on light colours, white on dark ones, for labels drawn inside bars. */
    public static Paint labelOn(Paint fill) {
        if (!(fill instanceof Color c)) return TEXT;
        double luminance = 0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue();
        return luminance > 140 ? TEXT : Color.WHITE;
    }

    /** A round tick step: 1, 2 or 5 times a power of ten, the smallest of them at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5}) if (m * p >= raw - 1e-12) return m * p;
        return 10 * p;
    }

    /** The palette's colour {@code i}, cycling. */
    public static Paint colour(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }
}
