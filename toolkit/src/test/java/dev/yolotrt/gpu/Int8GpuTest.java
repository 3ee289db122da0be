package dev.yolotrt.gpu;

import dev.yolotrt.bench.Benchmark;
import dev.yolotrt.bench.Int8Tuning;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.export.Exporter;
import dev.yolotrt.export.LayerGroups;
import dev.yolotrt.export.LayerPrecision;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.Settings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 25 on a GPU (scripts/gpu-int8-check.sh): yolov8n at batch 8, INT8 calibrated on coco128 train2017 and every
 * engine scored on coco128 val2017. Engines come from the engine cache under the benchmark's names, so a benchmark run
 * with the same variants (fp16-flags, fp16-typed, int8, int8-qdq-percentile) and these tests share them. Q/DQ uses percentile
 * ranges, the best on the CPU (docs/int8.md).
 */
@Tag("gpu")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Int8GpuTest {

    static final String DATA = "coco128-val2017.yaml";
    static final String QDQ = "int8-qdq";
    private static Yolo model;

    @BeforeAll
    static void load() {
        model = Yolo.load("yolov8n.onnx", Shared.settings());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static ExportOptions options(String variant) {
        return Benchmark.exportOptions(variant, 8, 640, DATA).withSplit("train");
    }

    /**
     * Acceptance 1 (GPU half) and 5: Q/DQ INT8 against implicit INT8 and FP16, strongly typed FP16 against FP16 — mAP50-95
     * on val2017 and engine ms per image at batch 8, in one table.
     */
    @Test
    @Order(1)
    void qdqAgainstImplicitAndTypedAgainstFp16() {
        List<Int8Tuning.Setting> s = new ArrayList<>();
        for (String v : List.of("fp16-flags", "fp16-typed", "int8", QDQ)) s.add(new Int8Tuning.Setting("precision", v, options(v)));
        Table t = Int8Tuning.run(model, s, DATA);
        System.out.println(t.printAll());
        double fp16 = t.doubleColumn("mAP50-95").get(0), typed = t.doubleColumn("mAP50-95").get(1), implicit = t.doubleColumn("mAP50-95").get(2),
                qdq = t.doubleColumn("mAP50-95").get(3);
        double msFp16 = t.doubleColumn("Engine ms/img").get(0), msTyped = t.doubleColumn("Engine ms/img").get(1),
                msImplicit = t.doubleColumn("Engine ms/img").get(2), msQdq = t.doubleColumn("Engine ms/img").get(3);
        System.out.printf(Locale.ROOT, "ISSUE25 qdq loss to fp16 %.4f (implicit %.4f); qdq time %.3f x implicit; typed-fp16 delta %.4f, time %.3f x fp16%n",
                fp16 - qdq, fp16 - implicit, msQdq / msImplicit, typed - fp16, msTyped / msFp16);
        assertAll(
                () -> assertTrue(fp16 - qdq <= 0.006, "Q/DQ loss to FP16 " + (fp16 - qdq)),
                () -> assertTrue(msQdq <= 1.05 * msImplicit, "Q/DQ " + msQdq + " ms vs implicit " + msImplicit),
                () -> assertEquals(fp16, typed, 0.001, "strongly typed FP16 mAP"),
                () -> assertTrue(msTyped <= 1.03 * msFp16, "strongly typed FP16 " + msTyped + " ms vs FP16 " + msFp16));
    }

    /** The report of what ran: the Q/DQ engine's convolutions are INT8 (all but the DFL's and the first stage's six), and where reformats appear. */
    @Test
    @Order(2)
    void qdqEngineRunsItsConvolutionsInInt8() {
        Path engine = Exporter.cached(model.source(), options(QDQ)).engine();
        LayerPrecision lp = LayerPrecision.of(engine);
        LayerGroups groups = LayerGroups.of(model.file());
        Table perBlock = lp.table(groups);
        System.out.println(perBlock.printAll());
        List<String> w = lp.warnings(null);
        w.forEach(System.out::println);
        System.out.println("ISSUE25 qdq engine: " + lp.layers().size() + " layers, " + w.size() + " precision warnings, "
                + perBlock.intColumn("Reformat").sum() + " reformats");
        assertTrue(perBlock.intColumn("INT8").sum() >= 40, perBlock.printAll());
    }

    /** Acceptance 3: with the head's convolutions asked in FP16, the report shows them in FP16 and no warning says otherwise. */
    @Test
    @Order(3)
    void fp16LayersShowInTheReport() {
        String head = "^/model\\.22/cv[23]";
        Path engine = Exporter.cached(model.source(), options("int8").toBuilder().fp16Layers(head).build()).engine();
        LayerPrecision lp = LayerPrecision.of(engine);
        Table perBlock = lp.table(LayerGroups.of(model.file()));
        System.out.println("int8 fp16_layers=" + head + "\n" + perBlock.printAll());
        List<String> overridden = lp.warnings(head).stream().filter(x -> x.endsWith("but ran INT8")).toList();
        overridden.forEach(System.out::println);
        System.out.println("ISSUE25 int8 with fp16_layers: " + overridden.size() + " head layers ran INT8 anyway");
        assertTrue(overridden.isEmpty(), overridden.toString());
        Table layers = lp.layerTable(LayerGroups.of(model.file()));
        int headFp16 = 0;
        for (int r = 0; r < layers.rowCount(); r++) {
            if (layers.stringColumn("Block").get(r).startsWith("head ") && layers.stringColumn("Precision").get(r).equals("FP16")) headFp16++;
        }
        assertTrue(headFp16 >= 6, "the head's convolutions in FP16: " + headFp16);
    }

    /**
     * Acceptance 6: cold FP16 builds (no timing cache, dynamic batch 1-8, an empty engine cache) at the levels OPT_LEVELS
     * lists, against TensorRT's own default, level 3, built with the shared timing cache (the tactics a cold level-3 build
     * picks, without its four-minute-plus wait). The export default must be the lowest level whose engine is within 3 % of
     * level 3's (level 3 itself when none is). Several minutes per level: only when OPT_LEVELS lists them, e.g. 1,2.
     * OPT_PRECISION names the FP16 network: fp16 (export's default, strongly typed; the default here), fp16-flags (the
     * kFP16 flag), with its reference built the same way.
     */
    @Test
    @Order(4)
    @EnabledIfEnvironmentVariable(named = "OPT_LEVELS", matches = "[0-5](,[0-5])*")
    void buildTimeAgainstEngineTimePerOptimisationLevel(@TempDir Path cold) {
        Settings s = Shared.settings();
        String variant = System.getenv().getOrDefault("OPT_PRECISION", "fp16");
        Int8Tuning.Setting reference = new Int8Tuning.Setting("opt_level", "level 3, timing cache", options(variant).toBuilder().optimizationLevel(3).build());
        Table t = Int8Tuning.run(model, List.of(reference), DATA);
        try (Yolo fresh = Yolo.load(model.file(), new Settings(s.modelsDir(), s.datasetsDir(), s.assetsDir(), cold, s.cpuThreads(), s.releases(), s.devices()))) {
            List<Int8Tuning.Setting> levels = new ArrayList<>();
            for (String l : System.getenv("OPT_LEVELS").split(",")) {
                levels.add(new Int8Tuning.Setting("opt_level", "level " + l + ", cold",
                        options(variant).toBuilder().optimizationLevel(Integer.valueOf(l)).timingCache(false).build()));
            }
            t.append(Int8Tuning.run(fresh, levels, DATA));
        }
        System.out.println(t.printAll());
        double level3 = t.doubleColumn("Engine ms/img").get(0);
        int pick = 3;
        for (int r = 0; r < t.rowCount(); r++) {
            String label = t.stringColumn("Setting").get(r);
            double ms = t.doubleColumn("Engine ms/img").get(r);
            System.out.printf(Locale.ROOT, "ISSUE25 %s: build %.1f s, engine %.4f ms/img (%.3f x level 3), mAP50-95 %.4f%n", label,
                    t.doubleColumn("Build s").get(r), ms, ms / level3, t.doubleColumn("mAP50-95").get(r));
            int level = Integer.parseInt(label.replaceAll("\\D+", " ").trim().split(" ")[0]);
            if (r > 0 && ms <= 1.03 * level3) pick = Math.min(pick, level);
        }
        Integer byDefault = options(variant).toBuilder().optimizationLevel(null).build().builderLevel();
        System.out.println("ISSUE25 opt_level (" + variant + "): the lowest level within 3 % of level 3 is " + pick + "; export's default is " + (byDefault == null ? "TensorRT's (3)" : byDefault));
        assertEquals(pick, byDefault == null ? 3 : byDefault, "export's default level for " + variant + " against the measured pick");
    }

    /**
     * Acceptance 2: {@code Int8Tuning.auto(..., maxLoss 0.003, maxSlowdown 1.15)} on Q/DQ INT8 (MinMax ranges), every
     * engine tried printed with the choice or the reason there is none. About a dozen builds: only with AUTO=1.
     */
    @Test
    @Order(5)
    @EnabledIfEnvironmentVariable(named = "AUTO", matches = "1")
    void autoChoosesMixedPrecisionWithinTheLimits() {
        // Level 2 builds a Q/DQ engine in about 40 s instead of 150 (ninth run), so the dozen builds fit one lease; every
        // engine, the FP16 and all-INT8 references included, is built at that level.
        Int8Tuning.Auto a = Int8Tuning.auto(model, options(QDQ).toBuilder().optimizationLevel(2).build(), DATA, 0.003, 1.15);
        System.out.println(a.tried().printAll());
        System.out.println(a.intervals().printAll());
        a.sensitivity().forEach(b -> System.out.printf(Locale.ROOT, "ISSUE25 sensitivity %s: +%.4f mAP50-95, +%.4f ms/img%n", b.name(), b.gain(), b.cost()));
        System.out.println("ISSUE25 auto: " + a.why() + "; Pareto rows " + Int8Tuning.pareto(a.tried()));
        assertTrue(a.chosen() >= 0, a.why());
    }

    /**
     * Where Q/DQ placement costs time: Q/DQ engines with the blocks in QDQ_KEEP (regexes separated by ';', '-' for none)
     * left float, for each calibrator in QDQ_CALIBRATORS (default minmax; ranges change, the graph does not), against
     * implicit INT8 (with QDQ_IMPLICIT=1), each with its layers per block and the convolutions that did not run INT8.
     * Every engine must hold INT8 layers.
     */
    @Test
    @Order(6)
    @EnabledIfEnvironmentVariable(named = "QDQ_KEEP", matches = ".+")
    void qdqPlacementAgainstImplicit() {
        List<Int8Tuning.Setting> s = new ArrayList<>();
        if ("1".equals(System.getenv("QDQ_IMPLICIT"))) s.add(new Int8Tuning.Setting("implicit", "int8", options("int8")));
        for (String calibrator : System.getenv().getOrDefault("QDQ_CALIBRATORS", "minmax").split(",")) {
            for (String keep : System.getenv("QDQ_KEEP").split(";")) {
                s.add(new Int8Tuning.Setting("qdq " + calibrator, keep,
                        options(QDQ).toBuilder().calibrator(calibrator).fp16Layers(keep.equals("-") ? null : keep).build()));
            }
        }
        Table t = Int8Tuning.run(model, s, DATA);
        System.out.println(t.printAll());
        LayerGroups groups = LayerGroups.of(model.file());
        for (int i = 0; i < s.size(); i++) {
            LayerPrecision lp = LayerPrecision.of(Exporter.cached(model.source(), s.get(i).options()).engine());
            Table perBlock = lp.table(groups);
            System.out.println(s.get(i).group() + " " + s.get(i).label() + ": " + lp.layers().size() + " layers\n" + perBlock.printAll());
            Table layers = lp.layerTable(groups);
            for (int r = 0; r < layers.rowCount(); r++) {
                String type = layers.stringColumn("Type").get(r), prec = layers.stringColumn("Precision").get(r);
                if (type.contains("Convolution") && !prec.equals("INT8")) System.out.println("  not INT8: " + prec + " " + layers.stringColumn("Layer").get(r));
            }
            System.out.printf(Locale.ROOT, "ISSUE25 placement %s %s: mAP50-95 %.4f, %.4f ms/img%n", t.stringColumn("Group").get(i),
                    t.stringColumn("Setting").get(i), t.doubleColumn("mAP50-95").get(i), t.doubleColumn("Engine ms/img").get(i));
            assertTrue(perBlock.intColumn("INT8").sum() >= 40, perBlock.printAll());
        }
    }
}
