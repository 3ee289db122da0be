package dev.yolotrt.predict;

import java.util.Arrays;
import java.util.List;

/**
 * Oriented boxes in original pixels, like Ultralytics' {@code Results.obb}: centre, size and angle
 * ({@code xywhr}, radians in [0, π/2) as Ultralytics regularises them), confidence and class; corners
 * as {@code xyxyxyxy}.
 */
public final class Obb {
    private final float[] xywhr;
    private final float[] conf;
    private final int[] cls;
    private final List<String> names;

    public Obb(float[] xywhr, float[] conf, int[] cls, List<String> names) {
        this.xywhr = xywhr.clone();
        this.conf = conf.clone();
        this.cls = cls.clone();
        this.names = List.copyOf(names);
    }

    public int size() {
        return conf.length;
    }

    public float[] xywhr(int i) {
        return Arrays.copyOfRange(xywhr, i * 5, i * 5 + 5);
    }

    public float conf(int i) {
        return conf[i];
    }

    public int cls(int i) {
        return cls[i];
    }

    public String name(int i) {
        return Probs.name(names, cls[i]);
    }

    /** The four corners x1, y1 ... x4, y4 (Ultralytics' xywhr2xyxyxyxy order). */
    public float[] xyxyxyxy(int i) {
        float[] b = xywhr(i);
        double c = Math.cos(b[4]), s = Math.sin(b[4]);
        double v1x = b[2] / 2 * c, v1y = b[2] / 2 * s, v2x = -b[3] / 2 * s, v2y = b[3] / 2 * c;
        return new float[] {(float) (b[0] + v1x + v2x), (float) (b[1] + v1y + v2y), (float) (b[0] + v1x - v2x), (float) (b[1] + v1y - v2y),
                (float) (b[0] - v1x - v2x), (float) (b[1] - v1y - v2y), (float) (b[0] - v1x + v2x), (float) (b[1] - v1y + v2y)};
    }
}
