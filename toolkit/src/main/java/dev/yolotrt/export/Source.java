package dev.yolotrt.export;

import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.util.Settings;

import java.nio.file.Path;

/**
 * What an export, INT8 calibration or activation tracing needs of a loaded model: its ONNX file,
 * metadata and input shape (-1 where dynamic), and where datasets and caches live. The facade hands
 * this over ({@code Yolo.source()}), so the exporter never depends on the facade.
 */
public record Source(Path file, ModelMetadata metadata, long[] inputShape, Settings settings) {

    public Source {
        inputShape = inputShape.clone();
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }
}
