package dev.yolotrt.predict;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.nio.FloatBuffer;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.copyMakeBorder;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Ultralytics' LetterBox (auto=False, scaleup=True, center=True): scale to fit keeping the aspect
 * ratio, pad the rest with grey 114, centred. Rounding follows Python's round-half-to-even so that
 * sizes and pads match Ultralytics pixel for pixel.
 */
public record Letterbox(int srcH, int srcW, int dstH, int dstW, double gain, int newH, int newW, int top, int left,
                        int interpolation) {

    public static final int PAD = 114;

    public static Letterbox of(int srcH, int srcW, int dstH, int dstW) {
        double r = Math.min((double) dstH / srcH, (double) dstW / srcW);
        // At least one pixel: a 3000 x 1 image would otherwise scale to a height of 0.
        int newW = Math.max(1, (int) Math.rint(srcW * r));
        int newH = Math.max(1, (int) Math.rint(srcH * r));
        double dw = (dstW - newW) / 2.0;
        double dh = (dstH - newH) / 2.0;
        return new Letterbox(srcH, srcW, dstH, dstW, r, newH, newW, (int) Math.rint(dh - 0.1), (int) Math.rint(dw - 0.1),
                INTER_LINEAR);
    }

    /**
     * The (height, width) Ultralytics feeds a PyTorch model for a {@code srcH}×{@code srcW} image at {@code size}
     * ({@code rect}): scaled to fit, then padded only up to a multiple of {@code stride}.
     */
    public static int[] rectShape(int srcH, int srcW, int size, int stride) {
        double r = Math.min((double) size / srcH, (double) size / srcW);
        int newW = Math.max(1, (int) Math.rint(srcW * r)), newH = Math.max(1, (int) Math.rint(srcH * r));
        return new int[] {newH + Math.floorMod(size - newH, stride), newW + Math.floorMod(size - newW, stride)};
    }

    /**
     * The geometry of Ultralytics' validation loader: the long side is resized to {@code size} with
     * sizes rounded up (INTER_AREA when shrinking), then padded; boxes scale back by the height ratio.
     * Using it makes mAP comparable with Ultralytics' val to the pixel.
     */
    public static Letterbox forVal(int srcH, int srcW, int size) {
        double r = (double) size / Math.max(srcH, srcW);
        int newW = srcW, newH = srcH;
        if (r != 1) {
            newW = Math.min((int) Math.ceil(srcW * r), size);
            newH = Math.min((int) Math.ceil(srcH * r), size);
        }
        double dw = (size - newW) / 2.0;
        double dh = (size - newH) / 2.0;
        return new Letterbox(srcH, srcW, size, size, (double) newH / srcH, newH, newW, (int) Math.rint(dh - 0.1),
                (int) Math.rint(dw - 0.1), r > 1 ? INTER_LINEAR : INTER_AREA);
    }

    /** The letterboxed BGR image, dstH × dstW. */
    public Mat apply(Mat bgr) {
        Mat resized = bgr;
        if (newW != srcW || newH != srcH) {
            resized = new Mat();
            resize(bgr, resized, new Size(newW, newH), 0, 0, interpolation);
        }
        Mat out = new Mat();
        copyMakeBorder(resized, out, top, dstH - newH - top, left, dstW - newW - left, BORDER_CONSTANT,
                new Scalar(PAD, PAD, PAD, 0));
        if (resized != bgr) resized.close();
        return out;
    }

    /**
     * Writes {@code bgr} letterboxed as RGB floats in [0, 1], planar (CHW), into {@code dst} from
     * element {@code offset}: the layout every YOLO export expects. The pixel and float arrays are
     * kept per thread and reused, so a call leaves no garbage (6 MB a 640 image otherwise, which
     * showed up as latency spikes).
     */
    public void toChw(Mat bgr, FloatBuffer dst, int offset) {
        try (Mat boxed = apply(bgr)) {
            int plane = dstH * dstW;
            Scratch s = SCRATCH.get().fit(plane * 3);
            byte[] px = s.pixels;
            float[] chw = s.floats;
            boxed.data().get(px, 0, plane * 3);
            for (int i = 0, j = 0; i < plane; i++, j += 3) {
                chw[i] = (px[j + 2] & 0xff) / 255f;
                chw[plane + i] = (px[j + 1] & 0xff) / 255f;
                chw[2 * plane + i] = (px[j] & 0xff) / 255f;
            }
            dst.put(offset, chw, 0, plane * 3);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread arrays for {@link #toChw}, grown to the largest image seen. */
    private static final class Scratch {
        byte[] pixels = new byte[0];
        float[] floats = new float[0];

        Scratch fit(int n) {
            if (pixels.length < n) {
                pixels = new byte[n];
                floats = new float[n];
            }
            return this;
        }
    }

    /** Maps boxes (x1, y1, x2, y2 …) from letterboxed to original pixels in place, clipped to the image. */
    public void toOriginal(float[] xyxy, int count) {
        for (int i = 0; i < count * 4; i += 4) {
            xyxy[i] = clip((xyxy[i] - left) / gain, srcW);
            xyxy[i + 1] = clip((xyxy[i + 1] - top) / gain, srcH);
            xyxy[i + 2] = clip((xyxy[i + 2] - left) / gain, srcW);
            xyxy[i + 3] = clip((xyxy[i + 3] - top) / gain, srcH);
        }
    }

    /**
     * A label box (normalised x1, y1, x2, y2) in original pixels the way Ultralytics' val places it:
     * on the resized image (sides rounded), shifted by the padding, then mapped back like a prediction
     * (height gain for both axes, clipped). For val's rounded-up resize this differs from
     * {@code xn * srcW} by up to a pixel, and mAP50-95 by 0.001 on coco8.
     */
    public float[] labelToOriginal(double x1, double y1, double x2, double y2) {
        float[] xyxy = {(float) (x1 * newW + left), (float) (y1 * newH + top), (float) (x2 * newW + left),
                (float) (y2 * newH + top)};
        toOriginal(xyxy, 1);
        return xyxy;
    }

    /** Maps one point from original to letterboxed pixels (labels, tests). */
    public float[] toLetterbox(float x, float y) {
        return new float[] {(float) (x * gain + left), (float) (y * gain + top)};
    }

    private static float clip(double v, int max) {
        return (float) Math.max(0, Math.min(max, v));
    }
}
