package dev.yolotrt.backend;

import dev.yolotrt.tensor.Picked;
import dev.yolotrt.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * An inference engine that knows float tensors and shapes only (ONNX Runtime on the CPU, TensorRT on
 * the GPU). Letterboxing, decoding and NMS live in {@code predict} and serve every backend.
 * Inference runs through {@link Session}s: whoever runs inference opens one (or leases one from a
 * {@link SessionPool}) and closes it; the backend itself holds only what all sessions share.
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
     * How many batches a pipelined caller keeps running at once: 1 where inference already uses every core (ONNX Runtime
     * on the CPU), more where the host can prepare one batch while the device runs another.
     */
    default int concurrency() {
        return 1;
    }

    /**
     * The most sessions a {@link SessionPool} keeps open at once (callers past it wait for one): by default one per core,
     * more would only queue for the same cores.
     */
    default int maxSessions() {
        return Math.max(concurrency(), Runtime.getRuntime().availableProcessors());
    }

    /** The GPU this backend runs on; empty on the CPU. */
    default java.util.OptionalInt gpu() {
        return java.util.OptionalInt.empty();
    }

    /** Opens the per-stream state one caller runs inference with (context, stream, buffers). */
    Session openSession();

    /** Closes the backend; sessions must be closed first (their owners do it). */
    @Override
    void close();

    /**
     * Per-stream inference state, used by one thread at a time and closed by its owner. Outputs of
     * {@link #infer} stay valid until the next call on the same session.
     */
    interface Session extends AutoCloseable {

        /** A buffer to fill for {@link #infer}: pinned or direct memory that the session reuses. */
        FloatBuffer inputBuffer(int batch, int height, int width);

        /**
         * Runs a batch. {@code input} holds {@code batch × 3 × height × width} floats from its
         * position; the buffer from {@link #inputBuffer} avoids a copy.
         */
        List<Tensor> infer(FloatBuffer input, int batch, int height, int width);

        /** What this session does on its device besides tensors in and out; empty on the host (ONNX Runtime). */
        default java.util.Optional<DeviceOps> device() {
            return java.util.Optional.empty();
        }

        @Override
        void close();
    }

    /**
     * The device work of a session whose engine runs on a GPU (TensorRT): the letterbox and the candidates kernels in the
     * same launch as the engine, and the engine timed alone. Calls follow the session's rule: one thread at a time.
     */
    interface DeviceOps {

        /**
         * Runs a batch of decoded 8-bit BGR images, the {@code i}-th letterboxed into input slot {@code i} on the device as
         * its job says; slots past the jobs keep what they held.
         */
        List<Tensor> inferImages(List<DeviceLetterbox.Job> jobs, int batch, int height, int width);

        /**
         * Runs a batch as {@link Session#infer} (when {@code jobs} is null) or {@link #inferImages} would, but copies back
         * only the candidates {@code pick} keeps of the detect head (output 0, [batch, 4 + nc, anchors]) instead of the head.
         */
        Picked inferPicked(FloatBuffer input, List<DeviceLetterbox.Job> jobs, int batch, int height, int width, Picked.Pick pick);

        /**
         * The engine alone: {@code reps} repetitions of {@code runs} launches on device-resident buffers (no copies),
         * synchronised per repetition, after {@code warmup} launches. Milliseconds per image, one per repetition.
         */
        double[] timeEngine(int batch, int height, int width, int warmup, int reps, int runs);
    }
}
