package dev.yolotrt.task;

import dev.yolotrt.util.YoloException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Ultralytics writes beside a model: in an ONNX export as metadata_props (Python literals as
 * strings), in an engine file as JSON. {@code imgsz} is (height, width).
 */
public record ModelMetadata(String description, String author, String date, String version, Task task,
                            int stride, int batch, int[] imgsz, List<String> names, Map<String, Object> args, int[] kptShape) {

    /** Bounds for numbers read from model files: they size allocations, so they are checked first. */
    public static final int MAX_CLASSES = 100_000;
    public static final int MAX_IMGSZ = 16_384;

    // Possessive repeats: a backtracking (?:a|b)* recurses once per character and overflows the stack on a long value.
    private static final Pattern NAME = Pattern.compile("(\\d+)\\s*:\\s*(?:'((?:[^'\\\\]|\\\\.)*+)'|\"((?:[^\"\\\\]|\\\\.)*+)\")");
    private static final Pattern INT = Pattern.compile("-?\\d+");

    public ModelMetadata {
        names = List.copyOf(names);
        imgsz = imgsz.clone();
        kptShape = kptShape == null ? null : kptShape.clone();
        java.util.Objects.requireNonNull(task, "task");
        args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args)); // values may be null (None)
    }

    public int nc() {
        return names.size();
    }

    public String name(int cls) {
        return cls >= 0 && cls < names.size() ? names.get(cls) : String.valueOf(cls);
    }

    @Override
    public int[] imgsz() {
        return imgsz.clone();
    }

    /** Keypoints per object and values per keypoint ([17, 3] for COCO pose), or null. */
    @Override
    public int[] kptShape() {
        return kptShape == null ? null : kptShape.clone();
    }

    /** The same metadata for another task (the {@code task=} override). */
    public ModelMetadata withTask(Task newTask) {
        return new ModelMetadata(description, author, date, version, newTask, stride, batch, imgsz, names, args, kptShape);
    }

    /**
     * Reads Ultralytics' ONNX metadata_props; returns null when the map holds none of them (a model
     * exported by something else). {@code fallbackImgsz} and {@code nc} come from the graph's shapes.
     */
    public static ModelMetadata fromOnnxProps(Map<String, String> props, int[] fallbackImgsz, int nc) {
        if (!props.containsKey("names") && !props.containsKey("stride")) return null;
        List<String> names = props.containsKey("names") ? parseNames(props.get("names")) : defaultNames(nc);
        int[] imgsz = props.containsKey("imgsz") ? parseInts(props.get("imgsz"), "metadata imgsz", 1, MAX_IMGSZ) : fallbackImgsz;
        if (imgsz.length == 1) imgsz = new int[] {imgsz[0], imgsz[0]};
        if (imgsz.length != 2) throw new YoloException("metadata imgsz=" + dev.yolotrt.util.Text.clip(props.get("imgsz")) + " is not one size or [height, width]");
        Map<String, Object> args = new LinkedHashMap<>();
        if (props.containsKey("args")) args.put("args", props.get("args"));
        int[] kpt = props.containsKey("kpt_shape") ? parseInts(props.get("kpt_shape"), "metadata kpt_shape", 1, 1000) : null;
        if (kpt != null && kpt.length != 2) throw new YoloException("metadata kpt_shape=" + dev.yolotrt.util.Text.clip(props.get("kpt_shape")) + " is not [keypoints, values]");
        return new ModelMetadata(props.getOrDefault("description", ""), props.getOrDefault("author", ""),
                props.getOrDefault("date", ""), props.getOrDefault("version", ""),
                props.containsKey("task") ? Task.parse(props.get("task"), "metadata task") : Task.DETECT, intOr(props.get("stride"), "metadata stride", 1, 1024, 32), Math.max(1, intOr(props.get("batch"), "metadata batch", -1, 1 << 16, 1)),
                imgsz, names, args, kpt);
    }

    /** Metadata for a model without Ultralytics' props, inferred from its shapes. */
    public static ModelMetadata inferred(int[] imgsz, int nc, int batch) {
        return new ModelMetadata("", "", "", "", Task.DETECT, 32, batch, imgsz, defaultNames(nc), Map.of(), null);
    }

    /** Parses Python's {@code {0: 'person', 1: 'bicycle'}} as Ultralytics writes it. */
    public static List<String> parseNames(String dict) {
        Map<String, String> byId = new LinkedHashMap<>();
        Matcher m = NAME.matcher(dict);
        while (m.find()) {
            String v = m.group(2) != null ? m.group(2) : m.group(3);
            byId.put(m.group(1), v.replaceAll("\\\\(.)", "$1"));
        }
        return namesById(byId, "metadata 'names'");
    }

    /**
     * Class names from an id → name map, in id order; an id missing in between is named by its
     * number. Ids must be whole numbers below {@link #MAX_CLASSES}: the list is sized by the largest.
     */
    public static List<String> namesById(Map<?, ?> byId, String what) {
        Map<Integer, String> sorted = new java.util.TreeMap<>();
        for (var e : byId.entrySet()) {
            String key = String.valueOf(e.getKey()).strip();
            long id;
            try {
                id = Long.parseLong(key);
            } catch (NumberFormatException ex) {
                throw new YoloException(what + ": '" + dev.yolotrt.util.Text.clip(key) + "' is not a class id (expected 0, 1, 2 ...)");
            }
            if (id < 0 || id >= MAX_CLASSES) throw new YoloException(what + ": class id " + dev.yolotrt.util.Text.clip(key) + " is out of range (0-" + (MAX_CLASSES - 1) + ")");
            sorted.put((int) id, String.valueOf(e.getValue()));
        }
        List<String> names = new ArrayList<>();
        for (var e : sorted.entrySet()) {
            while (names.size() < e.getKey()) names.add(String.valueOf(names.size()));
            names.add(e.getValue());
        }
        return names;
    }

    static int[] parseInts(String text, String what, int min, int max) {
        return INT.matcher(text).results().mapToInt(r -> bounded(r.group(), what, min, max)).toArray();
    }

    /** {@code text} as an int within [min, max], or one line saying what is wrong. */
    public static int bounded(String text, String what, int min, int max) {
        try {
            long v = Long.parseLong(text.strip());
            if (v >= min && v <= max) return (int) v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new YoloException(what + "=" + dev.yolotrt.util.Text.clip(text) + " is not a whole number from " + min + " to " + max);
    }

    /** The first number in {@code s} within [min, max]; a dynamic batch is recorded as -1. */
    private static int intOr(String s, String what, int min, int max, int fallback) {
        if (s == null) return fallback;
        int[] v = parseInts(s, what, min, max);
        return v.length > 0 ? v[0] : fallback;
    }

    /** The precision and NMS an engine was built with, from its recorded export args (typed, checked). */
    public EngineArgs engineArgs() {
        return EngineArgs.of(args);
    }

    static List<String> defaultNames(int nc) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < nc; i++) names.add("class" + i);
        return names;
    }

    /** The same metadata with another batch, imgsz and args (what an export records). */
    public ModelMetadata with(int newBatch, int[] newImgsz, Map<String, Object> newArgs) {
        return new ModelMetadata(description, author, date, version, task, stride, newBatch, newImgsz, names, newArgs, kptShape);
    }
}
