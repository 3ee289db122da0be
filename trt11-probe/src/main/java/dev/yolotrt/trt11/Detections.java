package dev.yolotrt.trt11;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The top boxes of a YOLOv8 detect head ([4 + classes, anchors]), after class-wise NMS: a readable check of an output. */
final class Detections {

    private Detections() {
    }

    record Box(int cls, float conf, float x1, float y1, float x2, float y2) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "class %2d conf %.3f box [%.1f, %.1f, %.1f, %.1f]", cls, conf, x1, y1, x2, y2);
        }
    }

    static List<Box> top(float[] out, int anchors, float minConf, float iou, int max) {
        int classes = out.length / anchors - 4;
        List<Box> cands = new ArrayList<>();
        for (int a = 0; a < anchors; a++) {
            int best = 0;
            for (int c = 1; c < classes; c++) if (out[(4 + c) * anchors + a] > out[(4 + best) * anchors + a]) best = c;
            float conf = out[(4 + best) * anchors + a];
            if (conf < minConf) continue;
            float cx = out[a], cy = out[anchors + a], w = out[2 * anchors + a], h = out[3 * anchors + a];
            cands.add(new Box(best, conf, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2));
        }
        cands.sort(Comparator.comparingDouble((Box b) -> b.conf).reversed());
        List<Box> kept = new ArrayList<>();
        for (Box b : cands) {
            if (kept.size() == max) break;
            if (kept.stream().noneMatch(k -> k.cls == b.cls && overlap(k, b) > iou)) kept.add(b);
        }
        return kept;
    }

    private static float overlap(Box a, Box b) {
        float iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
        float ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
        float inter = iw * ih;
        return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
    }
}
