package dev.yolotrt.bench;

import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.export.Exporter;
import dev.yolotrt.export.LayerGroups;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.Metrics;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * INT8 calibration tuning: build one engine per setting (a calibration fraction, calibration batch,
 * calibrator, or a block kept in FP16), validate each and time it at its batch, and pick the setting
 * with the best mAP50-95 among those nearly as fast as the fastest INT8 engine. Sweeps vary one knob at
 * a time around a base setting; engines are cached per setting, so a re-run only measures.
 */
public final class Int8Tuning {

    /** One engine to measure: the knob it varies ({@code group}), a label, and its export options. */
    public record Setting(String group, String label, ExportOptions options) {
    }

    private Int8Tuning() {
    }

    /** FP32 and FP16 engines with the base's batch and size: the accuracy INT8 tries to keep. */
    public static List<Setting> references(ExportOptions base) {
        return List.of(new Setting("reference", "FP32", base.toBuilder().int8(false).half(false).fp16Layers(null).calibBatch(null).build()),
                new Setting("reference", "FP16", base.toBuilder().int8(false).half(true).fp16Layers(null).calibBatch(null).build()));
    }

    public static List<Setting> fractions(ExportOptions base, double... fractions) {
        return Arrays.stream(fractions).mapToObj(f -> new Setting("fraction", "fraction " + f, base.toBuilder().fraction(f).build())).toList();
    }

    public static List<Setting> calibrationBatches(ExportOptions base, int... batches) {
        return Arrays.stream(batches).mapToObj(b -> new Setting("calib_batch", "calib_batch " + b, base.toBuilder().calibBatch(b).build())).toList();
    }

    public static List<Setting> calibrators(ExportOptions base, String... algorithms) {
        return Arrays.stream(algorithms).map(a -> new Setting("calibrator", a, base.toBuilder().calibrator(a).build())).toList();
    }

    /** The sensitivity pass: the base with one layer group at a time kept in FP16 (on Q/DQ, not the stem: {@link #alreadyFloat}). */
    public static List<Setting> sensitivity(ExportOptions base, LayerGroups groups) {
        return groups.groups().stream().filter(g -> !alreadyFloat(base, g.name()))
                .map(g -> new Setting("fp16 block", g.name() + " in FP16", base.toBuilder().fp16Layers(g.regex()).build())).toList();
    }

    /** Q/DQ leaves the first stage, the stem with it, float already: "stem in FP16" would build the all-INT8 engine again. */
    private static boolean alreadyFloat(ExportOptions base, String group) {
        return group.equals("stem") && base.quant().equals("qdq");
    }

    /** The settings as a table (what each engine varies), to look at before spending GPU time on them. */
    public static Table plan(List<Setting> settings) {
        StringColumn group = StringColumn.create("Group");
        StringColumn label = StringColumn.create("Setting");
        StringColumn precision = StringColumn.create("Precision");
        StringColumn options = StringColumn.create("Export options");
        for (Setting s : settings) {
            group.append(s.group());
            label.append(s.label());
            precision.append(s.options().precision().toUpperCase(Locale.ROOT));
            StringBuilder sb = new StringBuilder("batch=" + s.options().batch());
            if (s.options().int8()) {
                sb.append(" calibrator=").append(s.options().calibrator()).append(" fraction=").append(s.options().fraction())
                        .append(" calib_batch=").append(s.options().calibrationBatch()).append(" split=").append(s.options().split());
                if (s.options().fp16Layers() != null) sb.append(" fp16_layers=").append(s.options().fp16Layers());
                if (s.options().quant().equals("qdq")) sb.append(" quant=qdq");
            }
            options.append(sb.toString());
        }
        return Table.create("INT8 tuning plan", group, label, precision, options);
    }

    /**
     * Builds (or reuses) and measures every setting on this GPU: mAP on {@code valData}'s val split and
     * engine ms per image at each setting's batch. Identical options are measured once.
     */
    public static Table run(Yolo model, List<Setting> settings, String valData) {
        TensorRt.require("INT8 tuning");
        Map<ExportOptions, double[]> seen = new HashMap<>();
        List<double[]> measured = new ArrayList<>();
        int i = 0;
        for (Setting s : settings) {
            Log.info(String.format(Locale.ROOT, "[%d/%d] %s: %s", ++i, settings.size(), s.group(), s.label()));
            measured.add(seen.computeIfAbsent(s.options(), o -> measure(model, o, valData)));
        }
        return table(model.file().getFileName().toString(), TensorRt.gpu(), settings, measured);
    }

    /**
     * The tuning table of {@code settings} on {@code gpu}, row by row from what {@link #measure} returned for each
     * (as {@link #run} makes it; a sweep measured elsewhere, e.g. spread over a cluster's GPUs, is tabled the same way).
     */
    public static Table table(String modelName, String gpu, List<Setting> settings, List<double[]> measured) {
        StringColumn group = StringColumn.create("Group");
        StringColumn label = StringColumn.create("Setting");
        StringColumn precision = StringColumn.create("Precision");
        DoubleColumn map50 = DoubleColumn.create("mAP50");
        DoubleColumn map = DoubleColumn.create("mAP50-95");
        DoubleColumn mean = DoubleColumn.create("Engine ms/img");
        DoubleColumn min = DoubleColumn.create("Engine min");
        DoubleColumn max = DoubleColumn.create("Engine max");
        DoubleColumn build = DoubleColumn.create("Build s");
        for (int i = 0; i < settings.size(); i++) {
            Setting s = settings.get(i);
            double[] r = measured.get(i);
            group.append(s.group());
            label.append(s.label());
            precision.append(s.options().precision().toUpperCase(Locale.ROOT));
            map50.append(r[0]);
            map.append(r[1]);
            mean.append(r[2]);
            min.append(r[3]);
            max.append(r[4]);
            build.append(r[5]);
        }
        for (DoubleColumn c : List.of(map50, map)) c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(3));
        for (DoubleColumn c : List.of(mean, min, max)) c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
        build.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(1));
        return Table.create("INT8 tuning of " + modelName + " on " + gpu, group, label, precision,
                map50, map, mean, min, max, build);
    }

    /**
     * Builds (or reuses, from the cache) the engine of {@code o} and measures it on this GPU: mAP50, mAP50-95 on
     * {@code valData}, engine ms per image (mean, min, max) at its batch, build seconds.
     */
    public static double[] measure(Yolo model, ExportOptions o, String valData) {
        return measured(model, o, valData).values();
    }

    /** {@link #measure}'s numbers and the box metrics behind them (per-image scores, for intervals between engines). */
    private record Measured(double[] values, Metrics box) {
    }

    private static Measured measured(Yolo model, ExportOptions o, String valData) {
        Exporter.Result built = Exporter.cached(model.source(), o);
        try (Yolo engine = Yolo.load(built.engine(), model.settings())) {
            int imgsz = o.imgsz() != null ? o.imgsz() : model.metadata().imgsz()[0];
            Metrics m = Benchmark.validate(engine, valData, imgsz, o.batch());
            double[] t = Benchmark.engineTimes(engine.backend(), o.batch(), Benchmark.Plan.defaults(o.batch(), imgsz, valData), false);
            double ms = Benchmark.mean(t);
            Log.info(String.format(Locale.ROOT, "  mAP50-95 %.4f, engine %.4f ms/img at batch %d", m.map(), ms, o.batch()));
            return new Measured(new double[] {m.map50(), m.map(), ms, Arrays.stream(t).min().orElse(0), Arrays.stream(t).max().orElse(0),
                    built.buildSeconds()}, m);
        }
    }

    /**
     * The row of the best trade-off: among INT8 rows no slower than the fastest INT8 row by more than
     * {@code tolerance} (0.1 = 10%), the highest mAP50-95; ties go to the faster engine.
     */
    public static int best(Table tuning, double tolerance) {
        List<Integer> int8 = new ArrayList<>();
        for (int r = 0; r < tuning.rowCount(); r++) if (tuning.stringColumn("Precision").get(r).equals("INT8")) int8.add(r);
        if (int8.isEmpty()) throw new YoloException("the tuning table has no INT8 rows");
        DoubleColumn ms = tuning.doubleColumn("Engine ms/img");
        DoubleColumn map = tuning.doubleColumn("mAP50-95");
        double fastest = int8.stream().mapToDouble(ms::get).min().orElseThrow();
        int best = -1;
        for (int r : int8) {
            if (ms.get(r) > fastest * (1 + tolerance)) continue;
            if (best < 0 || map.get(r) > map.get(best) || (map.get(r) == map.get(best) && ms.get(r) < ms.get(best))) best = r;
        }
        return best;
    }

    /**
     * A block's measured effect when it alone is kept in higher precision: mAP50-95 regained over the all-INT8 engine,
     * and engine ms per image added.
     */
    public record Block(String name, String regex, double gain, double cost) {
        /** mAP regained per ms added; a block that costs nothing (or saves time) ranks by gain over a tiny cost. */
        double ratio() {
            return gain / Math.max(cost, 1e-6);
        }
    }

    /** The order in which the greedy search adds blocks: most mAP regained per latency added first; blocks that regain nothing never. */
    public static List<Block> greedyOrder(List<Block> blocks) {
        return blocks.stream().filter(b -> b.gain() > 0).sorted((x, y) -> Double.compare(y.ratio(), x.ratio())).toList();
    }

    /**
     * The rows of {@code tuning} on the Pareto front of mAP50-95 against engine ms per image: no other row is both at
     * least as accurate and at least as fast, and better in one. In increasing latency.
     */
    public static List<Integer> pareto(Table tuning) {
        DoubleColumn ms = tuning.doubleColumn("Engine ms/img");
        DoubleColumn map = tuning.doubleColumn("mAP50-95");
        List<Integer> front = new ArrayList<>();
        for (int r = 0; r < tuning.rowCount(); r++) {
            boolean dominated = false;
            for (int o = 0; o < tuning.rowCount() && !dominated; o++) {
                dominated = o != r && map.get(o) >= map.get(r) && ms.get(o) <= ms.get(r) && (map.get(o) > map.get(r) || ms.get(o) < ms.get(r));
            }
            if (!dominated) front.add(r);
        }
        front.sort((x, y) -> Double.compare(ms.get(x), ms.get(y)));
        return front;
    }

    /**
     * What {@link #auto} found: every engine it measured ({@link #table} rows: FP16, all-INT8, one block at a time in
     * FP16, then the greedy additions), the chosen row (-1 when none meets both limits), why, the block sensitivities,
     * and each engine's mAP50-95 change to FP16 with its bootstrap interval ({@link #intervals}); {@code settings} are the
     * engines of {@code tried}'s rows, in order.
     */
    public record Auto(Table tried, int chosen, String why, List<Block> sensitivity, Table intervals, List<Setting> settings) {

        public Auto {
            settings = List.copyOf(settings);
        }

        /** The export options of the chosen engine (build it, or find it in the engine cache, with them); null when none. */
        public ExportOptions chosenOptions() {
            return chosen < 0 ? null : settings.get(chosen).options();
        }
    }

    /**
     * Each engine's mAP50-95 change to {@code reference} with its paired 95 % bootstrap interval over the images
     * ({@code resamples} resamples, {@code seed}); "Real" says whether the interval excludes 0, i.e. whether these
     * images tell the two engines apart.
     */
    public static Table intervals(List<String> settings, Metrics reference, List<Metrics> measured, int resamples, long seed) {
        StringColumn label = StringColumn.create("Setting");
        DoubleColumn diff = DoubleColumn.create("Change to FP16"), lo = DoubleColumn.create("95 % low"), hi = DoubleColumn.create("95 % high");
        StringColumn real = StringColumn.create("Real");
        for (int i = 0; i < settings.size(); i++) {
            Bootstrap.Interval ci = PrecisionChange.interval(reference, measured.get(i), resamples, seed);
            label.append(settings.get(i));
            diff.append(ci.diff());
            lo.append(ci.lo());
            hi.append(ci.hi());
            real.append(ci.real() ? "yes" : "no");
        }
        for (DoubleColumn c : List.of(diff, lo, hi)) c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(4));
        return Table.create("mAP50-95 against FP16, 95 % bootstrap intervals over " + reference.images() + " images", label, diff, lo, hi, real);
    }

    /**
     * Mixed precision chosen by measurement: the all-INT8 engine of {@code base}; each YOLO block alone in FP16 (its
     * sensitivity: mAP regained, latency added); then blocks added greedily by mAP regained per latency added until the
     * loss to FP16 is at most {@code maxLoss}. The choice is the fastest engine tried whose loss is within {@code maxLoss}
     * and whose time is within {@code maxSlowdown} × the all-INT8 engine's (1.15: 15 % slower at most).
     */
    public static Auto auto(Yolo model, ExportOptions base, String valData, double maxLoss, double maxSlowdown) {
        TensorRt.require("INT8 tuning");
        LayerGroups groups = LayerGroups.of(model.file());
        List<Setting> settings = new ArrayList<>();
        List<double[]> measured = new ArrayList<>();
        List<Metrics> boxes = new ArrayList<>();
        java.util.function.Function<Setting, double[]> run = s -> {
            Log.info("[" + (settings.size() + 1) + "] " + s.group() + ": " + s.label());
            Measured m = measured(model, s.options(), valData);
            settings.add(s);
            measured.add(m.values());
            boxes.add(m.box());
            return m.values();
        };
        double[] fp16 = run.apply(references(base).get(1));
        double[] all = run.apply(new Setting("int8", "all INT8", base.toBuilder().fp16Layers(null).build()));
        List<Block> blocks = new ArrayList<>();
        for (String g : List.of("stem", "backbone", "neck", "head box", "head cls")) {
            if (alreadyFloat(base, g)) continue;
            String regex = groups.get(g).regex();
            double[] m = run.apply(new Setting("fp16 block", g + " in FP16", base.toBuilder().fp16Layers(regex).build()));
            blocks.add(new Block(g, regex, m[1] - all[1], m[2] - all[2]));
        }
        List<String> kept = new ArrayList<>();
        double[] current = all;
        for (Block b : greedyOrder(blocks)) {
            if (fp16[1] - current[1] <= maxLoss || current[2] > maxSlowdown * all[2]) break;
            kept.add(b.regex());
            current = run.apply(new Setting("greedy", "+ " + b.name() + " (" + kept.size() + " in FP16)",
                    base.toBuilder().fp16Layers(String.join("|", kept)).build()));
        }
        Table t = table(model.file().getFileName().toString(), TensorRt.gpu(), settings, measured);
        int chosen = choose(t, fp16[1], all[2], maxLoss, maxSlowdown);
        String why = chosen >= 0
                ? String.format(Locale.ROOT, "%s: loss %.4f to FP16 (limit %.4f), %.2f × the all-INT8 time (limit %.2f)", t.stringColumn("Setting").get(chosen),
                fp16[1] - t.doubleColumn("mAP50-95").get(chosen), maxLoss, t.doubleColumn("Engine ms/img").get(chosen) / all[2], maxSlowdown)
                : String.format(Locale.ROOT, "no engine tried is within loss %.4f and %.2f × the all-INT8 time: the best loss within the time limit is %.4f",
                maxLoss, maxSlowdown, bestLoss(t, fp16[1], all[2] * maxSlowdown));
        Log.info("Int8Tuning.auto: " + why);
        Table intervals = intervals(settings.stream().map(Setting::label).toList(), boxes.get(0), boxes, 1000, 1);
        return new Auto(t, chosen, why, List.copyOf(blocks), intervals, settings);
    }

    /** The fastest INT8 row with loss to {@code fp16Map} at most {@code maxLoss} and time at most maxSlowdown × {@code int8Ms}; -1 if none. */
    static int choose(Table t, double fp16Map, double int8Ms, double maxLoss, double maxSlowdown) {
        int best = -1;
        DoubleColumn ms = t.doubleColumn("Engine ms/img");
        for (int r = 0; r < t.rowCount(); r++) {
            if (!t.stringColumn("Precision").get(r).equals("INT8")) continue;
            if (fp16Map - t.doubleColumn("mAP50-95").get(r) > maxLoss + 1e-12 || ms.get(r) > maxSlowdown * int8Ms + 1e-12) continue;
            if (best < 0 || ms.get(r) < ms.get(best)) best = r;
        }
        return best;
    }

    private static double bestLoss(Table t, double fp16Map, double msLimit) {
        double best = Double.NaN;
        for (int r = 0; r < t.rowCount(); r++) {
            if (!t.stringColumn("Precision").get(r).equals("INT8") || t.doubleColumn("Engine ms/img").get(r) > msLimit) continue;
            double loss = fp16Map - t.doubleColumn("mAP50-95").get(r);
            if (Double.isNaN(best) || loss < best) best = loss;
        }
        return best;
    }
}
