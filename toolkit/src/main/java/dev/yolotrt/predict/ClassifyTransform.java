package dev.yolotrt.predict;

import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.FloatBuffer;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Ultralytics' classification preprocessing (classify_transforms): the short side resized to
 * {@code size} the way torchvision resizes a PIL image (PIL's antialiased bilinear filter in 8-bit
 * fixed point, horizontal pass then vertical, each rounded to bytes), a centre crop of size × size,
 * RGB floats in [0, 1], planar. No letterbox: classifiers see no grey padding.
 */
public final class ClassifyTransform {

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private ClassifyTransform() {
    }

    /** Writes {@code bgr} as the classifier's input into {@code dst} from element {@code offset}. */
    public static void toChw(Mat bgr, int size, FloatBuffer dst, int offset) {
        int h0 = bgr.rows(), w0 = bgr.cols();
        byte[] px = new byte[h0 * w0 * 3];
        (bgr.isContinuous() ? bgr : bgr.clone()).data().get(px);
        // torchvision: the short side becomes size, the long side int(size * long / short).
        int w, h;
        if (w0 <= h0) {
            w = size;
            h = (int) ((long) size * h0 / w0);
        } else {
            h = size;
            w = (int) ((long) size * w0 / h0);
        }
        byte[] resized = resize(px, w0, h0, w, h);
        // CenterCrop: offsets int(round((H - size) / 2)), Python's round (half to even).
        int top = (int) Math.rint((h - size) / 2.0), left = (int) Math.rint((w - size) / 2.0);
        int plane = size * size;
        float[] chw = new float[plane * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int sy = Math.min(h - 1, Math.max(0, y + top)), sx = Math.min(w - 1, Math.max(0, x + left));
                int s = (sy * w + sx) * 3, i = y * size + x;
                chw[i] = (resized[s + 2] & 0xff) / 255f;
                chw[plane + i] = (resized[s + 1] & 0xff) / 255f;
                chw[2 * plane + i] = (resized[s] & 0xff) / 255f;
            }
        }
        dst.put(offset, chw);
    }

    /**
     * PIL's ImagingResample with the bilinear filter on 3-channel 8-bit pixels. Sums are 32-bit as in PIL's 8-bit path
     * (weights of 22 bits times 8-bit pixels stay below 2^31); rows are independent, so a large image's rows are
     * resampled on all cores.
     */
    static byte[] resize(byte[] in, int w0, int h0, int w, int h) {
        byte[] tmp = in;
        int tw = w0, th = h0;
        Coeffs vert = Coeffs.of(h0, h);
        if (w != w0) {
            // Only the rows the vertical pass reads are resampled horizontally.
            int first = vert.bounds[0], last = vert.bounds[(h - 1) * 2] + vert.bounds[(h - 1) * 2 + 1];
            Coeffs horiz = Coeffs.of(w0, w);
            th = last - first;
            tw = w;
            byte[] rows = new byte[th * tw * 3];
            int outW = tw;
            rows(th, outW, y -> {
                int src = (y + first) * w0 * 3, dst = y * outW * 3;
                for (int x = 0; x < outW; x++) {
                    int at = src + horiz.bounds[x * 2] * 3, n = horiz.bounds[x * 2 + 1], kb = x * horiz.ksize;
                    int s0 = HALF, s1 = HALF, s2 = HALF;
                    for (int k = 0; k < n; k++, at += 3) {
                        int c = horiz.kk[kb + k];
                        s0 += (in[at] & 0xff) * c;
                        s1 += (in[at + 1] & 0xff) * c;
                        s2 += (in[at + 2] & 0xff) * c;
                    }
                    rows[dst++] = clip8(s0);
                    rows[dst++] = clip8(s1);
                    rows[dst++] = clip8(s2);
                }
            });
            tmp = rows;
            for (int y = 0; y < h; y++) vert.bounds[y * 2] -= first;
        }
        if (h == h0) return tmp == in ? in.clone() : tmp; // PIL skips the vertical pass when the height stays
        byte[] out = new byte[h * tw * 3], src = tmp;
        int stride = tw * 3;
        rows(h, tw, y -> {
            int from = vert.bounds[y * 2] * stride, n = vert.bounds[y * 2 + 1], kb = y * vert.ksize, dst = y * stride;
            for (int i = 0; i < stride; i++) {
                int ss = HALF;
                for (int k = 0, at = from + i; k < n; k++, at += stride) ss += (src[at] & 0xff) * vert.kk[kb + k];
                out[dst + i] = clip8(ss);
            }
        });
        return out;
    }

    private static final int HALF = 1 << (PRECISION_BITS - 1);

    /** Runs {@code row} for rows 0..n-1: in parallel once an image is large enough for it to pay. */
    private static void rows(int n, int width, IntConsumer row) {
        IntStream ys = IntStream.range(0, n);
        (n * width >= 1 << 16 ? ys.parallel() : ys).forEach(row);
    }

    private static byte clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /** PIL's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter, support 1. */
    private record Coeffs(int ksize, int[] bounds, int[] kk) {
        static Coeffs of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterscale = Math.max(1.0, scale);
            double support = 1.0 * filterscale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[outSize * 2];
            int[] kk = new int[outSize * ksize];
            double[] k = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ww = 0.0, ss = 1.0 / filterscale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) xmin = 0;
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) xmax = inSize;
                xmax -= xmin;
                for (int x = 0; x < xmax; x++) {
                    double v = Math.abs((x + xmin - center + 0.5) * ss);
                    k[x] = v < 1.0 ? 1.0 - v : 0.0;
                    ww += k[x];
                }
                for (int x = 0; x < ksize; x++) {
                    double v = x < xmax && ww != 0.0 ? k[x] / ww : 0.0;
                    kk[xx * ksize + x] = (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
                }
                bounds[xx * 2] = xmin;
                bounds[xx * 2 + 1] = xmax;
            }
            return new Coeffs(ksize, bounds, kk);
        }
    }
}
