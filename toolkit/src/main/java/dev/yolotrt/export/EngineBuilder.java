package dev.yolotrt.export;

import dev.yolotrt.backend.NativeScope;
import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IEngineInspector;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.IInt8Calibrator;
import org.bytedeco.tensorrt.nvinfer.ILayer;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.bytedeco.tensorrt.global.nvinfer.BuilderFlag;
import static org.bytedeco.tensorrt.global.nvinfer.DataType;
import static org.bytedeco.tensorrt.global.nvinfer.DeviceType;
import static org.bytedeco.tensorrt.global.nvinfer.LayerInformationFormat;
import static org.bytedeco.tensorrt.global.nvinfer.LayerType;
import static org.bytedeco.tensorrt.global.nvinfer.NetworkDefinitionCreationFlag;
import static org.bytedeco.tensorrt.global.nvinfer.ProfilingVerbosity;
import static org.bytedeco.tensorrt.global.nvinfer.createInferRuntime;
import static org.bytedeco.tensorrt.global.nvinfer.MemoryPoolType;
import static org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector;
import static org.bytedeco.tensorrt.global.nvinfer.createInferBuilder;
import static org.bytedeco.tensorrt.global.nvonnxparser.createParser;

/**
 * Parses ONNX bytes into a TensorRT network and builds a serialized plan, the classic way: builder
 * flags for precision, an optimization profile for dynamic shapes, a timing cache, and an optional
 * INT8 calibrator. The one place where the build loop lives; precision and features are options.
 */
final class EngineBuilder {

    /**
     * What a build produced: the plan, the updated timing cache, how long it took, and the engine inspector's JSON
     * (every layer with its precision and fusion; {@link LayerPrecision} reads it), and the layers the builder pinned to
     * FP16 on its own (a Q/DQ network's float first stage).
     */
    record Built(byte[] plan, byte[] timingCache, double seconds, String layers, java.util.Set<String> pinned) {
    }

    private EngineBuilder() {
    }

    /**
     * What to build: the ONNX bytes ({@code what} names them in messages), the options, the square input size, and for
     * implicit INT8 a calibrator or explicit ranges (both null for a Q/DQ model, whose scales are in its nodes).
     * {@code timingCache} reads the shared timing cache: once before the build, and again after it, so that timings
     * another process saved meanwhile (builds side by side on several GPUs) are merged in rather than overwritten.
     */
    record Request(byte[] onnx, String what, ExportOptions options, int imgsz, Supplier<byte[]> timingCache,
                   IInt8Calibrator calibrator, Map<String, Float> ranges) {
    }

    static Built build(Request r) {
        TensorRt.Log log = TensorRt.logger();
        log.clear();
        long t0 = System.nanoTime();
        try (NativeScope scope = new NativeScope()) {
            return build(scope, log, t0, r);
        }
    }

    private static Built build(NativeScope scope, TensorRt.Log log, long t0, Request r) {
        byte[] onnx = r.onnx();
        String what = r.what();
        ExportOptions o = r.options();
        int imgsz = r.imgsz();
        IInt8Calibrator calibrator = r.calibrator();
        Map<String, Float> ranges = r.ranges();
        IBuilder builder = createInferBuilder(log);
        // TensorRT returns no builder (and logs why) when it cannot start on this GPU's CUDA driver and runtime.
        if (builder == null || builder.isNull()) {
            String why = log.errors();
            // With TensorRT from the redist jars, its builder resource is reachable by file name only through LD_LIBRARY_PATH.
            String fix = why.contains("Unable to load library") && why.contains("builder_resource")
                    ? "run through ./yolo-trt, or start Java with LD_LIBRARY_PATH=$(./yolo-trt library-path) (docs/gpu.md)"
                    : "check that `nvidia-smi` sees the GPU, and docs/gpu.md";
            throw new YoloException("TensorRT " + TensorRt.version() + " could not create a builder on this GPU ("
                    + (why.isEmpty() ? "it logged no reason" : why) + "); " + fix);
        }
        scope.own(builder);
        // Strongly typed: the ONNX's tensor types decide every layer's precision (the FP16 path TensorRT 11 keeps).
        INetworkDefinition network = scope.own(builder.createNetworkV2(o.stronglyTyped() ? 1 << NetworkDefinitionCreationFlag.kSTRONGLY_TYPED.value : 0));
        IParser parser = scope.own(createParser(network, log));
        BytePointer model = scope.own(new BytePointer(onnx));
        if (!parser.parse(model, onnx.length)) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < parser.getNbErrors(); i++) sb.append(i > 0 ? "; " : "").append(parser.getError(i).desc());
            throw new YoloException("TensorRT could not parse " + what + ": " + sb);
        }
        NmsHead nms = null;
        if (o.nms()) {
            nms = new NmsHead();
            nms.append(network, log, (float) o.conf(), (float) o.iou(), o.maxDet());
        }
        IBuilderConfig config = scope.own(builder.createBuilderConfig());
        if (o.workspace() != null) {
            long bytes = (long) (o.workspace() * (1L << 30));
            long total = TensorRt.gpuMemory();
            if (bytes > total) {
                throw new YoloException(String.format(Locale.ROOT, "workspace=%s GiB is more than the GPU's %.1f GiB; lower it or use workspace=None",
                        o.workspace(), total / (double) (1L << 30)));
            }
            config.setMemoryPoolLimit(MemoryPoolType.kWORKSPACE, bytes);
        }
        if ((o.half() || o.int8()) && !o.stronglyTyped()) config.setFlag(BuilderFlag.kFP16);
        java.util.Set<String> pinned = java.util.Set.of();
        if (o.int8()) {
            // A Q/DQ network (quant=qdq) carries its scales; TensorRT 10.6 still wants the INT8 flag for its int8 kernels.
            config.setFlag(BuilderFlag.kINT8);
            if (o.quant().equals("qdq")) {
                pinned = keepInputFp16(network);
                if (!pinned.isEmpty()) config.setFlag(BuilderFlag.kOBEY_PRECISION_CONSTRAINTS);
            }
            if (calibrator != null) config.setInt8Calibrator(calibrator);
            if (ranges != null) Log.info("Explicit INT8 ranges set on " + applyRanges(network, ranges) + " tensors");
            if (o.fp16Layers() != null) {
                int kept = keepFp16(network, java.util.regex.Pattern.compile(o.fp16Layers()));
                if (kept == 0) {
                    throw new YoloException("fp16_layers=" + o.fp16Layers() + " matches none of the " + network.getNbLayers() + " layers of " + what
                            + "; names look like " + network.getLayer(0).getName() + " (LayerGroups.of(model.file()) lists the blocks)");
                }
                // Obey: with only "prefer", an H200 build ran all twelve of the head's pinned convolutions in INT8 (eighth run).
                // A build that cannot obey is made once more with "prefer" (below), and the layer report says what ran.
                config.setFlag(BuilderFlag.kOBEY_PRECISION_CONSTRAINTS);
                Log.info("Keeping " + kept + " layers matching " + o.fp16Layers() + " in FP16");
            }
        }
        if (o.dlaCore() >= 0) {
            int cores = builder.getNbDLACores();
            if (cores == 0) throw new YoloException("device=" + o.device() + ": this GPU (" + TensorRt.gpu() + ") has no DLA cores; DLA is on NVIDIA Jetson (Orin, Xavier). Use device=0");
            if (o.dlaCore() >= cores) throw new YoloException("device=" + o.device() + ": this GPU has " + cores + " DLA core(s)");
            config.setDefaultDeviceType(DeviceType.kDLA);
            config.setDLACore(o.dlaCore());
            config.setFlag(BuilderFlag.kGPU_FALLBACK);
        }
        if (o.builderLevel() != null) config.setBuilderOptimizationLevel(o.builderLevel());
        // Layer precisions and fusions in the plan, for the report after the build; it does not change the kernels.
        config.setProfilingVerbosity(ProfilingVerbosity.kDETAILED);

        ITensor input = network.getInput(0);
        Dims64 d = input.getDimensions();
        if (d.d(0) < 0 || d.d(2) < 0 || d.d(3) < 0) {
            IOptimizationProfile profile = builder.createOptimizationProfile();
            String name = input.getName();
            int minSide = o.dynamic() && d.d(2) < 0 ? 32 : imgsz;
            profile.setDimensions(name, OptProfileSelector.kMIN, dims(1, 3, minSide, minSide));
            profile.setDimensions(name, OptProfileSelector.kOPT, dims(o.batch(), 3, imgsz, imgsz));
            profile.setDimensions(name, OptProfileSelector.kMAX, dims(o.batch(), 3, imgsz, imgsz));
            config.addOptimizationProfile(profile);
            if (o.int8() && o.quant().equals("implicit")) {
                // Calibration runs at 2 × batch, above the engine's largest batch: it gets a profile of its own.
                IOptimizationProfile calib = builder.createOptimizationProfile();
                long cb = o.calibrationBatch();
                for (OptProfileSelector sel : new OptProfileSelector[] {OptProfileSelector.kMIN, OptProfileSelector.kOPT, OptProfileSelector.kMAX}) {
                    calib.setDimensions(name, sel, dims(cb, 3, imgsz, imgsz));
                }
                config.setCalibrationProfile(calib);
            }
        }

        byte[] timingCache = r.timingCache().get();
        BytePointer cacheBytes = scope.own(new BytePointer(timingCache.length == 0 ? new byte[1] : timingCache));
        ITimingCache cache = scope.own(config.createTimingCache(cacheBytes, timingCache.length));
        config.setTimingCache(cache, false);
        Log.info(String.format(Locale.ROOT, "TensorRT %s building %s engine of %s on %s (%stiming cache: %s) ...", TensorRt.version(),
                (o.precision() + (o.int8() && o.quant().equals("qdq") ? " Q/DQ" : "")).toUpperCase(Locale.ROOT), what, TensorRt.gpu(),
                (o.stronglyTyped() ? "strongly typed, " : "") + (o.builderLevel() != null ? "opt_level " + o.builderLevel() + ", " : ""),
                timingCache.length > 0 ? "reused" : "new"));

        IHostMemory plan;
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "build-progress");
            t.setDaemon(true);
            return t;
        });
        try (Progress bar = Progress.timer("Building " + o.precision().toUpperCase(Locale.ROOT) + " engine")) {
            ticker.scheduleAtFixedRate(() -> bar.set(Math.round((System.nanoTime() - t0) / 1e9)), 15, 15, TimeUnit.SECONDS);
            plan = scope.own(builder.buildSerializedNetwork(network, config));
            if ((plan == null || plan.isNull() || plan.size() == 0) && config.getFlag(BuilderFlag.kOBEY_PRECISION_CONSTRAINTS)) {
                java.util.List<String> asked = new java.util.ArrayList<>();
                if (o.fp16Layers() != null) asked.add("fp16_layers=" + o.fp16Layers());
                if (!pinned.isEmpty()) asked.add("the Q/DQ first stage");
                Log.info("WARNING: TensorRT cannot run every layer pinned to FP16 (" + String.join(" and ", asked) + ": " + log.errors()
                        + "); building again with FP16 preferred where it can be");
                log.clear();
                config.clearFlag(BuilderFlag.kOBEY_PRECISION_CONSTRAINTS);
                config.setFlag(BuilderFlag.kPREFER_PRECISION_CONSTRAINTS);
                plan = scope.own(builder.buildSerializedNetwork(network, config));
            }
        } finally {
            ticker.shutdownNow();
        }
        if (plan == null || plan.isNull() || plan.size() == 0) {
            String why = log.errors();
            throw new YoloException("TensorRT could not build an engine from " + what + (why.isEmpty() ? "" : ": " + why));
        }
        java.lang.ref.Reference.reachabilityFence(nms); // its constants are read during the build
        byte[] out = new byte[(int) plan.size()];
        new BytePointer(plan.data()).capacity(plan.size()).get(out);
        byte[] saved = r.timingCache().get();
        if (saved.length > 0 && !Arrays.equals(saved, timingCache)) {
            ITimingCache theirs = scope.own(config.createTimingCache(scope.own(new BytePointer(saved)), saved.length));
            cache.combine(theirs, true);
        }
        IHostMemory serializedCache = scope.own(cache.serialize());
        byte[] cacheOut = new byte[(int) serializedCache.size()];
        new BytePointer(serializedCache.data()).capacity(serializedCache.size()).get(cacheOut);
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Built(out, cacheOut, seconds, inspect(scope, log, plan), pinned);
    }

    /** The engine inspector's JSON of {@code plan} (deserialized once more: the builder keeps no engine). */
    private static String inspect(NativeScope scope, TensorRt.Log log, IHostMemory plan) {
        IRuntime runtime = scope.own(createInferRuntime(log));
        ICudaEngine engine = scope.own(runtime.deserializeCudaEngine(plan.data(), plan.size()));
        if (engine == null || engine.isNull()) return "";
        IEngineInspector inspector = scope.own(engine.createEngineInspector());
        return inspector == null || inspector.isNull() ? "" : inspector.getEngineInformation(LayerInformationFormat.kJSON);
    }

    /** Pins the float layers whose names match to FP16 (see {@link #pin}); returns how many layers were pinned. */
    private static int keepFp16(INetworkDefinition network, java.util.regex.Pattern names) {
        int kept = 0;
        for (int l = 0; l < network.getNbLayers(); l++) {
            ILayer layer = network.getLayer(l);
            if (!names.matcher(layer.getName()).find() || layer.getNbOutputs() == 0 || !isFloat(layer.getOutput(0))) continue;
            pin(layer);
            kept++;
        }
        return kept;
    }

    /**
     * Pins to FP16 the float layers a Q/DQ network runs on its input before a QuantizeLinear (YOLO's first stage, which
     * {@link QdqOnnx} leaves float). Unpinned, TensorRT ran the stem convolution in FP32 on an H200 (eighth run). Returns
     * the names of the pinned layers.
     */
    private static java.util.Set<String> keepInputFp16(INetworkDefinition network) {
        java.util.Set<String> reached = new java.util.HashSet<>();
        for (int i = 0; i < network.getNbInputs(); i++) reached.add(network.getInput(i).getName());
        java.util.Set<String> pinned = new java.util.LinkedHashSet<>();
        for (int l = 0; l < network.getNbLayers(); l++) {
            ILayer layer = network.getLayer(l);
            boolean fed = false;
            for (int k = 0; k < layer.getNbInputs(); k++) {
                ITensor t = layer.getInput(k);
                fed |= t != null && !t.isNull() && reached.contains(t.getName());
            }
            if (!fed || layer.getType().value == LayerType.kQUANTIZE.value || layer.getNbOutputs() == 0 || !isFloat(layer.getOutput(0))) continue;
            pin(layer);
            pinned.add(layer.getName());
            for (int k = 0; k < layer.getNbOutputs(); k++) reached.add(layer.getOutput(k).getName());
        }
        return pinned;
    }

    /** FP16 compute and FP16 outputs for {@code layer} (network outputs keep their FP32 type, which the backend reads). */
    private static void pin(ILayer layer) {
        layer.setPrecision(DataType.kHALF);
        for (int k = 0; k < layer.getNbOutputs(); k++) {
            ITensor t = layer.getOutput(k);
            if (isFloat(t) && !t.isNetworkOutput()) layer.setOutputType(k, DataType.kHALF);
        }
    }

    /** JavaCPP returns native enums as fresh objects, so they compare by value, not identity. */
    private static boolean isFloat(ITensor t) {
        return t.getType().value == DataType.kFLOAT.value;
    }

    /** Sets |x| ranges on the network's tensors that have one (ONNX names survive parsing); the input is [0, 1]. */
    private static int applyRanges(INetworkDefinition network, Map<String, Float> ranges) {
        int set = 0;
        for (int i = 0; i < network.getNbInputs(); i++) {
            network.getInput(i).setDynamicRange(-1f, 1f);
            set++;
        }
        for (int l = 0; l < network.getNbLayers(); l++) {
            var layer = network.getLayer(l);
            for (int k = 0; k < layer.getNbOutputs(); k++) {
                ITensor t = layer.getOutput(k);
                Float r = ranges.get(t.getName());
                if (r != null && r > 0 && t.setDynamicRange(-r, r)) set++;
            }
        }
        return set;
    }

    private static Dims64 dims(long... v) {
        Dims64 d = new Dims64();
        d.nbDims(v.length);
        for (int i = 0; i < v.length; i++) d.d(i, v[i]);
        return d;
    }
}
