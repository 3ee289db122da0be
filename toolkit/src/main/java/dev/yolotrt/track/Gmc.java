package dev.yolotrt.track;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacpp.indexer.UByteIndexer;

import java.util.List;

import static org.bytedeco.opencv.global.opencv_calib3d.RANSAC;
import static org.bytedeco.opencv.global.opencv_calib3d.estimateAffinePartial2D;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC2;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.bytedeco.opencv.global.opencv_video.calcOpticalFlowPyrLK;

/**
 * BoT-SORT's global motion compensation: how the camera moved since the last frame, as a 2×3 similarity transform.
 * {@code sparseOptFlow}: corners (Shi-Tomasi) of the half-size grey frame followed by pyramidal Lucas-Kanade into
 * the next one, then a RANSAC partial affine fit; too few points leave the identity. The work splits in a per-frame
 * step ({@link #prepare}) and a pair step ({@link #between}) so that a video can compute them ahead on other threads
 * ({@link MotionAhead}); {@link #apply} runs both serially and holds the previous frame.
 */
final class Gmc implements AutoCloseable {
    static final List<String> METHODS = List.of("sparseoptflow", "none");
    private static final double[] IDENTITY = {1, 0, 0, 0, 1, 0};
    private static final int DOWNSCALE = 2;
    private static final int MAX_CORNERS = 1000;
    private static final double QUALITY = 0.01;

    /** One frame's half-size grey image and its corners; owns both. */
    static final class Prepared implements AutoCloseable {
        final Mat small;
        final Mat points;

        private Prepared(Mat small, Mat points) {
            this.small = small;
            this.points = points;
        }

        @Override
        public void close() {
            points.close();
            small.close();
        }
    }

    /** What one thread reuses from frame to frame: the full-size grey image and the corner search's buffers. */
    static final class Workspace implements AutoCloseable {
        private final Mat gray = new Mat();
        private final Corners corners = new Corners();

        @Override
        public void close() {
            corners.close();
            gray.close();
        }
    }

    private final boolean enabled;
    private Prepared prev;
    private Workspace workspace;

    Gmc(String method) {
        this.enabled = enabled(method);
    }

    static boolean enabled(String method) {
        return method.equalsIgnoreCase("sparseOptFlow");
    }

    static double[] identity() {
        return IDENTITY.clone();
    }

    /** The transform from the previous frame to {@code bgr} (identity on the first frame). */
    double[] apply(Mat bgr) {
        if (!enabled || bgr == null) return IDENTITY.clone();
        if (workspace == null) workspace = new Workspace();
        Prepared cur = prepare(bgr, workspace);
        double[] h = prev == null ? IDENTITY.clone() : between(prev, cur);
        if (prev != null) prev.close();
        prev = cur;
        return h;
    }

    /** The per-frame step: grey, half size, corners, with one thread's {@code workspace}. Thread-safe across workspaces. */
    static Prepared prepare(Mat bgr, Workspace workspace) {
        cvtColor(bgr, workspace.gray, COLOR_BGR2GRAY);
        Mat small = new Mat();
        try (Size size = new Size(bgr.cols() / DOWNSCALE, bgr.rows() / DOWNSCALE)) {
            resize(workspace.gray, small, size, 0, 0, INTER_LINEAR);
        }
        // Ultralytics asks for minDistance=1, which rejects a corner closer than 1 px to a stronger one: corners sit on
        // distinct integer pixels, at least 1 px apart, so none is ever rejected, and Corners (minDistance 0) finds the same.
        return new Prepared(small, workspace.corners.find(small, MAX_CORNERS, QUALITY));
    }

    /** The pair step: the transform from {@code prevFrame} to {@code cur}; reads both, changes neither. Thread-safe. */
    static double[] between(Prepared prevFrame, Prepared cur) {
        double[] h = IDENTITY.clone();
        Mat prevSmall = prevFrame.small, prevPoints = prevFrame.points, small = cur.small;
        // A frame of another size (images tracked one after another) starts over: there is no motion to estimate.
        boolean sameSize = prevSmall.cols() == small.cols() && prevSmall.rows() == small.rows();
        if (sameSize && !prevPoints.empty()) {
            try (Mat next = new Mat(); Mat status = new Mat(); Mat err = new Mat()) {
                calcOpticalFlowPyrLK(prevSmall, small, prevPoints, next, status, err);
                int n = (int) status.total();
                UByteIndexer st = status.createIndexer();
                FloatIndexer pi = prevPoints.createIndexer(), ni = next.createIndexer();
                int kept = 0;
                for (int i = 0; i < n; i++) if (st.get(i) != 0) kept++;
                if (kept > 4) {
                    try (Mat from = new Mat(kept, 1, CV_32FC2); Mat to = new Mat(kept, 1, CV_32FC2); Mat inliers = new Mat()) {
                        FloatIndexer fi = from.createIndexer(), ti = to.createIndexer();
                        for (int i = 0, k = 0; i < n; i++) {
                            if (st.get(i) == 0) continue;
                            fi.put(k, 0, 0, pi.get(i, 0, 0));
                            fi.put(k, 0, 1, pi.get(i, 0, 1));
                            ti.put(k, 0, 0, ni.get(i, 0, 0));
                            ti.put(k, 0, 1, ni.get(i, 0, 1));
                            k++;
                        }
                        try (Mat a = estimateAffinePartial2D(from, to, inliers, RANSAC, 3, 2000, 0.99, 10)) {
                            if (!a.empty()) {
                                DoubleIndexer ai = a.createIndexer();
                                h = new double[] {ai.get(0, 0), ai.get(0, 1), ai.get(0, 2) * DOWNSCALE, ai.get(1, 0), ai.get(1, 1),
                                        ai.get(1, 2) * DOWNSCALE};
                            }
                        }
                    }
                }
            }
        }
        return h;
    }

    /** Forgets the previous frame and frees the buffers; a later {@link #apply} starts over. */
    @Override
    public void close() {
        if (prev != null) prev.close();
        prev = null;
        if (workspace != null) workspace.close();
        workspace = null;
    }
}
