package dev.yolotrt.track;

import dev.yolotrt.video.VideoSource;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import static org.bytedeco.opencv.global.opencv_calib3d.RANSAC;
import static org.bytedeco.opencv.global.opencv_calib3d.estimateAffinePartial2D;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.goodFeaturesToTrack;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.bytedeco.opencv.global.opencv_video.buildOpticalFlowPyramid;
import static org.bytedeco.opencv.global.opencv_video.calcOpticalFlowPyrLK;

/**
 * Not a test: a timing harness for BoT-SORT's motion compensation on the CPU (run by hand and by
 * scripts/gpu-botsort-check.sh). {@code GmcProfile VIDEO [FRAMES] [POOL_THREADS...]} prints the cost of each OpenCV
 * step of one frame on one thread (OpenCV's own threads off, then on), the whole per-frame and pair steps, and the
 * frames/s of {@link MotionAhead} on pools of the given sizes with OpenCV's threads as the pipeline sets them.
 * It also checks that the transforms equal those of the plain Ultralytics order of calls (grey, resize, corners,
 * LK on the two images, fit) on every frame, bit for bit. {@code -Dgpu=N}: MotionAhead's corners and optical flow on
 * GPU N, its transforms checked against the CPU's likewise.
 */
public final class GmcProfile {
    private static final OptionalInt GPU = Integer.getInteger("gpu") == null ? OptionalInt.empty() : OptionalInt.of(Integer.getInteger("gpu"));

    private GmcProfile() {
    }

    public static void main(String[] args) throws Exception {
        String video = args[0];
        int frames = args.length > 1 ? Integer.parseInt(args[1]) : 120;
        List<Mat> images = new ArrayList<>();
        try (VideoSource v = VideoSource.open(video, 5000)) {
            for (VideoSource.Frame f; images.size() < frames && (f = v.next()) != null; ) images.add(f.image());
        }
        int defaultThreads = opencv_core.getNumThreads();
        System.out.printf(Locale.ROOT, "%s: %d frames %dx%d, %d cores, OpenCV threads %d%n", video, images.size(), images.get(0).cols(),
                images.get(0).rows(), Runtime.getRuntime().availableProcessors(), defaultThreads);

        List<double[]> plain = plain(images);
        List<double[]> serial = new ArrayList<>();
        try (Gmc gmc = new Gmc("sparseOptFlow")) {
            for (Mat m : images) serial.add(gmc.apply(m));
        }
        int same = 0;
        for (int i = 0; i < images.size(); i++) if (Arrays.equals(plain.get(i), serial.get(i))) same++;
        System.out.printf(Locale.ROOT, "transforms equal to the plain order of calls: %d / %d%n", same, images.size());

        // The first pass warms up (code, allocator); on one OpenCV thread the costs are the calling thread's CPU time.
        for (int threads : new int[] {1, 1, defaultThreads}) {
            opencv_core.setNumThreads(threads);
            steps(images, threads);
        }
        opencv_core.setNumThreads(defaultThreads);

        for (int k = 2; k < args.length; k++) {
            int poolThreads = Integer.parseInt(args[k]);
            ahead(images, poolThreads, serial);
        }
        images.forEach(Mat::close);
    }

    /** Ultralytics' order of calls, nothing reused: the reference the optimised steps must equal. */
    static List<double[]> plain(List<Mat> images) {
        List<double[]> out = new ArrayList<>();
        Mat prev = null, prevPts = null;
        for (Mat bgr : images) {
            Mat gray = new Mat(), small = new Mat(), pts = new Mat();
            cvtColor(bgr, gray, COLOR_BGR2GRAY);
            resize(gray, small, new Size(bgr.cols() / 2, bgr.rows() / 2), 0, 0, INTER_LINEAR);
            goodFeaturesToTrack(small, pts, 1000, 0.01, 1, new Mat(), 3, false, 0.04);
            double[] h = {1, 0, 0, 0, 1, 0};
            if (prev != null && !prevPts.empty()) {
                Mat next = new Mat(), status = new Mat(), err = new Mat();
                calcOpticalFlowPyrLK(prev, small, prevPts, next, status, err);
                var st = status.<org.bytedeco.javacpp.indexer.UByteIndexer>createIndexer();
                var pi = prevPts.<org.bytedeco.javacpp.indexer.FloatIndexer>createIndexer();
                var ni = next.<org.bytedeco.javacpp.indexer.FloatIndexer>createIndexer();
                List<float[]> kept = new ArrayList<>();
                for (int i = 0; i < status.total(); i++) {
                    if (st.get(i) != 0) kept.add(new float[] {pi.get(i, 0, 0), pi.get(i, 0, 1), ni.get(i, 0, 0), ni.get(i, 0, 1)});
                }
                if (kept.size() > 4) {
                    Mat from = new Mat(kept.size(), 1, opencv_core.CV_32FC2), to = new Mat(kept.size(), 1, opencv_core.CV_32FC2);
                    var fi = from.<org.bytedeco.javacpp.indexer.FloatIndexer>createIndexer();
                    var ti = to.<org.bytedeco.javacpp.indexer.FloatIndexer>createIndexer();
                    for (int k = 0; k < kept.size(); k++) {
                        float[] p = kept.get(k);
                        fi.put(k, 0, 0, p[0]);
                        fi.put(k, 0, 1, p[1]);
                        ti.put(k, 0, 0, p[2]);
                        ti.put(k, 0, 1, p[3]);
                    }
                    Mat a = estimateAffinePartial2D(from, to, new Mat(), RANSAC, 3, 2000, 0.99, 10);
                    if (!a.empty()) {
                        var ai = a.<org.bytedeco.javacpp.indexer.DoubleIndexer>createIndexer();
                        h = new double[] {ai.get(0, 0), ai.get(0, 1), ai.get(0, 2) * 2, ai.get(1, 0), ai.get(1, 1), ai.get(1, 2) * 2};
                    }
                }
            }
            out.add(h);
            prev = small;
            prevPts = pts;
        }
        return out;
    }

    /** Each step of the motion compensation, timed alone over the frames (ms per frame), and the page faults of the per-frame step. */
    private static void steps(List<Mat> images, int cvThreads) {
        int n = images.size();
        List<Mat> smalls = new ArrayList<>(), points = new ArrayList<>();
        List<MatVector> pyramids = new ArrayList<>();
        Mat grey = new Mat();
        double gray = time(() -> {
            for (Mat m : images) cvtColor(m, grey, COLOR_BGR2GRAY);
            return null;
        });
        double down = time(() -> {
            for (Mat m : images) {
                cvtColor(m, grey, COLOR_BGR2GRAY);
                Mat s = new Mat();
                resize(grey, s, new Size(grey.cols() / 2, grey.rows() / 2), 0, 0, INTER_LINEAR);
                smalls.add(s);
            }
            return null;
        }) - gray;
        grey.close();
        double corners = time(() -> {
            for (Mat s : smalls) {
                Mat p = new Mat();
                goodFeaturesToTrack(s, p, 1000, 0.01, 1, new Mat(), 3, false, 0.04);
                points.add(p);
            }
            return null;
        });
        int[] sameCorners = {0};
        double corners0 = time(() -> {
            for (int i = 0; i < n; i++) {
                try (Mat p = new Mat(); Mat noMask = new Mat()) {
                    goodFeaturesToTrack(smalls.get(i), p, 1000, 0.01, 0, noMask, 3, false, 0.04);
                    if (sameMat(p, points.get(i))) sameCorners[0]++;
                }
            }
            return null;
        });
        double pyr = time(() -> {
            for (Mat s : smalls) {
                MatVector v = new MatVector();
                buildOpticalFlowPyramid(s, v, new Size(21, 21), 3, true, org.bytedeco.opencv.global.opencv_core.BORDER_REFLECT_101,
                        org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT, true);
                pyramids.add(v);
            }
            return null;
        });
        List<Mat> nexts = new ArrayList<>(), statuses = new ArrayList<>();
        double lkImages = time(() -> {
            for (int i = 1; i < n; i++) {
                Mat next = new Mat(), status = new Mat(), err = new Mat();
                calcOpticalFlowPyrLK(smalls.get(i - 1), smalls.get(i), points.get(i - 1), next, status, err);
                nexts.add(next);
                statuses.add(status);
            }
            return null;
        });
        double lkNoErrors = time(() -> {
            for (int i = 1; i < n; i++) {
                try (Mat next = new Mat(); Mat status = new Mat(); Size win = new Size(21, 21);
                     org.bytedeco.opencv.opencv_core.TermCriteria crit = new org.bytedeco.opencv.opencv_core.TermCriteria(3, 30, 0.01);
                     org.bytedeco.opencv.opencv_video.SparsePyrLKOpticalFlow flow =
                             org.bytedeco.opencv.opencv_video.SparsePyrLKOpticalFlow.create(win, 3, crit, 0, 1e-4)) {
                    flow.calc(smalls.get(i - 1), smalls.get(i), points.get(i - 1), next, status);
                }
            }
            return null;
        });
        double fit = time(() -> {
            for (int i = 1; i < n; i++) {
                try (Mat a = estimateAffinePartial2D(points.get(i - 1), nexts.get(i - 1), new Mat(), RANSAC, 3, 2000, 0.99, 10)) {
                    a.empty();
                }
            }
            return null;
        });
        List<Gmc.Prepared> prepared = new ArrayList<>();
        long[] prepareFaults = {0};
        double prepare = time(() -> {
            long f0 = minorFaults();
            for (Mat m : images) prepared.add(Gmc.prepare(m, null));
            prepareFaults[0] = minorFaults() - f0;
            return null;
        });
        double between = time(() -> {
            for (int i = 1; i < n; i++) Gmc.between(prepared.get(i - 1), prepared.get(i), null);
            return null;
        });
        int pts = 0;
        for (Mat p : points) pts += (int) p.total();
        System.out.printf(Locale.ROOT, "OpenCV threads %d, ms per frame (%s): grey %.3f, half size %.3f, corners goodFeaturesToTrack %.3f (%d a frame), "
                        + "corners minDistance 0 %.3f (same on %d / %d frames), pyramid with derivatives %.3f, "
                        + "LK (both pyramids built inside) %.3f, LK without errors %.3f, fit (all points) %.3f | Gmc.prepare %.3f (%d page faults a frame) + Gmc.between %.3f = %.3f%n",
                cvThreads, cvThreads <= 1 ? "CPU time" : "wall", gray / n, down / n, corners / n, pts / n, corners0 / n, sameCorners[0], n,
                pyr / n, lkImages / (n - 1), lkNoErrors / (n - 1), fit / (n - 1), prepare / n, prepareFaults[0] / n, between / (n - 1), prepare / n + between / (n - 1));
        prepared.forEach(Gmc.Prepared::close);
        for (List<Mat> l : List.of(smalls, points, nexts, statuses)) l.forEach(Mat::close);
        pyramids.forEach(MatVector::close);
    }

    /** Equal size, type and every element. */
    static boolean sameMat(Mat a, Mat b) {
        if (a.total() != b.total() || a.type() != b.type()) return false;
        if (a.total() == 0) return true;
        try (Mat d = new Mat()) {
            opencv_core.compare(a.reshape(1, 0), b.reshape(1, 0), d, opencv_core.CMP_NE);
            return opencv_core.countNonZero(d) == 0;
        }
    }

    /** The calling thread's minor page faults so far (Linux), 0 elsewhere. */
    private static long minorFaults() {
        return minorFaults("/proc/thread-self/stat");
    }

    private static long processMinorFaults() {
        return minorFaults("/proc/self/stat");
    }

    private static long minorFaults(String stat) {
        try {
            String s = java.nio.file.Files.readString(java.nio.file.Path.of(stat));
            return Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[7]);
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * {@link MotionAhead} on a pool: frames/s over the frames, three passes, the best; checked against the serial
     * transforms. Also the process's CPU time and page faults a frame over the passes: glibc hands freed blocks of
     * OpenCV's per-frame temporaries back to the kernel and faults them in again, which grows with the threads.
     */
    private static void ahead(List<Mat> images, int poolThreads, List<double[]> serial) {
        ExecutorService pool = Executors.newFixedThreadPool(poolThreads);
        try {
            double best = Double.MAX_VALUE;
            long faults0 = processMinorFaults(), cpu0 = processCpuNanos();
            for (int pass = 0; pass < 3; pass++) {
                long t0 = System.nanoTime();
                List<CompletableFuture<double[]>> out = new ArrayList<>();
                try (MotionAhead motion = MotionAhead.of("sparseOptFlow", pool, GPU)) {
                    for (Mat m : images) out.add(motion.next(CompletableFuture.completedFuture(m)));
                    for (int i = 0; i < images.size(); i++) {
                        if (!Arrays.equals(serial.get(i), out.get(i).join())) throw new IllegalStateException("frame " + i + " differs");
                    }
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
            }
            int frames = 3 * images.size();
            System.out.printf(Locale.ROOT, "MotionAhead" + (GPU.isPresent() ? " (corners and optical flow on GPU " + GPU.getAsInt() + ")" : "") + ", %d pool threads: %.0f frames/s (%.3f ms a frame); process CPU %.2f ms and %d page faults a frame%n",
                    poolThreads, images.size() / (best / 1000), best / images.size(), (processCpuNanos() - cpu0) / 1e6 / frames,
                    (processMinorFaults() - faults0) / frames);
        } finally {
            pool.shutdown();
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Milliseconds of the calling thread's CPU time with OpenCV on one thread (so unaffected by other processes), else wall time. */
    private static double time(Supplier<Void> work) {
        boolean cpu = opencv_core.getNumThreads() <= 1;
        long t0 = cpu ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
        work.get();
        return ((cpu ? THREADS.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e6;
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
}
