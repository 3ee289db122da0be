package dev.yolotrt.data;

/**
 * One ground-truth box: class id and normalized centre/size, as in a YOLO label line, and for pose
 * datasets its keypoints (x, y and, with 3 values per point, visibility; normalized), for segment
 * datasets the polygon it came from (x, y pairs, normalized); null where there is none.
 */
public record Label(int cls, double cx, double cy, double w, double h, double[] keypoints, double[] polygon) {

    public Label(int cls, double cx, double cy, double w, double h) {
        this(cls, cx, cy, w, h, null, null);
    }

    /** Normalised x1, y1, x2, y2. */
    public double[] xyxyn() {
        return new double[] {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
    }

    /** x1, y1, x2, y2 in pixels of an image {@code width} × {@code height}. */
    public float[] xyxy(int width, int height) {
        return new float[] {(float) ((cx - w / 2) * width), (float) ((cy - h / 2) * height),
                (float) ((cx + w / 2) * width), (float) ((cy + h / 2) * height)};
    }
}
