package dev.yolotrt.val;

/**
 * One image as val scored its boxes: detections and labels in original pixels (x1 y1 x2 y2 per box), and for each
 * detection whether it was correct at each of the ten IoU thresholds. Per-size AP, bootstrap intervals and the images
 * where two engines differ are computed from these.
 */
public record ImageScore(String image, float[] predXyxy, float[] conf, int[] predCls, float[] trueXyxy, int[] trueCls,
                         boolean[][] correct) implements java.io.Serializable {

    /** The area in pixels² of box {@code i} of {@code xyxy} (four floats per box). */
    public static double area(float[] xyxy, int i) {
        return (double) (xyxy[4 * i + 2] - xyxy[4 * i]) * (xyxy[4 * i + 3] - xyxy[4 * i + 1]);
    }

    /** The boxes {@code idx} of {@code xyxy} (four floats per box), in that order. */
    public static float[] boxes(float[] xyxy, int[] idx) {
        float[] out = new float[idx.length * 4];
        for (int k = 0; k < idx.length; k++) System.arraycopy(xyxy, idx[k] * 4, out, k * 4, 4);
        return out;
    }
}
