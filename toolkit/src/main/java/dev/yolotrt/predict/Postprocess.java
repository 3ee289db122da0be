package dev.yolotrt.predict;

import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.task.Task;
import dev.yolotrt.tensor.Picked;
import dev.yolotrt.tensor.Tensor;
import org.bytedeco.opencv.opencv_core.Mat;

import java.util.List;

/**
 * A batch's postprocessing: the model's outputs (or the candidates picked on the device) decoded per task, filtered by
 * NMS, and mapped back to each original image.
 */
public final class Postprocess {
    private Postprocess() {
    }

    /** Per image: its detections (original pixels) and what its task adds. */
    public record Decoded(List<Decoder.Detections> detections, List<Extras> extras) {
    }

    /**
     * Decodes the batch of {@code images} fed as {@code h}×{@code w} through {@code boxes} (null entries for a classifier):
     * from the session's outputs {@code out}, or, where null, from the detect head's candidates {@code picked}.
     * The outputs may view a session's buffers: decode before the session is given back.
     */
    public static Decoded decode(ModelMetadata meta, PredictOptions o, List<Mat> images, Letterbox[] boxes, List<Tensor> out, Picked picked,
                                 int h, int w) {
        int n = images.size();
        Task task = meta.task();
        boolean endToEnd = meta.engineArgs().nms();
        Decoder.Detections[] dets = new Decoder.Detections[n];
        Extras[] extras = new Extras[n];
        Tensor head = out == null ? null : out.get(0);
        Tensor protos = out == null ? null : out.stream().filter(t -> t.shape().length == 4).findFirst().orElse(null);
        if (protos != null) head = out.stream().filter(t -> t.shape().length == 3).findFirst().orElseThrow();
        Tensor raw = head;
        Decoder.Filter filter = o.filter();
        int nc = meta.nc();
        Preprocess.indices(n).forEach(i -> {
            Mat img = images.get(i);
            if (out == null) {
                dets[i] = Decoder.fromCandidates(picked.images().get(i), filter);
                extras[i] = Extras.NONE;
                boxes[i].toOriginal(dets[i].xyxy(), dets[i].size());
                return;
            }
            switch (task) {
                case CLASSIFY -> {
                    dets[i] = new Decoder.Detections(new float[0], new float[0], new int[0]);
                    extras[i] = new Extras(null, null, null, TaskDecoder.probs(raw, i));
                    return;
                }
                case DETECT -> dets[i] = endToEnd
                        ? Decoder.endToEnd(raw, i, filter)
                        : Decoder.decode(raw, i, nc, false, filter);
                case SEGMENT, POSE, OBB -> dets[i] = Decoder.decode(raw, i, nc, task == Task.OBB, filter);
            }
            extras[i] = switch (task) {
                case SEGMENT -> new Extras(TaskDecoder.masks(raw, protos, i, nc, dets[i], h, w, img.rows(), img.cols(), !o.valResize()), null, null, null);
                case POSE -> new Extras(null, TaskDecoder.keypoints(raw, i, nc, meta.kptShape(), dets[i], h, w, img.rows(), img.cols(),
                        o.valResize() ? boxes[i] : null), null, null);
                case OBB -> new Extras(null, null, TaskDecoder.obb(raw, i, dets[i], boxes[i], meta.names()), null);
                case DETECT, CLASSIFY -> Extras.NONE;
            };
            if (extras[i].obb() != null) {
                dets[i] = enclosing(extras[i].obb(), dets[i]);
            } else {
                boxes[i].toOriginal(dets[i].xyxy(), dets[i].size());
            }
        });
        return new Decoded(List.of(dets), List.of(extras));
    }

    /** For oriented boxes, the axis-aligned boxes that enclose them (original pixels). */
    private static Decoder.Detections enclosing(Obb obb, Decoder.Detections d) {
        float[] xyxy = new float[obb.size() * 4];
        for (int j = 0; j < obb.size(); j++) {
            float[] c = obb.xyxyxyxy(j);
            xyxy[j * 4] = Math.min(Math.min(c[0], c[2]), Math.min(c[4], c[6]));
            xyxy[j * 4 + 1] = Math.min(Math.min(c[1], c[3]), Math.min(c[5], c[7]));
            xyxy[j * 4 + 2] = Math.max(Math.max(c[0], c[2]), Math.max(c[4], c[6]));
            xyxy[j * 4 + 3] = Math.max(Math.max(c[1], c[3]), Math.max(c[5], c[7]));
        }
        return new Decoder.Detections(xyxy, d.conf(), d.cls(), d.anchor());
    }
}
