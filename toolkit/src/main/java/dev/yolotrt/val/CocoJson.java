package dev.yolotrt.val;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.util.AtomicWrite;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** COCO-format predictions ({@code image_id, category_id, bbox [x, y, w, h], score}) for any COCO evaluator. */
public final class CocoJson {

    /** COCO's 91-id numbering of the 80 detection classes. */
    static final int[] COCO80_TO_91 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
            25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56,
            57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

    private final boolean coco;
    private final List<Map<String, Object>> rows = new ArrayList<>();

    /** {@code coco}: the classes are COCO's 80, so ids map to 1..90; otherwise category_id = class + 1. */
    public CocoJson(boolean coco) {
        this.coco = coco;
    }

    public static boolean isCoco(List<String> names) {
        return names.size() == 80 && names.get(0).equals("person") && names.get(79).equals("toothbrush");
    }

    public void add(Path image, float[] xyxy, float[] conf, int[] cls) {
        String stem = image.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        // COCO ids are numbers; a stem of digits too long for one stays a string, as Ultralytics' isnumeric would fail to int.
        Object imageId = stem.matches("\\d{1,18}") ? (Object) Long.parseLong(stem) : stem;
        for (int i = 0; i < conf.length; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("image_id", imageId);
            row.put("category_id", coco ? COCO80_TO_91[cls[i]] : cls[i] + 1);
            row.put("bbox", new double[] {round(xyxy[i * 4], 3), round(xyxy[i * 4 + 1], 3),
                    round(xyxy[i * 4 + 2] - xyxy[i * 4], 3), round(xyxy[i * 4 + 3] - xyxy[i * 4 + 1], 3)});
            row.put("score", round(conf[i], 5));
            rows.add(row);
        }
    }

    public int size() {
        return rows.size();
    }

    /** Writes the JSON through a temporary file. */
    public Path write(Path file) {
        return AtomicWrite.write(file, tmp -> new ObjectMapper().writeValue(tmp.toFile(), rows));
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
