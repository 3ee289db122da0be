package dev.yolotrt.trt11;

import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IEngineInspector;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetName;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.cudart.cuInit;
import static org.bytedeco.cuda.global.cudart.cuMemAlloc;
import static org.bytedeco.cuda.global.cudart.cuMemFree;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoH;
import static org.bytedeco.cuda.global.cudart.cuMemcpyHtoD;
import static org.bytedeco.cuda.global.cudart.cuStreamCreate;
import static org.bytedeco.cuda.global.cudart.cuStreamSynchronize;
import static org.bytedeco.tensorrt.global.nvinfer.BuilderFlag;
import static org.bytedeco.tensorrt.global.nvinfer.DataType;
import static org.bytedeco.tensorrt.global.nvinfer.LayerInformationFormat;
import static org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_BUILD;
import static org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MAJOR;
import static org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MINOR;
import static org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_PATCH;
import static org.bytedeco.tensorrt.global.nvinfer.NetworkDefinitionCreationFlag;
import static org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector;
import static org.bytedeco.tensorrt.global.nvinfer.ProfilingVerbosity;
import static org.bytedeco.tensorrt.global.nvinfer.TensorIOMode;
import static org.bytedeco.tensorrt.global.nvinfer.createInferBuilder;
import static org.bytedeco.tensorrt.global.nvinfer.createInferRuntime;
import static org.bytedeco.tensorrt.global.nvinfer.getInferLibVersion;
import static org.bytedeco.tensorrt.global.nvonnxparser.createParser;

/**
 * Does TensorRT 11.2 build and run Hopper engines through the bytedeco 1.5.14 presets? For each ONNX model given
 * (FP32, and optionally an FP16 one), it parses it into a strongly typed network, builds a serialized plan, writes it
 * as an engine file whose header names the TensorRT that built it, reads that file back, deserializes it, prints the
 * layer precisions the engine inspector reports, runs one inference on a letterboxed image (or the input {@link Reference} saved) and compares the output
 * with a reference made by ONNX Runtime on the CPU ({@link Reference}). Every TensorRT log line of info or worse is
 * printed as it comes; a failure prints its complete text and the probe goes on to the next model.
 *
 * <p>CUDA memory and streams go through the CUDA driver API (libcuda.so.1, from the GPU driver): no CUDA 13 runtime
 * library is published on Maven Central, and TensorRT 11 links its own runtime statically, so the probe needs none.
 * With {@code cudart=true} (a stage with a real libcudart.so.13) it also checks the runtime calls the toolkit makes.
 *
 * <pre>java -cp ... dev.yolotrt.trt11.Probe model=yolov8n.onnx (image=bus.jpg | input=bus-input.f32) reference=bus.f32 out=DIR
 *        [fp16=yolov8n-fp16.onnx] [opt_level=2] [imgsz=640] [verbose=true] [cudart=true]</pre>
 *
 * Exit status: 0 when every model built, ran and (with a reference) matched; 1 otherwise. The probe exits with the
 * process and leaves native objects to it: nothing here outlives one run.
 */
public final class Probe {

    private static final Log LOG = new Log();

    private Probe() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq < 1) usage("not key=value: " + a);
            opt.put(a.substring(0, eq), a.substring(eq + 1));
        }
        if (!opt.containsKey("model") || !(opt.containsKey("image") || opt.containsKey("input")) || !opt.containsKey("out"))
            usage("model=, image= or input=, and out= are required");
        LOG.verbose = Boolean.parseBoolean(opt.getOrDefault("verbose", "false"));
        int optLevel = Integer.parseInt(opt.getOrDefault("opt_level", "2"));
        int imgsz = Integer.parseInt(opt.getOrDefault("imgsz", "640"));
        Path out = Path.of(opt.get("out"));
        Files.createDirectories(out);

        System.out.println("java " + System.getProperty("java.version") + ", javacpp " + Loader.getVersion());
        Loader.load(org.bytedeco.tensorrt.global.nvinfer.class);
        Loader.load(org.bytedeco.tensorrt.global.nvonnxparser.class);
        int lib = getInferLibVersion();
        String trt = NV_TENSORRT_MAJOR + "." + NV_TENSORRT_MINOR + "." + NV_TENSORRT_PATCH + "." + NV_TENSORRT_BUILD;
        System.out.println("TensorRT headers " + trt + ", library getInferLibVersion()=" + lib);
        Gpu gpu = Gpu.open();
        System.out.println("GPU " + gpu.name + " (sm_" + gpu.sm + "), driver CUDA " + gpu.driver / 1000 + "." + gpu.driver % 1000 / 10);
        if (Boolean.parseBoolean(opt.getOrDefault("cudart", "false"))) checkRuntime();

        float[] input = opt.containsKey("input") ? Tensors.read(Path.of(opt.get("input"))).values() : Input.letterbox(Path.of(opt.get("image")), imgsz);
        Tensors.Tensor ref = opt.containsKey("reference") ? Tensors.read(Path.of(opt.get("reference"))) : null;
        Map<String, Path> models = new LinkedHashMap<>();
        models.put("fp32", Path.of(opt.get("model")));
        if (opt.containsKey("fp16")) models.put("fp16", Path.of(opt.get("fp16")));

        boolean allOk = true;
        for (Map.Entry<String, Path> m : models.entrySet()) {
            String label = m.getKey();
            System.out.println();
            System.out.println("== " + label + ": " + m.getValue() + " (strongly typed, builder optimization level " + optLevel + ")");
            LOG.errors.clear();
            try {
                allOk &= run(label, m.getValue(), optLevel, imgsz, input, ref, gpu, trt, out);
            } catch (Throwable e) {
                allOk = false;
                StringWriter sw = new StringWriter();
                e.printStackTrace(new PrintWriter(sw));
                System.out.println(label + " FAILED: " + sw);
            }
            if (!LOG.errors.isEmpty()) {
                System.out.println(label + ": TensorRT reported " + LOG.errors.size() + " error(s):");
                LOG.errors.forEach(e -> System.out.println("  " + e));
            }
        }
        System.out.println();
        System.out.println(allOk ? "PROBE OK" : "PROBE FAILED");
        System.exit(allOk ? 0 : 1);
    }

    private static boolean run(String label, Path onnx, int optLevel, int imgsz, float[] input, Tensors.Tensor ref, Gpu gpu,
                               String trt, Path out) throws Exception {
        IBuilder builder = createInferBuilder(LOG);
        if (builder == null || builder.isNull()) throw new IllegalStateException("createInferBuilder returned null");
        INetworkDefinition network = builder.createNetworkV2(1 << NetworkDefinitionCreationFlag.kSTRONGLY_TYPED.value);
        IParser parser = createParser(network, LOG);
        if (!parser.parseFromFile(onnx.toString(), ILogger.Severity.kWARNING.value)) {
            StringBuilder sb = new StringBuilder("ONNX parser failed on " + onnx + ":");
            for (int i = 0; i < parser.getNbErrors(); i++) {
                IParserError e = parser.getError(i);
                sb.append("\n  ").append(e.code()).append(" at node ").append(e.node()).append(' ').append(e.nodeName())
                        .append(" (").append(e.nodeOperator()).append("): ").append(e.desc());
            }
            throw new IllegalStateException(sb.toString());
        }
        System.out.println("parsed: " + network.getNbLayers() + " layers, inputs " + describe(network, true) + ", outputs " + describe(network, false));

        IBuilderConfig config = builder.createBuilderConfig();
        config.setBuilderOptimizationLevel(optLevel);
        config.setProfilingVerbosity(ProfilingVerbosity.kDETAILED);
        // TF32 stays off: FP32 convolutions must be FP32 arithmetic to compare at 0.05 px with the CPU.
        config.clearFlag(BuilderFlag.kTF32);
        IOptimizationProfile profile = null;
        for (int i = 0; i < network.getNbInputs(); i++) {
            ITensor t = network.getInput(i);
            if (hasWildcard(t.getDimensions())) {
                if (profile == null) profile = builder.createOptimizationProfile();
                Dims64 d = nchw(imgsz);
                for (OptProfileSelector s : new OptProfileSelector[]{OptProfileSelector.kMIN, OptProfileSelector.kOPT, OptProfileSelector.kMAX})
                    profile.setDimensions(t.getName(), s, d);
            }
        }
        if (profile != null) config.addOptimizationProfile(profile);

        long t0 = System.nanoTime();
        IHostMemory plan = builder.buildSerializedNetwork(network, config);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (plan == null || plan.isNull() || plan.size() == 0)
            throw new IllegalStateException("buildSerializedNetwork returned no plan after " + fmt(seconds) + " s");
        byte[] bytes = new byte[Math.toIntExact(plan.size())];
        new BytePointer(plan.data()).capacity(plan.size()).get(bytes);
        System.out.println("BUILD OK " + label + ": " + fmt(seconds) + " s, plan " + bytes.length / 1024 + " KiB");

        // The engine file says which TensorRT built it, in Ultralytics' layout: int32 LE length, JSON, plan.
        String json = String.format(Locale.ROOT,
                "{\"description\":\"trt11-probe %s\",\"tensorrt\":\"%s\",\"precision\":\"%s\",\"strongly_typed\":true,"
                        + "\"opt_level\":%d,\"gpu\":\"sm_%d\",\"imgsz\":[%d,%d],\"batch\":1}",
                onnx.getFileName(), trt, label, optLevel, gpu.sm, imgsz, imgsz);
        Path engine = out.resolve(onnx.getFileName().toString().replaceFirst("\\.onnx$", "") + "-trt11-" + label + ".engine");
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        Path tmp = out.resolve(engine.getFileName() + ".tmp");
        Files.write(tmp, ByteBuffer.allocate(4 + header.length + bytes.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(header.length).put(header).put(bytes).array());
        Files.move(tmp, engine, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        byte[] back = Files.readAllBytes(engine);
        int len = ByteBuffer.wrap(back, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        System.out.println("engine " + engine + " header " + new String(back, 4, len, StandardCharsets.UTF_8));

        IRuntime runtime = createInferRuntime(LOG);
        BytePointer planBytes = new BytePointer(back.length - 4 - len);
        planBytes.put(back, 4 + len, back.length - 4 - len);
        ICudaEngine eng = runtime.deserializeCudaEngine(planBytes, planBytes.capacity());
        if (eng == null || eng.isNull()) throw new IllegalStateException("deserializeCudaEngine returned null");
        System.out.println("deserialized: " + eng.getNbLayers() + " layers, device memory " + eng.getDeviceMemorySizeV2() / (1 << 20) + " MiB");
        inspect(eng, label, out);
        return infer(eng, label, input, imgsz, ref, "fp16".equals(label) ? Agreement.FP16 : Agreement.FP32);
    }

    private static boolean infer(ICudaEngine eng, String label, float[] input, int imgsz, Tensors.Tensor ref, Agreement.Tolerance tol) {
        IExecutionContext ctx = eng.createExecutionContext();
        if (ctx == null || ctx.isNull()) throw new IllegalStateException("createExecutionContext returned null");
        CUstream_st stream = new CUstream_st();
        Gpu.check(cuStreamCreate(stream, 0), "cuStreamCreate");
        List<long[]> buffers = new ArrayList<>();  // {device address, bytes}
        String outName = null;
        long outCount = 0;
        boolean outHalf = false;
        long outDev = 0;
        for (int i = 0; i < eng.getNbIOTensors(); i++) {
            String name = eng.getIOTensorName(i);
            boolean in = eng.getTensorIOMode(name).value == TensorIOMode.kINPUT.value;
            int type = eng.getTensorDataType(name).value;
            boolean half = type == DataType.kHALF.value;
            if (!half && type != DataType.kFLOAT.value) throw new IllegalStateException("tensor " + name + " has data type " + type + ", neither FP32 nor FP16");
            if (in && hasWildcard(eng.getTensorShape(name))) ctx.setInputShape(name, nchw(imgsz));
            Dims64 shape = ctx.getTensorShape(name);
            long count = 1;
            for (int k = 0; k < shape.nbDims(); k++) count *= shape.d(k);
            long bytes = count * (half ? 2 : 4);
            long[] dev = new long[1];
            Gpu.check(cuMemAlloc(dev, bytes), "cuMemAlloc");
            buffers.add(new long[]{dev[0], bytes});
            ctx.setTensorAddress(name, Gpu.at(dev[0]));
            System.out.println((in ? "input  " : "output ") + name + " " + dims(shape) + (half ? " fp16" : " fp32"));
            if (in) {
                if (count != input.length) throw new IllegalStateException("input " + name + " holds " + count + " values, the image " + input.length);
                BytePointer host = new BytePointer(Tensors.bytes(input, half).array());
                Gpu.check(cuMemcpyHtoD(dev[0], host, bytes), "cuMemcpyHtoD");
            } else if (outName == null) {
                outName = name;
                outCount = count;
                outHalf = half;
                outDev = dev[0];
            }
        }
        if (!ctx.enqueueV3(stream)) throw new IllegalStateException("enqueueV3 returned false");
        Gpu.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
        long t0 = System.nanoTime();
        int runs = 50;
        for (int r = 0; r < runs; r++) ctx.enqueueV3(stream);
        Gpu.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
        System.out.println(label + " engine time " + fmt((System.nanoTime() - t0) / 1e6 / runs) + " ms (batch 1, mean of " + runs + ")");

        BytePointer host = new BytePointer(outCount * (outHalf ? 2 : 4));
        Gpu.check(cuMemcpyDtoH(host, outDev, host.capacity()), "cuMemcpyDtoH");
        float[] output = Tensors.floats(host.asByteBuffer(), Math.toIntExact(outCount), outHalf);
        for (long[] b : buffers) Gpu.check(cuMemFree(b[0]), "cuMemFree");

        int anchors = ref != null ? (int) ref.shape()[2] : output.length / 84;
        System.out.println(label + " top detections (" + outName + "):");
        for (Detections.Box b : Detections.top(output, anchors, 0.25f, 0.45f, 10)) System.out.println("  " + b);
        if (ref == null) return true;
        Agreement agree = Agreement.of(output, ref.values(), anchors);
        boolean ok = agree.within(tol);
        System.out.println(label + " vs ONNX Runtime CPU: " + agree + " -> " + (ok ? "MATCH" : "MISMATCH")
                + " (" + tol + ")");
        return ok;
    }

    /**
     * The CUDA runtime calls the toolkit's backend makes (device properties, cudaMalloc, a copy, cudaFree), for a
     * stage that carries a real libcudart.so.13: a stand-in would end the process at the first call.
     */
    private static void checkRuntime() {
        int[] v = new int[1];
        Gpu.check(cudaRuntimeGetVersion(v), "cudaRuntimeGetVersion");
        cudaDeviceProp p = new cudaDeviceProp();
        Gpu.check(cudaGetDeviceProperties(p, 0), "cudaGetDeviceProperties");
        Pointer dev = new Pointer();
        Gpu.check(cudaMalloc(dev, 1 << 20), "cudaMalloc");
        BytePointer host = new BytePointer(1 << 20);
        Gpu.check(cudaMemcpy(host, dev, 1 << 20, cudaMemcpyDeviceToHost), "cudaMemcpy");
        Gpu.check(cudaFree(dev), "cudaFree");
        System.out.println("CUDA runtime " + v[0] / 1000 + "." + v[0] % 1000 / 10 + " works: " + p.name().getString().strip()
                + " sm_" + p.major() + p.minor() + ", cudaMalloc/cudaMemcpy/cudaFree OK");
    }

    /** Per-precision count of the layer outputs the engine inspector lists, and the full JSON in out/. */
    private static void inspect(ICudaEngine eng, String label, Path out) throws Exception {
        IEngineInspector inspector = eng.createEngineInspector();
        if (inspector == null || inspector.isNull()) {
            System.out.println("createEngineInspector returned null");
            return;
        }
        String info = inspector.getEngineInformation(LayerInformationFormat.kJSON);
        Path file = out.resolve("layers-" + label + ".json");
        Files.writeString(file, info);
        Map<String, Integer> types = new TreeMap<>();
        Matcher m = Pattern.compile("\"Format/Datatype\"\\s*:\\s*\"([^\"]*)\"").matcher(info);
        while (m.find()) types.merge(m.group(1).replaceAll(" format.*", "").strip(), 1, Integer::sum);
        System.out.println("engine inspector: " + info.length() + " chars in " + file + "; tensor formats " + types);
    }

    private static boolean hasWildcard(Dims64 d) {
        for (int i = 0; i < d.nbDims(); i++) if (d.d(i) < 0) return true;
        return false;
    }

    private static Dims64 nchw(int imgsz) {
        return new Dims64().nbDims(4).d(0, 1).d(1, 3).d(2, imgsz).d(3, imgsz);
    }

    private static String dims(Dims64 d) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < d.nbDims(); i++) sb.append(i > 0 ? "," : "").append(d.d(i));
        return sb.append(']').toString();
    }

    private static String describe(INetworkDefinition n, boolean inputs) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < (inputs ? n.getNbInputs() : n.getNbOutputs()); i++) {
            ITensor t = inputs ? n.getInput(i) : n.getOutput(i);
            s.add(t.getName() + dims(t.getDimensions()) + ":" + t.getType());
        }
        return s.toString();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static void usage(String why) {
        System.err.println(why + "\nusage: Probe model=FP32.onnx (image=IMG | input=INPUT.f32) out=DIR [reference=REF.f32] [fp16=FP16.onnx] [opt_level=2] [imgsz=640] [verbose=true] [cudart=true]");
        System.exit(2);
    }

    /** TensorRT's log: info, warnings and errors printed as they come (verbose too with verbose=true), errors kept. */
    static final class Log extends ILogger {
        // The builder may log from its own threads.
        final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile boolean verbose;

        @Override
        public void log(Severity severity, String msg) {
            // JavaCPP's enum values from native code are not the canonical constants: compare values.
            int s = severity.value;
            if (s <= Severity.kERROR.value) errors.add(msg.strip());
            if (verbose || s <= Severity.kINFO.value)
                System.out.println("[TRT " + (s <= Severity.kERROR.value ? "E" : s == Severity.kWARNING.value ? "W" : s == Severity.kINFO.value ? "I" : "V") + "] " + msg.strip());
        }
    }

    /** The first GPU through the CUDA driver API: its primary context made current, as the CUDA runtime would. */
    static final class Gpu {
        final String name;
        final int sm, driver;

        private Gpu(String name, int sm, int driver) {
            this.name = name;
            this.sm = sm;
            this.driver = driver;
        }

        static Gpu open() {
            check(cuInit(0), "cuInit");
            int[] dev = new int[1], v = new int[1], major = new int[1], minor = new int[1];
            check(cuDriverGetVersion(v), "cuDriverGetVersion");
            check(cuDeviceGet(dev, 0), "cuDeviceGet");
            check(cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[0]), "cuDeviceGetAttribute");
            check(cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[0]), "cuDeviceGetAttribute");
            byte[] name = new byte[256];
            check(cuDeviceGetName(name, name.length, dev[0]), "cuDeviceGetName");
            CUctx_st ctx = new CUctx_st();
            check(cuDevicePrimaryCtxRetain(ctx, dev[0]), "cuDevicePrimaryCtxRetain");
            check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            String n = new String(name, StandardCharsets.UTF_8);
            return new Gpu(n.substring(0, n.indexOf('\0') < 0 ? n.length() : n.indexOf('\0')), major[0] * 10 + minor[0], v[0]);
        }

        static void check(int err, String call) {
            if (err == CUDA_SUCCESS) return;
            BytePointer msg = new BytePointer((Pointer) null);
            cuGetErrorString(err, msg);
            throw new IllegalStateException(call + " failed: error " + err + (msg.isNull() ? "" : " " + msg.getString()));
        }

        static Pointer at(long where) {
            // Not "address": inside the anonymous class that name is the inherited field.
            return new Pointer() {
                {
                    address = where;
                }
            };
        }
    }
}
