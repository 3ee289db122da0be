package dev.yolotrt.export;

import dev.yolotrt.testutil.LogLines;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationTest {

    private static List<Path> images(int n) {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(Path.of("img" + i + ".jpg"));
        return out;
    }

    @Test
    void batchesAreTwiceTheExportBatchAndFull() {
        int batch = ExportOptions.builder().batch(8).build().calibrationBatch();
        assertEquals(16, batch);
        List<List<Path>> b = CalibrationData.batches(images(40), 1.0, batch, "d");
        assertEquals(3, b.size());                         // 40 images -> 16 + 16 + 8, the last filled up
        assertTrue(b.stream().allMatch(x -> x.size() == 16));
        assertEquals(Path.of("img32.jpg"), b.get(2).get(0));
        assertEquals(Path.of("img0.jpg"), b.get(2).get(8)); // filled by cycling from the start
    }

    @Test
    void fractionTakesTheFirstPartOfTheSplit() {
        List<List<Path>> b = CalibrationData.batches(images(100), 0.25, 4, "d");
        assertEquals(7, b.size());                          // 25 images in batches of 4
        assertEquals(Path.of("img24.jpg"), b.get(6).get(0));
        assertEquals(Path.of("img0.jpg"), b.get(6).get(1));
        assertEquals(1, CalibrationData.batches(images(4), 0.01, 2, "d").size()); // at least one image
    }

    @Test
    void noImagesOrBadFractionIsOneLine() {
        assertTrue(assertThrows(YoloException.class, () -> CalibrationData.batches(List.of(), 1.0, 2, "empty.yaml"))
                .getMessage().contains("empty.yaml has none"));
        assertThrows(YoloException.class, () -> CalibrationData.batches(images(3), 0, 2, "d"));
    }

    private static final byte[] CACHE = "TRT-100600-MinMaxCalibration\nimages: 3c010a14\n/model.0/conv/Conv_output_0: 3d8e7b4c\n"
            .getBytes(StandardCharsets.US_ASCII);

    private static Map<String, Object> key(double fraction) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("model_sha256", "abc");
        k.put("data", "coco8.yaml");
        k.put("fraction", fraction);
        k.put("imgsz", 640);
        k.put("batch", 16);
        k.put("calibrator", "minmax");
        return k;
    }

    @Test
    void cacheNamingAndReuse(@TempDir Path tmp) {
        Path cache = CalibrationCache.of(tmp.resolve("yolov8n.engine"));
        assertEquals(tmp.resolve("yolov8n.cache"), cache);
        try (LogLines log = LogLines.capture()) {
            assertNull(CalibrationCache.load(cache, key(1.0))); // nothing yet, nothing to warn about
            assertTrue(log.lines().isEmpty());
            CalibrationCache.save(cache, CACHE, key(1.0));
            assertArrayEquals(CACHE, CalibrationCache.load(cache, key(1.0)));
            assertTrue(log.lines().isEmpty());
        }
    }

    @Test
    void changedSettingsOrCorruptionAreIgnoredWithAWarning(@TempDir Path tmp) throws Exception {
        Path cache = tmp.resolve("yolov8n.cache");
        CalibrationCache.save(cache, CACHE, key(1.0));
        try (LogLines log = LogLines.capture()) {
            List<String> warnings = log.lines();
            assertNull(CalibrationCache.load(cache, key(0.5)));
            assertTrue(warnings.get(0).contains("it was made for"), warnings.toString());
            Files.writeString(cache, "garbage\u0000\u0001");
            assertNull(CalibrationCache.load(cache, key(1.0)));
            assertTrue(warnings.get(1).contains("is corrupt"), warnings.toString());
            Files.delete(tmp.resolve("yolov8n.cache.json"));
            Files.write(cache, CACHE);
            assertNull(CalibrationCache.load(cache, key(1.0)));
            assertTrue(warnings.get(2).contains("no record"), warnings.toString());
        }
        assertFalse(CalibrationCache.wellFormed("TRT-100600-MinMaxCalibration\nimages 3c01\n".getBytes()));
    }
}
