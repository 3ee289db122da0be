package dev.yolotrt.predict;

import dev.yolotrt.task.Task;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.stream.IntStream;

/** A batch's preprocessing on the host: where each image goes in the model's input, and the images written there as CHW floats. */
public final class Preprocess {
    private Preprocess() {
    }

    /**
     * Each image's letterbox into the {@code h}×{@code w} input (val's resize where {@code valResize} and the input is
     * square), or nulls for a classifier, which resizes and centre-crops instead.
     */
    public static Letterbox[] letterboxes(Task task, List<Mat> images, int h, int w, boolean valResize) {
        Letterbox[] boxes = new Letterbox[images.size()];
        if (!task.boxes()) return boxes;
        for (int i = 0; i < boxes.length; i++) {
            Mat img = images.get(i);
            boxes[i] = valResize && h == w ? Letterbox.forVal(img.rows(), img.cols(), h) : Letterbox.of(img.rows(), img.cols(), h, w);
        }
        return boxes;
    }

    /** Writes the images into {@code input}, image {@code i} into its own slice; images are independent, so on all cores. */
    public static void toChw(Task task, List<Mat> images, Letterbox[] boxes, FloatBuffer input, int h, int w) {
        indices(images.size()).forEach(i -> {
            Mat img = images.get(i);
            if (!task.boxes()) ClassifyTransform.toChw(img, h, input, i * 3 * h * w);
            else boxes[i].toChw(img, input, i * 3 * h * w);
        });
    }

    /** Images of a batch in parallel; one image on the calling thread (no fork/join hand-off at batch 1). */
    static IntStream indices(int n) {
        return n > 1 ? IntStream.range(0, n).parallel() : IntStream.range(0, n);
    }
}
