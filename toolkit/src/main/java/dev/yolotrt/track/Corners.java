package dev.yolotrt.track;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;

import static org.bytedeco.opencv.global.opencv_core.BORDER_DEFAULT;
import static org.bytedeco.opencv.global.opencv_core.CMP_EQ;
import static org.bytedeco.opencv.global.opencv_core.CMP_GT;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC2;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.bitwise_and;
import static org.bytedeco.opencv.global.opencv_core.compare;
import static org.bytedeco.opencv.global.opencv_core.findNonZero;
import static org.bytedeco.opencv.global.opencv_core.minMaxLoc;
import static org.bytedeco.opencv.global.opencv_imgproc.THRESH_TOZERO;
import static org.bytedeco.opencv.global.opencv_imgproc.cornerMinEigenVal;
import static org.bytedeco.opencv.global.opencv_imgproc.dilate;
import static org.bytedeco.opencv.global.opencv_imgproc.goodFeaturesToTrack;
import static org.bytedeco.opencv.global.opencv_imgproc.threshold;

/**
 * Shi-Tomasi corners exactly as OpenCV's {@code goodFeaturesToTrack(image, maxCorners, quality, minDistance 0,
 * no mask, blockSize 3, gradientSize 3, no Harris)} returns them, in the same order, with its buffers kept from one
 * frame to the next. OpenCV's own call allocates and frees about 12 MB of temporaries a 960×540 frame, which glibc
 * hands back to the kernel and faults in again every frame (3,000 page faults, half the call's time). The steps are
 * OpenCV's: minimum eigenvalues, zero below {@code quality} × their maximum, 3×3 local maxima off the image border;
 * then the strongest first, equal values in reverse raster order as OpenCV's sort breaks ties (by address).
 * One instance per thread.
 */
final class Corners implements AutoCloseable {
    private static final int BLOCK = 3, GRADIENT = 3;

    private final Mat eig = new Mat();
    private final Mat dilated = new Mat();
    private final Mat equal = new Mat();
    private final Mat positive = new Mat();
    private final Mat locations = new Mat();
    private final Mat kernel = new Mat();
    private final Mat zero = new Mat(1, 1, CV_64F, Scalar.all(0));
    private final double[] max = new double[1];
    private long[] keys = new long[0];

    /** The corners of {@code gray} (8-bit, one channel) as an n×1 CV_32FC2 Mat, empty when there are none; the caller owns it. */
    Mat find(Mat gray, int maxCorners, double quality) {
        int w = gray.cols(), h = gray.rows();
        if (w >= 3 && h >= 3) {
            cornerMinEigenVal(gray, eig, BLOCK, GRADIENT, BORDER_DEFAULT);
            minMaxLoc(eig, null, max, null, null, null);
        }
        if (w < 3 || h < 3 || !(max[0] > 0)) {
            // No inner pixel, or no positive eigenvalue (a flat image: the threshold keeps negative values, which the
            // keys below do not order). Rare and cheap: OpenCV's own call.
            Mat points = new Mat();
            try (Mat noMask = new Mat()) {
                goodFeaturesToTrack(gray, points, maxCorners, quality, 0, noMask, BLOCK, GRADIENT, false, 0.04);
            }
            return points;
        }
        threshold(eig, eig, max[0] * quality, 0, THRESH_TOZERO);
        dilate(eig, dilated, kernel);
        // Candidates: positive (everything the threshold kept) and the maximum of their 3×3 neighbourhood.
        compare(eig, dilated, equal, CMP_EQ);
        compare(eig, zero, positive, CMP_GT);
        bitwise_and(equal, positive, equal);
        try (Mat inner = equal.apply(new Rect(1, 1, w - 2, h - 2))) {
            findNonZero(inner, locations);
        }
        int n = (int) locations.total();
        if (keys.length < n) keys = new long[Math.max(n, keys.length * 2)];
        FloatBuffer values = eig.createBuffer();
        IntBuffer xy = n == 0 ? null : locations.createBuffer();
        int stride = (int) (eig.step() / Float.BYTES);
        for (int i = 0; i < n; i++) {
            int x = xy.get(2 * i) + 1, y = xy.get(2 * i + 1) + 1;
            // Positive floats order as their bits; raster index below them breaks ties (higher first, as OpenCV).
            keys[i] = (long) Float.floatToRawIntBits(values.get(y * stride + x)) << 32 | (long) y * w + x;
        }
        Arrays.sort(keys, 0, n);
        int m = Math.min(n, maxCorners > 0 ? maxCorners : n);
        if (m == 0) return new Mat();
        Mat points = new Mat(m, 1, CV_32FC2);
        FloatBuffer out = points.createBuffer();
        for (int i = 0; i < m; i++) {
            int index = (int) keys[n - 1 - i];
            out.put(2 * i, index % w);
            out.put(2 * i + 1, index / w);
        }
        return points;
    }

    @Override
    public void close() {
        for (Mat m : new Mat[] {zero, kernel, locations, positive, equal, dilated, eig}) m.close();
    }
}
