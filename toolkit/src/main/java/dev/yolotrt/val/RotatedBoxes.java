package dev.yolotrt.val;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.RotatedRect;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC2;
import static org.bytedeco.opencv.global.opencv_imgproc.minAreaRect;

/** Ultralytics' xyxyxyxy2xywhr: four corners to centre, size and angle through OpenCV's minimum-area rectangle. */
final class RotatedBoxes {
    private RotatedBoxes() {
    }

    /** x, y, w, h, angle (radians) of the rectangle around {@code xy} (x1, y1 ... x4, y4). */
    static float[] fromCorners(float[] xy) {
        try (Mat pts = new Mat(4, 1, CV_32FC2)) {
            new FloatPointer(pts.data()).put(xy);
            RotatedRect r = minAreaRect(pts);
            return new float[] {r.center().x(), r.center().y(), r.size().width(), r.size().height(), (float) (r.angle() / 180 * Math.PI)};
        }
    }
}
