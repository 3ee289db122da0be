package dev.yolotrt.predict;

import org.bytedeco.opencv.opencv_core.Mat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * One batch's predictions: detections per image (original pixels), the letterbox each image went through (val maps
 * its labels with it; null for classification), what the task adds per image, and the time each stage took for the
 * whole batch.
 */
public record Batch(List<Decoder.Detections> detections, List<Letterbox> letterboxes, List<Extras> extras, double preMs,
                    double inferMs, double postMs) {

    /**
     * The batch as one result per image; {@code paths}: one per image, or one for all; {@code keep}: whether image
     * {@code i}'s result keeps a copy of its pixels (its source cannot be read again); {@code decodeMs}: the batch's
     * decoding time, counted as preprocessing.
     */
    public List<Results> results(List<Mat> images, List<String> paths, IntPredicate keep, List<String> names, int[] inputShape,
                                 double decodeMs) {
        int n = images.size();
        Map<String, Double> speed = Map.of("preprocess", (decodeMs + preMs) / n, "inference", inferMs / n, "postprocess", postMs / n);
        List<Results> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Mat img = images.get(i);
            Decoder.Detections d = detections.get(i);
            Boxes boxes = new Boxes(d.xyxy(), d.conf(), d.cls(), names, img.rows(), img.cols());
            out.add(new Results(paths.get(paths.size() == 1 ? 0 : i), keep.test(i) ? dev.yolotrt.data.Pixels.of(img) : null, img.rows(),
                    img.cols(), inputShape, boxes, extras.get(i), names, speed));
        }
        return out;
    }
}
