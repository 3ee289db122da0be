package dev.yolotrt.predict;

import java.util.Arrays;

/**
 * Keypoints of each detected object in original pixels, like Ultralytics' {@code Results.keypoints}:
 * {@code xy} (K points of x, y per object), {@code conf} (K visibilities, or null for 2-value keypoints).
 */
public final class Keypoints {
    private final float[][] xy;
    private final float[][] conf;
    private final int imageH;
    private final int imageW;

    public Keypoints(float[][] xy, float[][] conf, int imageH, int imageW) {
        this.xy = Arrays.stream(xy).map(float[]::clone).toArray(float[][]::new);
        this.conf = conf == null ? null : Arrays.stream(conf).map(float[]::clone).toArray(float[][]::new);
        this.imageH = imageH;
        this.imageW = imageW;
    }

    public int size() {
        return xy.length;
    }

    /** Object {@code i}'s keypoints: x0, y0, x1, y1 ... in original pixels. */
    public float[] xy(int i) {
        return xy[i].clone();
    }

    /** Normalised to the image size. */
    public float[] xyn(int i) {
        float[] p = xy(i);
        for (int k = 0; k < p.length; k += 2) {
            p[k] /= imageW;
            p[k + 1] /= imageH;
        }
        return p;
    }

    /** Visibility of each keypoint of object {@code i}, or null when the model predicts none. */
    public float[] conf(int i) {
        return conf == null ? null : conf[i].clone();
    }
}
