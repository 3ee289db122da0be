package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.yolotrt.data.Images;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    public static Map<String, Float> compute(byte[] onnx, List<List<Path>> batches, int imgsz, double percentile) {
        List<Path> images = batches.stream().flatMap(List::stream).distinct().toList();
        byte[] traced = withAllOutputs(onnx);
        Map<String, float[]> samples = new LinkedHashMap<>();
        Map<String, Integer> filled = new LinkedHashMap<>();
        Map<String, Float> max = new LinkedHashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(traced, new OrtSession.SessionOptions());
             Progress bar = Progress.start("Tracing activations", images.size())) {
            String input = session.getInputNames().iterator().next();
            int plane = 3 * imgsz * imgsz;
            for (Path p : images) {
                FloatBuffer fb = FloatBuffer.allocate(plane);
                try (Mat img = Images.read(p)) {
                    Letterbox.forVal(img.rows(), img.cols(), imgsz).toChw(img, fb, 0);
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
            throw new YoloException("percentile calibration could not trace the model with ONNX Runtime: " + Downloads.oneLine(e));
        }
        Map<String, Float> ranges = new LinkedHashMap<>();
        for (var e : samples.entrySet()) {
            float[] s = Arrays.copyOf(e.getValue(), filled.get(e.getKey()));
            Arrays.sort(s);
            float r = s.length == 0 ? 0 : s[Math.min(s.length - 1, (int) Math.floor(percentile / 100.0 * (s.length - 1)))];
            ranges.put(e.getKey(), r > 0 ? r : max.get(e.getKey()));
        }
        return ranges;
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
        try {
            OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(onnx);
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
        } catch (InvalidProtocolBufferException e) {
            throw new YoloException("not an ONNX model: " + e.getMessage());
        }
    }
}
