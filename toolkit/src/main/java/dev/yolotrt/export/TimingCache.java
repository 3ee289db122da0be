package dev.yolotrt.export;

import dev.yolotrt.util.AtomicWrite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where TensorRT's timing cache for one (GPU, TensorRT version) lives: a rebuild with the cache skips the
 * kernel timing that dominates build time. TensorRT keys its entries by layer configuration and tactic, so
 * precisions and models share one file: an FP16 build reuses the FP32 build's FP32 timings, a checkpoint
 * converted in Java reuses its ONNX twin's, and models of one family (a segment and a pose model on the same
 * backbone) reuse each other's.
 */
public final class TimingCache {
    private TimingCache() {
    }

    /** A file name safe key: e.g. {@code nvidia-h100-80gb-hbm3-sm-90_trt10.6.0}. */
    public static String key(String gpu, String trtVersion) {
        String g = gpu.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        return g + "_trt" + trtVersion;
    }

    public static Path file(Path cacheDir, String key) {
        return cacheDir.resolve("timing").resolve(key + ".cache");
    }

    /** The cache's bytes, or an empty array when there is none yet. */
    public static byte[] load(Path file) {
        try {
            return Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        } catch (IOException e) {
            return new byte[0];
        }
    }

    public static void save(Path file, byte[] data) {
        AtomicWrite.write(file, data);
    }
}
