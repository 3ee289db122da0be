package dev.yolotrt.viz;

import dev.yolotrt.predict.Boxes;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Locale;

/** Draws labelled boxes the way Ultralytics' Annotator does: class colours, filled label tabs. */
public final class Annotator {

    /** Ultralytics' 20-colour palette, indexed by class id. */
    private static final String[] PALETTE = {"FF3838", "FF9D97", "FF701F", "FFB21D", "CFD231", "48F90A", "92CC17",
            "3DDB86", "1A9334", "00D4BB", "2C99A8", "00C2FF", "344593", "6473FF", "0018EC", "8438FF", "520085",
            "CB38FF", "FF95C8", "FF37C7"};

    private Annotator() {
    }

    public static Color color(int cls) {
        return new Color(Integer.parseInt(PALETTE[Math.floorMod(cls, PALETTE.length)], 16));
    }

    /** Draws {@code boxes} onto {@code img} in place. */
    public static void draw(BufferedImage img, Boxes boxes, boolean labels, boolean conf, Integer lineWidth) {
        int lw = lineWidth != null ? lineWidth : Math.max((int) Math.round((img.getWidth() + img.getHeight()) / 2.0 * 0.003), 2);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setStroke(new BasicStroke(lw));
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(lw * 6, 12)));
            FontMetrics fm = g.getFontMetrics();
            // Lowest confidence first, so the strongest boxes end up on top.
            for (int i = boxes.size() - 1; i >= 0; i--) {
                float[] b = boxes.xyxy(i);
                Color c = color(boxes.cls(i));
                int x1 = Math.round(b[0]), y1 = Math.round(b[1]), x2 = Math.round(b[2]), y2 = Math.round(b[3]);
                g.setColor(c);
                g.drawRect(x1, y1, x2 - x1, y2 - y1);
                if (!labels) continue;
                String text = conf ? String.format(Locale.ROOT, "%s %.2f", boxes.name(i), boxes.conf(i)) : boxes.name(i);
                int tw = fm.stringWidth(text) + 2 * lw, th = fm.getAscent() + fm.getDescent() + lw;
                int ty = y1 - th >= 0 ? y1 - th : y1; // inside the box when there is no room above
                g.fillRect(x1, ty, tw, th);
                g.setColor(textColor(c));
                g.drawString(text, x1 + lw, ty + fm.getAscent() + lw / 2);
            }
        } finally {
            g.dispose();
        }
    }

    /** Black on light colours, white on dark ones. */
    static Color textColor(Color c) {
        double luminance = 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
        return luminance > 150 ? Color.BLACK : Color.WHITE;
    }
}
