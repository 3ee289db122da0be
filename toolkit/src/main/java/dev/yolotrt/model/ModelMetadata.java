package dev.yolotrt.model;

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
public record ModelMetadata(String description, String author, String date, String version, String task,
                            int stride, int batch, int[] imgsz, List<String> names, Map<String, Object> args) {

    private static final Pattern NAME = Pattern.compile("(\\d+)\\s*:\\s*(?:'((?:[^'\\\\]|\\\\.)*)'|\"((?:[^\"\\\\]|\\\\.)*)\")");
    private static final Pattern INT = Pattern.compile("-?\\d+");

    public ModelMetadata {
        names = List.copyOf(names);
        imgsz = imgsz.clone();
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

    /**
     * Reads Ultralytics' ONNX metadata_props; returns null when the map holds none of them (a model
     * exported by something else). {@code fallbackImgsz} and {@code nc} come from the graph's shapes.
     */
    public static ModelMetadata fromOnnxProps(Map<String, String> props, int[] fallbackImgsz, int nc) {
        if (!props.containsKey("names") && !props.containsKey("stride")) return null;
        List<String> names = props.containsKey("names") ? parseNames(props.get("names")) : defaultNames(nc);
        int[] imgsz = props.containsKey("imgsz") ? parseInts(props.get("imgsz")) : fallbackImgsz;
        if (imgsz.length == 1) imgsz = new int[] {imgsz[0], imgsz[0]};
        Map<String, Object> args = new LinkedHashMap<>();
        if (props.containsKey("args")) args.put("args", props.get("args"));
        return new ModelMetadata(props.getOrDefault("description", ""), props.getOrDefault("author", ""),
                props.getOrDefault("date", ""), props.getOrDefault("version", ""),
                props.getOrDefault("task", "detect"), intOr(props.get("stride"), 32), intOr(props.get("batch"), 1),
                imgsz, names, args);
    }

    /** Metadata for a model without Ultralytics' props, inferred from its shapes. */
    public static ModelMetadata inferred(int[] imgsz, int nc, int batch) {
        return new ModelMetadata("", "", "", "", "detect", 32, batch, imgsz, defaultNames(nc), Map.of());
    }

    /** Parses Python's {@code {0: 'person', 1: 'bicycle'}} as Ultralytics writes it. */
    public static List<String> parseNames(String dict) {
        Map<Integer, String> byId = new java.util.TreeMap<>();
        Matcher m = NAME.matcher(dict);
        while (m.find()) {
            String v = m.group(2) != null ? m.group(2) : m.group(3);
            byId.put(Integer.parseInt(m.group(1)), v.replaceAll("\\\\(.)", "$1"));
        }
        List<String> names = new ArrayList<>();
        for (var e : byId.entrySet()) {
            while (names.size() < e.getKey()) names.add(String.valueOf(names.size()));
            names.add(e.getValue());
        }
        return names;
    }

    static int[] parseInts(String text) {
        return INT.matcher(text).results().mapToInt(r -> Integer.parseInt(r.group())).toArray();
    }

    private static int intOr(String s, int fallback) {
        if (s == null) return fallback;
        int[] v = parseInts(s);
        return v.length > 0 ? v[0] : fallback;
    }

    static List<String> defaultNames(int nc) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < nc; i++) names.add("class" + i);
        return names;
    }

    /** The same metadata with another batch, imgsz and args (what an export records). */
    public ModelMetadata with(int newBatch, int[] newImgsz, Map<String, Object> newArgs) {
        return new ModelMetadata(description, author, date, version, task, stride, newBatch, newImgsz, names, newArgs);
    }
}
