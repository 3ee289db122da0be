package dev.yolotrt.predict;

import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.FloatBuffer;

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

    /** PIL's ImagingResample with the bilinear filter on 3-channel 8-bit pixels. */
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
            tmp = new byte[th * tw * 3];
            for (int y = 0; y < th; y++) {
                for (int x = 0; x < tw; x++) {
                    int xmin = horiz.bounds[x * 2], xmax = horiz.bounds[x * 2 + 1];
                    for (int ch = 0; ch < 3; ch++) {
                        long ss = 1L << (PRECISION_BITS - 1);
                        for (int k = 0; k < xmax; k++) ss += (in[((y + first) * w0 + xmin + k) * 3 + ch] & 0xff) * (long) horiz.kk[x * horiz.ksize + k];
                        tmp[(y * tw + x) * 3 + ch] = clip8(ss);
                    }
                }
            }
            for (int y = 0; y < h; y++) vert.bounds[y * 2] -= first;
        }
        if (h == h0) return tmp == in ? in.clone() : tmp; // PIL skips the vertical pass when the height stays
        byte[] out = new byte[h * tw * 3];
        for (int y = 0; y < h; y++) {
            int ymin = vert.bounds[y * 2], ymax = vert.bounds[y * 2 + 1];
            for (int x = 0; x < tw; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    long ss = 1L << (PRECISION_BITS - 1);
                    for (int k = 0; k < ymax; k++) ss += (tmp[((ymin + k) * tw + x) * 3 + ch] & 0xff) * (long) vert.kk[y * vert.ksize + k];
                    out[(y * tw + x) * 3 + ch] = clip8(ss);
                }
            }
        }
        return out;
    }

    private static byte clip8(long ss) {
        long v = ss >> PRECISION_BITS;
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
