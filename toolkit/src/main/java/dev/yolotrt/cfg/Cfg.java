package dev.yolotrt.cfg;

import dev.yolotrt.task.Task;
import dev.yolotrt.util.YoloException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one table of option names, types and defaults (Ultralytics' {@code cfg/default.yaml}), and the
 * validation of {@code key=value} arguments against it. The CLI, the Java builders and notebooks all
 * come through here, so an unknown key or a bad value is rejected in one place.
 */
public final class Cfg {

    public enum Type { BOOL, INT, FLOAT, STRING, INTS }

    /** One option: its name, type, default (null for None) and a line of help. */
    public record Key(String name, Type type, Object fallback, String help) {
    }

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();

    static {
        key("model", Type.STRING, "yolov8n.onnx", "model file (.pt, .onnx or .engine), by path or by name in YOLO_TRT_MODELS");
        key("task", Type.STRING, null, "detect, segment, pose, classify or obb (default: the model's own)");
        key("source", Type.STRING, "bus.jpg", "image file, folder, glob, comma-separated list, URL, video file, stream URL, camera index (0) or .streams file");
        key("data", Type.STRING, "coco8.yaml", "dataset YAML (val, and INT8 calibration)");
        key("imgsz", Type.INTS, List.of(640), "input size: one number, or height,width");
        key("batch", Type.INT, 1, "batch size (export: the largest batch the engine takes)");
        key("device", Type.STRING, null, "device: cpu, 0 (GPU 0), 0,1 (several GPUs, benchmark) or dla:0 / dla:1");
        key("conf", Type.FLOAT, null, "confidence threshold (predict 0.25, val 0.001)");
        key("iou", Type.FLOAT, 0.7, "NMS IoU threshold");
        key("max_det", Type.INT, 300, "maximum detections per image");
        key("classes", Type.INTS, null, "keep only these class ids, e.g. classes=0,2");
        key("agnostic_nms", Type.BOOL, false, "class-agnostic NMS");
        key("gpu_decode", Type.BOOL, true, "engines, detect: pick the boxes above conf on the GPU and copy back only those (false: the whole head, decoded on the host)");
        key("gpu_preprocess", Type.BOOL, true, "engines: letterbox on the GPU (uint8 upload, resize, pad, normalise in one kernel); false: on the host");
        key("show", Type.BOOL, false, "show annotated results in a window, where there is a display (predict, track)");
        key("save", Type.BOOL, true, "save annotated images (predict, track: True on the CLI, False in the Java API, as Ultralytics' CLI and Python API) or plots (val)");
        key("save_txt", Type.BOOL, false, "save YOLO-format labels of the predictions");
        key("save_conf", Type.BOOL, false, "add confidences to save_txt labels");
        key("save_crop", Type.BOOL, false, "save each detected box as an image under crops/<class>/");
        key("save_json", Type.BOOL, false, "save COCO-format predictions JSON (val)");
        key("show_labels", Type.BOOL, true, "draw class names on saved images");
        key("show_conf", Type.BOOL, true, "draw confidences on saved images");
        key("line_width", Type.INT, null, "box line width in pixels (None: from the image size)");
        key("project", Type.STRING, null, "folder for runs (default runs/<task>)");
        key("name", Type.STRING, null, "run name inside project (default the mode, numbered)");
        key("exist_ok", Type.BOOL, false, "reuse project/name instead of numbering a new one");
        key("split", Type.STRING, "val", "dataset split: the one val scores, or the one INT8 export calibrates on");
        key("verbose", Type.BOOL, true, "print per-image and per-class lines");
        key("format", Type.STRING, "engine", "export format: engine, or onnx (a .pt's network; with int8=True a Q/DQ INT8 ONNX)");
        key("half", Type.BOOL, false, "FP16 engine");
        key("int8", Type.BOOL, false, "INT8 engine with calibration on data");
        key("dynamic", Type.BOOL, false, "dynamic batch and image size");
        key("simplify", Type.BOOL, false, "not supported (True is refused): TensorRT's builder folds constants and drops dead nodes itself, so the engine is the same");
        key("workspace", Type.FLOAT, null, "TensorRT workspace in GiB (None: TensorRT decides)");
        key("nms", Type.BOOL, false, "NMS inside the engine");
        key("fraction", Type.FLOAT, 1.0, "fraction of the dataset used for INT8 calibration");
        key("iters", Type.INT, 100, "benchmark: end-to-end calls timed per row (mean, min and max are over them)");
        key("precisions", Type.STRING, "fp32,fp16,int8,fp16+nms", "benchmark: engine variants to build and time");
        key("calibrator", Type.STRING, "minmax", "INT8 calibration algorithm: minmax (the Ultralytics guide's), entropy2 or percentile");
        key("calib_batch", Type.INT, null, "images per INT8 calibration batch (None: 2 x batch)");
        key("fp16_layers", Type.STRING, null, "INT8: keep layers whose names match this regex in FP16, e.g. /model\\.22/");
        key("quant", Type.STRING, null, "INT8: qdq (explicit Q/DQ nodes in the ONNX) or implicit (TensorRT calibrator; the engine default)");
        key("strongly_typed", Type.BOOL, null, "half=True as a strongly typed network: the ONNX converted to FP16, no precision flags (None: True on the GPU without nms; False: TensorRT's kFP16 flag)");
        key("opt_level", Type.INT, null, "TensorRT builder optimization level 0-5 (None: 2 for a strongly typed FP16 network, else TensorRT's 3); lower builds faster");
        key("threads", Type.INT, 0, "CPU inference threads (0: ONNX Runtime decides)");
        // Videos, streams and track mode (video package, track package).
        key("vid_stride", Type.INT, 1, "videos: predict on every n-th frame");
        key("stream_buffer", Type.BOOL, false, "live streams: queue every frame (true) instead of keeping only the newest");
        key("save_frames", Type.BOOL, false, "videos: also save each annotated frame as <video>_frames/<n>.jpg");
        key("tracker", Type.STRING, "botsort.yaml", "track: bytetrack.yaml, botsort.yaml or the path of a tracker YAML");
        key("persist", Type.BOOL, false, "track (Java API): keep the tracks of the previous call");
        key("show_trails", Type.BOOL, false, "track: draw each track's recent centres on the saved video");
        key("decoder", Type.STRING, null, "video files: cpu (FFmpeg's software decoder; None) or nvdec (the GPU's H.264 decoder: same frames, less CPU)");
        key("timeout", Type.FLOAT, 10.0, "streams: seconds without data before the stream counts as dropped");
    }

    /**
     * The range of each numeric option (each element, for lists): values past them hang, exhaust memory or fail
     * late (after results were printed, in a half-made run folder), so they are refused here, before anything runs.
     */
    private static final Map<String, double[]> RANGES = Map.ofEntries(
            Map.entry("imgsz", new double[] {32, 16_384}), Map.entry("batch", new double[] {1, 1024}),
            Map.entry("conf", new double[] {0, 1}), Map.entry("iou", new double[] {0, 1}), Map.entry("max_det", new double[] {1, 100_000}),
            Map.entry("classes", new double[] {0, 99_999}), Map.entry("line_width", new double[] {1, 100}),
            Map.entry("workspace", new double[] {0, 1024}), Map.entry("fraction", new double[] {0, 1}),
            Map.entry("iters", new double[] {1, 1_000_000}), Map.entry("calib_batch", new double[] {1, 1024}), Map.entry("opt_level", new double[] {0, 5}),
            Map.entry("threads", new double[] {0, 1024}));

    private static void key(String name, Type type, Object fallback, String help) {
        KEYS.put(name, new Key(name, type, fallback, help));
    }

    /** {@code v} when it lies in the key's range (every element of a list), else one line naming the range. */
    private static Object inRange(Key key, Object v) {
        double[] r = RANGES.get(key.name());
        if (r == null || v == null) return v;
        List<?> all = v instanceof List<?> l ? l : List.of(v);
        for (Object o : all) {
            double d = ((Number) o).doubleValue();
            if (d < r[0] || d > r[1]) {
                String range = key.type() == Type.FLOAT ? r[0] + " to " + r[1] : (long) r[0] + " to " + (long) r[1];
                throw new YoloException("bad value " + key.name() + "=" + dev.yolotrt.util.Text.clip(String.valueOf(v)) + ": must be from " + range
                        + " (" + key.help() + ")");
            }
        }
        return v;
    }

    private final Map<String, Object> values;

    private Cfg(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public static Map<String, Key> keys() {
        return Collections.unmodifiableMap(KEYS);
    }

    /** The modes whose defaults differ from the table's, as Ultralytics' predictor, tracker, validator and exporter set their own. */
    public enum Mode { PREDICT, TRACK, VAL, EXPORT }

    /** Who passes the options: Ultralytics' CLI saves predictions unless told not to, its Python API (and ours) does not. */
    public enum Caller { CLI, API }

    /** Ultralytics' predict conf, also what an engine with NMS inside keeps. */
    private static final double PREDICT_CONF = 0.25;

    /** What {@code mode} sets over the table (the table's conf is None: every mode has its own). */
    private static Map<String, Object> modeDefaults(Mode mode, Caller caller) {
        boolean cli = caller == Caller.CLI;
        return switch (mode) {
            case PREDICT -> Map.of("conf", PREDICT_CONF, "save", cli);
            // Trackers want the weak detections too (ByteTrack's second association).
            case TRACK -> Map.of("conf", 0.1, "save", cli);
            case VAL -> Map.of("conf", 0.001);
            case EXPORT -> Map.of("conf", PREDICT_CONF);
        };
    }

    public static Cfg empty() {
        return new Cfg(new LinkedHashMap<>());
    }

    /** Validates {@code key=value} strings (the CLI's grammar). */
    public static Cfg parse(List<String> args) {
        Map<String, Object> raw = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            // A yes/no key alone means true, as in Ultralytics' CLI (yolo predict show).
            Key bare = eq < 0 ? KEYS.get(a.strip()) : null;
            if (bare != null && bare.type() == Type.BOOL) {
                raw.put(a.strip(), "true");
                continue;
            }
            if (eq <= 0) throw new YoloException("'" + dev.yolotrt.util.Text.clip(a) + "' is not key=value; valid keys: " + String.join(", ", KEYS.keySet()));
            raw.put(a.substring(0, eq).strip(), a.substring(eq + 1).strip());
        }
        return of(raw);
    }

    /** Validates a map of options whose values are strings or Java values. */
    public static Cfg of(Map<String, ?> args) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (var e : args.entrySet()) {
            Key key = KEYS.get(e.getKey());
            if (key == null) throw unknown(e.getKey());
            values.put(key.name(), inRange(key, convert(key, e.getValue())));
        }
        return new Cfg(values);
    }

    /**
     * The configuration a mode runs with, layered once: the table's defaults, then {@code mode}'s (for {@code caller}),
     * then this configuration's values, which win. Options records and builders read it and hold no defaults of their own.
     */
    public Cfg forMode(Mode mode, Caller caller) {
        Map<String, Object> layered = new LinkedHashMap<>(modeDefaults(mode, caller));
        // A value given as None where the mode has one (conf=None) means the mode's, as in Ultralytics.
        values.forEach((k, v) -> {
            if (v != null || !layered.containsKey(k)) layered.put(k, v);
        });
        return new Cfg(layered);
    }

    /** This configuration with {@code others} laid over it (validated). */
    public Cfg with(Map<String, ?> others) {
        Map<String, Object> merged = new LinkedHashMap<>(values);
        merged.putAll(of(others).values);
        return new Cfg(merged);
    }

    public boolean isSet(String key) {
        check(key);
        return values.containsKey(key);
    }

    public Object get(String key) {
        check(key);
        return values.containsKey(key) ? values.get(key) : KEYS.get(key).fallback();
    }

    public Map<String, Object> explicit() {
        return values;
    }

    public boolean bool(String key) {
        return (Boolean) get(key);
    }

    public Integer integer(String key) {
        return (Integer) get(key);
    }

    public Double number(String key) {
        return (Double) get(key);
    }

    public String string(String key) {
        return (String) get(key);
    }

    /** The {@code task=} override, parsed (null: the model's own task). */
    public Task task() {
        String t = string("task");
        return t == null ? null : Task.parse(t, "task");
    }

    @SuppressWarnings("unchecked")
    public List<Integer> ints(String key) {
        return (List<Integer>) get(key);
    }

    private static void check(String key) {
        if (!KEYS.containsKey(key)) throw unknown(key);
    }

    static YoloException unknown(String key) {
        // The edit distance is quadratic: a key of a million characters is near nothing anyway.
        // Keys are lower case: CONF is as near to conf as a key can be.
        String k = key.toLowerCase(java.util.Locale.ROOT);
        String near = key.length() > 64 ? "" : KEYS.keySet().stream().min((a, b) -> distance(k, a) - distance(k, b)).orElse("");
        String hint = !near.isEmpty() && distance(k, near) <= Math.max(2, key.length() / 3) ? "; did you mean '" + near + "'?" : ".";
        return new YoloException("'" + dev.yolotrt.util.Text.clip(key) + "' is not a valid option" + hint + " Valid keys: " + String.join(", ", KEYS.keySet()));
    }

    private static Object convert(Key key, Object value) {
        if (value == null) return null;
        if (value instanceof String s) {
            s = s.strip();
            if (s.equalsIgnoreCase("none") || s.equalsIgnoreCase("null")) {
                // None means "the default" only where the default is None: iou=None has no meaning.
                if (key.fallback() != null) throw bad(key, value);
                return null;
            }
            try {
                return switch (key.type()) {
                    case BOOL -> parseBool(s);
                    case INT -> Integer.parseInt(s);
                    case FLOAT -> finite(Double.parseDouble(s));
                    case STRING -> s;
                    case INTS -> parseInts(s);
                };
            } catch (NumberFormatException e) {
                throw bad(key, value);
            }
        }
        return switch (key.type()) {
            case BOOL -> {
                if (value instanceof Boolean b) yield b;
                throw bad(key, value);
            }
            case INT -> {
                if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
                    yield n.intValue();
                }
                throw bad(key, value);
            }
            case FLOAT -> {
                if (value instanceof Number n && Double.isFinite(n.doubleValue())) yield n.doubleValue();
                throw bad(key, value);
            }
            case STRING -> value.toString();
            case INTS -> {
                if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
                    yield List.of(n.intValue());
                }
                if (value instanceof int[] a) yield Arrays.stream(a).boxed().toList();
                if (value instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(o -> o instanceof Number n
                        && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE)) {
                    yield l.stream().map(o -> ((Number) o).intValue()).toList();
                }
                throw bad(key, value);
            }
        };
    }

    private static double finite(double v) {
        if (!Double.isFinite(v)) throw new NumberFormatException("not finite");
        return v;
    }

    private static boolean parseBool(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new NumberFormatException(s);
        };
    }

    private static List<Integer> parseInts(String s) {
        String inner = s.replaceAll("[\\[\\]() ]", "");
        List<Integer> out = new ArrayList<>();
        for (String p : inner.split(",")) if (!p.isEmpty()) out.add(Integer.parseInt(p));
        if (out.isEmpty()) throw new NumberFormatException(s);
        return List.copyOf(out);
    }

    private static YoloException bad(Key key, Object value) {
        String expected = switch (key.type()) {
            case BOOL -> "true or false";
            case INT -> "an integer";
            case FLOAT -> "a number";
            case STRING -> "text";
            case INTS -> "an integer or a list like 640 or 640,480";
        };
        return new YoloException("bad value " + key.name() + "=" + dev.yolotrt.util.Text.clip(String.valueOf(value)) + ": expected " + expected + " (" + key.help() + ")");
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
