package dev.yolotrt.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The INT8 calibration cache beside the engine ({@code yolov8n.cache}), with a side file
 * ({@code yolov8n.cache.json}) recording what it was calibrated on: model, data, fraction, imgsz, batch
 * and algorithm. A cache is reused only when all of those match and its text is well formed.
 */
public final class CalibrationCache {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CalibrationCache() {
    }

    public static Path of(Path engine) {
        return engine.resolveSibling(engine.getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".cache");
    }

    static Path sideFile(Path cache) {
        return cache.resolveSibling(cache.getFileName() + ".json");
    }

    /** The cached bytes when they can be trusted for {@code key}, else null (with a warning saying why). */
    public static byte[] load(Path cache, Map<String, Object> key) {
        if (!Files.exists(cache)) return null;
        try {
            Path side = sideFile(cache);
            if (!Files.exists(side)) {
                Log.info("WARNING: ignoring calibration cache " + cache + ": no record of what it was calibrated on; recalibrating");
                return null;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> recorded = JSON.readValue(side.toFile(), Map.class);
            if (!recorded.equals(JSON.readValue(JSON.writeValueAsBytes(key), Map.class))) {
                Log.info("WARNING: ignoring calibration cache " + cache + ": it was made for " + recorded + ", not " + key + "; recalibrating");
                return null;
            }
            byte[] bytes = Files.readAllBytes(cache);
            if (!wellFormed(bytes)) {
                Log.info("WARNING: calibration cache " + cache + " is corrupt; recalibrating");
                return null;
            }
            return bytes;
        } catch (IOException e) {
            Log.info("WARNING: cannot read calibration cache " + cache + " (" + e.getMessage() + "); recalibrating");
            return null;
        }
    }

    /**
     * TensorRT's cache text: a "TRT-<version>-<Algorithm>" line, then "tensor: hex-float-scale" lines.
     */
    static boolean wellFormed(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.US_ASCII);
        String[] lines = text.split("\n");
        if (lines.length < 2 || !lines[0].matches("TRT-\\d+-\\w+")) return false;
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) continue;
            if (!lines[i].matches(".+: [0-9a-fA-F]{1,8}")) return false;
        }
        return true;
    }

    public static void save(Path cache, byte[] bytes, Map<String, Object> key) {
        AtomicWrite.write(sideFile(cache), tmp -> JSON.writeValue(tmp.toFile(), key));
        AtomicWrite.write(cache, bytes);
    }
}
