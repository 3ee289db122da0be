package dev.yolotrt.export;

import dev.yolotrt.util.YoloException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which images calibrate an INT8 engine, in which batches: the first {@code fraction} of the split,
 * in batches of {@link ExportOptions#calibrationBatch()}, the last batch filled up by cycling from the start so that every batch is full, as TensorRT expects.
 */
public final class CalibrationData {
    private CalibrationData() {
    }

    public static List<List<Path>> batches(List<Path> images, double fraction, int batchSize, String what) {
        if (!(fraction > 0 && fraction <= 1)) throw new YoloException("fraction=" + fraction + " must be in (0, 1]");
        if (images.isEmpty()) throw new YoloException("int8=True needs calibration images, but " + what + " has none");
        int n = Math.max(1, (int) Math.ceil(images.size() * fraction));
        List<Path> used = images.subList(0, n);
        int count = (n + batchSize - 1) / batchSize;
        List<List<Path>> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            List<Path> batch = new ArrayList<>(batchSize);
            for (int i = 0; i < batchSize; i++) batch.add(used.get((b * batchSize + i) % n));
            out.add(List.copyOf(batch));
        }
        return out;
    }
}
