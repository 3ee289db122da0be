package dev.yolotrt.predict;

import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgproc.CHAIN_APPROX_SIMPLE;
import static org.bytedeco.opencv.global.opencv_imgproc.RETR_EXTERNAL;
import static org.bytedeco.opencv.global.opencv_imgproc.findContours;

/**
 * Instance masks, like Ultralytics' {@code Results.masks}: one bitmap per box at the model's input
 * resolution ({@code data}, as Ultralytics keeps them without retina_masks), and polygons in original
 * pixels ({@code xy}, the outer contours joined as Ultralytics' masks2segments does, scaled back as its
 * scale_coords does).
 */
public final class Masks {
    private final byte[][] data;
    private final int h;
    private final int w;
    private final int origH;
    private final int origW;

    public Masks(byte[][] data, int h, int w, int origH, int origW) {
        this.data = Arrays.stream(data).map(byte[]::clone).toArray(byte[][]::new);
        this.h = h;
        this.w = w;
        this.origH = origH;
        this.origW = origW;
    }

    public int size() {
        return data.length;
    }

    /** Mask {@code i} as 0/1 bytes, row-major, {@link #height()} × {@link #width()}. */
    public byte[] data(int i) {
        return data[i].clone();
    }

    public int height() {
        return h;
    }

    public int width() {
        return w;
    }

    /** Pixels set in mask {@code i}, at mask resolution. */
    public int area(int i) {
        int n = 0;
        for (byte b : data[i]) n += b;
        return n;
    }

    /**
     * Mask {@code i}'s outline in original pixels, x0, y0, x1, y1 ... (empty for an empty mask), as
     * Ultralytics' masks.xy: the outer contours, joined into one polygon when there are several.
     */
    public float[] xy(int i) {
        try (Mat m = new Mat(h, w, CV_8UC1); MatVector contours = new MatVector(); Mat hierarchy = new Mat()) {
            m.data().put(data[i]);
            findContours(m, contours, hierarchy, RETR_EXTERNAL, CHAIN_APPROX_SIMPLE);
            if (contours.size() == 0) return new float[0];
            List<int[]> segments = new ArrayList<>();
            for (long c = 0; c < contours.size(); c++) {
                Mat contour = contours.get(c);
                int[] xy = new int[(int) contour.total() * 2];
                new IntPointer(contour.data()).get(xy);
                segments.add(xy);
            }
            int[] pts = segments.size() == 1 ? segments.get(0) : concat(mergeMultiSegment(segments));
            float[] out = new float[pts.length];
            // Ultralytics' scale_coords: gain and (unrounded) padding from the two shapes, then clipped.
            double gain = Math.min((double) h / origH, (double) w / origW);
            double padX = (w - origW * gain) / 2, padY = (h - origH * gain) / 2;
            for (int k = 0; k < pts.length; k += 2) {
                out[k] = (float) Math.max(0, Math.min(origW, (pts[k] - padX) / gain));
                out[k + 1] = (float) Math.max(0, Math.min(origH, (pts[k + 1] - padY) / gain));
            }
            return out;
        }
    }

    /**
     * Ultralytics' merge_multi_segment: the outlines of a mask that fell apart joined into one
     * polygon, each pair of neighbours through their closest points, walked forward then back.
     */
    static List<int[]> mergeMultiSegment(List<int[]> segs) {
        int n = segs.size();
        List<int[]> segments = new ArrayList<>(segs);
        List<List<Integer>> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) idx.add(new ArrayList<>());
        for (int i = 1; i < n; i++) {
            int[] m = minIndex(segments.get(i - 1), segments.get(i));
            idx.get(i - 1).add(m[0]);
            idx.get(i).add(m[1]);
        }
        List<int[]> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Integer> id = new ArrayList<>(idx.get(i));
            if (id.size() == 2 && id.get(0) > id.get(1)) {
                java.util.Collections.reverse(id);
                segments.set(i, reversed(segments.get(i)));
            }
            int[] rolled = roll(segments.get(i), -id.get(0));
            int[] closed = Arrays.copyOf(rolled, rolled.length + 2);
            closed[rolled.length] = rolled[0];
            closed[rolled.length + 1] = rolled[1];
            segments.set(i, closed);
            if (i == 0 || i == n - 1) {
                s.add(closed);
            } else {
                int end = id.get(1) - id.get(0);
                s.add(Arrays.copyOfRange(closed, 0, 2 * (end + 1)));
            }
            idx.set(i, id);
        }
        for (int i = n - 1; i >= 0; i--) {
            if (i != 0 && i != n - 1) {
                List<Integer> id = idx.get(i);
                int nidx = Math.abs(id.get(1) - id.get(0));
                int[] seg = segments.get(i);
                s.add(Arrays.copyOfRange(seg, 2 * nidx, seg.length));
            }
        }
        return s;
    }

    /** numpy's argmin over squared distances of every point pair, as (index in a, index in b). */
    private static int[] minIndex(int[] a, int[] b) {
        long best = Long.MAX_VALUE;
        int bi = 0, bj = 0;
        for (int i = 0; i < a.length / 2; i++) {
            for (int j = 0; j < b.length / 2; j++) {
                long dx = a[2 * i] - b[2 * j], dy = a[2 * i + 1] - b[2 * j + 1], d = dx * dx + dy * dy;
                if (d < best) {
                    best = d;
                    bi = i;
                    bj = j;
                }
            }
        }
        return new int[] {bi, bj};
    }

    private static int[] reversed(int[] xy) {
        int[] r = new int[xy.length];
        for (int i = 0, n = xy.length / 2; i < n; i++) {
            r[2 * i] = xy[2 * (n - 1 - i)];
            r[2 * i + 1] = xy[2 * (n - 1 - i) + 1];
        }
        return r;
    }

    /** numpy.roll by {@code shift} points. */
    private static int[] roll(int[] xy, int shift) {
        int n = xy.length / 2;
        int[] r = new int[xy.length];
        for (int i = 0; i < n; i++) {
            int to = Math.floorMod(i + shift, n);
            r[2 * to] = xy[2 * i];
            r[2 * to + 1] = xy[2 * i + 1];
        }
        return r;
    }

    private static int[] concat(List<int[]> parts) {
        int[] out = new int[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** {@link #xy} normalised to the image size. */
    public float[] xyn(int i) {
        float[] p = xy(i);
        for (int k = 0; k < p.length; k += 2) {
            p[k] /= origW;
            p[k + 1] /= origH;
        }
        return p;
    }
}
