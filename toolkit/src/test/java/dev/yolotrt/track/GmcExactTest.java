package dev.yolotrt.track;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.video.VideoSource;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.TermCriteria;
import org.bytedeco.opencv.opencv_video.SparsePyrLKOpticalFlow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.randu;
import static org.bytedeco.opencv.global.opencv_core.setRNGSeed;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.goodFeaturesToTrack;
import static org.bytedeco.opencv.global.opencv_video.calcOpticalFlowPyrLK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The motion compensation's shortcuts (corners with minDistance 0, the optical flow without its error pass) change
 * nothing: its transforms are those of Ultralytics' plain order of calls ({@link GmcProfile#plain}), bit for bit, on
 * real videos and on a camera panning fast; the flow keeps exactly the points OpenCV keeps when asked for errors.
 */
class GmcExactTest {

    private static List<Mat> frames(String video, int count) {
        List<Mat> images = new ArrayList<>();
        try (VideoSource v = VideoSource.open(Shared.video(video).toString(), 5000)) {
            for (VideoSource.Frame f; images.size() < count && (f = v.next()) != null; ) images.add(f.image());
        }
        assertEquals(count, images.size(), video);
        return images;
    }

    private static Mat ultralyticsCorners(Mat gray, int maxCorners) {
        Mat points = new Mat();
        try (Mat noMask = new Mat()) {
            goodFeaturesToTrack(gray, points, maxCorners, 0.01, 1, noMask, 3, false, 0.04);
        }
        return points;
    }

    @ParameterizedTest
    @CsvSource({"vtest.avi, 40", "Megamind.avi, 20", "cup.mp4, 10", "vtest-1080p.mp4, 8"})
    void transformsEqualUltralyticsOrderOfCalls(String video, int count) {
        List<Mat> images = frames(video, count);
        try {
            List<double[]> plain = GmcProfile.plain(images);
            try (Gmc gmc = new Gmc("sparseOptFlow")) {
                for (int i = 0; i < count; i++) assertArrayEquals(plain.get(i), gmc.apply(images.get(i)), video + " frame " + i);
            }
            assertTrue(plain.stream().skip(1).anyMatch(h -> !Arrays.equals(h, Gmc.identity())), video + ": some motion to compare");
        } finally {
            images.forEach(Mat::close);
        }
    }

    /** A blurred noise texture, 400×300, the same for a seed. */
    private static Mat texture(int seed) {
        Mat t = new Mat(300, 400, CV_8UC1);
        setRNGSeed(seed);
        try (Mat lo = new Mat(1, 1, CV_64F, Scalar.all(0)); Mat hi = new Mat(1, 1, CV_64F, Scalar.all(255)); Size none = new Size(0, 0)) {
            randu(t, lo, hi);
            GaussianBlur(t, t, none, 3);
        }
        return t;
    }

    /**
     * The flow without OpenCV's error pass drops the same points: asked for errors (as Ultralytics asks), OpenCV also
     * drops a point whose final window lies beyond the image's margin, which {@link Gmc#insideMargin} repeats. Views
     * of a texture shifted by up to 40 px push points there.
     */
    @Test
    void flowWithoutErrorsKeepsThePointsUltralyticsKeeps() {
        int dropped = 0;
        for (int seed = 0; seed < 4; seed++) {
            try (Mat t = texture(seed)) {
                for (int shift = 4; shift <= 40; shift += 4) {
                    int dx = seed % 2 == 0 ? shift : -shift, dy = seed < 2 ? shift / 2 : -shift / 2;
                    try (Rect r0 = new Rect(60, 50, 200, 150); Rect r1 = new Rect(60 + dx, 50 + dy, 200, 150); Mat a = t.apply(r0).clone();
                         Mat b = t.apply(r1).clone(); Mat pts = ultralyticsCorners(a, 1000); Mat next = new Mat(); Mat status = new Mat();
                         Mat err = new Mat(); Mat next2 = new Mat(); Mat status2 = new Mat(); Size win = new Size(21, 21);
                         TermCriteria crit = new TermCriteria(TermCriteria.COUNT + TermCriteria.EPS, 30, 0.01);
                         SparsePyrLKOpticalFlow flow = SparsePyrLKOpticalFlow.create(win, 3, crit, 0, 1e-4)) {
                        calcOpticalFlowPyrLK(a, b, pts, next, status, err);
                        flow.calc(a, b, pts, next2, status2);
                        assertTrue(GmcProfile.sameMat(next, next2), "the same tracked points");
                        FloatBuffer p = next2.createBuffer();
                        ByteBuffer withErrors = status.createBuffer(), without = status2.createBuffer();
                        for (int i = 0; i < (int) pts.total(); i++) {
                            boolean kept = without.get(i) != 0 && Gmc.insideMargin(p.get(2 * i), p.get(2 * i + 1), a.cols(), a.rows());
                            assertEquals(withErrors.get(i) != 0, kept, "seed " + seed + ", shift " + shift + ", point " + i);
                            if (without.get(i) != withErrors.get(i)) dropped++;
                        }
                    }
                }
            }
        }
        assertTrue(dropped > 0, "some points dropped by the margin alone");
    }

    /** A camera panning fast over a texture (points leave the frame): the transforms are still Ultralytics' own. */
    @Test
    void panningCameraTransformsEqualUltralyticsOrderOfCalls() {
        List<Mat> views = new ArrayList<>();
        try (Mat t = texture(7)) {
            for (int i = 0; i < 6; i++) {
                Mat bgr = new Mat();
                try (Rect r = new Rect(4 + 30 * i, 10 + 16 * i, 240, 180); Mat view = t.apply(r)) {
                    cvtColor(view, bgr, COLOR_GRAY2BGR);
                }
                views.add(bgr);
            }
            List<double[]> plain = GmcProfile.plain(views);
            try (Gmc gmc = new Gmc("sparseOptFlow")) {
                for (int i = 0; i < views.size(); i++) assertArrayEquals(plain.get(i), gmc.apply(views.get(i)), "view " + i);
            }
            // (-15, -8) px at half size a frame, so (-30, -16) in the frame's pixels
            assertEquals(-30, plain.get(3)[2], 0.5);
            assertEquals(-16, plain.get(3)[5], 0.5);
        } finally {
            views.forEach(Mat::close);
        }
    }
}
