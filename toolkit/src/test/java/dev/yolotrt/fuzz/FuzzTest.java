package dev.yolotrt.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.Labels;
import dev.yolotrt.export.EngineFile;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.notebook.NotebookRunner;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.ValOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded fuzzing of the entry points that read what users and files hand us: engine headers, dataset
 * YAML, label lines, CLI arguments, notebook JSON and the pickles of .pt checkpoints. Mutations are structure-aware (values swapped
 * for huge, negative, non-finite, wrong-typed or missing ones, keys dropped) and byte-level (flips,
 * cuts, inserts). Each input either parses or fails with the toolkit's own error and a message;
 * anything else (NumberFormatException, ClassCastException, OutOfMemoryError, ...) fails the test
 * with its reproducer. Over 10^5 cases within ~30 s.
 */
class FuzzTest {

    private static final long SEED = 20261126L;
    private static final int CASES_PER_TARGET = 24_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Settings SETTINGS = Settings.from(Map.of(Settings.CACHE, "/nonexistent/yolo-trt-fuzz"));

    private final List<String> failures = new ArrayList<>();
    private int cases;

    @Test
    void onlyTheToolkitsOwnErrorEscapes() throws Exception {
        Random rnd = new Random(SEED);
        long t0 = System.nanoTime();
        fuzzJson("engine header", engineHeaderSeed(), rnd, this::engineHeader);
        fuzzText("dataset YAML", DATASET_SEEDS, rnd, text -> Dataset.fromYaml(text, "fuzz.yaml", SETTINGS));
        fuzzText("label line", LABEL_SEEDS, rnd, line -> Labels.parse(line, Path.of("fuzz.txt"), 1, 80));
        fuzzArgs(rnd);
        fuzzJson("notebook JSON", notebookSeed(), rnd, json -> NotebookRunner.parse(json.getBytes(StandardCharsets.UTF_8), "fuzz.ipynb"));
        fuzzCheckpoints(rnd);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("fuzz: %d cases in %.1f s, %d escapes%n", cases, s, failures.size());
        assertTrue(cases >= 100_000, "cases: " + cases);
        assertTrue(failures.isEmpty(), failures.size() + " inputs escaped as other exceptions, e.g.\n" + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    private void check(String target, String input, Runnable call) {
        cases++;
        try {
            call.run();
        } catch (YoloException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) failures.add(target + ": YoloException without a message for " + show(input));
        } catch (Throwable t) {
            failures.add(target + ": " + t.getClass().getName() + ": " + t.getMessage() + " for " + show(input));
        }
    }

    private static String show(String input) {
        String s = input.replace("\n", "\\n").replace("\0", "\\0");
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    // --- engine headers ------------------------------------------------------------------------

    private void engineHeader(String json) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        byte[] all = ByteBuffer.allocate(4 + header.length + 64).order(ByteOrder.LITTLE_ENDIAN).putInt(header.length).put(header).array();
        EngineFile ef = EngineFile.parse(all, "fuzz.engine");
        if (ef.metadata() != null) ef.modelMetadata();
    }

    private static String engineHeaderSeed() {
        return "{\"description\":\"Ultralytics YOLOv8n\",\"author\":\"Ultralytics\",\"version\":\"8.3.218\",\"stride\":32,"
                + "\"task\":\"detect\",\"batch\":8,\"imgsz\":[640,640],\"names\":{\"0\":\"person\",\"1\":\"bicycle\",\"2\":\"car\"},"
                + "\"args\":{\"batch\":8,\"half\":true,\"int8\":false,\"nms\":false,\"dynamic\":true},\"channels\":3}";
    }

    // --- notebooks -----------------------------------------------------------------------------

    private static String notebookSeed() {
        return "{\"cells\":[{\"cell_type\":\"markdown\",\"metadata\":{},\"source\":[\"# title\"]},"
                + "{\"cell_type\":\"code\",\"execution_count\":null,\"metadata\":{},\"outputs\":[],\"source\":[\"int x = 1;\\n\",\"x + 1\"]}],"
                + "\"metadata\":{\"kernelspec\":{\"name\":\"yolo-trt\"}},\"nbformat\":4,\"nbformat_minor\":5}";
    }

    // --- .pt checkpoints: the pickle inside mutated byte by byte -------------------------------------

    private void fuzzCheckpoints(Random rnd) throws Exception {
        Path pt = dev.yolotrt.testutil.Shared.model("yolov8n.pt");
        byte[] pickle;
        try (var z = new java.util.zip.ZipFile(pt.toFile())) {
            pickle = z.getInputStream(z.getEntry("yolov8n/data.pkl")).readAllBytes();
        }
        Path dir = java.nio.file.Files.createTempDirectory("fuzz-pt");
        try {
            for (int i = 0; i < 2_000; i++) {
                byte[] b = pickle.clone();
                for (int k = 0, m = 1 + rnd.nextInt(4); k < m; k++) {
                    int at = rnd.nextInt(b.length);
                    switch (rnd.nextInt(3)) {
                        case 0 -> b[at] = (byte) rnd.nextInt(256);
                        case 1 -> b = java.util.Arrays.copyOf(b, at);
                        default -> b[at] = (byte) "cq\u0080\u0093RQ.(tX\n".charAt(rnd.nextInt(11));
                    }
                    if (b.length == 0) break;
                }
                Path f = dir.resolve("m.pt");
                try (var z = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(f))) {
                    z.putNextEntry(new java.util.zip.ZipEntry("yolov8n/data.pkl"));
                    z.write(b);
                }
                check("checkpoint", "pickle mutation " + i, () -> {
                    try (var c = dev.yolotrt.model.pt.Checkpoint.read(f)) {
                        c.task();
                        var sd = c.stateDict();
                        if (!sd.isEmpty()) sd.values().iterator().next().floats();
                    }
                });
            }
        } finally {
            try (var s = java.nio.file.Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.deleteIfExists(p);
            }
        }
    }

    // --- JSON: structure-aware and byte-level ----------------------------------------------------

    private void fuzzJson(String target, String seed, Random rnd, Consumer<String> call) throws Exception {
        JsonNode base = JSON.readTree(seed);
        for (int i = 0; i < CASES_PER_TARGET; i++) {
            String input;
            if (i % 4 == 3) {
                input = mutateText(seed, rnd);
            } else {
                JsonNode n = base.deepCopy();
                for (int k = 0, m = 1 + rnd.nextInt(3); k < m; k++) n = mutateTree(n, rnd, 0);
                input = n.toString();
            }
            String in = input;
            check(target, in, () -> call.accept(in));
        }
    }

    private static JsonNode mutateTree(JsonNode n, Random rnd, int depth) {
        if (n instanceof ObjectNode o && o.size() > 0 && rnd.nextInt(4) != 0) {
            List<String> keys = new ArrayList<>();
            o.fieldNames().forEachRemaining(keys::add);
            String key = keys.get(rnd.nextInt(keys.size()));
            switch (rnd.nextInt(4)) {
                case 0 -> o.remove(key);
                case 1 -> o.set(key, mutateTree(o.get(key), rnd, depth + 1));
                case 2 -> o.set(key, randomValue(rnd, depth));
                default -> o.set(String.valueOf(randomNumberText(rnd)), randomValue(rnd, depth));
            }
            return o;
        }
        if (n instanceof ArrayNode a && a.size() > 0 && rnd.nextInt(4) != 0) {
            int at = rnd.nextInt(a.size());
            switch (rnd.nextInt(3)) {
                case 0 -> a.remove(at);
                case 1 -> a.set(at, mutateTree(a.get(at), rnd, depth + 1));
                default -> a.insert(at, randomValue(rnd, depth));
            }
            return a;
        }
        return randomValue(rnd, depth);
    }

    private static JsonNode randomValue(Random rnd, int depth) {
        return switch (rnd.nextInt(depth > 3 ? 9 : 12)) {
            case 0 -> F.nullNode();
            case 1 -> F.numberNode(rnd.nextInt());
            case 2 -> F.numberNode(new long[] {0, -1, 1, 2_000_000_000L, 99_999_999_999L, Long.MAX_VALUE, Long.MIN_VALUE}[rnd.nextInt(7)]);
            case 3 -> F.numberNode(new double[] {0.5, -0.0, 1e308, -1e-308, 640.5, 3.0e9}[rnd.nextInt(6)]);
            case 4 -> F.textNode(randomNumberText(rnd));
            case 5 -> F.textNode(new String[] {"", "none", "NaN", "person", "\0", "../../etc", "640,640", "[640]"}[rnd.nextInt(8)]);
            case 6 -> F.booleanNode(rnd.nextBoolean());
            case 7 -> F.numberNode(new java.math.BigInteger("123456789012345678901234567890"));
            case 8 -> F.textNode("x".repeat(rnd.nextInt(5000)));
            case 9 -> {
                ArrayNode a = F.arrayNode();
                for (int i = 0, n = rnd.nextInt(4); i < n; i++) a.add(randomValue(rnd, depth + 1));
                yield a;
            }
            case 10 -> {
                ObjectNode o = F.objectNode();
                for (int i = 0, n = rnd.nextInt(4); i < n; i++) o.set(randomNumberText(rnd), randomValue(rnd, depth + 1));
                yield o;
            }
            default -> {
                ObjectNode o = F.objectNode();
                o.put("0", "a");
                o.put(String.valueOf(rnd.nextInt(Integer.MAX_VALUE)), "b");
                yield o;
            }
        };
    }

    private static String randomNumberText(Random rnd) {
        return new String[] {"0", "1", "-1", "2000000000", "99999999999", "1e9", "0x10", "1.5", "a", "", " 7 ", "-0",
                "123456789012345678901234567890"}[rnd.nextInt(13)];
    }

    private static String mutateText(String seed, Random rnd) {
        StringBuilder sb = new StringBuilder(seed);
        for (int k = 0, m = 1 + rnd.nextInt(4); k < m && sb.length() > 0; k++) {
            int at = rnd.nextInt(sb.length());
            switch (rnd.nextInt(5)) {
                case 0 -> sb.deleteCharAt(at);
                case 1 -> sb.insert(at, "{}[]:,\"'\0\n-9!&*#|>".charAt(rnd.nextInt(18)));
                case 2 -> sb.setCharAt(at, (char) (32 + rnd.nextInt(95)));
                case 3 -> sb.setLength(at);
                default -> sb.insert(at, randomNumberText(rnd));
            }
        }
        return sb.toString();
    }

    // --- text formats --------------------------------------------------------------------------

    private static final List<String> DATASET_SEEDS = List.of(
            "path: coco8\ntrain: images/train\nval: images/val\nnames:\n  0: person\n  1: bicycle\n",
            "path: /data/x\nval: [images/a, images/b]\nnames: [cat, dog]\ndownload: https://example.invalid/x.zip\n",
            "train: list.txt\nval: list.txt\nnames: {0: a, 1: b}\ndownload: {https://example.invalid/a.zip: sub}\n");

    private static final List<String> YAML_BITS = List.of("!!int person", "!!binary abc", "!!set {a, b}", "!!float x", "&a [*a]",
            "\0", "/", "/dev/zero", "python3 get.py", "2000000000: x", "99999999999: y", "-1: z", "[1, [2, [3]]]", "{", "?", "- ",
            "!!python/object:os.system", "~", "null", "*x", "|\n  text", "0x1F: hex");

    private void fuzzText(String target, List<String> seeds, Random rnd, Consumer<String> call) {
        for (int i = 0; i < CASES_PER_TARGET; i++) {
            String seed = seeds.get(rnd.nextInt(seeds.size()));
            String input;
            if (target.startsWith("dataset") && rnd.nextBoolean()) {
                String[] lines = seed.split("\n", -1);
                int at = rnd.nextInt(lines.length);
                String bit = YAML_BITS.get(rnd.nextInt(YAML_BITS.size()));
                String line = lines[at];
                int colon = line.indexOf(':');
                lines[at] = colon > 0 && rnd.nextBoolean() ? line.substring(0, colon + 1) + " " + bit : bit;
                input = String.join("\n", lines);
            } else {
                input = mutateText(seed, rnd);
            }
            String in = input;
            check(target, in, () -> call.accept(in));
        }
    }

    private static final List<String> LABEL_SEEDS = List.of("0 0.5 0.5 0.2 0.3", "79 0.1 0.2 0.3 0.4", "3 0.1 0.1 0.9 0.1 0.9 0.9 0.1 0.9",
            "12 1 1 1 1", "0 0.000001 0.999999 0.5 0.5 ");

    // --- CLI arguments -------------------------------------------------------------------------

    private static final List<String> KEYS = List.of("model", "source", "data", "imgsz", "batch", "device", "conf", "iou", "max_det",
            "classes", "agnostic_nms", "save", "save_txt", "line_width", "project", "name", "split", "half", "int8", "dynamic",
            "workspace", "fraction", "calib_batch", "fp16_layers", "calibrator", "nms", "verbose", "bogus", "");
    private static final List<String> VALUES = List.of("none", "None", "NaN", "Infinity", "-1", "0", "1", "640", "640,480", "[1,2,3]",
            "99999999999", "2147483648", "1e400", "true", "maybe", "", "0.5", "-0.5", "1.5", "100000", "30016", "1000", "dla:9",
            "../../x", "(", "*", "a,b", "0x10", "\0");

    private void fuzzArgs(Random rnd) {
        Iterator<String> modes = List.of("predict", "val", "export").iterator();
        for (int i = 0; i < CASES_PER_TARGET; i++) {
            List<String> args = new ArrayList<>();
            for (int k = 0, n = 1 + rnd.nextInt(4); k < n; k++) {
                String key = KEYS.get(rnd.nextInt(KEYS.size()));
                args.add(rnd.nextInt(20) == 0 ? key : key + "=" + VALUES.get(rnd.nextInt(VALUES.size())));
            }
            if (!modes.hasNext()) modes = List.of("predict", "val", "export").iterator();
            String mode = modes.next();
            check("CLI arguments", mode + " " + String.join(" ", args), () -> {
                Cfg c = Cfg.parse(args);
                switch (mode) {
                    case "predict" -> PredictOptions.builder().apply(c).build();
                    case "val" -> ValOptions.of(c).predictOptions();
                    default -> ExportOptions.builder().apply(c).build();
                }
            });
        }
    }
}
