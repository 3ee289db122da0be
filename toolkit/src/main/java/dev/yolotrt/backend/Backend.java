package dev.yolotrt.backend;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * An inference engine that knows float tensors and shapes only (ONNX Runtime on the CPU, TensorRT on
 * the GPU). Letterboxing, decoding and NMS live in {@code predict} and serve every backend.
 */
public interface Backend extends AutoCloseable {

    /** A short name for logs and tables, e.g. "onnxruntime-cpu" or "tensorrt-fp16". */
    String name();

    /** The input's shape, NCHW; -1 marks a dynamic dimension. */
    long[] inputShape();

    /** The largest batch one call takes: 1 for a static batch-1 model. */
    int maxBatch();

    default boolean dynamicBatch() {
        return inputShape()[0] < 0;
    }

    /**
     * Runs a batch. {@code input} holds {@code batch × 3 × height × width} floats from its position;
     * a direct buffer from {@link #inputBuffer(int, int, int)} avoids a copy.
     */
    List<Tensor> infer(FloatBuffer input, int batch, int height, int width);

    /** A buffer to fill for {@link #infer}; backends hand out pinned or direct memory where they can. */
    default FloatBuffer inputBuffer(int batch, int height, int width) {
        return java.nio.ByteBuffer.allocateDirect(batch * 3 * height * width * Float.BYTES)
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Override
    void close();
}
