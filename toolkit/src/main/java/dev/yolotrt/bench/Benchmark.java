package dev.yolotrt.bench;

import dev.yolotrt.backend.Backend;
import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.data.ClassFolders;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.Images;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.export.Exporter;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.Batch;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.task.Precision;
import dev.yolotrt.task.Task;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.Metrics;
import dev.yolotrt.val.ValOptions;
import dev.yolotrt.val.Validator;
import dev.yolotrt.viz.Columns;
import org.bytedeco.opencv.opencv_core.Mat;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Ultralytics TensorRT guide's "TensorRT export performance" table: per precision and batch, milliseconds per image for
 * the engine alone (mean / min / max over repetitions) and for end-to-end predict on decoded images
 * (letterbox, copies, inference, decode + NMS), with the task's accuracy from val beside them (see {@link #score}).
 * Without a GPU it measures the ONNX Runtime CPU backend instead, so the command runs anywhere.
 */
public final class Benchmark {

    /**
     * How much to measure; defaults match the raw baseline's method (50 warm-up, 5×200 or 5×1000 runs).
     * {@code calibSplit}: the split INT8 engines calibrate on ({@code val} as Ultralytics; {@code train} with a
     * held-out val split such as coco128-val2017.yaml's, so mAP is scored on images that set no ranges).
     * {@code alsoOn}: more datasets whose val mAP50-95 gets a column of its own, e.g. coco8 beside coco128 val2017.
     */
    public record Plan(List<String> precisions, int batch, int imgsz, String data, int warmup, int reps, int e2eIters, String calibSplit,
                       List<String> alsoOn) {
        public Plan {
            precisions = List.copyOf(precisions);
            precisions.forEach(Plan::checkVariant);
            alsoOn = List.copyOf(alsoOn);
        }

        public static Plan defaults(int batch, int imgsz, String data) {
            return new Plan(List.of("fp32", "fp16", "int8", "fp16+nms"), batch, imgsz, data, 50, 10, 100, "val", List.of());
        }

        /**
         * A precision as {@link #exportOptions} reads it: fp32, fp16 or int8, then +nms; int8 also -qdq and -CALIBRATOR (how
         * it is quantized), fp16 one of -typed or -flags (which FP16 network): on the other precisions they would change nothing.
         */
        private static void checkVariant(String variant) {
            String[] parts = variant.split("(?=[+-])");
            boolean known = Arrays.stream(Precision.values()).anyMatch(p -> p.id().equals(parts[0]));
            int networks = 0;
            for (int i = 1; known && i < parts.length; i++) {
                String s = parts[i];
                boolean network = s.equals("-typed") || s.equals("-flags");
                if (network) networks++;
                boolean int8 = parts[0].equals("int8");
                known = s.equals("+nms") || network && parts[0].equals("fp16") && networks == 1
                        || int8 && (s.equals("-qdq") || s.startsWith("-") && dev.yolotrt.export.Calibrators.ALGORITHMS.contains(s.substring(1)));
            }
            if (!known) {
                throw new YoloException("precisions=" + Text.clip(variant) + " is not a precision; valid: fp32, fp16, int8, optionally with +nms; int8 with -qdq, -"
                        + String.join("/-", dev.yolotrt.export.Calibrators.ALGORITHMS) + "; fp16 with one of -typed/-flags (e.g. fp16+nms, int8-qdq, fp16-flags)");
            }
        }

        public Plan calibratingOn(String split) {
            return new Plan(precisions, batch, imgsz, data, warmup, reps, e2eIters, split, alsoOn);
        }

        public Plan alsoScoring(String... datasets) {
            return new Plan(precisions, batch, imgsz, data, warmup, reps, e2eIters, calibSplit, List.of(datasets));
        }
    }

    private final StringColumn format = StringColumn.create(Columns.FORMAT);
    private final StringColumn precision = StringColumn.create(Columns.PRECISION);
    private final IntColumn batch = IntColumn.create(Columns.BATCH);
    private final DoubleColumn engMean = DoubleColumn.create(Columns.ENGINE_MS);
    private final DoubleColumn engMin = DoubleColumn.create(Columns.ENGINE_MIN);
    private final DoubleColumn engMax = DoubleColumn.create(Columns.ENGINE_MAX);
    private final DoubleColumn e2eMean = DoubleColumn.create(Columns.E2E_MS);
    private final DoubleColumn e2eMin = DoubleColumn.create(Columns.E2E_MIN);
    private final DoubleColumn e2eMax = DoubleColumn.create(Columns.E2E_MAX);
    /**
     * End-to-end on the GPU path (engines only, beside the host path): the letterbox on the GPU ({@code gpu_preprocess}) and,
     * for detect heads, only the candidates above conf copied back ({@code gpu_decode}).
     */
    private final DoubleColumn gpuMean = DoubleColumn.create(Columns.GPU_E2E_MS);
    private final DoubleColumn gpuMin = DoubleColumn.create(Columns.GPU_MIN);
    private final DoubleColumn gpuMax = DoubleColumn.create(Columns.GPU_MAX);
    /** The GPU path with the predictor's batches in flight at once, as a folder streams: wall time ÷ images. */
    private final DoubleColumn piped = DoubleColumn.create(Columns.PIPELINED_MS);
    /** The task's accuracy columns, in the order of its first row's scores. */
    private final Map<String, DoubleColumn> scores = new LinkedHashMap<>();
    private final DoubleColumn build = DoubleColumn.create(Columns.BUILD_S);
    private final DoubleColumn size = DoubleColumn.create(Columns.SIZE_MB);

    /** Timed calls per CPU row (engine and end-to-end alike): a CPU call takes a large part of a second. */
    private static final int CPU_ITERS = 5;

    private Benchmark() {
    }

    /** Runs the plan on {@code model} (an ONNX model); progress lines go to the {@link dev.yolotrt.util.Log} sink. */
    public static Table run(Yolo model, Plan plan) {
        Benchmark b = new Benchmark();
        // The benchmark owns the decoded images: freed, newest first, when it is done.
        List<Mat> images = decodedImages(model, plan.data());
        try {
            String title = model.file().getFileName() + " benchmark";
            if (!TensorRt.available()) {
                Log.info("No TensorRT GPU here (" + TensorRt.whyUnavailable() + "); benchmarking the ONNX Runtime CPU backend instead: one FP32 row"
                        + " per batch, " + CPU_ITERS + " timed calls each (precisions= and iters= are for engines)");
                b.measure(model, "onnx", "fp32", plan, images, Double.NaN, fileMb(model.file())); // no build: an ONNX model runs as it is
                return b.table(title + " (CPU)");
            }
            for (String p : plan.precisions()) {
                Exporter.Result r = Exporter.cached(model.source(), exportOptions(p, plan.batch(), plan.imgsz(), plan.data())
                        .withSplit(plan.calibSplit()));
                try (Yolo engine = Yolo.load(r.engine(), model.settings())) {
                    b.measure(engine, "engine", p, plan, images, r.buildSeconds(), fileMb(r.engine()));
                }
            }
            return b.table(title + " on " + TensorRt.gpu() + ", TensorRT " + TensorRt.version());
        } finally {
            for (int i = images.size() - 1; i >= 0; i--) images.get(i).close();
        }
    }

    /**
     * The engine a benchmark row uses: dynamic batch 1..{@code batch}, so one engine serves both rows. Variants: fp32,
     * fp16 (as export builds it: strongly typed), int8, fp16+nms, the explicit paths int8-qdq (Q/DQ INT8), fp16-typed
     * (strongly typed FP16) and fp16-flags (FP16 through TensorRT's kFP16 flag), and a
     * calibrator appended to INT8 ones (int8-percentile, int8-qdq-percentile), as {@link ExportOptions#variant} names them.
     */
    public static ExportOptions exportOptions(String variant, int batch, int imgsz, String data) {
        return ExportOptions.builder().half(variant.startsWith("fp16")).int8(variant.startsWith("int8")).nms(variant.endsWith("+nms"))
                .quant(variant.contains("-qdq") ? "qdq" : null).stronglyTyped(variant.contains("-typed") ? Boolean.TRUE : variant.contains("-flags") ? Boolean.FALSE : null)
                .calibrator(dev.yolotrt.export.Calibrators.ALGORITHMS.stream().filter(a -> variant.contains("-" + a)).findFirst().orElse(null))
                .dynamic(true).batch(batch).imgsz(imgsz).data(data).build();
    }

    private void measure(Yolo m, String fmt, String prec, Plan plan, List<Mat> images, double buildS, double mb) {
        Map<String, Double> score = score(m, plan.data(), plan.imgsz(), plan.batch());
        for (String d : plan.alsoOn()) {
            Map<String, Double> other = score(m, d, plan.imgsz(), plan.batch());
            String key = other.containsKey(Columns.MAP) ? Columns.MAP : other.keySet().iterator().next();
            score.put(key + " " + d.replaceFirst("\\.yaml$", ""), other.get(key));
        }
        for (int bs : batches(m, plan.batch())) {
            boolean cpu = fmt.equals("onnx");
            double[] eng = engineTimes(m.backend(), bs, plan, cpu);
            Timed host = endToEnd(m.predictor(), images, bs, plan, cpu, false);
            Timed gpu = cpu ? null : endToEnd(m.predictor(), images, bs, plan, false, true);
            double pipe = cpu ? Double.NaN : pipelined(m.predictor(), images, bs, plan);
            format.append(fmt);
            precision.append(prec.toUpperCase(Locale.ROOT));
            batch.append(bs);
            engMean.append(mean(eng));
            engMin.append(Arrays.stream(eng).min().orElse(0));
            engMax.append(Arrays.stream(eng).max().orElse(0));
            e2eMean.append(mean(host.ms()));
            e2eMin.append(Arrays.stream(host.ms()).min().orElse(0));
            e2eMax.append(Arrays.stream(host.ms()).max().orElse(0));
            gpuMean.append(gpu == null ? Double.NaN : mean(gpu.ms()));
            gpuMin.append(gpu == null ? Double.NaN : Arrays.stream(gpu.ms()).min().orElse(0));
            gpuMax.append(gpu == null ? Double.NaN : Arrays.stream(gpu.ms()).max().orElse(0));
            piped.append(pipe);
            score.forEach((k, v) -> scores.computeIfAbsent(k, DoubleColumn::create).append(v));
            build.append(buildS);
            size.append(mb);
            Log.info(String.format(Locale.ROOT, "%s %s batch %d: engine %.2f ms/img, end-to-end %.2f ms/img (%s)%s, %s",
                    fmt, prec, bs, mean(eng), mean(host.ms()), host.stages(),
                    gpu == null ? "" : String.format(Locale.ROOT, "; GPU path %.2f (%s), pipelined %.2f", mean(gpu.ms()), gpu.stages(), pipe),
                    describe(score)));
        }
    }

    /**
     * The accuracy a task's table in the Ultralytics guide shows: box mAP50 / mAP50-95 for every task with boxes, plus mask
     * (M) or keypoint (P) mAP for segment and pose; top-1 / top-5 accuracy of a classifier on an ImageNet-style folder.
     */
    static Map<String, Double> score(Yolo m, String data, int imgsz, int batch) {
        ValOptions o = valOptions(m, data, imgsz, batch);
        Map<String, Double> s = new LinkedHashMap<>();
        Validator.Run r = m.val(o);
        if (r.top() != null) {
            s.put("top1", r.top().top1());
            s.put("top5", r.top().top5());
            return s;
        }
        s.put(Columns.MAP50, r.box().map50());
        s.put(Columns.MAP, r.box().map());
        if (r.second() != null) {
            // The guide's column suffix: the metric's initial, (M) for masks, (P) for keypoints.
            String second = r.task().secondMetric().substring(0, 1);
            s.put(Columns.MAP50 + "(" + second + ")", r.second().map50());
            s.put(Columns.MAP + "(" + second + ")", r.second().map());
        }
        return s;
    }

    private static String describe(Map<String, Double> score) {
        StringBuilder b = new StringBuilder();
        score.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(String.format(Locale.ROOT, " %.4f", v)));
        return b.toString();
    }

    /** mAP on {@code data}'s val split with val's defaults (conf 0.001, IoU 0.7), in batches the model takes. */
    static Metrics validate(Yolo m, String data, int imgsz, int batch) {
        return m.val(valOptions(m, data, imgsz, batch)).box();
    }

    /** val's defaults on {@code data}, in batches the model takes. */
    private static ValOptions valOptions(Yolo m, String data, int imgsz, int batch) {
        return ValOptions.of(Map.of("data", data, "imgsz", imgsz, "batch", Math.min(batch, m.backend().maxBatch()), "verbose", false));
    }

    /**
     * The batches a model's rows run at: 1 and the plan's batch where the model takes any batch; a model with a fixed
     * batch runs at that batch only, and a plan asking for another is told so (a fixed batch-1 ONNX at batch=8 runs 1).
     */
    static List<Integer> batches(Yolo m, int want) {
        Backend b = m.backend();
        if (b.dynamicBatch()) return want > 1 ? List.of(1, want) : List.of(1);
        int fixed = Math.max(1, b.maxBatch());
        if (want != fixed) {
            Log.info("WARNING: batch=" + want + " but " + m.file().getFileName() + " takes a fixed batch of " + fixed + " (input "
                    + Arrays.toString(b.inputShape()) + "): its rows run at batch " + fixed + "; export it with dynamic=True for batch " + want);
        }
        return List.of(fixed);
    }

    /**
     * Calls before timing: as many as the end-to-end rows make, so the engine row is no colder than they are (with one
     * warm-up call, ONNX Runtime's first slow runs landed in the engine row and made it slower than end-to-end).
     */
    private static int warmups(int iters) {
        return Math.min(100, iters);
    }

    /** The engine alone: TensorRT graph launches on device buffers; ONNX Runtime runs on a fixed tensor. */
    static double[] engineTimes(Backend backend, int bs, Plan plan, boolean cpu) {
        int s = plan.imgsz();
        try (Backend.Session session = backend.openSession()) {
            if (session.device().isPresent()) {
                return session.device().get().timeEngine(bs, s, s, plan.warmup(), plan.reps(), bs == 1 ? 1000 : 200);
            }
            FloatBuffer in = session.inputBuffer(bs, s, s);
            int reps = cpu ? CPU_ITERS : plan.reps();
            for (int i = 0; i < warmups(reps); i++) session.infer(in, bs, s, s);
            double[] ms = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                session.infer(in, bs, s, s);
                ms[r] = (System.nanoTime() - t0) / 1e6 / bs;
            }
            return ms;
        }
    }

    /**
     * Milliseconds per image of each call, the mean per image of each stage (letterbox, inference, decode + NMS), and the
     * garbage collections that ran during the timed calls (a pause lands in some call's time, most often its max).
     */
    private record Timed(double[] ms, double pre, double infer, double post, long gcs, long gcMs) {
        String stages() {
            return String.format(Locale.ROOT, "letterbox %.4f, inference %.4f, NMS %.4f; %d GC run(s), %d ms", pre, infer, post, gcs, gcMs);
        }
    }

    /** Collections so far and their milliseconds, over every collector. */
    private static long[] gcSoFar() {
        long n = 0, ms = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
            ms += Math.max(0, gc.getCollectionTime());
        }
        return new long[] {n, ms};
    }

    /** The options of an end-to-end row: the host path, or the GPU path (letterbox and, for detect heads, candidates on the GPU). */
    private static PredictOptions options(int bs, Plan plan, boolean gpu) {
        return PredictOptions.builder().batch(bs).imgsz(plan.imgsz()).gpuPreprocess(gpu).gpuDecode(gpu).build();
    }

    /** Predict on decoded images, {@code bs} per call, one call at a time: ms per image for each call. */
    private static Timed endToEnd(Predictor p, List<Mat> images, int bs, Plan plan, boolean cpu, boolean gpu) {
        PredictOptions o = options(bs, plan, gpu);
        List<Mat> batchImgs = batchOf(images, bs);
        int iters = cpu ? CPU_ITERS : plan.e2eIters();
        // Enough warm-up calls for the JIT to compile the decoder's loops before timing.
        for (int i = 0; i < warmups(iters); i++) p.run(batchImgs, o);
        long[] gc0 = gcSoFar();
        double[] ms = new double[iters];
        double pre = 0, infer = 0, post = 0;
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            Batch b = p.run(batchImgs, o);
            ms[i] = (System.nanoTime() - t0) / 1e6 / bs;
            pre += b.preMs();
            infer += b.inferMs();
            post += b.postMs();
        }
        long[] gc1 = gcSoFar();
        double per = (double) iters * bs;
        return new Timed(ms, pre / per, infer / per, post / per, gc1[0] - gc0[0], gc1[1] - gc0[1]);
    }

    /**
     * The GPU path with {@link Predictor#concurrency()} calls running at once, as streaming a folder does: wall time per
     * image over {@code e2eIters} batches.
     */
    private static double pipelined(Predictor p, List<Mat> images, int bs, Plan plan) {
        PredictOptions o = options(bs, plan, true);
        List<Mat> batchImgs = batchOf(images, bs);
        p.timeInFlight(batchImgs, o, Math.min(10, plan.e2eIters()) * p.concurrency());
        return p.timeInFlight(batchImgs, o, plan.e2eIters()) / plan.e2eIters() / bs;
    }

    private static List<Mat> batchOf(List<Mat> images, int bs) {
        List<Mat> batchImgs = new ArrayList<>();
        for (int i = 0; i < bs; i++) batchImgs.add(images.get(i % images.size()));
        return batchImgs;
    }

    private static List<Mat> decodedImages(Yolo model, String data) {
        List<Path> files = model.metadata().task() == Task.CLASSIFY ? ClassFolders.images(Path.of(data), "val")
                : Dataset.load(data, model.settings()).images("val", model.settings());
        List<Mat> images = new ArrayList<>();
        try {
            for (Path f : files.subList(0, Math.min(16, files.size()))) images.add(Images.read(f));
        } catch (RuntimeException e) {
            for (int i = images.size() - 1; i >= 0; i--) images.get(i).close();
            throw e;
        }
        return images;
    }

    private Table table(String title) {
        // Milliseconds to 2 decimals, as Ultralytics' benchmark rounds them; what was not measured (an ONNX row's build) is "-".
        for (DoubleColumn c : List.of(engMean, engMin, engMax, e2eMean, e2eMin, e2eMax, gpuMean, gpuMin, gpuMax, piped)) c.setPrintFormatter(fixed(2));
        List<DoubleColumn> tail = new ArrayList<>(scores.values());
        tail.addAll(List.of(build, size));
        for (DoubleColumn c : tail) c.setPrintFormatter(fixed(3));
        Table t = Table.create(title, format, precision, batch, engMean, engMin, engMax, e2eMean, e2eMin, e2eMax);
        // Only engines letterbox on the GPU: a CPU table has no such columns.
        if (gpuMean.countMissing() < gpuMean.size()) t.addColumns(gpuMean, gpuMin, gpuMax, piped);
        tail.forEach(t::addColumns);
        return t;
    }

    private static NumberColumnFormatter fixed(int decimals) {
        java.text.NumberFormat f = java.text.NumberFormat.getNumberInstance(Locale.ROOT);
        f.setMinimumFractionDigits(decimals);
        f.setMaximumFractionDigits(decimals);
        return new NumberColumnFormatter(f, "-");
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(0);
    }

    static double fileMb(Path f) {
        try {
            return Files.size(f) / 1e6;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
