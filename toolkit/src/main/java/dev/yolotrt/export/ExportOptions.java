package dev.yolotrt.export;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.task.Precision;
import dev.yolotrt.util.YoloException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * TensorRT export settings with the Ultralytics TensorRT guide's names and defaults: imgsz 640, half False, int8
 * False, dynamic False, simplify False (True is refused), workspace None (GiB), nms False, batch 1, data coco8.yaml,
 * fraction 1.0, device None. {@code output} (null: beside the model) and {@code optimizationLevel}
 * (null: see {@link #builderLevel}) are ours, as are the INT8 tuning knobs: {@code split} (which split of
 * {@code data} calibrates, val as in Ultralytics), {@code calibBatch} (null: 2 × batch) and
 * {@code fp16Layers} (a regex of layer names kept in FP16 inside an INT8 engine, e.g. the head). {@code quant} picks how
 * INT8 reaches TensorRT: {@code implicit} (a calibrator or dynamic ranges, the default for engines) or {@code qdq}
 * (explicit Q/DQ nodes in the ONNX, {@link QdqOnnx}; the only way for {@code format=onnx}, which then writes that ONNX).
 * {@code typed} builds FP16 as TensorRT 11 will have it: the ONNX's tensors typed FP16 ({@link Fp16Onnx}) in a
 * strongly typed network, instead of the kFP16 builder flag; null (the default) means yes for {@code half=True} on the
 * GPU without NMS inside ({@link #stronglyTyped}). {@code optimizationLevel} null means TensorRT's level 3, or
 * {@value #TYPED_LEVEL} for a strongly typed network ({@link #builderLevel}).
 */
public record ExportOptions(String format, Integer imgsz, boolean half, boolean int8, boolean dynamic, boolean simplify,
                            Double workspace, boolean nms, int batch, String data, double fraction, String device,
                            String calibrator, String split, Integer calibBatch, String fp16Layers, String quant,
                            Boolean typed, double conf, double iou, int maxDet, Integer optimizationLevel,
                            boolean timingCache, Path output) {

    public ExportOptions {
        format = format.toLowerCase(Locale.ROOT);
        if (!format.equals("engine") && !format.equals("onnx")) {
            throw new YoloException("format=" + format + " is not supported; this toolkit exports format=engine (TensorRT) or format=onnx (a .pt's network, or with int8=True any model quantized with Q/DQ)");
        }
        quant = quant == null ? (format.equals("onnx") ? "qdq" : "implicit") : quant.toLowerCase(Locale.ROOT);
        if (!quant.equals("qdq") && !quant.equals("implicit")) throw new YoloException("quant=" + quant + " must be qdq or implicit");
        if (Boolean.TRUE.equals(typed) && (!half || int8)) {
            throw new YoloException("strongly_typed=True builds the FP16 network typed in the ONNX: use it with half=True, without int8");
        }
        if (format.equals("onnx") && quant.equals("implicit")) throw new YoloException("quant=implicit lives in a TensorRT engine; format=onnx carries INT8 as quant=qdq");
        if (batch < 1) throw new YoloException("batch=" + batch + " must be at least 1");
        if (imgsz != null && (imgsz < 32 || imgsz % 32 != 0)) throw new YoloException("imgsz=" + imgsz + " must be a multiple of 32 (the model's stride), at least 32");
        if (simplify) {
            throw new YoloException("simplify=True is not supported: this toolkit hands the ONNX to TensorRT as it is, and TensorRT's "
                    + "builder folds constants and drops dead nodes itself, so the engine is the same; leave simplify out");
        }
        if (workspace != null && workspace <= 0) throw new YoloException("workspace=" + workspace + " must be a positive number of GiB, or None");
        if (conf < 0 || conf > 1 || iou < 0 || iou > 1 || maxDet < 1) throw new YoloException("nms settings conf=" + conf + ", iou=" + iou + ", max_det=" + maxDet + " are out of range");
        if (!(fraction > 0 && fraction <= 1)) throw new YoloException("fraction=" + fraction + " must be in (0, 1]");
        if (optimizationLevel != null && (optimizationLevel < 0 || optimizationLevel > 5)) {
            throw new YoloException("optimization level " + optimizationLevel + " must be 0..5");
        }
        if (device != null) dlaCore(device);
        calibrator = calibrator == null ? "minmax" : calibrator.toLowerCase(Locale.ROOT);
        if (!Calibrators.ALGORITHMS.contains(calibrator)) throw new YoloException("calibrator=" + calibrator + " must be one of " + Calibrators.ALGORITHMS);
        split = split == null ? "val" : split;
        if (calibBatch != null && calibBatch < 1) throw new YoloException("calib_batch=" + calibBatch + " must be at least 1");
        if (fp16Layers != null) {
            if (fp16Layers.isBlank()) fp16Layers = null;
            else if (!int8) throw new YoloException("fp16_layers=" + fp16Layers + " keeps layers of an INT8 engine in FP16; add int8=True");
            else {
                try {
                    java.util.regex.Pattern.compile(fp16Layers);
                } catch (java.util.regex.PatternSyntaxException e) {
                    throw new YoloException("fp16_layers=" + fp16Layers + " is not a valid regular expression: " + e.getDescription());
                }
            }
        }
        // INT8 calibrates over a range of batches, so it implies a dynamic batch, as in Ultralytics.
        if (int8) dynamic = true;
    }

    /** The same options writing to {@code file}. */
    public ExportOptions withOutput(Path file) {
        return toBuilder().output(file).build();
    }

    /** The same options calibrating INT8 on {@code split}. */
    public ExportOptions withSplit(String split) {
        return toBuilder().split(split).build();
    }

    /** A builder holding these options, to derive variants from. */
    public Builder toBuilder() {
        return builder().format(format).imgsz(imgsz).half(half).int8(int8).dynamic(dynamic).simplify(simplify).workspace(workspace)
                .nms(nms).batch(batch).data(data).fraction(fraction).device(device).calibrator(calibrator).split(split)
                .calibBatch(calibBatch).fp16Layers(fp16Layers).quant(quant).stronglyTyped(typed).nmsSettings(conf, iou, maxDet).optimizationLevel(optimizationLevel)
                .timingCache(timingCache).output(output);
    }

    /**
     * The builder optimization level a strongly typed FP16 network gets by default: on an H200 a cold yolov8n build (dynamic
     * batch 1-8) takes 83 s at level 2 against 149 s at level 3, for an engine 0.4 % slower (tenth run; within issue
     * 25's 3 %). The flag-built FP16 network keeps level 3: at level 2 its engine was 4.7 % slower (ninth run).
     */
    public static final int TYPED_LEVEL = 2;

    /**
     * Whether FP16 is built as a strongly typed network: as asked, else for {@code half=True} without INT8 and without NMS
     * inside (the NMS plugin's head stays on the flag-built path), on the GPU (DLA builds with flags).
     */
    public boolean stronglyTyped() {
        return typed != null ? typed : typedByDefault();
    }

    private boolean typedByDefault() {
        return half && !int8 && !nms && dlaCore() < 0;
    }

    /** The builder optimization level: as asked, else {@value #TYPED_LEVEL} for a strongly typed network, else null (TensorRT's 3). */
    public Integer builderLevel() {
        return optimizationLevel != null ? optimizationLevel : stronglyTyped() ? Integer.valueOf(TYPED_LEVEL) : null;
    }

    /** Images per calibration batch: {@code calibBatch}, else the Ultralytics TensorRT guide's 2 × batch (small batches scale activations badly). */
    public int calibrationBatch() {
        return calibBatch != null ? calibBatch : 2 * batch;
    }

    /**
     * The settings that change an engine without changing its variant name (the optimization level; INT8's fraction,
     * split, calibration batch, FP16 layers), where they differ from the defaults; empty otherwise.
     */
    public Map<String, Object> tuning() {
        Map<String, Object> t = new LinkedHashMap<>();
        if (builderLevel() != null) t.put("opt_level", builderLevel());
        if (!int8) return t;
        if (fraction != 1.0) t.put("fraction", fraction);
        if (!split.equals("val")) t.put("split", split);
        if (calibBatch != null) t.put("calib_batch", calibBatch);
        if (fp16Layers != null) t.put("fp16_layers", fp16Layers);
        return t;
    }

    /** A builder holding export mode's defaults (the table's, with predict's conf for NMS inside). */
    public static Builder builder() {
        return new Builder();
    }

    public static Builder builder(Map<String, ?> args) {
        return builder().apply(Cfg.of(args));
    }

    /** The DLA core named by {@code device=dla:N}, or -1 for a GPU device (None, 0, cuda:0). */
    public int dlaCore() {
        return device == null ? -1 : dlaCore(device);
    }

    private static int dlaCore(String device) {
        String d = device.toLowerCase(Locale.ROOT).strip();
        if (d.startsWith("dla:")) {
            try {
                int n = Integer.parseInt(d.substring(4));
                if (n >= 0) return n;
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new YoloException("device=" + device + ": expected dla:0 or dla:1");
        }
        if (d.equals("0") || d.equals("cuda") || d.equals("cuda:0") || d.equals("gpu")) return -1;
        if (d.equals("cpu")) throw new YoloException("device=cpu: TensorRT engines are built on an NVIDIA GPU; use device=0 or leave it unset");
        throw new YoloException("device=" + device + " is not supported; use 0 (the first GPU) or dla:0 / dla:1");
    }

    /** A short name for the precision: fp32, fp16 or int8. */
    public String precision() {
        return Precision.of(half, int8).id();
    }

    /**
     * The precision, with "-typed" or "-flags" where FP16's typing is not the default one, "-qdq", the calibrator when it
     * is not the default and "+nms" for engines that include NMS: names benchmark rows and cached engines (whose
     * calibration caches sit beside them).
     */
    public String variant() {
        String typing = stronglyTyped() == typedByDefault() ? "" : stronglyTyped() ? "-typed" : "-flags";
        return precision() + typing + (int8 && quant.equals("qdq") ? "-qdq" : "") + (int8 && !calibrator.equals("minmax") ? "-" + calibrator : "") + (nms ? "+nms" : "");
    }

    /** What the engine file records under {@code args}, as Ultralytics does. */
    public Map<String, Object> args(int imgsz) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("batch", batch);
        a.put("imgsz", imgsz);
        a.put("half", half);
        a.put("int8", int8);
        a.put("dynamic", dynamic);
        a.put("nms", nms);
        if (nms) {
            a.put("conf", conf);
            a.put("iou", iou);
            a.put("max_det", maxDet);
        }
        a.put("workspace", workspace);
        a.put("device", device);
        if (int8) {
            a.put("data", data);
            a.put("fraction", fraction);
            a.put("calibrator", calibrator);
            a.put("split", split);
            a.put("calib_batch", calibrationBatch());
            if (fp16Layers != null) a.put("fp16_layers", fp16Layers);
            a.put("quant", quant);
            // An engine built by another Q/DQ placement is another engine: the cache must not reuse it.
            if (quant.equals("qdq")) a.put("qdq_placement", QdqOnnx.PLACEMENT);
        }
        if (builderLevel() != null) a.put("opt_level", builderLevel());
        if (stronglyTyped()) a.put("strongly_typed", true);
        return a;
    }

    /** Mutable builder; validation happens in the record's constructor. */
    public static final class Builder {
        // Every option of the table starts at export mode's value (builder()), none has a default of its own here.
        private String format;
        private Integer imgsz;
        private boolean half;
        private boolean int8;
        private boolean dynamic;
        private boolean simplify;
        private Double workspace;
        private boolean nms;
        private int batch;
        private String data;
        private double fraction;
        private String device;
        private String calibrator;
        private String split;
        private Integer calibBatch;
        private String fp16Layers;
        private String quant;
        private Boolean typed;
        private double conf;
        private double iou;
        private int maxDet;
        private Integer optimizationLevel;
        private boolean timingCache = true;
        private Path output;

        /** A builder holding export mode's defaults. */
        public Builder() {
            apply(Cfg.empty());
        }

        public Builder apply(Cfg given) {
            Cfg c = given.forMode(Cfg.Mode.EXPORT, Cfg.Caller.API);
            format = c.string("format");
            if (c.isSet("imgsz")) {
                List<Integer> sz = c.ints("imgsz");
                if (sz.size() > 1 && !sz.get(0).equals(sz.get(1))) throw new YoloException("imgsz=" + sz + ": engines are exported square; give one size");
                imgsz = sz.get(0);
            }
            half = c.bool("half");
            int8 = c.bool("int8");
            dynamic = c.bool("dynamic");
            simplify = c.bool("simplify");
            workspace = c.number("workspace");
            nms = c.bool("nms");
            batch = c.integer("batch");
            data = c.string("data");
            fraction = c.number("fraction");
            device = c.string("device");
            calibrator = c.string("calibrator");
            split = c.string("split");
            calibBatch = c.integer("calib_batch");
            fp16Layers = c.string("fp16_layers");
            quant = c.string("quant");
            typed = (Boolean) c.get("strongly_typed");
            optimizationLevel = c.integer("opt_level");
            conf = c.number("conf");
            iou = c.number("iou");
            maxDet = c.integer("max_det");
            return this;
        }

        public Builder format(String v) { format = v; return this; }
        public Builder imgsz(Integer v) { imgsz = v; return this; }
        public Builder half(boolean v) { half = v; return this; }
        public Builder int8(boolean v) { int8 = v; return this; }
        public Builder dynamic(boolean v) { dynamic = v; return this; }
        public Builder simplify(boolean v) { simplify = v; return this; }
        public Builder workspace(Double v) { workspace = v; return this; }
        public Builder nms(boolean v) { nms = v; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder data(String v) { data = v; return this; }
        public Builder fraction(double v) { fraction = v; return this; }
        public Builder device(String v) { device = v; return this; }
        public Builder calibrator(String v) { calibrator = v; return this; }
        /** The split of {@code data} that calibrates INT8 (val by default). */
        public Builder split(String v) { split = v; return this; }
        public Builder calibBatch(Integer v) { calibBatch = v; return this; }
        /** Layers whose names match this regex stay in FP16 in an INT8 engine (null: none). */
        public Builder fp16Layers(String v) { fp16Layers = v; return this; }
        /** qdq or implicit INT8 (null: implicit for engines, qdq for format=onnx). */
        public Builder quant(String v) { quant = v; return this; }
        /** FP16 as a strongly typed network: the ONNX converted to FP16 ({@link Fp16Onnx}), no precision flags (null: the default). */
        public Builder stronglyTyped(Boolean v) { typed = v; return this; }
        /** NMS settings baked into an {@code nms=true} engine (Ultralytics' predict defaults). */
        public Builder nmsSettings(double conf, double iou, int maxDet) { this.conf = conf; this.iou = iou; this.maxDet = maxDet; return this; }
        public Builder optimizationLevel(Integer v) { optimizationLevel = v; return this; }
        public Builder timingCache(boolean v) { timingCache = v; return this; }
        public Builder output(Path v) { output = v; return this; }

        public ExportOptions build() {
            return new ExportOptions(format, imgsz, half, int8, dynamic, simplify, workspace, nms, batch, data, fraction,
                    device, calibrator, split, calibBatch, fp16Layers, quant, typed, conf, iou, maxDet, optimizationLevel, timingCache, output);
        }
    }
}
