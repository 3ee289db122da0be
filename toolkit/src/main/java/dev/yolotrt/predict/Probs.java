package dev.yolotrt.predict;

import java.util.Arrays;
import java.util.List;

/** Class probabilities of a classification, like Ultralytics' {@code Results.probs}: top-1 and top-5. */
public final class Probs {
    private final float[] data;
    private final int[] order;

    public Probs(float[] data) {
        this.data = data.clone();
        Integer[] idx = new Integer[data.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        // Descending probability; ties keep the lower class id first.
        Arrays.sort(idx, (a, b) -> Float.compare(this.data[b], this.data[a]));
        order = Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    public float[] data() {
        return data.clone();
    }

    public int top1() {
        return order[0];
    }

    public float top1conf() {
        return data[order[0]];
    }

    /** The (at most) five most probable class ids, most probable first. */
    public int[] top5() {
        return Arrays.copyOf(order, Math.min(5, order.length));
    }

    public float[] top5conf() {
        int[] t = top5();
        float[] c = new float[t.length];
        for (int i = 0; i < t.length; i++) c[i] = data[t[i]];
        return c;
    }

    /** "0.51 cats, 0.49 dogs" as Ultralytics prints the top 5. */
    public String summary(List<String> names) {
        StringBuilder sb = new StringBuilder();
        for (int c : top5()) sb.append(sb.length() > 0 ? ", " : "").append(String.format(java.util.Locale.ROOT, "%s %.2f", name(names, c), data[c]));
        return sb.toString();
    }

    static String name(List<String> names, int c) {
        return c >= 0 && c < names.size() ? names.get(c) : String.valueOf(c);
    }
}
