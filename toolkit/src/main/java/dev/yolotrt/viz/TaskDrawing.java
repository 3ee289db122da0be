package dev.yolotrt.viz;

import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Keypoints;
import dev.yolotrt.predict.Masks;
import dev.yolotrt.predict.Obb;
import dev.yolotrt.predict.Probs;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Size;

import java.util.Locale;

import static org.bytedeco.opencv.global.opencv_core.CV_32SC2;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.circle;
import static org.bytedeco.opencv.global.opencv_imgproc.line;
import static org.bytedeco.opencv.global.opencv_imgproc.polylines;

/** The task-specific parts of Ultralytics' plots: masks, keypoints with the COCO skeleton, rotated boxes, top-5 lists. */
final class TaskDrawing {

    /** Ultralytics' pose palette (RGB). */
    private static final int[] POSE = {0xFF8000, 0xFF9933, 0xFFB266, 0xE6E600, 0xFF99FF, 0x99CCFF, 0xFF66FF, 0xFF33FF, 0x66B2FF,
            0x3399FF, 0xFF9999, 0xFF6666, 0xFF3333, 0x99FF99, 0x66FF66, 0x33FF33, 0x00FF00, 0x0000FF, 0xFF0000, 0xFFFFFF};
    /** The COCO skeleton, keypoint pairs numbered from 1 as Ultralytics writes them. */
    private static final int[][] SKELETON = {{16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13}, {6, 7}, {6, 8},
            {7, 9}, {8, 10}, {9, 11}, {2, 3}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}};
    private static final int[] LIMB = {9, 9, 9, 9, 7, 7, 7, 0, 0, 0, 0, 0, 16, 16, 16, 16, 16, 16, 16};
    private static final int[] KPT = {16, 16, 16, 16, 16, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9};

    private TaskDrawing() {
    }

    /** Each mask blended at 50 % in its box's class colour, mapped from mask to image pixels. */
    static void masks(Mat bgr, Masks masks, Boxes boxes) {
        int h = bgr.rows(), w = bgr.cols(), mh = masks.height(), mw = masks.width();
        double gain = Math.min((double) mh / h, (double) mw / w);
        double padX = (mw - w * gain) / 2, padY = (mh - h * gain) / 2;
        byte[] px = new byte[h * w * 3];
        BytePointer data = bgr.data();
        data.get(px);
        for (int i = masks.size() - 1; i >= 0; i--) {
            byte[] m = masks.data(i);
            int c = Annotator.rgb(boxes.cls(i));
            int cb = c & 0xff, cg = (c >> 8) & 0xff, cr = (c >> 16) & 0xff;
            for (int y = 0; y < h; y++) {
                int my = Math.min(mh - 1, (int) (y * gain + padY));
                for (int x = 0; x < w; x++) {
                    if (m[my * mw + Math.min(mw - 1, (int) (x * gain + padX))] == 0) continue;
                    int at = (y * w + x) * 3;
                    px[at] = (byte) (((px[at] & 0xff) + cb) / 2);
                    px[at + 1] = (byte) (((px[at + 1] & 0xff) + cg) / 2);
                    px[at + 2] = (byte) (((px[at + 2] & 0xff) + cr) / 2);
                }
            }
        }
        data.put(px);
    }

    /** Keypoints with visibility ≥ 0.5 as dots, and the limbs between them (COCO's 17-point layout only). */
    static void keypoints(Mat bgr, Keypoints k, int lw) {
        int radius = 5, limb = (int) Math.ceil(lw / 2.0);
        for (int i = 0; i < k.size(); i++) {
            float[] xy = k.xy(i);
            float[] conf = k.conf(i);
            int n = xy.length / 2;
            boolean coco = n == 17;
            if (coco) {
                for (int s = 0; s < SKELETON.length; s++) {
                    int a = SKELETON[s][0] - 1, b = SKELETON[s][1] - 1;
                    if (conf != null && (conf[a] < 0.5 || conf[b] < 0.5)) continue;
                    if (xy[2 * a] <= 0 || xy[2 * b] <= 0) continue;
                    line(bgr, new Point((int) xy[2 * a], (int) xy[2 * a + 1]), new Point((int) xy[2 * b], (int) xy[2 * b + 1]),
                            Annotator.bgr(POSE[LIMB[s]]), limb, LINE_AA, 0);
                }
            }
            for (int q = 0; q < n; q++) {
                if (conf != null && conf[q] < 0.5) continue;
                circle(bgr, new Point((int) xy[2 * q], (int) xy[2 * q + 1]), radius, Annotator.bgr(coco ? POSE[KPT[q]] : Annotator.rgb(q)), -1, LINE_AA, 0);
            }
        }
    }

    /** Rotated boxes as closed polygons in class colours, labelled at their first corner. */
    static void obb(Mat bgr, Obb obb, boolean labels, boolean conf, int lw) {
        for (int i = obb.size() - 1; i >= 0; i--) {
            float[] c = obb.xyxyxyxy(i);
            int rgb = Annotator.rgb(obb.cls(i));
            int[] pts = new int[8];
            for (int k = 0; k < 8; k++) pts[k] = Math.round(c[k]);
            try (Mat poly = new Mat(4, 1, CV_32SC2); MatVector v = new MatVector(1)) {
                new IntPointer(poly.data()).put(pts);
                v.put(0, poly);
                polylines(bgr, v, true, Annotator.bgr(rgb), lw, LINE_AA, 0);
            }
            if (labels) {
                String text = conf ? String.format(Locale.ROOT, "%s %.2f", obb.name(i), obb.conf(i)) : obb.name(i);
                Annotator.label(bgr, pts[0], pts[1], text, rgb, lw);
            }
        }
    }

    /** The top-5 classes with their probabilities, one line each, top left (Ultralytics' classification plot). */
    static void probs(Mat bgr, Probs probs, Boxes names, int lw) {
        int y = 0;
        double sf = lw / 3.0;
        int tf = Math.max(lw - 1, 1);
        for (int c : probs.top5()) {
            String text = String.format(Locale.ROOT, "%s %.2f", names.className(c), probs.data()[c]);
            Size ts = org.bytedeco.opencv.global.opencv_imgproc.getTextSize(text, org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX,
                    sf, tf, new int[1]);
            y += ts.height() + 3 * lw;
            org.bytedeco.opencv.global.opencv_imgproc.putText(bgr, text, new Point(2 * lw, y),
                    org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX, sf, Annotator.bgr(0xFFFFFF), tf, LINE_AA, false);
        }
    }
}
