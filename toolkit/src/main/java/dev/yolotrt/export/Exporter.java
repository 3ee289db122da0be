package dev.yolotrt.export;

import dev.yolotrt.task.Task;
import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.data.ClassFolders;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.YoloException;
import org.bytedeco.tensorrt.nvinfer.IInt8Calibrator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * {@code model.export(format="engine", ...)}: ONNX → TensorRT engine in Ultralytics' file layout,
 * beside the model unless told otherwise. Logs its time and size, and turns any failure into one line.
 */
public final class Exporter {

    private Exporter() {
    }

    /** What an export produced. {@code reused} when a matching engine was already there. */
    public record Result(Path engine, double buildSeconds, boolean reused) {
    }

    /** The images that calibrate an INT8 export: {@code data}'s {@code split}, in calibration batches. */
    private record Calibration(String dataset, String split, List<Path> images, List<List<Path>> batches) {
        static Calibration of(Source model, ExportOptions o) {
            if (model.metadata().task() == Task.CLASSIFY) {
                // A classifier calibrates on an ImageNet-style folder (data=FOLDER, FOLDER/split/<class>/*.jpg), as its val reads.
                Path root = Path.of(o.data());
                List<Path> images = ClassFolders.images(root, o.split());
                String name = root.getFileName().toString();
                return new Calibration(name, o.split(), images, CalibrationData.batches(images, o.fraction(), o.calibrationBatch(), name));
            }
            Dataset ds = Dataset.load(o.data(), model.settings());
            List<Path> images = ds.images(o.split(), model.settings());
            return new Calibration(ds.name(), o.split(), images, CalibrationData.batches(images, o.fraction(), o.calibrationBatch(), ds.name()));
        }

        String what() {
            return dataset + " " + split;
        }
    }

    private static Map<String, Float> percentileRanges(Source model, ExportOptions o, int imgsz, byte[] onnx) {
        Calibration c = Calibration.of(model, o);
        Log.info("Calibrating INT8 (percentile " + PercentileRanges.DEFAULT_PERCENTILE + ") on " + c.what());
        return PercentileRanges.compute(onnx, c.batches(), imgsz, model.metadata().task() == Task.CLASSIFY,
                PercentileRanges.DEFAULT_PERCENTILE);
    }

    /**
     * Traced ranges of the last few Q/DQ exports, by model, size, calibrator and images: a tuning sweep or {@code auto}
     * quantizes one model many times (only which layers stay float changes), and each trace took 37 s on an H200's host.
     */
    private static final Map<String, Map<String, Float>> TRACED = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Map<String, Float>> eldest) {
            return size() > 8;
        }
    });

    /**
     * The Q/DQ ONNX of an INT8 {@code quant=qdq} export: activations traced with ONNX Runtime on the calibration images,
     * ranges as {@code o.calibrator()} picks them, then {@link QdqOnnx}; {@code fp16_layers} stay unquantized.
     */
    static byte[] qdq(Source model, ExportOptions o, int imgsz, byte[] onnx) {
        Calibration c = Calibration.of(model, o);
        List<Path> images = c.batches().stream().flatMap(List::stream).distinct().toList();
        Log.info("Quantizing INT8 explicitly (Q/DQ, " + o.calibrator() + " ranges) from " + images.size() + " images of " + c.what());
        boolean classify = model.metadata().task() == Task.CLASSIFY;
        String key = Downloads.sha256(onnx) + " " + imgsz + " " + classify + " " + o.calibrator() + " "
                + Downloads.sha256(images.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Map<String, Float> ranges = TRACED.get(key);
        if (ranges != null) Log.info("Using the activation ranges traced earlier in this session (tracing skipped)");
        else TRACED.put(key, ranges = Map.copyOf(PercentileRanges.trace(onnx, images, imgsz, classify).ranges(o.calibrator())));
        java.util.regex.Pattern keep = o.fp16Layers() == null ? QdqOnnx.DEFAULT_KEEP_FLOAT
                : java.util.regex.Pattern.compile(QdqOnnx.DEFAULT_KEEP_FLOAT.pattern() + "|" + o.fp16Layers());
        return QdqOnnx.quantize(onnx, ranges, keep);
    }

    /**
     * {@code export format=onnx int8=True}: {@code model}'s ONNX with Q/DQ nodes ({@link #qdq}), written to
     * {@code o.output()} (null: {@code <model>-int8.onnx} beside the model's ONNX); ONNX Runtime runs it on the CPU.
     */
    public static Path exportOnnx(Source model, ExportOptions o) {
        if (!o.int8()) throw new YoloException("format=onnx from the exporter writes INT8 Q/DQ models; add int8=True");
        Path src = model.file();
        int imgsz = o.imgsz() != null ? o.imgsz() : model.metadata().imgsz()[0];
        long[] in = model.inputShape();
        if (in[2] > 0 && in[2] != imgsz) throw new YoloException(src + " has a fixed " + in[2] + "x" + in[3] + " input; use imgsz=" + in[2]);
        byte[] onnx = OnnxFiles.read(src);
        if (o.dynamic() && in[0] > 0) onnx = OnnxBatch.makeDynamic(onnx);
        long t0 = System.nanoTime();
        byte[] q = qdq(model, o, imgsz, onnx);
        Path out = o.output() != null ? o.output() : src.resolveSibling(src.getFileName().toString().replaceFirst("(?i)\\.onnx$", "") + "-int8.onnx");
        dev.yolotrt.util.AtomicWrite.write(out, q);
        Log.info(String.format(Locale.ROOT, "Q/DQ export success ✅ %.1fs, saved as '%s' (%.1f MB)", (System.nanoTime() - t0) / 1e9, out, q.length / 1e6));
        return out;
    }

    /**
     * The layer precision report after a build: the inspector's JSON saved beside the engine ({@code .layers.json}),
     * layers per precision per YOLO block, and one warning line per layer that ran in another precision than asked.
     */
    private static void report(String json, java.util.Set<String> pinned, byte[] onnx, ExportOptions o, Path engine) {
        if (json.isEmpty()) return;
        String saved = LayerPrecision.withPinned(json, pinned);
        dev.yolotrt.util.AtomicWrite.write(LayerPrecision.sidecar(engine), saved.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        LayerPrecision lp = LayerPrecision.parse(saved);
        try {
            Log.info(lp.table(LayerGroups.of(onnx, engine.getFileName().toString())).printAll());
        } catch (YoloException e) {
            Log.info(lp.layers().size() + " engine layers (no YOLO block names to group them by)");
        }
        if (o.int8()) lp.warnings(o.fp16Layers()).forEach(Log::info);
    }

    /** The calibration feed for an INT8 export: cached scales when they match, else images of {@code data}'s {@code split}. */
    private static Calibrators.Feed calibration(Source model, ExportOptions o, int imgsz, String sha, Path cache) {
        Calibration c = Calibration.of(model, o);
        int batch = o.calibrationBatch();
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("model_sha256", sha);
        key.put("data", c.dataset());
        key.put("split", o.split());
        key.put("fraction", o.fraction());
        key.put("imgsz", imgsz);
        key.put("batch", batch);
        key.put("calibrator", o.calibrator());
        byte[] cached = CalibrationCache.load(cache, key);
        if (cached != null) Log.info("Using calibration cache " + cache + " (calibration skipped)");
        else Log.info("Calibrating INT8 (" + o.calibrator() + ") on " + Math.min(c.images().size(), (int) Math.ceil(c.images().size() * o.fraction()))
                + " images of " + c.what() + ": " + c.batches().size() + " batches of " + batch);
        return new Calibrators.Feed(c.batches(), imgsz, model.metadata().task() == Task.CLASSIFY, cached, bytes -> CalibrationCache.save(cache, bytes, key));
    }

    /**
     * An engine for {@code model} with {@code o} in the engine cache ({@code <cache>/engines}), built
     * once and reused while model, options, TensorRT and GPU stay the same: what benchmarks, tests and
     * the INT8 tuning sweep use. INT8 tuning settings add a short hash, so each setting keeps its engine.
     */
    public static Result cached(Source model, ExportOptions given) {
        ExportOptions o = fp16Network(model.file(), given);
        String stem = model.file().getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
        int imgsz = o.imgsz() != null ? o.imgsz() : model.metadata().imgsz()[0];
        String base = String.format(Locale.ROOT, "%s-%s-b%d-%d%s", stem, o.variant().replace('+', '-'), o.batch(), imgsz,
                o.dynamic() ? "-dynamic" : "");
        Map<String, Object> tuning = o.tuning();
        Path dir = model.settings().cacheDir().resolve("engines");
        // Calibration does not depend on which layers stay in FP16, so engines that differ only there share scales.
        Map<String, Object> calibrated = new LinkedHashMap<>(tuning);
        calibrated.remove("fp16_layers");
        calibrated.remove("opt_level");
        return export(model, o.withOutput(dir.resolve(base + tag(tuning) + ".engine")), true, dir.resolve(base + tag(calibrated) + ".cache"));
    }

    private static String tag(Map<String, Object> tuning) {
        return tuning.isEmpty() ? "" : "-" + Downloads.sha256(tuning.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 8);
    }

    /**
     * Exports {@code model} (an ONNX model) with {@code o}. With {@code reuse}, an existing engine
     * at the output path built from the same model, options, TensorRT version and GPU is kept.
     */
    public static Result export(Source model, ExportOptions o, boolean reuse) {
        if (o.format().equals("onnx")) return new Result(exportOnnx(model, o), 0, false); // format=onnx int8=True: Q/DQ
        return export(model, fp16Network(model.file(), o), reuse, null);
    }

    /**
     * {@code o}, with FP16 through TensorRT's kFP16 flag where {@code half=True}'s strongly typed default cannot keep the
     * decode in FP32: {@link Fp16Onnx} finds it by YOLO's module names (/model.N/), and a graph without them would run
     * its box arithmetic in FP16. Resolved before the engine's name and arguments are, so the cache sees what is built.
     */
    static ExportOptions fp16Network(Path onnx, ExportOptions o) {
        String what = onnx.getFileName().toString();
        if (o.typed() != null || !o.stronglyTyped() || !what.toLowerCase(Locale.ROOT).endsWith(".onnx")
                || Fp16Onnx.decode(OnnxFiles.parse(OnnxFiles.read(onnx), what).getGraph()) != null) return o;
        Log.info(what + " has no YOLO module names (/model.N/) to keep its decode in FP32: FP16 is built with TensorRT's kFP16 flag "
                + "(strongly_typed=False; strongly_typed=True makes the whole graph FP16)");
        return o.toBuilder().stronglyTyped(false).build();
    }

    /** As above, with the INT8 calibration cache at {@code calibrationCache} (null: beside the engine, as Ultralytics). */
    private static Result export(Source model, ExportOptions o, boolean reuse, Path calibrationCache) {
        Path src = model.file();
        if (!src.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            throw new YoloException(src + " is not an ONNX model; export starts from the .onnx file");
        }
        TensorRt.require("export format=engine");
        ModelMetadata meta = model.metadata();
        long[] in = model.inputShape();
        int imgsz = o.imgsz() != null ? o.imgsz() : meta.imgsz()[0];
        if (in[2] > 0 && in[2] != imgsz) {
            throw new YoloException(src + " was exported with a fixed " + in[2] + "x" + in[3] + " input; export with imgsz=" + in[2]
                    + " or export the ONNX again at imgsz=" + imgsz);
        }
        byte[] onnx = OnnxFiles.read(src);
        String sha = Downloads.sha256(onnx);
        boolean batchDynamic = o.dynamic() || o.batch() > 1;
        if (batchDynamic && in[0] > 0) onnx = OnnxBatch.makeDynamic(onnx);

        Path out = o.output() != null ? o.output() : src.resolveSibling(src.getFileName().toString().replaceFirst("(?i)\\.onnx$", ".engine"));
        Map<String, Object> args = o.args(imgsz);
        Map<String, Object> producer = new LinkedHashMap<>();
        producer.put("toolkit", "yolo-trt");
        producer.put("tensorrt", TensorRt.version());
        producer.put("gpu", TensorRt.gpu());
        producer.put("source_sha256", sha);
        if (reuse && Files.isRegularFile(out)) {
            EngineFile existing = EngineFile.read(out);
            if (existing.metadata() != null && Objects.equals(existing.metadata().get("args"), args)
                    && Objects.equals(existing.metadata().get("producer"), producer)) {
                Log.info("Reusing " + out + " (same model, options, TensorRT and GPU)");
                Object secs = existing.metadata().get("build_seconds");
                return new Result(out, secs instanceof Number n ? n.doubleValue() : 0, true);
            }
        }

        Path cacheFile = TimingCache.file(model.settings().cacheDir(), TimingCache.key(TensorRt.gpu(), TensorRt.version()));
        boolean explicit = o.int8() && o.quant().equals("qdq");
        if (explicit) onnx = qdq(model, o, imgsz, onnx);
        if (o.stronglyTyped()) onnx = Fp16Onnx.convert(onnx, null);
        boolean percentile = o.int8() && !explicit && o.calibrator().equals("percentile");
        Map<String, Float> ranges = percentile ? percentileRanges(model, o, imgsz, onnx) : null;
        Calibrators.Feed feed = o.int8() && !explicit && !percentile
                ? calibration(model, o, imgsz, sha, calibrationCache != null ? calibrationCache : CalibrationCache.of(out)) : null;
        EngineBuilder.Built built;
        // The feed owns the calibrator's native peer and its buffers: all freed once the engine is built.
        try (Calibrators.Feed owned = feed) {
            IInt8Calibrator calibrator = owned == null ? null : owned.calibrator(o.calibrator());
            built = EngineBuilder.build(new EngineBuilder.Request(onnx, src.getFileName().toString(), o, imgsz,
                    () -> o.timingCache() ? TimingCache.load(cacheFile) : new byte[0], calibrator, ranges));
        }
        if (o.timingCache()) TimingCache.save(cacheFile, built.timingCache());
        int batch = batchDynamic ? o.batch() : (int) in[0];
        Map<String, Object> header = EngineFile.metadata(meta, batch, imgsz, args, producer);
        header.put("build_seconds", Math.round(built.seconds() * 10) / 10.0);
        EngineFile.write(out, header, built.plan());
        report(built.layers(), built.pinned(), onnx, o, out);
        Log.info(String.format(Locale.ROOT, "TensorRT export success ✅ %.1fs, saved as '%s' (%.1f MB)", built.seconds(), out,
                built.plan().length / 1e6));
        return new Result(out, built.seconds(), false);
    }
}
