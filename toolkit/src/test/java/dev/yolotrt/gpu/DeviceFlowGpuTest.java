package dev.yolotrt.gpu;

import dev.yolotrt.backend.DeviceFlow;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.track.MotionAhead;
import dev.yolotrt.video.VideoSource;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.TermCriteria;
import org.bytedeco.opencv.opencv_video.SparsePyrLKOpticalFlow;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.goodFeaturesToTrack;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24: BoT-SORT's corners and optical flow on the GPU ({@code flow.cu}) against OpenCV's CPU
 * goodFeaturesToTrack and calcOpticalFlowPyrLK, called as Ultralytics calls them (grey, half size, corners, then LK
 * with its defaults). Every frame's corners must be OpenCV's, in its order; every point of every pair must have
 * OpenCV's status and, where found, its position to the bit; then the camera motion of {@link MotionAhead} with the GPU
 * must equal the CPU's for every frame. The same holds for noise (more candidates than the first copy brings back) and
 * for pairs on several threads whose pyramids are reused while builds are still queued. Prints ISSUE24 lines with the
 * counts and the times per frame and pair.
 */
@Tag("gpu")
class DeviceFlowGpuTest {
    private static final int FRAMES = 300;

    @ParameterizedTest
    @ValueSource(strings = {"vtest.avi", "vtest-1080p.mp4", "Megamind.avi", "cup.mp4"})
    void flowAndMotionEqualOpenCvs(String name) {
        String videos = System.getenv("VIDEOS");
        Path video = videos != null ? Path.of(videos, name) : Shared.video(name);
        assertTrue(Files.isRegularFile(video), video + " not found");
        List<Mat> frames = new ArrayList<>();
        try (VideoSource v = VideoSource.open(video.toString(), 10_000)) {
            for (VideoSource.Frame f; frames.size() < FRAMES && (f = v.next()) != null; ) frames.add(f.image());
        }
        try {
            flowEqualsOpenCvs(name, frames);
            List<double[]> cpu = motion(frames, OptionalInt.empty()), gpu = motion(frames, OptionalInt.of(0));
            int same = 0;
            for (int i = 0; i < frames.size(); i++) if (Arrays.equals(cpu.get(i), gpu.get(i))) same++;
            System.out.printf(Locale.ROOT, "ISSUE24 motion %s: %d of %d transforms equal with the flow on the GPU%n", name, same, frames.size());
            for (int i = 0; i < frames.size(); i++) assertArrayEquals(cpu.get(i), gpu.get(i), name + ": transform of frame " + i);
        } finally {
            frames.forEach(Mat::close);
        }
    }

    /**
     * Noise: tens of thousands of candidate corners a frame, more than the first copy brings back (the rest comes in a
     * second one), and plateaus of equal strength; the corners must still be OpenCV's, in its order.
     */
    @Test
    void noiseCornersEqualOpenCvs() {
        java.util.Random random = new java.util.Random(24);
        try (DeviceFlow flow = DeviceFlow.open(0); Mat mask = new Mat()) {
            for (int[] size : new int[][] {{960, 540}, {1920, 1080}, {37, 23}}) {
                byte[] noise = new byte[size[0] * size[1]];
                random.nextBytes(noise);
                try (Mat grey = new Mat(size[1], size[0], org.bytedeco.opencv.global.opencv_core.CV_8UC1); Mat want = new Mat()) {
                    ((ByteBuffer) grey.createBuffer()).put(noise);
                    goodFeaturesToTrack(grey, want, 1000, 0.01, 1, mask, 3, false, 0.04);
                    int candidates = candidates(grey);
                    float[] w = new float[(int) (2 * want.total())];
                    ((FloatBuffer) want.createBuffer()).get(w);
                    try (DeviceFlow.Frame f = flow.frame(grey.data(), grey.step(), grey.cols(), grey.rows())) {
                        assertArrayEquals(w, f.corners(), size[0] + "x" + size[1] + " noise: corners");
                    }
                    System.out.printf(Locale.ROOT, "ISSUE24 corners of %dx%d noise: %d candidates, the %d corners OpenCV's in its order%n",
                            size[0], size[1], candidates, w.length / 2);
                    if (size[0] >= 960) assertTrue(candidates > 8192, candidates + " candidates: the second copy is not exercised");
                }
            }
        }
    }

    /**
     * Pairs on 4 threads at once, each frame built for its pair and closed after it, with a frame of noise built and
     * closed at once before each: pyramids go back to the pool and out again while their builds are still queued on
     * other lanes. Every point must still be OpenCV's.
     */
    @Test
    void pyramidsReusedWhileBuildsAreQueued() throws Exception {
        String videos = System.getenv("VIDEOS");
        Path video = videos != null ? Path.of(videos, "vtest.avi") : Shared.video("vtest.avi");
        List<Mat> small = new ArrayList<>();
        try (VideoSource v = VideoSource.open(video.toString(), 10_000)) {
            for (VideoSource.Frame f; small.size() < 60 && (f = v.next()) != null; ) {
                try (Mat bgr = f.image()) {
                    small.add(half(bgr));
                }
            }
        }
        byte[] noise = new byte[small.get(0).cols() * small.get(0).rows()];
        new java.util.Random(7).nextBytes(noise);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (DeviceFlow flow = DeviceFlow.open(0); Mat mask = new Mat();
             Mat junk = new Mat(small.get(0).rows(), small.get(0).cols(), org.bytedeco.opencv.global.opencv_core.CV_8UC1)) {
            ((ByteBuffer) junk.createBuffer()).put(noise);
            List<java.util.concurrent.Future<Integer>> pairs = new ArrayList<>();
            for (int k = 1; k < small.size(); k++) {
                Mat a = small.get(k - 1), b = small.get(k);
                pairs.add(pool.submit(() -> {
                    try (Mat corners = new Mat(); Mat next = new Mat(); Mat status = new Mat();
                         SparsePyrLKOpticalFlow lk = SparsePyrLKOpticalFlow.create(new Size(21, 21), 3,
                                 new TermCriteria(TermCriteria.COUNT + TermCriteria.EPS, 30, 0.01), 0, 1e-4)) {
                        goodFeaturesToTrack(a, corners, 1000, 0.01, 1, mask, 3, false, 0.04);
                        lk.calc(a, b, corners, next, status);
                        int n = (int) corners.total();
                        float[] to = new float[2 * n];
                        byte[] st = new byte[n];
                        flow.frame(junk.data(), junk.step(), junk.cols(), junk.rows()).close();
                        try (DeviceFlow.Frame fa = flow.frame(a.data(), a.step(), a.cols(), a.rows());
                             DeviceFlow.Frame fb = flow.frame(b.data(), b.step(), b.cols(), b.rows())) {
                            flow.track(fa, fb, corners.createBuffer(), n, to, st);
                        }
                        float[] want = new float[2 * n];
                        byte[] wantStatus = new byte[n];
                        ((FloatBuffer) next.createBuffer()).get(want);
                        ((ByteBuffer) status.createBuffer()).get(wantStatus);
                        assertArrayEquals(wantStatus, st, "statuses");
                        for (int i = 0; i < 2 * n; i++) {
                            if (st[i / 2] != 0) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(to[i]), "coordinate " + i);
                        }
                        return n;
                    }
                }));
            }
            long points = 0;
            for (java.util.concurrent.Future<Integer> f : pairs) points += f.get();
            System.out.printf(Locale.ROOT, "ISSUE24 flow on 4 threads, pyramids reused while builds are queued: %d pairs, %d points, all OpenCV's%n",
                    pairs.size(), points);
        } finally {
            pool.shutdown();
            small.forEach(Mat::close);
        }
    }

    /** OpenCV's candidate corners: pixels inside the border above 1 % of the strongest and the largest of their 3×3. */
    private static int candidates(Mat grey) {
        try (Mat eig = new Mat(); Mat dilated = new Mat(); Mat none = new Mat()) {
            org.bytedeco.opencv.global.opencv_imgproc.cornerMinEigenVal(grey, eig, 3, 3, org.bytedeco.opencv.global.opencv_core.BORDER_DEFAULT);
            double[] max = new double[1];
            org.bytedeco.opencv.global.opencv_core.minMaxLoc(eig, null, max, null, null, none);
            org.bytedeco.opencv.global.opencv_imgproc.threshold(eig, eig, max[0] * 0.01, 0, org.bytedeco.opencv.global.opencv_imgproc.THRESH_TOZERO);
            org.bytedeco.opencv.global.opencv_imgproc.dilate(eig, dilated, none);
            FloatBuffer e = eig.createBuffer(), d = dilated.createBuffer();
            int n = 0;
            for (int y = 1; y < grey.rows() - 1; y++) {
                for (int x = 1; x < grey.cols() - 1; x++) {
                    float v = e.get(y * grey.cols() + x);
                    if (v != 0 && v == d.get(y * grey.cols() + x)) n++;
                }
            }
            return n;
        }
    }

    /** Each pair's points through the GPU flow and through OpenCV's, compared point by point. */
    private static void flowEqualsOpenCvs(String name, List<Mat> frames) {
        long points = 0, found = 0, corners0 = 0;
        double pyramidMs = 0, gpuMs = 0, cpuMs = 0;
        List<AutoCloseable> held = new ArrayList<>();
        try (DeviceFlow flow = DeviceFlow.open(0); Mat mask = new Mat()) {
            Mat prevSmall = null, prevCorners = null;
            DeviceFlow.Frame prevDevice = null;
            for (Mat bgr : frames) {
                Mat small = half(bgr), corners = new Mat();
                held.add(small);
                held.add(corners);
                goodFeaturesToTrack(small, corners, 1000, 0.01, 1, mask, 3, false, 0.04);
                long t0 = System.nanoTime();
                DeviceFlow.Frame device = flow.frame(small.data(), small.step(), small.cols(), small.rows());
                pyramidMs += (System.nanoTime() - t0) / 1e6;
                held.add(device);
                float[] want = new float[(int) (2 * corners.total())];
                if (want.length > 0) ((FloatBuffer) corners.createBuffer()).get(want);
                assertArrayEquals(want, device.corners(), name + ": corners of frame " + (held.size() / 3 - 1));
                corners0 += want.length / 2;
                if (prevSmall != null && !prevCorners.empty()) {
                    int n = (int) prevCorners.total();
                    try (Mat next = new Mat(); Mat status = new Mat();
                         SparsePyrLKOpticalFlow lk = SparsePyrLKOpticalFlow.create(new Size(21, 21), 3,
                                 new TermCriteria(TermCriteria.COUNT + TermCriteria.EPS, 30, 0.01), 0, 1e-4)) {
                        long t1 = System.nanoTime();
                        lk.calc(prevSmall, small, prevCorners, next, status);
                        long t2 = System.nanoTime();
                        float[] to = new float[2 * n];
                        byte[] st = new byte[n];
                        flow.track(prevDevice, device, prevCorners.createBuffer(), n, to, st);
                        cpuMs += (t2 - t1) / 1e6;
                        gpuMs += (System.nanoTime() - t2) / 1e6;
                        FloatBuffer moved = next.createBuffer();
                        ByteBuffer wantStatus = status.createBuffer();
                        for (int i = 0; i < n; i++) {
                            assertEquals(wantStatus.get(i), st[i], name + ": status of point " + i + " after frame " + points);
                            if (st[i] == 0) continue;
                            found++;
                            assertEquals(Float.floatToRawIntBits(moved.get(2 * i)), Float.floatToRawIntBits(to[2 * i]), name + ": x of point " + i);
                            assertEquals(Float.floatToRawIntBits(moved.get(2 * i + 1)), Float.floatToRawIntBits(to[2 * i + 1]), name + ": y of point " + i);
                        }
                    }
                    points += n;
                }
                prevSmall = small;
                prevCorners = corners;
                prevDevice = device;
            }
        } finally {
            for (int i = held.size() - 1; i >= 0; i--) {
                try {
                    held.get(i).close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        int pairs = frames.size() - 1;
        System.out.printf(Locale.ROOT, "ISSUE24 flow %s: %d frames, %d corners, all OpenCV's in its order; %d pairs, %d points, %d found: "
                + "all equal OpenCV's; on the GPU %.2f ms a frame's corners (and its pyramid queued) and %.2f ms a pair's tracking "
                + "(one stream); OpenCV's flow %.2f ms a pair, both pyramids inside, on all cores%n",
                name, frames.size(), corners0, pairs, points, found, pyramidMs / frames.size(), gpuMs / pairs, cpuMs / pairs);
        assertTrue(found > 0.5 * points, "found " + found + " of " + points);
    }

    /** Ultralytics' grey half-size frame. */
    private static Mat half(Mat bgr) {
        try (Mat grey = new Mat()) {
            cvtColor(bgr, grey, COLOR_BGR2GRAY);
            Mat small = new Mat();
            resize(grey, small, new Size(bgr.cols() / 2, bgr.rows() / 2), 0, 0, INTER_LINEAR);
            return small;
        }
    }

    private static List<double[]> motion(List<Mat> frames, OptionalInt gpu) {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (MotionAhead ahead = MotionAhead.of("sparseOptFlow", pool, gpu)) {
            List<CompletableFuture<double[]>> out = new ArrayList<>();
            for (Mat m : frames) out.add(ahead.next(CompletableFuture.completedFuture(m)));
            return out.stream().map(CompletableFuture::join).toList();
        } finally {
            pool.shutdown();
        }
    }
}
