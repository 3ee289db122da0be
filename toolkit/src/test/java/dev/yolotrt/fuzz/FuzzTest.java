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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded, property-based fuzzing of every entry point that reads what users, files and servers hand us: the pickles
 * of .pt checkpoints (byte mutations and generated opcode programs), ONNX models (metadata_props, external data),
 * engine headers, dataset YAML, label lines, CLI arguments, notebook JSON and downloads from a loopback server. Each
 * case must either give a result or fail with the toolkit's own one-line error, within {@link #MAX_CASE_MS} and
 * {@link #MAX_CASE_BYTES} of allocation, and nothing may be written outside the run folder. {@code -Dyolo.fuzz.cases=N}
 * sets the cases per parser (CI: 2,000; the long run by hand: 100,000, see docs/security.md).
 */
class FuzzTest {

    private static final long SEED = Long.getLong("yolo.fuzz.seed", 20261126L);
    private static final int CASES_PER_TARGET = Integer.getInteger("yolo.fuzz.cases", 2_000);
    static final long MAX_CASE_MS = 5_000, MAX_CASE_BYTES = 1L << 30;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Settings SETTINGS = Settings.from(Map.of(Settings.CACHE, "/nonexistent/yolo-trt-fuzz"));
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    /** Where a case's own output goes (progress bars of downloads, warnings): 10^5 cases would flood the log. */
    private static final java.io.PrintStream QUIET = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());

    private final List<String> failures = new ArrayList<>();
    private final Map<String, long[]> perTarget = new java.util.LinkedHashMap<>(); // cases, max ms, max bytes
    private final Map<String, String> heaviest = new java.util.HashMap<>();
    private int cases;

    @Test
    void onlyTheToolkitsOwnErrorEscapes(@org.junit.jupiter.api.io.TempDir Path sandbox) throws Exception {
        // The run folder every target may write in, and a sibling that must stay empty.
        Path run = java.nio.file.Files.createDirectories(sandbox.resolve("run"));
        Path outside = java.nio.file.Files.createDirectories(sandbox.resolve("outside"));
        java.util.Set<String> tmpBefore = listing(Path.of(System.getProperty("java.io.tmpdir")));
        java.util.Set<String> cwdBefore = listing(Path.of("").toAbsolutePath());
        Random rnd = new Random(SEED);
        long t0 = System.nanoTime();
        fuzzJson("engine header", engineHeaderSeed(), rnd, this::engineHeader);
        fuzzText("dataset YAML", DATASET_SEEDS, rnd, text -> Dataset.fromYaml(text, "fuzz.yaml", SETTINGS));
        fuzzText("label line", LABEL_SEEDS, rnd, line -> Labels.parse(line, Path.of("fuzz.txt"), 1, 80));
        fuzzArgs(rnd);
        fuzzJson("notebook JSON", notebookSeed(), rnd, json -> NotebookRunner.parse(json.getBytes(StandardCharsets.UTF_8), "fuzz.ipynb"));
        fuzzCheckpoints(rnd, run);
        fuzzPicklePrograms(rnd, run);
        fuzzOnnxMetadata(rnd);
        fuzzOnnxExternalData(rnd, run, outside);
        new DownloadFuzz(rnd, run, outside).run(this);
        double s = (System.nanoTime() - t0) / 1e9;
        perTarget.forEach((t, v) -> System.out.printf("fuzz: %-22s %7d cases, slowest %5d ms, most allocated %6.1f MB%n", t, v[0], v[1], v[2] / 1e6));
        System.out.printf("fuzz: %d cases in %.1f s, %d escapes%n", cases, s, failures.size());
        heaviest.forEach((t, in) -> System.out.println("fuzz: heaviest " + t + ": " + in));
        try (var left = java.nio.file.Files.list(outside)) {
            // w.bin is the file the external-data cases try to reach from the run folder
            assertEquals(List.of(outside.resolve("w.bin")), left.toList(), "nothing written outside the run folder");
        }
        assertEquals(cwdBefore, listing(Path.of("").toAbsolutePath()), "the working directory is as it was");
        java.util.Set<String> tmpAfter = listing(Path.of(System.getProperty("java.io.tmpdir")));
        tmpAfter.removeAll(tmpBefore);
        // Other processes share the temporary folder: only what this code could name is looked for there.
        tmpAfter.removeIf(n -> !(n.contains("yolo") || n.contains(".part") || n.contains(".unzip") || n.endsWith(".pt") || n.endsWith(".zip")));
        assertEquals(java.util.Set.of(), tmpAfter, "nothing of ours new in the temporary folder but the run folder");
        perTarget.forEach((t, v) -> assertTrue(v[0] >= CASES_PER_TARGET, t + ": " + v[0] + " cases"));
        assertTrue(failures.isEmpty(), failures.size() + " inputs escaped as other exceptions, took too long or allocated too much, e.g.\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    private static java.util.Set<String> listing(Path dir) throws java.io.IOException {
        try (var s = java.nio.file.Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
        }
    }

    /** One case: a result, or the toolkit's own one-line error; within the time and allocation bounds. */
    void check(String target, String input, Runnable call) {
        cases++;
        long[] stats = perTarget.computeIfAbsent(target, t -> new long[3]);
        stats[0]++;
        long bytes0 = THREADS.getCurrentThreadAllocatedBytes(), t0 = System.nanoTime();
        java.io.PrintStream out = System.out, err = System.err;
        System.setOut(QUIET);
        System.setErr(QUIET);
        try {
            call.run();
        } catch (YoloException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) failures.add(target + ": YoloException without a message for " + show(input));
            else if (e.getMessage().contains("\n")) failures.add(target + ": a message of several lines for " + show(input));
            else if (e.getMessage().length() > 2_000) failures.add(target + ": a message of " + e.getMessage().length() + " characters for " + show(input));
        } catch (Throwable t) {
            failures.add(target + ": " + t.getClass().getName() + ": " + t.getMessage() + " for " + show(input));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000, bytes = THREADS.getCurrentThreadAllocatedBytes() - bytes0;
        stats[1] = Math.max(stats[1], ms);
        if (bytes > stats[2]) heaviest.put(target, show(input));
        stats[2] = Math.max(stats[2], bytes);
        if (ms > MAX_CASE_MS) failures.add(target + ": " + ms + " ms for " + show(input));
        if (bytes > MAX_CASE_BYTES) failures.add(target + ": " + bytes / 1_000_000 + " MB allocated for " + show(input));
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

    private void fuzzCheckpoints(Random rnd, Path run) throws Exception {
        Path pt = dev.yolotrt.testutil.Shared.model("yolov8n.pt");
        byte[] pickle;
        try (var z = new java.util.zip.ZipFile(pt.toFile())) {
            pickle = z.getInputStream(z.getEntry("yolov8n/data.pkl")).readAllBytes();
        }
        Path f = run.resolve("m.pt");
        for (int i = 0; i < CASES_PER_TARGET; i++) {
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
            writePt(f, b, 0);
            check("checkpoint bytes", "pickle mutation " + i, () -> readCheckpoint(f));
        }
        java.nio.file.Files.deleteIfExists(f);
    }

    /** What a user's load does with a checkpoint: read, task, tensors. */
    private static void readCheckpoint(Path f) {
        try (var c = dev.yolotrt.pt.Checkpoint.read(f)) {
            c.task();
            for (var t : c.stateDict().values()) t.floats();
        }
    }

    private static void writePt(Path f, byte[] pickle, int storageBytes) {
        try (var z = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(f))) {
            z.putNextEntry(new java.util.zip.ZipEntry("m/data.pkl"));
            z.write(pickle);
            if (storageBytes > 0) {
                z.putNextEntry(new java.util.zip.ZipEntry("m/data/0"));
                z.write(new byte[storageBytes]);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Pickles generated as programs: random opcodes with plausible arguments (allowed and refused globals, storages,
     * marks, memo slots, huge and negative numbers, long text numbers), so the reader's bounds are reached, not only its
     * parse errors; and the conversion to ONNX of whatever reads.
     */
    private void fuzzPicklePrograms(Random rnd, Path run) {
        String[][] globals = {{"collections", "OrderedDict"}, {"torch", "FloatStorage"}, {"torch", "HalfStorage"}, {"torch._utils", "_rebuild_tensor_v2"},
                {"torch._utils", "_rebuild_parameter"}, {"ultralytics.nn.tasks", "DetectionModel"}, {"ultralytics.nn.modules.conv", "Conv"},
                {"torch.nn.modules.container", "Sequential"}, {"builtins", "set"}, {"torch", "Size"}, {"os", "system"}, {"builtins", "eval"},
                {"subprocess", "Popen"}, {"posix", "system"}};
        long[] numbers = {0, 1, -1, 3, 16, 255, 65_535, 1L << 31, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -(1L << 40)};
        Path f = run.resolve("p.pt");
        for (int i = 0; i < CASES_PER_TARGET; i++) {
            java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
            o.write(0x80);
            o.write(2);
            for (int k = 0, n = 1 + rnd.nextInt(60); k < n; k++) {
                switch (rnd.nextInt(22)) {
                    case 0 -> o.write('(');
                    case 1 -> o.write(new int[] {'t', 'l', 'd', 'u', 'e', 'a', 's', 'b', 'R', 0x81, 'o', 0x91, 0x90, '0', '1', '2'}[rnd.nextInt(16)]);
                    case 2 -> o.write(new int[] {'}', ']', ')', 'N', 0x88, 0x89, 0x8f}[rnd.nextInt(7)]);
                    case 3 -> {
                        String[] g = globals[rnd.nextInt(globals.length)];
                        o.writeBytes(("c" + g[0] + "\n" + g[1] + "\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    case 4 -> {
                        String[] g = globals[rnd.nextInt(globals.length)];
                        o.writeBytes(("(i" + g[0] + "\n" + g[1] + "\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    case 5 -> { // LONG1 with 8 bytes
                        long v = numbers[rnd.nextInt(numbers.length)];
                        o.write(0x8a);
                        o.write(8);
                        for (int j = 0; j < 8; j++) o.write((int) (v >>> (8 * j)) & 0xff);
                    }
                    case 6 -> {
                        o.write('K');
                        o.write(rnd.nextInt(256));
                    }
                    case 7 -> { // a storage persistent id: ('storage', FloatStorage, '0', 'cpu', 16)
                        o.writeBytes("(X\u0007\u0000\u0000\u0000storagectorch\nFloatStorage\nX\u0001\u0000\u0000\u00000X\u0003\u0000\u0000\u0000cpuK\u0010tQ"
                                .getBytes(StandardCharsets.ISO_8859_1));
                    }
                    case 8 -> {
                        String t = new String[] {"model", "_modules", "_parameters", "names", "0", "weight", "stride", "ema"}[rnd.nextInt(8)];
                        o.write(0x8c);
                        o.write(t.length());
                        o.writeBytes(t.getBytes(StandardCharsets.US_ASCII));
                    }
                    case 9 -> {
                        o.write(new int[] {'q', 'h'}[rnd.nextInt(2)]);
                        o.write(rnd.nextInt(4));
                    }
                    case 10 -> o.writeBytes(("I" + "9".repeat(1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 6_000 : 30)) + "\n").getBytes(StandardCharsets.US_ASCII));
                    case 11 -> { // LONG4 with a length that may lie
                        o.write(0x8b);
                        int len = new int[] {0, 1, 9, 1025, 1 << 30, -1}[rnd.nextInt(6)];
                        for (int j = 0; j < 4; j++) o.write((len >>> (8 * j)) & 0xff);
                        o.writeBytes(new byte[Math.max(0, Math.min(len, 16))]);
                    }
                    case 12 -> o.write(new int[] {0x82, 0x83, 0x84, 0x97, 0x98, 0x92, 0x95, 'P', 'V', 'S', 'F', 'g', 'p'}[rnd.nextInt(13)]);
                    default -> o.write(new int[] {'(', ')', ']', '}', 'N', 'K', 0, 'a', 's', 'u', 'e', 't', 'b', 'R', 0x85, 0x86, 0x87}[rnd.nextInt(17)]);
                }
            }
            o.write('.');
            byte[] pickle = o.toByteArray();
            writePt(f, pickle, 64);
            check("checkpoint programs", java.util.HexFormat.of().formatHex(pickle), () -> {
                readCheckpoint(f);
                dev.yolotrt.pt.Converted.onnx(f, run.resolve("cache"));
            });
        }
    }

    // --- ONNX models --------------------------------------------------------------------------------

    private static final List<String> PROP_VALUES = List.of("{0: 'person', 1: 'bicycle'}", "{0: \"a\", 5: 'b'}", "[640, 640]", "640", "32",
            "detect", "segment", "pose", "classify", "obb", "unknown", "", "None", "-1", "99999999999", "{99999: 'x'}", "{'a': 'b'}",
            "[17, 3]", "[0, 0]", "[16385, 16385]", "{0: '" + "x".repeat(20_000) + "'}", "{0: 'a\\'b'}", "[" + "1,".repeat(5_000) + "1]",
            "{0: '\\", "'''", "\0", "NaN");
    private static final List<String> PROP_KEYS = List.of("names", "stride", "imgsz", "task", "batch", "kpt_shape", "args", "description", "other");

    private void fuzzOnnxMetadata(Random rnd) {
        for (int i = 0; i < CASES_PER_TARGET; i++) {
            Map<String, String> props = new java.util.LinkedHashMap<>();
            for (int k = 0, n = rnd.nextInt(7); k < n; k++) {
                String v = PROP_VALUES.get(rnd.nextInt(PROP_VALUES.size()));
                props.put(PROP_KEYS.get(rnd.nextInt(PROP_KEYS.size())), rnd.nextInt(4) == 0 ? mutateText(v.isEmpty() ? "x" : v, rnd) : v);
            }
            check("ONNX metadata", props.toString(), () -> {
                var meta = dev.yolotrt.task.ModelMetadata.fromOnnxProps(props, new int[] {640, 640}, 80);
                if (meta != null) meta.names();
            });
        }
    }

    private static final List<String> LOCATIONS = List.of("w.bin", "sub/w.bin", "../w.bin", "/etc/passwd", "..", ".", "", "a/../w.bin",
            "a/../../w.bin", "C:\\w.bin", "\\\\server\\share", "w.bin\0x", "link.bin", "%2e%2e/w.bin", "./././w.bin", "sub/../../../x");

    /** ONNX models whose tensors keep their data at random locations: accepted only when the data stays in the folder. */
    private void fuzzOnnxExternalData(Random rnd, Path run, Path outside) throws Exception {
        Path dir = java.nio.file.Files.createDirectories(run.resolve("onnx"));
        java.nio.file.Files.write(dir.resolve("w.bin"), new byte[64]);
        java.nio.file.Files.write(outside.resolve("w.bin"), new byte[64]);
        java.nio.file.Files.createSymbolicLink(dir.resolve("link.bin"), outside.resolve("w.bin"));
        Path file = dir.resolve("m.onnx");
        for (int i = 0; i < CASES_PER_TARGET; i++) {
            ai.onnx.proto.OnnxMl.GraphProto.Builder g = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("g");
            List<String> used = new ArrayList<>();
            for (int k = 0, n = 1 + rnd.nextInt(3); k < n; k++) {
                var t = ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName("t" + k).addDims(4).setDataType(1);
                if (rnd.nextInt(4) != 0) {
                    String loc = LOCATIONS.get(rnd.nextInt(LOCATIONS.size()));
                    used.add(loc);
                    t.setDataLocation(ai.onnx.proto.OnnxMl.TensorProto.DataLocation.EXTERNAL)
                            .addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue(loc));
                    if (rnd.nextBoolean()) {
                        t.addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey(rnd.nextBoolean() ? "offset" : "length")
                                .setValue(randomNumberText(rnd)));
                    }
                }
                if (rnd.nextInt(3) == 0) {
                    // inside a Constant node's attribute
                    g.addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Constant").addOutput("c" + k)
                            .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("value").setT(t)));
                } else {
                    g.addInitializer(t);
                }
            }
            byte[] bytes = ai.onnx.proto.OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(g).build().toByteArray();
            boolean mutated = rnd.nextInt(5) == 0;
            if (mutated) bytes = mutateBytes(bytes, rnd);
            java.nio.file.Files.write(file, bytes);
            byte[] in = bytes;
            check("ONNX external data", used + " " + java.util.HexFormat.of().formatHex(in, 0, Math.min(in.length, 64)), () -> {
                dev.yolotrt.backend.OnnxExternalData.check(file);
                // Accepted: then every location it named must stay inside the model's folder, links followed.
                for (String loc : mutated ? List.<String>of() : used) {
                    Path p = dir.resolve(loc).normalize();
                    if (!p.startsWith(dir) || java.nio.file.Files.exists(p) && !toReal(p).startsWith(toReal(dir))) {
                        throw new AssertionError("accepted a location outside the model's folder: " + loc);
                    }
                }
            });
        }
    }

    private static Path toReal(Path p) {
        try {
            return p.toRealPath();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] mutateBytes(byte[] b, Random rnd) {
        byte[] out = b.clone();
        for (int k = 0, m = 1 + rnd.nextInt(4); k < m && out.length > 0; k++) {
            int at = rnd.nextInt(out.length);
            if (rnd.nextBoolean()) out[at] = (byte) rnd.nextInt(256);
            else out = java.util.Arrays.copyOf(out, at);
        }
        return out;
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
