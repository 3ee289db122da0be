package dev.yolotrt.track;

import dev.yolotrt.backend.DeviceFlow;
import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.global.opencv_video;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.TermCriteria;
import org.bytedeco.opencv.opencv_video.SparsePyrLKOpticalFlow;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_calib3d.RANSAC;
import static org.bytedeco.opencv.global.opencv_calib3d.estimateAffinePartial2D;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC2;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.goodFeaturesToTrack;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * BoT-SORT's global motion compensation: how the camera moved since the last frame, as a 2×3 similarity transform.
 * {@code sparseOptFlow}: corners (Shi-Tomasi) of the half-size grey frame followed by pyramidal Lucas-Kanade into
 * the next one, then a RANSAC partial affine fit; too few points leave the identity. The work splits in a per-frame
 * step ({@link #prepare}) and a pair step ({@link #between}) so that a video can compute them ahead on other threads
 * ({@link MotionAhead}), where the corners and the optical flow may run on a GPU ({@link DeviceFlow}, the same bits as
 * OpenCV's CPU code); {@link #apply} runs both serially on the CPU and holds the previous frame.
 */
final class Gmc implements AutoCloseable {
    static final List<String> METHODS = List.of("sparseoptflow", "none");
    private static final double[] IDENTITY = {1, 0, 0, 0, 1, 0};
    private static final int DOWNSCALE = 2;
    /** calcOpticalFlowPyrLK's defaults, which Ultralytics keeps: 21×21 windows, 3 levels, 30 iterations or 0.01 px. */
    private static final int WIN_SIDE = 21, LEVELS = 3;
    private static final double MIN_EIGEN = 1e-4;
    private static final Size WIN = new Size(WIN_SIDE, WIN_SIDE);
    private static final TermCriteria CRITERIA = new TermCriteria(TermCriteria.COUNT + TermCriteria.EPS, 30, 0.01);

    /** One frame's half-size grey image, its corners and, when the flow runs on a GPU, its pyramid there; owns them. */
    static final class Prepared implements AutoCloseable {
        final Mat small;
        final Mat points;
        final DeviceFlow.Frame device;

        private Prepared(Mat small, Mat points, DeviceFlow.Frame device) {
            this.small = small;
            this.points = points;
            this.device = device;
        }

        @Override
        public void close() {
            if (device != null) device.close();
            points.close();
            small.close();
        }
    }

    private final boolean enabled;
    private Prepared prev;

    Gmc(String method) {
        this.enabled = enabled(method);
        if (enabled) requireOpenCvVideo();
    }

    /**
     * Loads OpenCV's video module (its optical flow), or says in one line why it cannot: its native library comes with
     * highgui's, which links GTK 2, absent from headless systems (otherwise the first frame fails with "Could not
     * initialize class ...").
     */
    static void requireOpenCvVideo() {
        try {
            Loader.load(opencv_video.class);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new YoloException("BoT-SORT's camera motion needs OpenCV's video module, whose native libraries did not load ("
                    + e.getMessage() + "); install GTK 2 (Debian/Ubuntu: apt-get install libgtk2.0-0), or set gmc_method: none in the"
                    + " tracker YAML, or use tracker=bytetrack.yaml");
        }
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
        Prepared cur = prepare(bgr, null);
        double[] h = prev == null ? IDENTITY.clone() : between(prev, cur, null);
        close();
        prev = cur;
        return h;
    }

    /**
     * The per-frame step: grey and half size on the CPU, then the corners on the CPU, or on the GPU with the frame's
     * pyramid when {@code flow} is given (the same corners, see {@link DeviceFlow}). Thread-safe.
     */
    static Prepared prepare(Mat bgr, DeviceFlow flow) {
        // A frame narrower or lower than 2 px has no half-size image (OpenCV's resize refuses one; Ultralytics stops there):
        // no corners, so no motion.
        if (bgr.cols() < DOWNSCALE || bgr.rows() < DOWNSCALE) return new Prepared(new Mat(), new Mat(), null);
        Mat gray = new Mat();
        cvtColor(bgr, gray, COLOR_BGR2GRAY);
        Mat small = new Mat();
        try (Size size = new Size(bgr.cols() / DOWNSCALE, bgr.rows() / DOWNSCALE)) {
            resize(gray, small, size, 0, 0, INTER_LINEAR);
        }
        gray.close();
        if (flow == null) {
            Mat points = new Mat();
            try (Mat mask = new Mat()) {
                // Ultralytics asks for minDistance=1, which rejects a corner closer than 1 px to a stronger one: corners sit
                // on distinct integer pixels, at least 1 px apart, so none is ever rejected. OpenCV checks it on a grid of
                // one cell per pixel (half a million vectors at 960×540, every frame); 0 skips that grid, same corners.
                goodFeaturesToTrack(small, points, 1000, 0.01, 0, mask, 3, false, 0.04);
            }
            return new Prepared(small, points, null);
        }
        DeviceFlow.Frame device;
        try {
            device = flow.frame(small.data(), small.step(), small.cols(), small.rows());
        } catch (RuntimeException e) {
            small.close();
            throw e;
        }
        float[] xy = device.corners();
        Mat points = xy.length == 0 ? new Mat() : new Mat(xy.length / 2, 1, CV_32FC2);
        if (xy.length > 0) ((FloatBuffer) points.createBuffer()).put(xy);
        return new Prepared(small, points, device);
    }

    /**
     * The pair step: the transform from {@code prevFrame} to {@code cur}; reads both, changes neither. The flow runs on the
     * GPU when both frames have their pyramid there ({@code flow} given to both), on the CPU otherwise: the same bits.
     * Thread-safe.
     */
    static double[] between(Prepared prevFrame, Prepared cur, DeviceFlow flow) {
        double[] h = IDENTITY.clone();
        Mat prevSmall = prevFrame.small, prevPoints = prevFrame.points, small = cur.small;
        // A frame of another size (images tracked one after another) starts over: there is no motion to estimate.
        boolean sameSize = prevSmall.cols() == small.cols() && prevSmall.rows() == small.rows();
        if (!sameSize || prevPoints.empty()) return h;
        int n = (int) prevPoints.total();
        FloatBuffer from = prevPoints.createBuffer();
        float[] to = new float[2 * n];
        byte[] status = new byte[n];
        if (flow != null && prevFrame.device != null && cur.device != null) flow.track(prevFrame.device, cur.device, from, n, to, status);
        else flowOnCpu(prevSmall, small, prevPoints, to, status);
        int[] kept = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            boolean tracked = status[i] != 0 && insideMargin(to[2 * i], to[2 * i + 1], small.cols(), small.rows());
            if (tracked) kept[k++] = i;
        }
        if (k <= 4) return h;
        try (Mat a = fit(from, to, kept, k)) {
            if (!a.empty()) {
                DoubleIndexer ai = a.createIndexer();
                h = new double[] {ai.get(0, 0), ai.get(0, 1), ai.get(0, 2) * DOWNSCALE, ai.get(1, 0), ai.get(1, 1), ai.get(1, 2) * DOWNSCALE};
            }
        }
        return h;
    }

    /**
     * OpenCV's calcOpticalFlowPyrLK with its defaults, as Ultralytics calls it, but without the per-point errors it
     * computes and Ultralytics drops (a scalar pass over each window, 5-8 % of the flow's time).
     */
    private static void flowOnCpu(Mat prevSmall, Mat small, Mat prevPoints, float[] to, byte[] status) {
        try (Mat next = new Mat(); Mat st = new Mat()) {
            // A new object each time: calc squares the object's own epsilon on every call.
            try (SparsePyrLKOpticalFlow flow = SparsePyrLKOpticalFlow.create(WIN, LEVELS, CRITERIA, 0, MIN_EIGEN)) {
                flow.calc(prevSmall, small, prevPoints, next, st);
            }
            ((FloatBuffer) next.createBuffer()).get(to);
            ((ByteBuffer) st.createBuffer()).get(status);
        }
    }

    /**
     * Whether a tracked point's final window starts within the level-0 image's margin: asked for errors, OpenCV's
     * flow measures the error there and drops the point (status 0) when the window starts left of or above one
     * window's width outside the image, or beyond it; without errors that check is ours. The arithmetic is OpenCV's:
     * the float point minus half a window, floored (NaN floors outside, as on x86).
     */
    static boolean insideMargin(float x, float y, int cols, int rows) {
        float half = (WIN_SIDE - 1) * 0.5f;
        float wx = x - half, wy = y - half;
        if (Float.isNaN(wx) || Float.isNaN(wy)) return false;
        int ix = (int) Math.floor(wx), iy = (int) Math.floor(wy);
        return ix >= -WIN_SIDE && ix < cols && iy >= -WIN_SIDE && iy < rows;
    }

    /** Ultralytics' fit of the kept pairs: RANSAC partial affine with OpenCV's defaults (threshold 3, 2000 iterations). */
    private static Mat fit(FloatBuffer from, float[] to, int[] kept, int k) {
        try (Mat src = new Mat(k, 1, CV_32FC2); Mat dst = new Mat(k, 1, CV_32FC2); Mat inliers = new Mat()) {
            FloatBuffer s = src.createBuffer(), d = dst.createBuffer();
            for (int j = 0; j < k; j++) {
                int i = kept[j];
                s.put(2 * j, from.get(2 * i)).put(2 * j + 1, from.get(2 * i + 1));
                d.put(2 * j, to[2 * i]).put(2 * j + 1, to[2 * i + 1]);
            }
            return estimateAffinePartial2D(src, dst, inliers, RANSAC, 3, 2000, 0.99, 10);
        }
    }

    @Override
    public void close() {
        if (prev != null) prev.close();
        prev = null;
    }
}
