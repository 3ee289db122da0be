package dev.yolotrt.predict;

import dev.yolotrt.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * The per-task part of Ultralytics' postprocessing, read at the anchors that survived NMS: mask
 * coefficients × prototypes (segment), keypoints (pose), angles (obb), probabilities (classify).
 * Boxes come in letterboxed pixels; what is returned is in original pixels.
 */
final class TaskDecoder {

    private TaskDecoder() {
    }

    /**
     * Ultralytics' process_mask: coefficients × prototypes, cropped to the box scaled to prototype
     * resolution, bilinearly upsampled (align_corners=False) to the input size when {@code upsample}
     * (predict), > 0.
     */
    static Masks masks(Tensor out0, Tensor protos, int b, int nc, Decoder.Detections d, int ih, int iw, int origH, int origW, boolean upsample) {
        int anchors = out0.dim(2), channels = out0.dim(1);
        int nm = protos.dim(1), mh = protos.dim(2), mw = protos.dim(3);
        FloatBuffer o = out0.data(), p = protos.data();
        int obase = b * channels * anchors, pbase = b * nm * mh * mw, plane = mh * mw;
        byte[][] data = new byte[d.size()][];
        float sx = (float) mw / iw, sy = (float) mh / ih;
        for (int j = 0; j < d.size(); j++) {
            float x1 = d.xyxy()[j * 4] * sx, y1 = d.xyxy()[j * 4 + 1] * sy, x2 = d.xyxy()[j * 4 + 2] * sx, y2 = d.xyxy()[j * 4 + 3] * sy;
            // Prototype pixels the crop keeps. Ultralytics' crop_mask on the CPU with fewer than 50 masks
            // rounds the box and zeroes with Python slices (masks[:y1] = 0, masks[y2:] = 0 ...), negative
            // ends counting from the far side; otherwise it keeps column r with x1 <= r < x2.
            int c0, c1, r0, r1;
            if (d.size() < 50) {
                c0 = sliceEnd(Math.rint(x1), mw);
                c1 = sliceStart(Math.rint(x2), mw);
                r0 = sliceEnd(Math.rint(y1), mh);
                r1 = sliceStart(Math.rint(y2), mh);
            } else {
                c0 = Math.max(0, (int) Math.ceil(x1));
                c1 = Math.min(mw, (int) Math.ceil(x2));
                r0 = Math.max(0, (int) Math.ceil(y1));
                r1 = Math.min(mh, (int) Math.ceil(y2));
            }
            float[] coef = new float[nm];
            for (int k = 0; k < nm; k++) coef[k] = o.get(obase + (4 + nc + k) * anchors + d.anchor()[j]);
            // Prototype by prototype (contiguous reads); each pixel still sums its terms in the order k = 0, 1, ..., so the
            // floats are those of a per-pixel dot product.
            float[] raw = new float[plane];
            for (int k = 0; k < nm; k++) {
                float ck = coef[k];
                int kb = pbase + k * plane;
                for (int r = r0; r < r1; r++) {
                    int row = r * mw;
                    for (int c = c0; c < c1; c++) raw[row + c] += ck * p.get(kb + row + c);
                }
            }
            if (upsample) {
                data[j] = upsampleAboveZero(raw, mh, mw, ih, iw, r0, r1, c0, c1);
            } else {
                // Val keeps masks at prototype resolution (Ultralytics' process_mask without upsample).
                data[j] = new byte[plane];
                for (int q = 0; q < plane; q++) if (raw[q] > 0) data[j][q] = 1;
            }
        }
        return upsample ? new Masks(data, ih, iw, origH, origW) : new Masks(data, mh, mw, origH, origW);
    }

    /** Where {@code masks[:end] = 0} stops zeroing in Python: a negative end counts from {@code n}. */
    private static int sliceEnd(double end, int n) {
        int e = (int) end;
        return e < 0 ? Math.max(0, n + e) : Math.min(n, e);
    }

    /** Where {@code masks[start:] = 0} starts zeroing in Python. */
    private static int sliceStart(double start, int n) {
        int s = (int) start;
        return s < 0 ? Math.max(0, n + s) : Math.min(n, s);
    }

    /** PyTorch's bilinear interpolate (align_corners=False) of {@code raw} to ih × iw, thresholded at 0. */
    private static byte[] upsampleAboveZero(float[] raw, int mh, int mw, int ih, int iw, int r0, int r1, int c0, int c1) {
        byte[] out = new byte[ih * iw];
        if (r1 <= r0 || c1 <= c0) return out;
        float ry = (float) mh / ih, rx = (float) mw / iw;
        // Outside these rows and columns every tap reads a cropped-away (zero) value.
        int y0 = Math.max(0, (int) ((r0 - 1) / ry) - 1), yEnd = Math.min(ih, (int) ((r1 + 1) / ry) + 1);
        int x0 = Math.max(0, (int) ((c0 - 1) / rx) - 1), xEnd = Math.min(iw, (int) ((c1 + 1) / rx) + 1);
        // The columns' taps and weights are the same on every row: worked out once.
        int n = Math.max(0, xEnd - x0);
        int[] xas = new int[n], xbs = new int[n];
        float[] lx0s = new float[n], lx1s = new float[n];
        for (int x = x0; x < xEnd; x++) {
            float fx = Math.max(0f, (x + 0.5f) * rx - 0.5f);
            int xa = (int) fx;
            xas[x - x0] = xa;
            xbs[x - x0] = xa < mw - 1 ? xa + 1 : xa;
            lx1s[x - x0] = fx - xa;
            lx0s[x - x0] = 1f - (fx - xa);
        }
        for (int y = y0; y < yEnd; y++) {
            float fy = Math.max(0f, (y + 0.5f) * ry - 0.5f);
            int ya = (int) fy, yb = ya < mh - 1 ? ya + 1 : ya;
            float ly1 = fy - ya, ly0 = 1f - ly1;
            int rowA = ya * mw, rowB = yb * mw, o = y * iw + x0;
            for (int i = 0; i < n; i++) {
                int xa = xas[i], xb = xbs[i];
                float lx0 = lx0s[i], lx1 = lx1s[i];
                float v = ly0 * (lx0 * raw[rowA + xa] + lx1 * raw[rowA + xb]) + ly1 * (lx0 * raw[rowB + xa] + lx1 * raw[rowB + xb]);
                if (v > 0) out[o + i] = 1;
            }
        }
        return out;
    }

    /**
     * Keypoints at each kept anchor, mapped back as Ultralytics' scale_coords: with the padding computed
     * from the shapes, unrounded, and clipped (predict), or with val's letterbox gain and padding
     * ({@code ratioPad}) and unclipped, as val measures them.
     */
    static Keypoints keypoints(Tensor out, int b, int nc, int[] kptShape, Decoder.Detections d, int ih, int iw, int origH, int origW,
                               Letterbox ratioPad) {
        int anchors = out.dim(2), channels = out.dim(1), k = kptShape[0], dim = kptShape[1];
        FloatBuffer o = out.data();
        int base = b * channels * anchors;
        double gain = ratioPad != null ? ratioPad.gain() : Math.min((double) ih / origH, (double) iw / origW);
        double padX = ratioPad != null ? ratioPad.left() : (iw - origW * gain) / 2, padY = ratioPad != null ? ratioPad.top() : (ih - origH * gain) / 2;
        float[][] xy = new float[d.size()][2 * k];
        float[][] conf = dim == 3 ? new float[d.size()][k] : null;
        for (int j = 0; j < d.size(); j++) {
            int a = d.anchor()[j];
            for (int q = 0; q < k; q++) {
                int row = 4 + nc + q * dim;
                double x = (o.get(base + row * anchors + a) - padX) / gain, y = (o.get(base + (row + 1) * anchors + a) - padY) / gain;
                // Val scores keypoints unclipped (Ultralytics compares them in letterbox space); predict clips.
                xy[j][2 * q] = (float) (ratioPad != null ? x : Math.max(0, Math.min(origW, x)));
                xy[j][2 * q + 1] = (float) (ratioPad != null ? y : Math.max(0, Math.min(origH, y)));
                if (conf != null) conf[j][q] = o.get(base + (row + 2) * anchors + a);
            }
        }
        return new Keypoints(xy, conf, origH, origW);
    }

    /**
     * Oriented boxes at each kept anchor: centre and size from the box rows, angle from the last row,
     * regularised as Ultralytics does (w and h swapped when the angle mod π is ≥ π/2, angle mod π/2),
     * then scaled back like boxes (rounded padding, no clipping).
     */
    static Obb obb(Tensor out, int b, Decoder.Detections d, Letterbox lb, List<String> names) {
        int anchors = out.dim(2), channels = out.dim(1);
        FloatBuffer o = out.data();
        int base = b * channels * anchors;
        float[] xywhr = new float[d.size() * 5];
        for (int j = 0; j < d.size(); j++) {
            int a = d.anchor()[j];
            double x = o.get(base + a), y = o.get(base + anchors + a), w = o.get(base + 2 * anchors + a), h = o.get(base + 3 * anchors + a);
            double t = o.get(base + (channels - 1) * anchors + a);
            boolean swap = floorMod(t, Math.PI) >= Math.PI / 2;
            double w2 = swap ? h : w, h2 = swap ? w : h;
            t = floorMod(t, Math.PI / 2);
            xywhr[j * 5] = (float) ((x - lb.left()) / lb.gain());
            xywhr[j * 5 + 1] = (float) ((y - lb.top()) / lb.gain());
            xywhr[j * 5 + 2] = (float) (w2 / lb.gain());
            xywhr[j * 5 + 3] = (float) (h2 / lb.gain());
            xywhr[j * 5 + 4] = (float) t;
        }
        return new Obb(xywhr, d.conf(), d.cls(), names);
    }

    /** Python's float modulo: the result has the sign of {@code m}. */
    private static double floorMod(double v, double m) {
        double r = v % m;
        return r < 0 ? r + m : r;
    }

    /** The probabilities of image {@code b} (Ultralytics' classification export applies softmax). */
    static Probs probs(Tensor out, int b) {
        int nc = out.dim(1);
        float[] p = new float[nc];
        out.data().get(b * nc, p);
        return new Probs(p);
    }
}
