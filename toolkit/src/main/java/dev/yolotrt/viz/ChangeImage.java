package dev.yolotrt.viz;

import dev.yolotrt.data.Images;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;

/** An image with the detections one engine lost (red) and another added (green) against a reference, for a gallery. */
public final class ChangeImage {

    private static final int LOST = 0xE53935, ADDED = 0x43A047;

    private ChangeImage() {
    }

    /** {@code image} with the lost and added boxes (x1 y1 x2 y2 each, original pixels) and their labels, at most 640 pixels wide or high. */
    public static BufferedImage of(Path image, float[] lostXyxy, String[] lostLabels, float[] addedXyxy, String[] addedLabels) {
        try (Mat bgr = Images.read(image)) {
            int lw = Math.max((int) Math.round((bgr.cols() + bgr.rows()) / 2.0 * 0.003), 2);
            draw(bgr, lostXyxy, lostLabels, LOST, "lost ", lw);
            draw(bgr, addedXyxy, addedLabels, ADDED, "added ", lw);
            try (Mat small = Annotator.fit(bgr, 640)) {
                return Images.toBufferedImage(small);
            }
        }
    }

    private static void draw(Mat bgr, float[] xyxy, String[] labels, int rgb, String prefix, int lw) {
        for (int i = 0; i < labels.length; i++) {
            Point p1 = new Point((int) xyxy[4 * i], (int) xyxy[4 * i + 1]);
            rectangle(bgr, p1, new Point((int) xyxy[4 * i + 2], (int) xyxy[4 * i + 3]), Annotator.bgr(rgb), lw, LINE_AA, 0);
            Annotator.label(bgr, p1.x(), p1.y(), prefix + labels[i], rgb, lw);
        }
    }
}
