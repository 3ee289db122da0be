package dev.yolotrt.backend;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.video.VideoSource;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.TermCriteria;
import org.bytedeco.opencv.opencv_video.SparsePyrLKOpticalFlow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.bytedeco.opencv.global.opencv_core.BORDER_DEFAULT;
import static org.bytedeco.opencv.global.opencv_core.CV_CPU_AVX2;
import static org.bytedeco.opencv.global.opencv_core.CV_CPU_FMA3;
import static org.bytedeco.opencv.global.opencv_core.checkHardwareSupport;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.cornerMinEigenVal;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.goodFeaturesToTrack;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * flow.cu's arithmetic without a GPU: its kernels compiled for the host (corners-host.cpp, flow-host.cpp, with the
 * host's C++ compiler; CI installs g++) and run on frames of the four shared videos, called as Ultralytics calls OpenCV
 * (grey, half size, corners, then LK with its defaults). Every corner must be OpenCV's, in its order; every point must
 * get OpenCV's CPU status and, where found, its position to the bit. The same source runs on the GPU in
 * DeviceFlowGpuTest; this keeps an edit of it honest in CI.
 */
class FlowOnHostTest {

    @TempDir
    Path dir;

    /** Compiles {@code NAME-host.cpp}, which includes flow.cu, into the program {@code NAME-host}. */
    private void compile(String name) throws Exception {
        assumeTrue(run(List.of("g++", "--version"), dir) == 0, "no g++ on this machine (CI installs it)");
        copy(DeviceFlow.class.getResourceAsStream("flow.cu"), dir.resolve("flow.cu"));
        copy(FlowOnHostTest.class.getResourceAsStream("cuda-host.h"), dir.resolve("cuda-host.h"));
        copy(FlowOnHostTest.class.getResourceAsStream(name + "-host.cpp"), dir.resolve(name + "-host.cpp"));
        assertEquals(0, run(List.of("g++", "-O2", "-std=c++17", "-ffp-contract=off", "-o", name + "-host", name + "-host.cpp"), dir),
                "compiling " + name + "-host.cpp: " + Files.readString(dir.resolve("log.txt")));
    }

    @Test
    void cornersOnTheHostEqualOpenCvs() throws Exception {
        // The corner kernels have OpenCV's arithmetic on a CPU with AVX2 and FMA; elsewhere OpenCV rounds Sobel's taps otherwise.
        assumeTrue(checkHardwareSupport(CV_CPU_AVX2) && checkHardwareSupport(CV_CPU_FMA3),
                "this CPU has no AVX2 and FMA: OpenCV's eigenvalues here are not the ones flow.cu's corner kernels repeat");
        compile("corners");
        long corners = 0;
        int frames = 0;
        String[][] inputs = {{"vtest.avi", "60"}, {"vtest-1080p.mp4", "3"}, {"Megamind.avi", "6"}, {"cup.mp4", "6"},
                {"texture 101x67", "0"}, {"texture 213x119", "0"}, {"texture 60x40", "0"}, {"texture 3x3", "0"}, {"texture 1x1", "0"}, {"texture 2x5", "0"},
                {"checker 64x48", "0"}, {"checker 37x29", "0"}};
        for (String[] v : inputs) {
            List<Mat> small = v[0].startsWith("texture") ? texture(v[0].substring(8))
                    : v[0].startsWith("checker") ? List.of(checker(v[0].substring(8))) : frames(v[0], Integer.parseInt(v[1]));
            java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
            for (Mat m : small) {
                input.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(m.cols()).putInt(m.rows()).array());
                input.write(pixels(m));
            }
            Path in = dir.resolve("in.bin"), out = dir.resolve("out.bin");
            Files.write(in, input.toByteArray());
            assertEquals(0, run(List.of(dir.resolve("corners-host").toString(), in.toString(), out.toString()), dir),
                    v[0] + ": " + Files.readString(dir.resolve("log.txt")));
            ByteBuffer got = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < small.size(); k++) {
                long[] keys = new long[got.getInt()];
                for (int i = 0; i < keys.length; i++) keys[i] = got.getLong();
                float[] xy = DeviceFlow.strongest(keys, small.get(k).cols());
                try (Mat want = new Mat(); Mat mask = new Mat(); Mat eig = new Mat()) {
                    // The eigenvalues first: a difference in their last bit rarely moves a corner, so check them all.
                    cornerMinEigenVal(small.get(k), eig, 3, 3, BORDER_DEFAULT);
                    FloatBuffer e = eig.createBuffer();
                    for (int i = 0; i < small.get(k).total(); i++) {
                        float g = got.getFloat();
                        if (Float.floatToRawIntBits(g) != Float.floatToRawIntBits(e.get(i))) {
                            fail(v[0] + ", frame " + k + ": eigenvalue of pixel " + i + ": OpenCV " + e.get(i) + ", the kernel " + g);
                        }
                    }
                    goodFeaturesToTrack(small.get(k), want, 1000, 0.01, 1, mask, 3, false, 0.04);
                    float[] w = new float[(int) (2 * want.total())];
                    if (w.length > 0) ((FloatBuffer) want.createBuffer()).get(w);
                    assertEquals(w.length / 2, xy.length / 2, v[0] + ", frame " + k + ": corners");
                    for (int i = 0; i < w.length; i++) assertEquals(w[i], xy[i], v[0] + ", frame " + k + ": corner " + i / 2 + (i % 2 == 0 ? " x" : " y"));
                    corners += w.length / 2;
                }
                frames++;
            }
            assertEquals(0, got.remaining(), v[0] + ": output longer than the frames given");
            small.forEach(Mat::close);
        }
        System.out.printf("flow.cu's corners on the host: %d frames, their eigenvalues OpenCV's to the bit, %d corners, all OpenCV's in its order%n",
                frames, corners);
        assertTrue(corners > 10_000, corners + " corners");
    }

    @Test
    void kernelsOnTheHostEqualOpenCvsLucasKanade() throws Exception {
        compile("flow");

        long points = 0, found = 0;
        String[][] inputs = {{"vtest.avi", "10"}, {"vtest-1080p.mp4", "4"}, {"Megamind.avi", "8"}, {"cup.mp4", "10"},
                {"texture 101x67", "0"}, {"texture 213x119", "0"}, {"texture 60x40", "0"}};
        for (String[] v : inputs) {
            Pairs p = v[0].startsWith("texture") ? pairs(texture(v[0].substring(8))) : pairs(frames(v[0], Integer.parseInt(v[1])));
            Path in = dir.resolve("in.bin"), out = dir.resolve("out.bin");
            Files.write(in, p.input);
            assertEquals(0, run(List.of(dir.resolve("flow-host").toString(), in.toString(), out.toString(), String.valueOf(p.levels)), dir),
                    v[0] + ": " + Files.readString(dir.resolve("log.txt")));
            ByteBuffer got = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < p.wantPoints.size(); k++) {
                float[] want = p.wantPoints.get(k);
                byte[] wantStatus = p.wantStatus.get(k);
                int n = wantStatus.length;
                float[] xy = new float[2 * n];
                for (int i = 0; i < 2 * n; i++) xy[i] = got.getFloat();
                for (int i = 0; i < n; i++) {
                    byte status = got.get(got.position() + i);
                    assertEquals(wantStatus[i], status, v[0] + ", pair " + k + ": status of point " + i);
                    if (status == 0) continue;
                    found++;
                    assertEquals(Float.floatToRawIntBits(want[2 * i]), Float.floatToRawIntBits(xy[2 * i]), v[0] + ", pair " + k + ": x of point " + i);
                    assertEquals(Float.floatToRawIntBits(want[2 * i + 1]), Float.floatToRawIntBits(xy[2 * i + 1]), v[0] + ", pair " + k + ": y of point " + i);
                }
                got.position(got.position() + n);
                points += n;
            }
            assertEquals(0, got.remaining(), v[0] + ": output longer than the points asked for");
        }
        System.out.printf("flow.cu on the host: %d points, %d found, all equal OpenCV's%n", points, found);
        assertTrue(points > 10_000 && found > 0.9 * points && found < points, points + " points, " + found + " found");
    }

    /** flow-host's input for one frame size, with OpenCV's answer for each pair. */
    private record Pairs(byte[] input, int levels, List<float[]> wantPoints, List<byte[]> wantStatus) {
    }

    /** A video's first frames, grey at half size as Ultralytics' motion compensation takes them. */
    private static List<Mat> frames(String name, int frames) {
        List<Mat> small = new ArrayList<>();
        try (VideoSource v = VideoSource.open(Shared.video(name).toString(), 10_000)) {
            for (VideoSource.Frame f; small.size() < frames && (f = v.next()) != null; ) {
                try (Mat bgr = f.image(); Mat grey = new Mat()) {
                    cvtColor(bgr, grey, COLOR_BGR2GRAY);
                    Mat s = new Mat();
                    resize(grey, s, new Size(bgr.cols() / 2, bgr.rows() / 2), 0, 0, INTER_LINEAR);
                    small.add(s);
                }
            }
        }
        return small;
    }

    /**
     * Sizes the videos lack: odd widths and heights, and fewer than 4 levels ({@code 101x67}: 2, {@code 213x119}: 3,
     * {@code 60x40}: 1). Blurred noise, then the same moved by (1.3, -0.7) px, then by (17.3, -9.7): more than a small
     * pyramid follows, so some points come back lost.
     */
    private static List<Mat> texture(String size) {
        String[] wh = size.split("x");
        int cols = Integer.parseInt(wh[0]), rows = Integer.parseInt(wh[1]);
        java.util.Random random = new java.util.Random(cols * 31L + rows);
        byte[] noise = new byte[cols * rows];
        random.nextBytes(noise);
        List<Mat> out = new ArrayList<>();
        try (Mat raw = new Mat(rows, cols, org.bytedeco.opencv.global.opencv_core.CV_8UC1)) {
            ((ByteBuffer) raw.createBuffer()).put(noise);
            Mat base = new Mat();
            org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur(raw, base, new Size(5, 5), 1.5);
            out.add(base);
            for (double[] shift : new double[][] {{1.3, -0.7}, {17.3, -9.7}}) {
                try (Mat m = new Mat(2, 3, org.bytedeco.opencv.global.opencv_core.CV_64FC1)) {
                    ((java.nio.DoubleBuffer) m.createBuffer()).put(new double[] {1, 0, shift[0], 0, 1, shift[1]});
                    Mat moved = new Mat();
                    org.bytedeco.opencv.global.opencv_imgproc.warpAffine(base, moved, m, base.size());
                    out.add(moved);
                }
            }
        }
        return out;
    }

    /**
     * A checkerboard of 6-px squares, 40 and 200: corners of exactly equal strength side by side (plateaus and ties,
     * which OpenCV keeps or drops and orders by pixel).
     */
    private static Mat checker(String size) {
        String[] wh = size.split("x");
        int cols = Integer.parseInt(wh[0]), rows = Integer.parseInt(wh[1]);
        Mat m = new Mat(rows, cols, org.bytedeco.opencv.global.opencv_core.CV_8UC1);
        ByteBuffer b = m.createBuffer();
        for (int y = 0; y < rows; y++) for (int x = 0; x < cols; x++) b.put(y * cols + x, (byte) (((x / 6 + y / 6) & 1) == 0 ? 40 : 200));
        return m;
    }

    /** Consecutive grey frames as flow-host's input records, with OpenCV's answer for each pair; closes the frames. */
    private static Pairs pairs(List<Mat> small) throws IOException {
        int cols = small.get(0).cols(), rows = small.get(0).rows();
        java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
        List<float[]> wantPoints = new ArrayList<>();
        List<byte[]> wantStatus = new ArrayList<>();
        for (int k = 1; k < small.size(); k++) {
            try (Mat corners = new Mat(); Mat next = new Mat(); Mat status = new Mat(); Mat mask = new Mat();
                 SparsePyrLKOpticalFlow lk = SparsePyrLKOpticalFlow.create(new Size(21, 21), 3,
                         new TermCriteria(TermCriteria.COUNT + TermCriteria.EPS, 30, 0.01), 0, 1e-4)) {
                goodFeaturesToTrack(small.get(k - 1), corners, 1000, 0.01, 1, mask, 3, false, 0.04);
                if (corners.empty()) continue; // a blank frame (Megamind.avi opens black): Ultralytics keeps the identity
                lk.calc(small.get(k - 1), small.get(k), corners, next, status);
                int n = (int) corners.total();
                ByteBuffer rec = ByteBuffer.allocate(12 + 2 * cols * rows + 8 * n).order(ByteOrder.LITTLE_ENDIAN);
                rec.putInt(cols).putInt(rows).putInt(n);
                rec.put(pixels(small.get(k - 1))).put(pixels(small.get(k)));
                FloatBuffer from = corners.createBuffer(), to = next.createBuffer();
                float[] want = new float[2 * n];
                for (int i = 0; i < 2 * n; i++) {
                    rec.putFloat(from.get(i));
                    want[i] = to.get(i);
                }
                byte[] st = new byte[n];
                ((ByteBuffer) status.createBuffer()).get(st);
                input.write(rec.array());
                wantPoints.add(want);
                wantStatus.add(st);
            }
        }
        small.forEach(Mat::close);
        return new Pairs(input.toByteArray(), DeviceFlow.levels(cols, rows), wantPoints, wantStatus);
    }

    private static byte[] pixels(Mat m) {
        byte[] b = new byte[m.cols() * m.rows()];
        ((ByteBuffer) m.createBuffer()).get(b);
        return b;
    }

    private static void copy(InputStream in, Path to) throws IOException {
        try (in) {
            Files.write(to, in.readAllBytes());
        }
    }

    /** Runs a command in {@code dir}, its output in log.txt; the exit code, or -1 when it cannot start. */
    private static int run(List<String> command, Path dir) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("log.txt").toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        }
    }
}
