package dev.yolotrt.export;

import dev.yolotrt.task.Task;
import ai.onnx.proto.OnnxMl;
import dev.yolotrt.backend.OnnxRuntimeBackend;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.Images;
import dev.yolotrt.predict.ValInput;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Percentile calibration: every float activation of the ONNX graph is traced with ONNX Runtime on the
 * calibration images, and its range is set to the given percentile of |x| (99.99 by default) instead of
 * the maximum MinMax uses, so that rare outliers do not stretch the INT8 scale. TensorRT receives these
 * as explicit per-tensor dynamic ranges.
 */
public final class PercentileRanges {

    public static final double DEFAULT_PERCENTILE = 99.99;
    private static final int SAMPLES = 200_000;
    /** Ops whose outputs are float activations in YOLO exports (shape arithmetic is excluded). */
    private static final Set<String> FLOAT_OPS = Set.of("Conv", "Mul", "Add", "Sub", "Div", "Sigmoid", "Concat", "Split",
            "MaxPool", "Resize", "Softmax", "Transpose", "Reshape", "Slice", "Relu", "LeakyRelu", "HardSwish", "Silu");

    private PercentileRanges() {
    }

    /** tensor name → |x| range, from the distinct images of {@code batches}. */
    public static Map<String, Float> compute(byte[] onnx, List<List<Path>> batches, int imgsz, boolean classify, double percentile) {
        return trace(onnx, batches.stream().flatMap(List::stream).distinct().toList(), imgsz, classify).ranges(percentile);
    }

    /**
     * What tracing saw: per float activation its exact max |x| and a sorted, evenly strided sample of
     * |x|, in graph order. Percentile ranges come from it, and so does the notebook's per-block view of
     * how far outliers stretch MinMax's scales.
     */
    public record Trace(Map<String, float[]> samples, Map<String, Float> max) {

        /** The given percentile of |x| of one tensor (its max where the sample is all zeros). */
        public float percentile(String tensor, double percentile) {
            float[] s = samples.get(tensor);
            float r = s.length == 0 ? 0 : s[Math.min(s.length - 1, (int) Math.floor(percentile / 100.0 * (s.length - 1)))];
            return r > 0 ? r : max.get(tensor);
        }

        public Map<String, Float> ranges(double percentile) {
            Map<String, Float> ranges = new LinkedHashMap<>();
            for (String k : samples.keySet()) ranges.put(k, percentile(k, percentile));
            return ranges;
        }

        /**
         * Ranges as the calibrator named: minmax the exact max |x|, percentile the default percentile, entropy2 the
         * threshold of least KL divergence ({@link #entropy}), all on the CPU, for explicit (Q/DQ) quantization.
         */
        public Map<String, Float> ranges(String calibrator) {
            return switch (calibrator) {
                case "minmax" -> new LinkedHashMap<>(max);
                case "percentile" -> ranges(DEFAULT_PERCENTILE);
                case "entropy2" -> {
                    Map<String, Float> r = new LinkedHashMap<>();
                    for (String k : samples.keySet()) r.put(k, entropy(samples.get(k), max.get(k)));
                    yield r;
                }
                default -> throw new YoloException("calibrator=" + calibrator + " is not one of " + Calibrators.ALGORITHMS);
            };
        }

        /**
         * One row per YOLO module ({@code /model.N/}): its largest max |x|, the largest percentile |x|,
         * and their ratio at the tensor where it is worst, i.e. how many times coarser MinMax's INT8
         * step is there than the percentile's.
         */
        public Table byModule(double percentile) {
            Map<Integer, float[]> rows = new TreeMap<>();
            for (String k : samples.keySet()) {
                Integer module = LayerGroups.module(k);
                if (module == null) continue;
                float p = percentile(k, percentile);
                float m = max.get(k);
                float[] r = rows.computeIfAbsent(module, x -> new float[4]);
                r[0]++;
                r[1] = Math.max(r[1], m);
                r[2] = Math.max(r[2], p);
                if (p > 0) r[3] = Math.max(r[3], m / p);
            }
            IntColumn mod = IntColumn.create("Module");
            IntColumn n = IntColumn.create("Tensors");
            DoubleColumn mx = DoubleColumn.create("Max |x|");
            DoubleColumn pc = DoubleColumn.create(String.format(Locale.ROOT, "P%s |x|", percentile));
            DoubleColumn ratio = DoubleColumn.create("Worst max/P");
            for (var e : rows.entrySet()) {
                mod.append(e.getKey());
                n.append((int) e.getValue()[0]);
                mx.append(e.getValue()[1]);
                pc.append(e.getValue()[2]);
                ratio.append(e.getValue()[3]);
            }
            for (DoubleColumn c : List.of(mx, pc, ratio)) c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2));
            return Table.create("Activation ranges per module", mod, n, mx, pc, ratio);
        }
    }

    /** Traces {@code model} (an ONNX model) on the images of {@code data}'s {@code split}, at the model's size. */
    public static Trace trace(Source model, String data, String split) {
        List<Path> images = Dataset.load(data, model.settings()).images(split, model.settings());
        return trace(OnnxFiles.read(model.file()), images, model.metadata().imgsz()[0], model.metadata().task() == Task.CLASSIFY);
    }

    /** Runs {@code images} through the model with every float activation as an output, one image at a time. */
    public static Trace trace(byte[] onnx, List<Path> images, int imgsz, boolean classify) {
        byte[] traced = withAllOutputs(onnx);
        Map<String, float[]> samples = new LinkedHashMap<>();
        Map<String, Integer> filled = new LinkedHashMap<>();
        Map<String, Float> max = new LinkedHashMap<>();
        OrtEnvironment env = OnnxRuntimeBackend.environment();
        try (OrtSession session = env.createSession(traced, new OrtSession.SessionOptions());
             Progress bar = Progress.start("Tracing activations", images.size())) {
            String input = session.getInputNames().iterator().next();
            int plane = 3 * imgsz * imgsz;
            for (Path p : images) {
                FloatBuffer fb = FloatBuffer.allocate(plane);
                try (Mat img = Images.read(p)) {
                    ValInput.toChw(classify, img, imgsz, fb, 0);
                }
                try (OnnxTensor t = OnnxTensor.createTensor(env, fb, new long[] {1, 3, imgsz, imgsz});
                     OrtSession.Result r = session.run(Map.of(input, t))) {
                    for (Map.Entry<String, OnnxValue> e : r) {
                        if (!(e.getValue() instanceof OnnxTensor ot) || ot.getInfo().type != ai.onnxruntime.OnnxJavaType.FLOAT) continue;
                        FloatBuffer v = ot.getFloatBuffer();
                        sample(e.getKey(), v, samples, filled, max);
                    }
                }
                bar.step(1);
            }
        } catch (OrtException e) {
            throw new YoloException("tracing activations with ONNX Runtime failed: " + Downloads.oneLine(e));
        }
        Map<String, float[]> sorted = new LinkedHashMap<>();
        for (var e : samples.entrySet()) {
            float[] s = Arrays.copyOf(e.getValue(), filled.get(e.getKey()));
            Arrays.sort(s);
            sorted.put(e.getKey(), s);
        }
        return new Trace(sorted, max);
    }

    /**
     * Entropy calibration as TensorRT describes it: a 2048-bin histogram of |x| over [0, max]; for each candidate
     * threshold (bin i), the clipped distribution (outliers folded into bin i − 1) against its 128-level quantized
     * version; the threshold of least KL divergence wins.
     */
    static float entropy(float[] sorted, float max) {
        if (max <= 0 || sorted.length == 0) return max;
        int bins = 2048, levels = 128;
        double[] hist = new double[bins];
        for (float v : sorted) hist[Math.min(bins - 1, (int) (v / max * bins))]++;
        double best = Double.MAX_VALUE;
        int bestI = bins;
        for (int i = levels; i <= bins; i += 8) {
            double[] p = java.util.Arrays.copyOf(hist, i);
            for (int k = i; k < bins; k++) p[i - 1] += hist[k];
            double[] q = new double[i];
            for (int l = 0; l < levels; l++) {
                int lo = l * i / levels, hi = (l + 1) * i / levels;
                double sum = 0;
                int nonZero = 0;
                for (int k = lo; k < hi; k++) {
                    sum += hist[k];
                    if (hist[k] > 0) nonZero++;
                }
                for (int k = lo; k < hi; k++) q[k] = hist[k] > 0 ? sum / nonZero : 0;
            }
            double sp = 0, sq = 0;
            for (int k = 0; k < i; k++) {
                sp += p[k];
                sq += q[k];
            }
            double kl = 0;
            for (int k = 0; k < i; k++) {
                if (p[k] == 0) continue;
                double pk = p[k] / sp, qk = q[k] / sq;
                kl += pk * Math.log(pk / (qk > 0 ? qk : 1e-12));
            }
            if (kl < best) {
                best = kl;
                bestI = i;
            }
        }
        return (float) Math.min(max, (bestI + 0.5) * max / bins);
    }

    /** Keeps an evenly strided sample of |x| per tensor (bounded memory) and the exact maximum. */
    private static void sample(String name, FloatBuffer v, Map<String, float[]> samples, Map<String, Integer> filled, Map<String, Float> max) {
        float[] s = samples.computeIfAbsent(name, k -> new float[SAMPLES]);
        int n = filled.getOrDefault(name, 0);
        int len = v.remaining();
        int stride = Math.max(1, len / Math.max(1, (SAMPLES - n) / 4));
        float m = max.getOrDefault(name, 0f);
        for (int i = 0; i < len; i++) {
            float a = Math.abs(v.get(i));
            if (a > m) m = a;
            if (i % stride == 0 && n < SAMPLES) s[n++] = a;
        }
        filled.put(name, n);
        max.put(name, m);
    }

    /** The model with each float activation also declared a graph output, so ONNX Runtime returns it. */
    static byte[] withAllOutputs(byte[] onnx) {
        OnnxMl.ModelProto m = OnnxFiles.parse(onnx, "the model");
        OnnxMl.GraphProto.Builder g = m.getGraph().toBuilder();
        Set<String> have = new HashSet<>();
        g.getOutputList().forEach(o -> have.add(o.getName()));
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (!FLOAT_OPS.contains(n.getOpType())) continue;
            for (String out : n.getOutputList()) {
                if (out.isEmpty() || !have.add(out)) continue;
                g.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(out).setType(OnnxMl.TypeProto.newBuilder()
                        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()))));
            }
        }
        return m.toBuilder().setGraph(g).build().toByteArray();
    }
}
