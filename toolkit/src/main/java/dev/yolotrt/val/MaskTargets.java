package dev.yolotrt.val;

import dev.yolotrt.data.Label;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.Masks;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.Arrays;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_32SC2;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgproc.fillPoly;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * The label masks Ultralytics' segment val scores against (polygons2masks_overlap): each polygon
 * filled on the letterboxed image in integer pixels, shrunk by the mask ratio (OpenCV's default
 * bilinear), instances sorted by area (largest first) and overlaid so that a pixel belongs to the last
 * (smallest) instance drawn on it; each instance's mask is then where the overlay shows its number.
 */
record MaskTargets(int[] order, byte[][] masks, int h, int w) {

    static MaskTargets of(List<Label> labels, Letterbox lb, int ratio) {
        int ih = lb.dstH(), iw = lb.dstW(), h = ih / ratio, w = iw / ratio, n = labels.size();
        byte[][] single = new byte[n][];
        long[] area = new long[n];
        for (int i = 0; i < n; i++) {
            double[] poly = labels.get(i).polygon();
            if (poly == null) { // a box label: its rectangle
                Label l = labels.get(i);
                poly = new double[] {l.cx() - l.w() / 2, l.cy() - l.h() / 2, l.cx() + l.w() / 2, l.cy() - l.h() / 2,
                        l.cx() + l.w() / 2, l.cy() + l.h() / 2, l.cx() - l.w() / 2, l.cy() + l.h() / 2};
            }
            poly = resample(poly, 1000);
            int[] pts = new int[poly.length];
            for (int k = 0; k < poly.length; k += 2) {
                pts[k] = (int) (poly[k] * lb.newW() + lb.left());         // numpy's int32 cast truncates
                pts[k + 1] = (int) (poly[k + 1] * lb.newH() + lb.top());
            }
            try (Mat full = new Mat(ih, iw, CV_8UC1, new Scalar(0)); Mat small = new Mat();
                 Mat p = new Mat(pts.length / 2, 1, CV_32SC2); MatVector v = new MatVector(1)) {
                new IntPointer(p.data()).put(pts);
                v.put(0, p);
                fillPoly(full, v, new Scalar(1));
                resize(full, small, new Size(w, h));
                single[i] = new byte[h * w];
                small.data().get(single[i]);
            }
            for (byte b : single[i]) area[i] += b;
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        // np.argsort(-areas): largest first (ties in index order for this stable sort).
        Arrays.sort(idx, (a, b) -> Long.compare(area[b], area[a]));
        int[] overlay = new int[h * w];
        for (int r = 0; r < n; r++) {
            byte[] m = single[idx[r]];
            for (int q = 0; q < overlay.length; q++) overlay[q] = Math.min(overlay[q] + m[q] * (r + 1), r + 1);
        }
        byte[][] masks = new byte[n][h * w];
        for (int r = 0; r < n; r++) for (int q = 0; q < overlay.length; q++) if (overlay[q] == r + 1) masks[r][q] = 1;
        return new MaskTargets(Arrays.stream(idx).mapToInt(Integer::intValue).toArray(), masks, h, w);
    }

    /**
     * Ultralytics' resample_segments (n = 1000, as its dataset does on loading): the closed polygon
     * walked at n − len evenly spaced positions of its vertex index, the original vertices kept, linearly
     * interpolated, in float32.
     */
    static double[] resample(double[] xy, int n) {
        int m = xy.length / 2;
        if (m == n) return xy;
        int len = m + 1; // closed: the first vertex appended
        double[] sx = new double[len], sy = new double[len];
        for (int i = 0; i < m; i++) {
            sx[i] = xy[2 * i];
            sy[i] = xy[2 * i + 1];
        }
        sx[m] = xy[0];
        sy[m] = xy[1];
        int count = len < n ? n - len : n;
        double[] x = new double[count];
        for (int i = 0; i < count; i++) x[i] = count == 1 ? 0 : (double) (len - 1) * i / (count - 1);
        double[] at = x;
        if (len < n) { // np.insert(x, np.searchsorted(x, xp), xp): the vertices' own indices merged in
            at = new double[count + len];
            int a = 0, b = 0, o = 0;
            while (a < count || b < len) {
                if (b < len && (a >= count || x[a] >= b)) at[o++] = b++;
                else at[o++] = x[a++];
            }
        }
        double[] out = new double[2 * at.length];
        for (int i = 0; i < at.length; i++) {
            int j = Math.min((int) Math.floor(at[i]), len - 2);
            double t = at[i] - j;
            out[2 * i] = (float) (sx[j] + (sx[j + 1] - sx[j]) * t);
            out[2 * i + 1] = (float) (sy[j] + (sy[j + 1] - sy[j]) * t);
        }
        return out;
    }

    /** Ultralytics' mask_iou of every prediction with every (sorted) label: intersection / (union + 1e-7). */
    float[][] iou(Masks pred) {
        float[][] out = new float[pred.size()][masks.length];
        for (int p = 0; p < pred.size(); p++) {
            byte[] a = pred.data(p);
            int areaA = 0;
            for (byte x : a) areaA += x;
            for (int l = 0; l < masks.length; l++) {
                int inter = 0, areaB = 0;
                for (int q = 0; q < a.length; q++) {
                    areaB += masks[l][q];
                    inter += a[q] & masks[l][q];
                }
                out[p][l] = (float) (inter / (areaA + areaB - inter + 1e-7));
            }
        }
        return out;
    }
}
