package dev.yolotrt.notebook;

import dev.yolotrt.predict.Results;
import dev.yolotrt.viz.Annotator;
import org.bytedeco.opencv.opencv_core.Mat;
import dev.yolotrt.val.Metrics;
import dev.yolotrt.val.Validator;
import org.jfree.chart.JFreeChart;
import tech.tablesaw.api.Table;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How toolkit values look in a notebook: a MIME bundle per value (mimetype → data), shared by the
 * Jupyter kernel and the headless runner. Predictions show as annotated images, tables as HTML,
 * charts as PNG, metrics as their table; anything else as text.
 */
public final class Rich {

    private Rich() {
    }

    public static Map<String, Object> bundle(Object value) {
        Map<String, Object> b = new LinkedHashMap<>();
        if (value instanceof Results r) {
            b.put("image/png", png(r));
            b.put("text/plain", r.toString());
        } else if (value instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(o -> o instanceof Results)) {
            // A list of results (what predict returns) shows its first image; display() shows the others.
            b.put("image/png", png((Results) l.get(0)));
            b.put("text/plain", l.toString());
        } else if (value instanceof BufferedImage img) {
            b.put("image/png", png(img));
            b.put("text/plain", "image " + img.getWidth() + "x" + img.getHeight());
        } else if (value instanceof Table t) {
            b.put("text/html", html(t));
            b.put("text/plain", t.printAll());
        } else if (value instanceof Metrics m) {
            b.put("text/html", html(m.table()));
            b.put("text/plain", m.report(true));
        } else if (value instanceof Validator.Run run) {
            // What val returns: the box (and mask or keypoint) tables, or a classifier's accuracy.
            Metrics second = run.second();
            b.put("text/html", run.top() != null ? html(run.top().table()) : html(run.box().table()) + (second == null ? "" : html(second.table())));
            b.put("text/plain", run.report(true));
        } else if (value instanceof dev.yolotrt.video.Clip clip) {
            b.put("text/html", clip.html());
            b.put("text/plain", clip.toString());
        } else if (value instanceof JFreeChart c) {
            b.put("image/png", png(c.createBufferedImage(800, 480)));
            b.put("text/plain", "chart: " + (c.getTitle() == null ? "" : c.getTitle().getText()));
        } else {
            b.put("text/plain", String.valueOf(value));
        }
        return b;
    }

    /**
     * A prediction drawn and encoded by OpenCV (no AWT text, so no font libraries needed), at most
     * 800 px on its long side: enough to read the labels, light to store.
     */
    static String png(Results r) {
        try (Mat drawn = Annotator.plot(r, true, true, null); Mat small = Annotator.fit(drawn, 800);
             org.bytedeco.javacpp.BytePointer buf = new org.bytedeco.javacpp.BytePointer()) {
            org.bytedeco.opencv.global.opencv_imgcodecs.imencode(".png", small, buf);
            byte[] bytes = new byte[(int) buf.limit()];
            buf.get(bytes);
            return Base64.getEncoder().encodeToString(bytes);
        }
    }

    static String png(BufferedImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A plain HTML table, numbers to 4 significant digits, with the table's name as caption. */
    static String html(Table t) {
        StringBuilder sb = new StringBuilder("<table><caption>").append(escape(t.name())).append("</caption><thead><tr>");
        for (String c : t.columnNames()) sb.append("<th>").append(escape(c)).append("</th>");
        sb.append("</tr></thead><tbody>");
        for (int r = 0; r < t.rowCount(); r++) {
            sb.append("<tr>");
            for (int c = 0; c < t.columnCount(); c++) {
                sb.append("<td>").append(escape(dev.yolotrt.viz.Tables.cell(t, c, r))).append("</td>");
            }
            sb.append("</tr>");
        }
        return sb.append("</tbody></table>").toString();
    }

    private static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
