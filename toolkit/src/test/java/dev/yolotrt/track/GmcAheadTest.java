package dev.yolotrt.track;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.video.VideoSource;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.OptionalInt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The camera motion computed ahead on a pool, frames given as they come and converted out of order, is exactly the
 * serial motion compensation's, frame by frame, on the first 60 frames of real videos.
 */
class GmcAheadTest {
    private static final int FRAMES = 60;

    @ParameterizedTest
    @ValueSource(strings = {"vtest.avi", "cup.mp4"})
    void aheadEqualsSerial(String name) {
        List<Mat> images = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (VideoSource v = VideoSource.open(Shared.video(name).toString(), 5000)) {
            for (VideoSource.Frame f; images.size() < FRAMES && (f = v.next()) != null; ) images.add(f.image());
            assertEquals(FRAMES, images.size());
            List<double[]> serial = new ArrayList<>();
            try (Gmc gmc = new Gmc("sparseOptFlow")) {
                for (Mat m : images) serial.add(gmc.apply(m));
            }
            List<CompletableFuture<double[]>> ahead = new ArrayList<>();
            try (MotionAhead motion = MotionAhead.of("sparseOptFlow", pool, OptionalInt.empty())) {
                // Frames "arrive" later, last first, as conversion threads may finish them.
                List<CompletableFuture<Mat>> arriving = new ArrayList<>();
                for (Mat m : images) {
                    CompletableFuture<Mat> f = new CompletableFuture<>();
                    arriving.add(f);
                    ahead.add(motion.next(f));
                }
                for (int i = FRAMES - 1; i >= 0; i--) arriving.get(i).complete(images.get(i));
                for (int i = 0; i < FRAMES; i++) assertArrayEquals(serial.get(i), ahead.get(i).join(), name + " frame " + i);
            }
            assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0}, serial.get(0));
            // The comparison means something only if the camera moves (or the fit wobbles) somewhere.
            assertTrue(serial.stream().skip(1).anyMatch(h -> !Arrays.equals(h, new double[] {1, 0, 0, 0, 1, 0})), name);
        } finally {
            pool.shutdown();
            images.forEach(Mat::close);
        }
    }

    @org.junit.jupiter.api.Test
    void openCvRunsOnTheCallingThreadWhileMotionIsComputedAhead() {
        int before = org.bytedeco.opencv.global.opencv_core.getNumThreads();
        try {
            org.bytedeco.opencv.global.opencv_core.setNumThreads(3);
            MotionAhead a = MotionAhead.of("sparseOptFlow", Runnable::run, OptionalInt.empty()), b = MotionAhead.of("sparseOptFlow", Runnable::run, OptionalInt.empty());
            assertEquals(1, org.bytedeco.opencv.global.opencv_core.getNumThreads());
            a.close();
            a.close();
            // one still open: OpenCV stays serial until the last closes, then gets the count it had back
            assertEquals(1, org.bytedeco.opencv.global.opencv_core.getNumThreads());
            b.close();
            assertEquals(3, org.bytedeco.opencv.global.opencv_core.getNumThreads());
        } finally {
            org.bytedeco.opencv.global.opencv_core.setNumThreads(before);
        }
    }

    @org.junit.jupiter.api.Test
    void noneComputesNothingAhead() {
        assertEquals(null, MotionAhead.of("none", Runnable::run, OptionalInt.empty()));
        assertEquals(null, MotionAhead.of(null, Runnable::run, OptionalInt.empty()));
    }
}
