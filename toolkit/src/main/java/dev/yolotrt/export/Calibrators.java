package dev.yolotrt.export;

import dev.yolotrt.data.Images;
import dev.yolotrt.predict.ValInput;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.tensorrt.nvinfer.IInt8Calibrator;
import org.bytedeco.tensorrt.nvinfer.IInt8EntropyCalibrator2;
import org.bytedeco.tensorrt.nvinfer.IInt8MinMaxCalibrator;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

/**
 * INT8 calibrators fed with images preprocessed as the task predicts (letterbox; a classifier's resize and centre crop): MinMax (the Ultralytics TensorRT guide's choice, the default) or Entropy
 * v2. Images are read and letterboxed on a background thread, ahead of TensorRT's requests; the
 * cache TensorRT writes is kept, with a record of what it was calibrated on.
 */
public final class Calibrators {

    /** minmax and entropy2 are TensorRT calibrators; percentile sets explicit ranges ({@link PercentileRanges}). */
    public static final List<String> ALGORITHMS = List.of("minmax", "entropy2", "percentile");

    private Calibrators() {
    }

    /**
     * Feeds batches to TensorRT and keeps the calibration cache; owns the native memory of the calibration (the device
     * batch, the calibrator's peer, the cache handed to TensorRT), freed on close in reverse order of creation.
     */
    static final class Feed implements AutoCloseable {
        private final int batchSize;
        private final int imgsz;
        private final boolean classify;
        private final int total;
        private final BlockingQueue<float[]> queue = new ArrayBlockingQueue<>(2);
        private final Thread reader;
        private final Pointer device = new Pointer();
        private final byte[] cacheIn;
        private final Consumer<byte[]> cacheOut;
        private final Progress bar;
        private volatile RuntimeException failure;
        private IInt8Calibrator peer;
        private BytePointer cacheHold;

        Feed(List<List<Path>> batches, int imgsz, boolean classify, byte[] cacheIn, Consumer<byte[]> cacheOut) {
            this.batchSize = batches.get(0).size();
            this.imgsz = imgsz;
            this.classify = classify;
            this.total = batches.size();
            this.cacheIn = cacheIn;
            this.cacheOut = cacheOut;
            int plane = 3 * imgsz * imgsz;
            dev.yolotrt.backend.TensorRt.check(cudaMalloc(device, (long) batchSize * plane * Float.BYTES), "cudaMalloc");
            this.bar = cacheIn == null ? Progress.start("Calibrating INT8", total) : null;
            this.reader = new Thread(() -> {
                try {
                    for (List<Path> batch : batches) {
                        float[] data = new float[batchSize * plane];
                        FloatBuffer fb = FloatBuffer.wrap(data);
                        for (int i = 0; i < batch.size(); i++) {
                            try (Mat img = Images.read(batch.get(i))) {
                                ValInput.toChw(classify, img, imgsz, fb, i * plane);
                            }
                        }
                        queue.put(data);
                    }
                    queue.put(new float[0]);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failure = e;
                    queue.offer(new float[0]);
                }
            }, "calibration-reader");
            reader.setDaemon(true);
            if (cacheIn == null) reader.start();
        }

        int batchSize() {
            return batchSize;
        }

        /** TensorRT's calibrator over this feed ({@code minmax} or {@code entropy2}), owned by the feed. */
        IInt8Calibrator calibrator(String algorithm) {
            if (peer != null) throw new IllegalStateException("a feed serves one calibrator");
            peer = create(algorithm, this);
            return peer;
        }

        boolean next(PointerPointer<?> bindings) {
            try {
                float[] data = queue.take();
                if (failure != null) throw new YoloException("calibration stopped: " + failure.getMessage());
                if (data.length == 0) return false;
                try (FloatPointer host = new FloatPointer(data)) {
                    dev.yolotrt.backend.TensorRt.check(cudaMemcpy(device, host, (long) data.length * Float.BYTES, cudaMemcpyHostToDevice), "cudaMemcpy");
                }
                bindings.put(0, device);
                if (bar != null) bar.step(1);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        Pointer readCache(LongPointer length) {
            if (cacheIn == null) {
                length.put(0, 0);
                return null;
            }
            if (cacheHold == null) cacheHold = new BytePointer(cacheIn);
            length.put(0, cacheIn.length);
            return cacheHold;
        }

        void writeCache(Pointer ptr, long length) {
            byte[] bytes = new byte[(int) length];
            new BytePointer(ptr).capacity(length).get(bytes);
            cacheOut.accept(bytes);
        }

        @Override
        public void close() {
            reader.interrupt();
            if (bar != null) bar.close();
            if (cacheHold != null) cacheHold.close();
            if (peer != null) peer.close();
            cudaFree(device);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d batches of %d at %d px", total, batchSize, imgsz);
        }
    }

    static final class MinMax extends IInt8MinMaxCalibrator {
        private final Feed feed;

        MinMax(Feed feed) {
            this.feed = feed;
        }

        @Override public int getBatchSize() { return feed.batchSize(); }
        @Override public boolean getBatch(PointerPointer bindings, PointerPointer names, int nb) { return feed.next(bindings); }
        @Override public Pointer readCalibrationCache(LongPointer length) { return feed.readCache(length); }
        @Override public void writeCalibrationCache(Pointer ptr, long length) { feed.writeCache(ptr, length); }
    }

    static final class Entropy2 extends IInt8EntropyCalibrator2 {
        private final Feed feed;

        Entropy2(Feed feed) {
            this.feed = feed;
        }

        @Override public int getBatchSize() { return feed.batchSize(); }
        @Override public boolean getBatch(PointerPointer bindings, PointerPointer names, int nb) { return feed.next(bindings); }
        @Override public Pointer readCalibrationCache(LongPointer length) { return feed.readCache(length); }
        @Override public void writeCalibrationCache(Pointer ptr, long length) { feed.writeCache(ptr, length); }
    }

    private static IInt8Calibrator create(String algorithm, Feed feed) {
        return switch (algorithm) {
            case "minmax" -> new MinMax(feed);
            case "entropy2" -> new Entropy2(feed);
            default -> throw new YoloException("calibrator=" + algorithm + " is not one of " + ALGORITHMS);
        };
    }
}
