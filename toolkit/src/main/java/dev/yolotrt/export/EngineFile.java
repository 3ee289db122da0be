package dev.yolotrt.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.task.Task;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ultralytics' {@code .engine} layout: a 4-byte little-endian length, that many bytes of UTF-8 JSON
 * metadata (names, stride, imgsz, batch, task, args ...), then the serialized TensorRT plan. A file
 * without the header (a bare {@code trtexec} plan) reads with null metadata.
 */
public record EngineFile(Map<String, Object> metadata, byte[] plan) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads an engine file; the plan is returned as is, unchecked (TensorRT checks it on load). */
    public static EngineFile read(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new YoloException("cannot read engine " + file + ": " + e.getMessage());
        }
        return parse(all, file.toString());
    }

    /** Splits an engine's bytes into header and plan; {@code what} names it in errors. */
    @SuppressWarnings("unchecked")
    public static EngineFile parse(byte[] all, String what) {
        if (all.length < 32) throw new YoloException(what + " is not a TensorRT engine (" + all.length + " bytes); export one with `yolo-trt export`");
        long len = ByteBuffer.wrap(all, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (len > 1 && len < all.length - 4 && all[4] == '{') {
            try {
                Map<String, Object> meta = JSON.readValue(new String(all, 4, (int) len, StandardCharsets.UTF_8), Map.class);
                byte[] plan = java.util.Arrays.copyOfRange(all, 4 + (int) len, all.length);
                return new EngineFile(meta, plan);
            } catch (JsonProcessingException e) {
                // Not Ultralytics' header after all: a bare plan whose first bytes look like one.
            }
        }
        return new EngineFile(null, all);
    }

    /** Writes header + plan through a temporary file, so no partial engine is ever left at {@code file}. */
    public static Path write(Path file, Map<String, Object> metadata, byte[] plan) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(metadata);
        } catch (JsonProcessingException e) {
            throw new YoloException("cannot encode the metadata of " + file + ": " + e.getOriginalMessage());
        }
        return AtomicWrite.write(file, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(json.length).array());
                out.write(json);
                out.write(plan);
            }
        });
    }

    /** Ultralytics' metadata for an engine exported from {@code source}. */
    public static Map<String, Object> metadata(ModelMetadata source, int batch, int imgsz, Map<String, Object> args, Object producer) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("description", source.description());
        m.put("author", source.author().isEmpty() ? "Ultralytics" : source.author());
        m.put("date", java.time.OffsetDateTime.now().withNano(0).toString());
        m.put("version", source.version());
        m.put("license", "AGPL-3.0 License (https://ultralytics.com/license)");
        m.put("docs", "https://docs.ultralytics.com");
        m.put("stride", source.stride());
        m.put("task", source.task().id());
        m.put("batch", batch);
        m.put("imgsz", List.of(imgsz, imgsz));
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < source.nc(); i++) names.put(String.valueOf(i), source.name(i));
        m.put("names", names);
        if (source.kptShape() != null) m.put("kpt_shape", List.of(source.kptShape()[0], source.kptShape()[1]));
        m.put("args", args);
        m.put("channels", 3);
        m.put("producer", producer);
        return m;
    }

    /**
     * The metadata as {@link ModelMetadata}; null when the file had no header. Every value is
     * type- and range-checked here, since a header is data from a file.
     */
    @SuppressWarnings("unchecked")
    public ModelMetadata modelMetadata() {
        if (metadata == null) return null;
        List<String> names = new ArrayList<>();
        Object n = metadata.get("names");
        if (n instanceof Map<?, ?> map) {
            names = ModelMetadata.namesById(map, "engine metadata 'names'");
        } else if (n instanceof List<?> l) {
            if (l.size() > ModelMetadata.MAX_CLASSES) throw new YoloException("engine metadata: " + l.size() + " names are too many");
            names = l.stream().map(String::valueOf).toList();
        } else if (n != null) {
            throw new YoloException("engine metadata: 'names' must be a map of id: name");
        }
        int[] imgsz = {640, 640};
        Object sz = metadata.get("imgsz");
        if (sz instanceof List<?> l && l.size() == 2) imgsz = new int[] {size(l.get(0)), size(l.get(1))};
        else if (sz instanceof Number) imgsz = new int[] {size(sz), size(sz)};
        else if (sz != null) throw new YoloException("engine metadata: imgsz=" + Text.clip(String.valueOf(sz)) + " is not a size or [height, width]");
        Object t = metadata.getOrDefault("task", Task.DETECT.id());
        if (!(t instanceof String)) throw new YoloException("engine metadata: task=" + Text.clip(String.valueOf(t)) + " is not a task name");
        Task task = Task.parse((String) t, "engine metadata: task");
        Object a = metadata.get("args");
        if (a != null && !(a instanceof Map)) throw new YoloException("engine metadata: args must be a map");
        Map<String, Object> args = a == null ? Map.of() : (Map<String, Object>) a;
        int[] kpt = null;
        Object k = metadata.get("kpt_shape");
        if (k instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Number kn && l.get(1) instanceof Number kv
                && kn.intValue() >= 1 && kn.intValue() <= 1000 && kv.intValue() >= 2 && kv.intValue() <= 3) {
            kpt = new int[] {kn.intValue(), kv.intValue()};
        } else if (k != null) {
            throw new YoloException("engine metadata: kpt_shape=" + Text.clip(String.valueOf(k)) + " is not [keypoints, 2 or 3]");
        }
        ModelMetadata m = new ModelMetadata(str("description"), str("author"), str("date"), str("version"), task,
                num("stride", 32, 1, 1024), Math.max(1, num("batch", 1, -1, 1 << 16)), imgsz, names, new LinkedHashMap<>(args), kpt);
        m.engineArgs(); // checks the args' types now, not at the first prediction
        return m;
    }

    private static int size(Object v) {
        if (v instanceof Number x && x.doubleValue() == Math.rint(x.doubleValue()) && x.longValue() >= 1 && x.longValue() <= ModelMetadata.MAX_IMGSZ) {
            return x.intValue();
        }
        throw new YoloException("engine metadata: imgsz value " + Text.clip(String.valueOf(v)) + " is not a whole number from 1 to " + ModelMetadata.MAX_IMGSZ);
    }

    private String str(String key) {
        Object v = metadata.get(key);
        return v == null ? "" : v.toString();
    }

    private int num(String key, int fallback, int min, int max) {
        Object v = metadata.get(key);
        if (v == null) return fallback;
        return ModelMetadata.bounded(String.valueOf(v), "engine metadata " + key, min, max);
    }
}
