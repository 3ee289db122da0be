package dev.yolotrt.data;

import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGRA2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

/**
 * An image's 8-bit BGR pixels on the Java heap, row after row: what a result keeps of a source that cannot be read
 * again (a video frame, a Mat or BufferedImage given in memory, a download), so that it holds no native memory and
 * the collector alone frees it. Immutable: {@link #toMat} copies the pixels out.
 */
public final class Pixels {
    private final int width;
    private final int height;
    private final byte[] bgr;

    private Pixels(int width, int height, byte[] bgr) {
        this.width = width;
        this.height = height;
        this.bgr = bgr;
    }

    /** A copy of {@code image} (8-bit BGR; grey and BGRA are converted), which the caller keeps owning. */
    public static Pixels of(Mat image) {
        if (image.depth() != CV_8U || image.channels() != 1 && image.channels() != 3 && image.channels() != 4) {
            throw new YoloException("an image of OpenCV type " + image.type() + " cannot be kept; give 8-bit BGR, BGRA or grey images");
        }
        Mat bgr = image.channels() == 3 && image.isContinuous() ? image : new Mat();
        try {
            if (image.channels() == 3 && bgr != image) image.copyTo(bgr);
            else if (bgr != image) cvtColor(image, bgr, image.channels() == 1 ? COLOR_GRAY2BGR : COLOR_BGRA2BGR);
            byte[] px = new byte[Math.multiplyExact(Math.multiplyExact(bgr.cols(), bgr.rows()), 3)];
            bgr.data().get(px);
            return new Pixels(bgr.cols(), bgr.rows(), px);
        } finally {
            if (bgr != image) bgr.close();
        }
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The pixels as a new BGR Mat the caller owns (and closes). */
    public Mat toMat() {
        Mat m = new Mat(height, width, CV_8UC3);
        new BytePointer(m.data()).capacity(bgr.length).put(bgr);
        return m;
    }
}
