package dev.yolotrt.viz;

import dev.yolotrt.data.Images;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.awt.image.BufferedImage;
import java.util.Locale;

import static org.bytedeco.opencv.global.opencv_imgproc.FILLED;
import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.getTextSize;
import static org.bytedeco.opencv.global.opencv_imgproc.putText;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Draws labelled boxes the way Ultralytics' OpenCV annotator does (class colours, filled label tabs,
 * line width from the image size, font scale lw / 3), with OpenCV's own Hershey font: no AWT text,
 * so it works on servers and slim containers without system font libraries.
 */
public final class Annotator {

    /** Ultralytics' 20-colour palette (RGB hex), indexed by class id. */
    private static final String[] PALETTE = {"FF3838", "FF9D97", "FF701F", "FFB21D", "CFD231", "48F90A", "92CC17",
            "3DDB86", "1A9334", "00D4BB", "2C99A8", "00C2FF", "344593", "6473FF", "0018EC", "8438FF", "520085",
            "CB38FF", "FF95C8", "FF37C7"};

    private Annotator() {
    }

    /** The class colour as RGB. */
    public static int rgb(int cls) {
        return Integer.parseInt(PALETTE[Math.floorMod(cls, PALETTE.length)], 16);
    }

    /**
     * The result's image with what its task found, as a new BGR Mat the caller owns: translucent masks
     * under the boxes (segment), the COCO skeleton (pose), rotated boxes (obb), the top-5 list (classify).
     * The image is the result's {@link Results#origImg}: its pixels, or its file decoded again.
     */
    public static Mat plot(Results r, boolean labels, boolean conf, Integer lineWidth) {
        return drawOn(r.origImg(), r, labels, conf, lineWidth);
    }

    /** As {@link #plot(Results, boolean, boolean, Integer)} on a copy of {@code image}, the result's original the caller holds. */
    public static Mat plot(Results r, Mat image, boolean labels, boolean conf, Integer lineWidth) {
        if (image.rows() != r.origShape()[0] || image.cols() != r.origShape()[1]) {
            throw new YoloException("the image is " + image.cols() + "x" + image.rows() + " but " + r.path() + " was " + r.origShape()[1] + "x"
                    + r.origShape()[0] + "; give the image the result was predicted on");
        }
        return drawOn(image.clone(), r, labels, conf, lineWidth);
    }

    /** Draws on {@code out}, which it returns, or closes when drawing fails. */
    private static Mat drawOn(Mat out, Results r, boolean labels, boolean conf, Integer lineWidth) {
        try {
            return drawResult(out, r, labels, conf, lineWidth);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static Mat drawResult(Mat out, Results r, boolean labels, boolean conf, Integer lineWidth) {
        int lw = lineWidth != null ? lineWidth : Math.max((int) Math.round((out.cols() + out.rows()) / 2.0 * 0.003), 2);
        if (r.probs() != null) {
            TaskDrawing.probs(out, r.probs(), r.boxes(), lw);
            return out;
        }
        if (r.masks() != null) TaskDrawing.masks(out, r.masks(), r.boxes());
        if (r.obb() != null) {
            TaskDrawing.obb(out, r.obb(), labels, conf, lw);
        } else {
            draw(out, r.boxes(), labels, conf, lw);
        }
        if (r.keypoints() != null) TaskDrawing.keypoints(out, r.keypoints(), lw);
        return out;
    }

    /** {@link #plot} with labels and confidences, as a BufferedImage (notebooks, Swing). */
    public static BufferedImage image(Results r) {
        try (Mat m = plot(r, true, true, null)) {
            return Images.toBufferedImage(m);
        }
    }

    /** A copy of {@code bgr} at most {@code longSide} pixels on its long side (INTER_AREA), or a clone. */
    public static Mat fit(Mat bgr, int longSide) {
        int side = Math.max(bgr.cols(), bgr.rows());
        if (side <= longSide) return bgr.clone();
        double s = (double) longSide / side;
        Mat out = new Mat();
        resize(bgr, out, new Size((int) Math.round(bgr.cols() * s), (int) Math.round(bgr.rows() * s)), 0, 0, INTER_AREA);
        return out;
    }

    /** Draws {@code boxes} onto {@code bgr} in place with line width {@code lw}. */
    public static void draw(Mat bgr, Boxes boxes, boolean labels, boolean conf, int lw) {
        if (lw < 1) throw new YoloException("line_width=" + lw + " must be at least 1");
        // Lowest confidence first, so the strongest boxes end up on top.
        for (int i = boxes.size() - 1; i >= 0; i--) {
            float[] b = boxes.xyxy(i);
            int c = rgb(boxes.cls(i));
            Point p1 = new Point((int) b[0], (int) b[1]);
            rectangle(bgr, p1, new Point((int) b[2], (int) b[3]), bgr(c), lw, LINE_AA, 0);
            // Tracked boxes read "id:7 person 0.88", as Ultralytics labels them.
            String name = (boxes.isTrack() ? "id:" + boxes.id(i) + " " : "") + boxes.name(i);
            if (labels) label(bgr, p1.x(), p1.y(), conf ? String.format(Locale.ROOT, "%s %.2f", name, boxes.conf(i)) : name, c, lw);
        }
    }

    /** A filled label tab at (x, y) in Ultralytics' layout: above the point when it fits, else below. */
    static void label(Mat bgr, int px, int py, String text, int rgb, int lw) {
        int tf = Math.max(lw - 1, 1);
        double sf = lw / 3.0;
        Size ts = getTextSize(text, FONT_HERSHEY_SIMPLEX, sf, tf, new int[1]);
        int w = ts.width(), h = ts.height() + 3;
        boolean outside = py >= h; // the tab fits above
        int x = Math.min(px, bgr.cols() - w);
        rectangle(bgr, new Point(x, py), new Point(x + w, outside ? py - h : py + h), bgr(rgb), FILLED, LINE_AA, 0);
        putText(bgr, text, new Point(x, outside ? py - 2 : py + h - 1), FONT_HERSHEY_SIMPLEX, sf, textColour(rgb), tf, LINE_AA, false);
    }

    static Scalar bgr(int rgb) {
        return new Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff, 0);
    }

    /** Black on light colours, white on dark ones. */
    static Scalar textColour(int rgb) {
        double luminance = 0.299 * ((rgb >> 16) & 0xff) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
        return luminance > 150 ? new Scalar(0, 0, 0, 0) : new Scalar(255, 255, 255, 0);
    }
}
