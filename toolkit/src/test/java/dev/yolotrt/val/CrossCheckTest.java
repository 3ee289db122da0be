package dev.yolotrt.val;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole metric computed a second way: a plain evaluator written only for this test (brute-force
 * matching with maps, linear scans instead of binary search, explicit trapezoids), on a fixed random
 * set of detections, must agree with {@link Accumulator} to 1e-6.
 */
class CrossCheckTest {

    record Img(float[] pxy, float[] pconf, int[] pcls, float[] txy, int[] tcls) {
    }

    static List<Img> fixture() {
        Random rnd = new Random(20261126);
        List<Img> imgs = new ArrayList<>();
        for (int n = 0; n < 25; n++) {
            int nl = rnd.nextInt(6);
            List<float[]> p = new ArrayList<>();
            float[] txy = new float[nl * 4];
            int[] tcls = new int[nl];
            for (int l = 0; l < nl; l++) {
                float x = rnd.nextFloat() * 500, y = rnd.nextFloat() * 500, w = 10 + rnd.nextFloat() * 100, h = 10 + rnd.nextFloat() * 100;
                txy[l * 4] = x;
                txy[l * 4 + 1] = y;
                txy[l * 4 + 2] = x + w;
                txy[l * 4 + 3] = y + h;
                tcls[l] = rnd.nextInt(3);
                int copies = rnd.nextInt(3); // 0, 1 or 2 jittered detections per label
                for (int k = 0; k < copies; k++) {
                    float j = 0.25f * w;
                    float dx = (rnd.nextFloat() - 0.5f) * j, dy = (rnd.nextFloat() - 0.5f) * j;
                    int c = rnd.nextFloat() < 0.85 ? tcls[l] : rnd.nextInt(3);
                    p.add(new float[] {x + dx, y + dy, x + w + dx * 0.5f, y + h - dy, rnd.nextFloat(), c});
                }
            }
            int fps = rnd.nextInt(3);
            for (int k = 0; k < fps; k++) {
                float x = rnd.nextFloat() * 500, y = rnd.nextFloat() * 500;
                p.add(new float[] {x, y, x + 30, y + 30, rnd.nextFloat() * 0.5f, rnd.nextInt(3)});
            }
            float[] pxy = new float[p.size() * 4];
            float[] pconf = new float[p.size()];
            int[] pcls = new int[p.size()];
            for (int i = 0; i < p.size(); i++) {
                System.arraycopy(p.get(i), 0, pxy, i * 4, 4);
                pconf[i] = p.get(i)[4];
                pcls[i] = (int) p.get(i)[5];
            }
            imgs.add(new Img(pxy, pconf, pcls, txy, tcls));
        }
        return imgs;
    }

    @Test
    void accumulatorAgreesWithAPlainEvaluator() {
        List<Img> imgs = fixture();
        Accumulator acc = new Accumulator(List.of("a", "b", "c"));
        for (Img i : imgs) acc.add("img", i.pxy(), i.pconf(), i.pcls(), i.txy(), i.tcls());
        Metrics m = acc.metrics("fixture", "random", "val", Map.of());

        double[][] ap = plainAp(imgs, 3);
        double map50 = 0, map = 0;
        int classes = 0;
        for (int c = 0; c < 3; c++) {
            if (ap[c] == null) continue;
            classes++;
            map50 += ap[c][0];
            double s = 0;
            for (double v : ap[c]) s += v;
            map += s / 10;
        }
        map50 /= classes;
        map /= classes;
        assertTrue(map50 > 0.2 && map50 < 0.99, "fixture should be neither trivial nor hopeless: " + map50);
        assertEquals(map50, m.map50(), 1e-6);
        assertEquals(map, m.map(), 1e-6);
        for (int i = 0; i < m.perClass().classes().length; i++) {
            int c = m.perClass().classes()[i];
            for (int t = 0; t < 10; t++) assertEquals(ap[c][t], m.perClass().ap()[i][t], 1e-6, "class " + c + " t " + t);
        }
    }

    /** AP[class][threshold], null for classes without labels. */
    static double[][] plainAp(List<Img> imgs, int nc) {
        double[][] out = new double[nc][];
        for (int c = 0; c < nc; c++) {
            int labels = 0;
            for (Img i : imgs) for (int t : i.tcls()) if (t == c) labels++;
            if (labels == 0) continue;
            out[c] = new double[10];
            for (int t = 0; t < 10; t++) {
                double thr = 0.5 + 0.05 * t;
                List<double[]> dets = new ArrayList<>(); // conf, tp
                for (Img i : imgs) {
                    boolean[] tp = plainMatch(i, thr);
                    for (int p = 0; p < i.pcls().length; p++) if (i.pcls()[p] == c) dets.add(new double[] {i.pconf()[p], tp[p] ? 1 : 0});
                }
                // stable sort by descending confidence
                dets.sort((a, b) -> Double.compare(b[0], a[0]));
                out[c][t] = plainArea(dets, labels);
            }
        }
        return out;
    }

    /** Same rule as Ultralytics: best label per prediction, then the first such prediction per label. */
    static boolean[] plainMatch(Img img, double thr) {
        int np = img.pcls().length, nl = img.tcls().length;
        boolean[] tp = new boolean[np];
        int[] bestLabel = new int[np];
        double[] bestIou = new double[np];
        for (int p = 0; p < np; p++) {
            bestLabel[p] = -1;
            for (int l = 0; l < nl; l++) {
                if (img.tcls()[l] != img.pcls()[p]) continue;
                double v = iou(img.pxy(), p, img.txy(), l);
                if (v >= thr && v > 0 && v > bestIou[p]) {
                    bestIou[p] = v;
                    bestLabel[p] = l;
                }
            }
        }
        for (int l = 0; l < nl; l++) {
            int winner = -1;
            for (int p = np - 1; p >= 0; p--) if (bestLabel[p] == l) winner = p;
            if (winner >= 0) tp[winner] = true;
        }
        return tp;
    }

    static double iou(float[] a, int i, float[] b, int j) {
        double ix = Math.max(0, Math.min(a[i * 4 + 2], b[j * 4 + 2]) - Math.max(a[i * 4], b[j * 4]));
        double iy = Math.max(0, Math.min(a[i * 4 + 3], b[j * 4 + 3]) - Math.max(a[i * 4 + 1], b[j * 4 + 1]));
        double inter = (float) (ix * iy);
        double ua = (a[i * 4 + 2] - a[i * 4]) * (a[i * 4 + 3] - a[i * 4 + 1]);
        double ub = (b[j * 4 + 2] - b[j * 4]) * (b[j * 4 + 3] - b[j * 4 + 1]);
        return inter / (ua + ub - inter);
    }

    /** Area under the right-max precision envelope, sampled at r = 0, .01 ... 1, by trapezoids. */
    static double plainArea(List<double[]> dets, int labels) {
        int n = dets.size();
        double[] rec = new double[n + 2], pre = new double[n + 2];
        pre[0] = 1;
        double tp = 0;
        for (int k = 0; k < n; k++) {
            tp += dets.get(k)[1];
            rec[k + 1] = tp / (labels + 1e-16);
            pre[k + 1] = tp / (k + 1);
        }
        rec[n + 1] = 1;
        pre[n + 1] = 0;
        for (int k = n; k >= 0; k--) if (pre[k + 1] > pre[k]) pre[k] = pre[k + 1];
        double area = 0, last = 0;
        for (int s = 0; s <= 100; s++) {
            double r = s / 100.0, y;
            int seg = -1;
            for (int k = 0; k < n + 2; k++) if (rec[k] <= r) seg = k; // last point at or below r
            if (r == rec[n + 1]) y = pre[n + 1];
            else y = pre[seg] + (pre[seg + 1] - pre[seg]) * (r - rec[seg]) / (rec[seg + 1] - rec[seg]);
            if (s > 0) area += 0.01 * (y + last) / 2;
            last = y;
        }
        return area;
    }
}
