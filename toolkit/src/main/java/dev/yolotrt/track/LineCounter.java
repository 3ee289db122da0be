package dev.yolotrt.track;

import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.line;
import static org.bytedeco.opencv.global.opencv_imgproc.putText;

/**
 * Counts tracks of one class whose box centre crosses the segment (x1, y1)–(x2, y2) between two frames: "in" when it
 * passes from the left of the direction x1→x2 to its right, "out" the other way. Each track counts once per direction.
 */
public final class LineCounter {
    private final double x1, y1, x2, y2;
    private final int cls;
    private final Map<Integer, double[]> last = new HashMap<>();
    private final Set<Integer> countedIn = new HashSet<>(), countedOut = new HashSet<>();

    /** {@code cls}: the class counted (0: person in COCO), or -1 for every class. */
    public LineCounter(double x1, double y1, double x2, double y2, int cls) {
        this.x1 = x1;
        this.y1 = y1;
        this.x2 = x2;
        this.y2 = y2;
        this.cls = cls;
    }

    /** Feeds one tracked frame (frames without ids are skipped). */
    public void update(Results r) {
        Boxes b = r.boxes();
        if (!b.isTrack()) return;
        for (int i = 0; i < b.size(); i++) {
            if (cls >= 0 && b.cls(i) != cls) continue;
            float[] c = b.xywh(i);
            double[] now = {c[0], c[1]};
            double[] before = last.put(b.id(i), now);
            if (before == null) continue;
            double s0 = side(before), s1 = side(now);
            if (s0 == 0 || s1 == 0 || (s0 > 0) == (s1 > 0) || !withinSegment(before, now)) continue;
            if (s0 < 0) countedIn.add(b.id(i));
            else countedOut.add(b.id(i));
        }
    }

    /** Which side of the line a point is on (the sign of the cross product). */
    private double side(double[] p) {
        return Math.signum((x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1));
    }

    /** The step from {@code a} to {@code b} crosses the segment itself, not the line beyond its ends. */
    private boolean withinSegment(double[] a, double[] b) {
        double d1 = Math.signum((b[0] - a[0]) * (y1 - a[1]) - (b[1] - a[1]) * (x1 - a[0]));
        double d2 = Math.signum((b[0] - a[0]) * (y2 - a[1]) - (b[1] - a[1]) * (x2 - a[0]));
        return d1 != d2;
    }

    public int in() {
        return countedIn.size();
    }

    public int out() {
        return countedOut.size();
    }

    /** Draws the line and the counts onto an annotated frame. */
    public void draw(Mat bgr) {
        Scalar red = new Scalar(0, 0, 255, 0);
        line(bgr, new Point((int) x1, (int) y1), new Point((int) x2, (int) y2), red, 3, LINE_AA, 0);
        putText(bgr, "in " + in() + "  out " + out(), new Point((int) Math.min(x1, x2) + 5, (int) Math.min(y1, y2) - 8), FONT_HERSHEY_SIMPLEX,
                0.9, red, 2, LINE_AA, false);
    }

    @Override
    public String toString() {
        return "in " + in() + ", out " + out();
    }
}
