package dev.yolotrt.track;

import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Extras;
import dev.yolotrt.predict.Keypoints;
import dev.yolotrt.predict.Masks;
import dev.yolotrt.predict.Obb;
import dev.yolotrt.predict.Results;
import org.bytedeco.opencv.opencv_core.Mat;

import java.util.List;

/**
 * Track mode on results, as Ultralytics' track callbacks do: the frame's detections go to the tracker and the result
 * becomes its confirmed tracks (filtered box, id, last score and class, clipped to the image) with the masks or
 * keypoints of the detection each track took this frame. A frame where nothing is confirmed keeps its detections,
 * without ids.
 */
public final class Tracking {

    private Tracking() {
    }

    public static Results apply(Tracker tracker, Results r) {
        Boxes b = r.boxes();
        List<Tracker.Output> out;
        // BoT-SORT's motion compensation reads the frame itself unless the motion was computed ahead.
        boolean reads = tracker.config().isBotSort() && Gmc.enabled(tracker.config().gmcMethod()) && r.motion() == null;
        try (Mat frame = reads ? r.origImg() : null) {
            out = tracker.update(b.xyxy(), b.conf(), b.cls(), b.size(), frame, r.motion());
        }
        if (out.isEmpty()) return r;
        int n = out.size();
        int h = r.origShape()[0], w = r.origShape()[1];
        float[] xyxy = new float[n * 4], conf = new float[n];
        int[] cls = new int[n], ids = new int[n], idx = new int[n];
        for (int i = 0; i < n; i++) {
            Tracker.Output t = out.get(i);
            float[] q = t.xyxy();
            xyxy[i * 4] = clamp(q[0], w);
            xyxy[i * 4 + 1] = clamp(q[1], h);
            xyxy[i * 4 + 2] = clamp(q[2], w);
            xyxy[i * 4 + 3] = clamp(q[3], h);
            conf[i] = t.score();
            cls[i] = t.cls();
            ids[i] = t.id();
            idx[i] = t.idx();
        }
        Boxes tracked = new Boxes(xyxy, conf, cls, ids, b.names(), b.imageShape()[0], b.imageShape()[1]);
        return r.withBoxes(tracked, select(r.extras(), idx, h, w, conf, cls, b.names()));
    }

    private static float clamp(float v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    /** The task outputs of the detections the tracks took, in track order. */
    private static Extras select(Extras e, int[] idx, int h, int w, float[] conf, int[] cls, List<String> names) {
        Masks masks = null;
        Keypoints kpts = null;
        Obb obb = null;
        if (e.masks() != null) {
            byte[][] d = new byte[idx.length][];
            for (int i = 0; i < idx.length; i++) d[i] = e.masks().data(idx[i]);
            masks = new Masks(d, e.masks().height(), e.masks().width(), h, w);
        }
        if (e.keypoints() != null) {
            float[][] xy = new float[idx.length][], kc = new float[idx.length][];
            for (int i = 0; i < idx.length; i++) {
                xy[i] = e.keypoints().xy(idx[i]);
                kc[i] = e.keypoints().conf(idx[i]);
            }
            kpts = new Keypoints(xy, kc[0] == null ? null : kc, h, w);
        }
        if (e.obb() != null) {
            float[] xywhr = new float[idx.length * 5];
            for (int i = 0; i < idx.length; i++) System.arraycopy(e.obb().xywhr(idx[i]), 0, xywhr, i * 5, 5);
            obb = new Obb(xywhr, conf, cls, names);
        }
        return new Extras(masks, kpts, obb, e.probs());
    }
}
