package dev.yolotrt.predict;

import java.util.Arrays;
import java.util.List;

/**
 * Detected boxes of one image in original pixels, highest confidence first: like Ultralytics'
 * {@code Results.boxes} with xyxy, xywh, xyxyn, conf and cls.
 */
public final class Boxes {
    private final float[] xyxy;
    private final float[] conf;
    private final int[] cls;
    private final List<String> names;
    private final int imageH;
    private final int imageW;
    /** Track ids (track mode), or null. */
    private final int[] ids;

    public Boxes(float[] xyxy, float[] conf, int[] cls, List<String> names, int imageH, int imageW) {
        this(xyxy, conf, cls, null, names, imageH, imageW);
    }

    /** Boxes with the track id of each ({@code ids} null: not tracked), as Ultralytics' {@code boxes.id}. */
    public Boxes(float[] xyxy, float[] conf, int[] cls, int[] ids, List<String> names, int imageH, int imageW) {
        if (xyxy.length != conf.length * 4 || cls.length != conf.length || ids != null && ids.length != conf.length) {
            throw new IllegalArgumentException("box arrays differ in length");
        }
        this.ids = ids == null ? null : ids.clone();
        this.xyxy = xyxy.clone();
        this.conf = conf.clone();
        this.cls = cls.clone();
        this.names = List.copyOf(names);
        this.imageH = imageH;
        this.imageW = imageW;
    }

    public int size() {
        return conf.length;
    }

    public float[] xyxy(int i) {
        return Arrays.copyOfRange(xyxy, i * 4, i * 4 + 4);
    }

    public float[] xywh(int i) {
        float[] b = xyxy(i);
        return new float[] {(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]};
    }

    public float[] xyxyn(int i) {
        float[] b = xyxy(i);
        return new float[] {b[0] / imageW, b[1] / imageH, b[2] / imageW, b[3] / imageH};
    }

    public float conf(int i) {
        return conf[i];
    }

    public int cls(int i) {
        return cls[i];
    }

    /** True when the boxes carry track ids. */
    public boolean isTrack() {
        return ids != null;
    }

    /** The track id of box {@code i}; only when {@link #isTrack()}. */
    public int id(int i) {
        if (ids == null) throw new IllegalStateException("these boxes are not tracked (no ids)");
        return ids[i];
    }

    /** The track ids, or null when not tracked. */
    public int[] ids() {
        return ids == null ? null : ids.clone();
    }

    /** (height, width) of the image the boxes are in. */
    public int[] imageShape() {
        return new int[] {imageH, imageW};
    }

    /** The names of the classes, by id. */
    public List<String> names() {
        return names;
    }

    public String name(int i) {
        return className(cls[i]);
    }

    /** The name of class id {@code c}. */
    public String className(int c) {
        return c >= 0 && c < names.size() ? names.get(c) : String.valueOf(c);
    }

    /** All boxes as one array of x1, y1, x2, y2 per box. */
    public float[] xyxy() {
        return xyxy.clone();
    }

    public float[] conf() {
        return conf.clone();
    }

    public int[] cls() {
        return cls.clone();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < size(); i++) {
            float[] b = xyxy(i);
            if (ids != null) sb.append("id:").append(ids[i]).append(' ');
            sb.append(String.format(java.util.Locale.ROOT, "%s %.2f (%.0f, %.0f, %.0f, %.0f)%n", name(i), conf[i], b[0], b[1], b[2], b[3]));
        }
        return sb.toString();
    }
}
