package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.yolotrt.util.YoloException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Explicit INT8 quantization: a float ONNX model plus per-tensor activation ranges become a Q/DQ ONNX that TensorRT
 * builds without a calibrator and ONNX Runtime runs on the CPU. Placement follows TensorRT's explicit quantization
 * guide so that its fusions stay INT8:
 * <ul>
 * <li>every convolution gets QuantizeLinear → DequantizeLinear on its activation input (per tensor, symmetric, int8,
 * zero point 0) and int8 weights with a per-output-channel DequantizeLinear (axis 0);</li>
 * <li>a residual Add quantizes its skip input only when the other input is a bare convolution output, which TensorRT
 * fuses the Add into (the guide's skip-connection rule; of two bare convolution outputs, the second); otherwise, as in YOLO's bottlenecks where a SiLU sits between
 * the convolution and the Add, both inputs: the Add then runs as one INT8 pointwise kernel, as implicit INT8 runs it.
 * Quantizing the skip input alone there left the convolution's output in FP16 and added a kernel that dequantized the
 * skip (yolov8n on an H200: 0.1361 against 0.1327 ms/img, eleventh run);</li>
 * <li>the inputs of a Concat whose output is quantized share the output's scale (one scale per concatenation, the
 * largest range), so the concatenation needs no requantization or reformat; so do a MaxPool's input and output,
 * which TensorRT moves its Q/DQ across (NVIDIA's YOLOv7 QAT notes found the extra reformats of unequal scales there);</li>
 * <li>the first stage stays float: the nodes reached from the input whose output is at most {@value #FLOAT_STRIDE} times
 * coarser than it (the stem and, in YOLOv8/11, modules 0-2), which the engine builder pins to FP16. These maps are large and
 * narrow (16-32 channels at 320² and 160²), where INT8 kernels need 32-channel interleaved layouts: yolov8n's Q/DQ engine
 * took 0.1327 ms/img with them in INT8 and 0.1135 in FP16 (implicit INT8: 0.1116), and its boxes moved less from FP32's
 * (eleventh run; docs/int8.md). The int8 stem alone had cost 0.020 ms/img (tenth run); left float without the pin,
 * TensorRT ran it FP32 (eighth run).</li>
 * <li>nothing else: the decode after the head's last convolutions (DFL, anchors, strides, sigmoid, the final concat)
 * stays float, and so does whatever matches {@code keepFloat}.</li>
 * </ul>
 * Each quantized tensor gets one Q/DQ pair right after its producer, read by all its consumers but the first stage's.
 */
public final class QdqOnnx {

    /** Which placement rules wrote a Q/DQ model (the eleventh run's: first stage float, both inputs of YOLO's Adds); engines record it. */
    static final int PLACEMENT = 11;
    /** Nodes reached from the input whose output is at most this many times coarser than it stay float (the first stage). */
    static final int FLOAT_STRIDE = 4;
    /** The DFL's expectation is a 1×1 conv over softmax bins in [0, 1]: decode arithmetic, kept float. */
    public static final Pattern DEFAULT_KEEP_FLOAT = Pattern.compile("/dfl/");
    /** Ops through which an activation stays an activation (no constants mixed in). */
    private static final Set<String> PASS = Set.of("Sigmoid", "Mul", "Add", "Slice", "Split", "MaxPool", "Resize", "Concat", "Relu",
            "LeakyRelu", "HardSwish", "Silu");
    private static final String ZERO = "qdq_zero_point";

    private QdqOnnx() {
    }

    /**
     * The Q/DQ model of {@code onnx}. {@code ranges}: tensor name → max |x|; a tensor without a range is left float, and
     * so is the convolution it feeds; the first stage stays float whatever the ranges. {@code keepFloat}
     * (null: {@link #DEFAULT_KEEP_FLOAT}) names nodes that must stay float, e.g. the blocks of {@code fp16_layers}.
     */
    public static byte[] quantize(byte[] onnx, Map<String, Float> ranges, Pattern keepFloat) {
        Pattern keep = keepFloat == null ? DEFAULT_KEEP_FLOAT : keepFloat;
        OnnxMl.ModelProto model = OnnxFiles.parse(onnx, "the model");
        long opset = model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(OnnxMl.OperatorSetIdProto::getVersion).max().orElse(0);
        if (opset < 13) throw new YoloException("the model uses ONNX opset " + opset + "; per-channel Q/DQ needs 13 or later: export it again");
        OnnxMl.GraphProto g = model.getGraph();
        Map<String, Float> range = new HashMap<>(ranges);
        g.getInputList().forEach(in -> range.remove(in.getName()));
        Graph graph = new Graph(g);
        Set<String> firstStage = graph.firstStage(FLOAT_STRIDE);

        // Which tensors get a Q/DQ pair and which convolutions int8 weights.
        Set<String> quantized = new LinkedHashSet<>();
        Set<String> convs = new LinkedHashSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (keep.matcher(n.getName()).find() || firstStage.contains(key(n))) continue;
            if (n.getOpType().equals("Conv") && n.getInputCount() >= 2 && range.containsKey(n.getInput(0))
                    && graph.floatWeight(n.getInput(1)) != null) {
                quantized.add(n.getInput(0));
                convs.add(key(n));
            } else if (n.getOpType().equals("Add") && n.getInputCount() == 2 && graph.activation(n.getInput(0)) && graph.activation(n.getInput(1))
                    && range.containsKey(n.getInput(0)) && range.containsKey(n.getInput(1))) {
                boolean conv0 = graph.convOutput(n.getInput(0)), conv1 = graph.convOutput(n.getInput(1));
                if (conv0 != conv1) {
                    quantized.add(conv0 ? n.getInput(1) : n.getInput(0));
                } else if (conv0) {
                    quantized.add(n.getInput(1)); // two bare convolutions: the Add fuses into the first, the second is its residual
                } else {
                    quantized.add(n.getInput(0));
                    quantized.add(n.getInput(1));
                }
            }
        }
        // Concatenations and max pools: inputs share the output's scale, to a fixed point (a concat may feed another).
        Map<String, String> parent = new HashMap<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (OnnxMl.NodeProto n : g.getNodeList()) {
                if (!scalePreserving(n) || keep.matcher(n.getName()).find() || firstStage.contains(key(n)) || !quantized.contains(n.getOutput(0))) continue;
                List<String> data = n.getOpType().equals("Concat") ? n.getInputList() : List.of(n.getInput(0));
                if (!data.stream().allMatch(t -> graph.activation(t) && range.containsKey(t))) continue;
                for (String t : data) {
                    changed |= quantized.add(t);
                    changed |= union(parent, t, n.getOutput(0));
                }
            }
        }
        Map<String, Float> groupRange = new HashMap<>();
        for (String t : quantized) groupRange.merge(find(parent, t), range.get(t), Math::max);

        OnnxMl.GraphProto.Builder out = g.toBuilder().clearNode();
        out.addInitializer(OnnxMl.TensorProto.newBuilder().setName(ZERO).setDataType(OnnxMl.TensorProto.DataType.INT8_VALUE)
                .setRawData(ByteString.copyFrom(new byte[1])));
        Map<String, String> dequantized = new HashMap<>(); // tensor → its DequantizeLinear output
        Set<String> weights = new HashSet<>();
        List<OnnxMl.NodeProto> weightNodes = new ArrayList<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (!convs.contains(key(n))) continue;
            String w = n.getInput(1);
            if (weights.add(w)) weightNodes.add(quantizeWeight(out, w, graph.floatWeight(w)));
        }
        out.addAllNode(weightNodes);
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            OnnxMl.NodeProto.Builder b = n.toBuilder();
            for (int i = 0; i < b.getInputCount(); i++) {
                String t = b.getInput(i);
                if (i == 1 && convs.contains(key(n))) b.setInput(i, t + "_DequantizeLinear_Output");
                else if (dequantized.containsKey(t) && !firstStage.contains(key(n))) b.setInput(i, dequantized.get(t)); // the first stage reads float
            }
            out.addNode(b);
            for (String t : n.getOutputList()) {
                if (quantized.contains(t)) qdq(out, t, groupRange.get(find(parent, t)), dequantized);
            }
        }
        // The float weights now read as int8 go, so the file shrinks to about a quarter.
        Set<String> read = new HashSet<>();
        out.getNodeList().forEach(n -> read.addAll(n.getInputList()));
        out.getInputList().forEach(i -> read.add(i.getName()));
        List<OnnxMl.TensorProto> kept = out.getInitializerList().stream().filter(t -> read.contains(t.getName())).toList();
        out.clearInitializer().addAllInitializer(kept);
        return model.toBuilder().setGraph(out).build().toByteArray();
    }

    /**
     * Concat and MaxPool: their output holds their data inputs' values, so one scale serves both sides. Not Resize: joining
     * the upsamples' scales would merge the neck's concatenations into one wide range (yolov8n: 0.0037 mAP50-95 lost).
     */
    private static boolean scalePreserving(OnnxMl.NodeProto n) {
        return n.getOpType().equals("Concat") || n.getOpType().equals("MaxPool");
    }

    /** A node's identity: its first output, which ONNX requires to be unique (names may be empty); a node without outputs has none. */
    private static String key(OnnxMl.NodeProto n) {
        return n.getOutputCount() > 0 ? n.getOutput(0) : "";
    }

    /** QuantizeLinear → DequantizeLinear on {@code t} with scale range / 127. */
    private static void qdq(OnnxMl.GraphProto.Builder out, String t, float range, Map<String, String> dequantized) {
        String scale = t + "_scale";
        out.addInitializer(floats(scale, new float[] {range > 0 ? range / 127f : 1f}));
        String q = t + "_QuantizeLinear";
        String dq = t + "_DequantizeLinear";
        out.addNode(OnnxMl.NodeProto.newBuilder().setOpType("QuantizeLinear").setName(q).addInput(t).addInput(scale).addInput(ZERO)
                .addOutput(q + "_Output"));
        out.addNode(OnnxMl.NodeProto.newBuilder().setOpType("DequantizeLinear").setName(dq).addInput(q + "_Output").addInput(scale)
                .addInput(ZERO).addOutput(dq + "_Output"));
        dequantized.put(t, dq + "_Output");
    }

    /** Symmetric per-output-channel int8 weights (scale max |w| / 127 per channel) and their DequantizeLinear. */
    private static OnnxMl.NodeProto quantizeWeight(OnnxMl.GraphProto.Builder out, String name, OnnxMl.TensorProto w) {
        float[] v = values(w);
        int channels = (int) w.getDims(0);
        int per = v.length / channels;
        float[] scales = new float[channels];
        byte[] q = new byte[v.length];
        for (int c = 0; c < channels; c++) {
            float max = 0;
            for (int k = 0; k < per; k++) max = Math.max(max, Math.abs(v[c * per + k]));
            scales[c] = max > 0 ? max / 127f : 1f;
            for (int k = 0; k < per; k++) q[c * per + k] = (byte) Math.max(-127, Math.min(127, Math.round(v[c * per + k] / scales[c])));
        }
        OnnxMl.TensorProto.Builder qt = OnnxMl.TensorProto.newBuilder().setName(name + "_int8").setDataType(OnnxMl.TensorProto.DataType.INT8_VALUE)
                .addAllDims(w.getDimsList()).setRawData(ByteString.copyFrom(q));
        out.addInitializer(qt);
        out.addInitializer(floats(name + "_scale", scales));
        out.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name + "_zero_point").setDataType(OnnxMl.TensorProto.DataType.INT8_VALUE)
                .addDims(channels).setRawData(ByteString.copyFrom(new byte[channels])));
        return OnnxMl.NodeProto.newBuilder().setOpType("DequantizeLinear").setName(name + "_DequantizeLinear").addInput(name + "_int8")
                .addInput(name + "_scale").addInput(name + "_zero_point").addOutput(name + "_DequantizeLinear_Output")
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("axis").setType(OnnxMl.AttributeProto.AttributeType.INT).setI(0))
                .build();
    }

    private static OnnxMl.TensorProto floats(String name, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        if (v.length > 1) t.addDims(v.length);
        return t.build();
    }

    /** A float initializer's values (raw little-endian bytes or float_data). */
    static float[] values(OnnxMl.TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[b.remaining() / 4];
            b.asFloatBuffer().get(v);
            return v;
        }
        float[] v = new float[t.getFloatDataCount()];
        for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
        return v;
    }

    private static String find(Map<String, String> parent, String t) {
        String p = parent.getOrDefault(t, t);
        return p.equals(t) ? t : find(parent, p);
    }

    private static boolean union(Map<String, String> parent, String a, String b) {
        String ra = find(parent, a), rb = find(parent, b);
        if (ra.equals(rb)) return false;
        parent.put(ra, rb);
        return true;
    }

    /** Producers, initializers, and which tensors are activations (computed from the input without constants mixed in). */
    private static final class Graph {
        private final Map<String, OnnxMl.NodeProto> producer = new HashMap<>();
        private final Map<String, OnnxMl.TensorProto> initializers = new HashMap<>();
        private final Set<String> inputs = new HashSet<>();
        private final Map<String, Boolean> activation = new HashMap<>();
        private final List<OnnxMl.NodeProto> nodes;

        Graph(OnnxMl.GraphProto g) {
            nodes = g.getNodeList();
            g.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producer.put(o, n)));
            g.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
            g.getInputList().forEach(i -> inputs.add(i.getName()));
        }

        /** {@code t} is a convolution's output itself, with no activation after it: TensorRT can fuse an Add of it into the convolution. */
        boolean convOutput(String t) {
            OnnxMl.NodeProto n = producer.get(t);
            return n != null && n.getOpType().equals("Conv");
        }

        /**
         * The first stage: the nodes (by {@link #key}) whose output is at most {@code maxStride} times coarser than the
         * graph input and whose every activation input is the graph input or another first-stage node's output, the
         * region the engine builder reaches from the input and pins to FP16. A convolution or pool multiplies its input's
         * stride by its own, a transposed convolution divides it, a Resize divides it by its constant spatial scale; any
         * other node keeps the largest stride of its inputs. Nodes in graph order (ONNX's topological order).
         */
        Set<String> firstStage(int maxStride) {
            Map<String, Double> stride = new HashMap<>();
            inputs.forEach(i -> stride.put(i, 1.0));
            Set<String> reached = new HashSet<>(inputs), out = new HashSet<>();
            for (OnnxMl.NodeProto n : nodes) {
                List<String> spatial = n.getInputList().stream().filter(stride::containsKey).toList();
                if (spatial.isEmpty()) continue; // constants and shapes: no spatial stride
                double s = spatial.stream().mapToDouble(stride::get).max().orElseThrow();
                long own = OnnxFiles.attribute(n, "strides").stream().flatMap(a -> a.getIntsList().stream()).mapToLong(Long::longValue).max().orElse(1);
                switch (n.getOpType()) {
                    case "Conv", "MaxPool", "AveragePool" -> s *= own;
                    case "ConvTranspose" -> s /= own;
                    case "Resize" -> s /= resizeScale(n);
                    default -> { }
                }
                for (String o : n.getOutputList()) stride.put(o, s);
                if (s <= maxStride && reached.containsAll(spatial)) {
                    out.add(key(n));
                    reached.addAll(n.getOutputList());
                }
            }
            return out;
        }

        /** A Resize's largest spatial scale (dimensions 2 on) from a constant scales input, initializer or Constant node; 1 if not constant. */
        private double resizeScale(OnnxMl.NodeProto n) {
            if (n.getInputCount() < 3) return 1;
            OnnxMl.TensorProto scales = initializers.get(n.getInput(2));
            OnnxMl.NodeProto p = producer.get(n.getInput(2));
            if (scales == null && p != null && p.getOpType().equals("Constant")) {
                scales = OnnxFiles.attribute(p, "value").map(OnnxMl.AttributeProto::getT).orElse(null);
            }
            if (scales == null || scales.getDataType() != OnnxMl.TensorProto.DataType.FLOAT_VALUE) return 1;
            float[] v = values(scales);
            double max = 0;
            for (int d = 2; d < v.length; d++) max = Math.max(max, v[d]);
            return max > 0 ? max : 1;
        }

        /** A 4-D float weight initializer, or null. */
        OnnxMl.TensorProto floatWeight(String name) {
            OnnxMl.TensorProto t = initializers.get(name);
            return t != null && t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 4 ? t : null;
        }

        boolean activation(String t) {
            Boolean known = activation.get(t);
            if (known != null) return known;
            boolean a;
            if (inputs.contains(t) && !initializers.containsKey(t)) {
                a = true;
            } else {
                OnnxMl.NodeProto n = producer.get(t);
                if (n == null) a = false;
                else if (n.getOpType().equals("Conv")) a = activation(n.getInput(0));
                else if (!PASS.contains(n.getOpType())) a = false;
                else if (Set.of("Mul", "Add", "Concat").contains(n.getOpType())) a = n.getInputList().stream().allMatch(this::activation);
                else a = activation(n.getInput(0));
            }
            activation.put(t, a);
            return a;
        }
    }

    /**
     * Where a Q/DQ model quantizes: one line per node input fed by a DequantizeLinear ({@code node name#input index},
     * "per-channel" for weights), so that two models can be compared by their node names.
     */
    public static Set<String> placement(byte[] qdq) {
        OnnxMl.GraphProto g = OnnxFiles.parse(qdq, "the model").getGraph();
        Map<String, OnnxMl.NodeProto> producer = new HashMap<>();
        g.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producer.put(o, n)));
        Set<String> out = new TreeSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("QuantizeLinear") || n.getOpType().equals("DequantizeLinear")) continue;
            for (int i = 0; i < n.getInputCount(); i++) {
                OnnxMl.NodeProto p = producer.get(n.getInput(i));
                if (p == null || !p.getOpType().equals("DequantizeLinear")) continue;
                boolean weight = p.getAttributeList().stream().anyMatch(a -> a.getName().equals("axis"));
                out.add(n.getName() + "#" + i + (weight ? " per-channel" : ""));
            }
        }
        return out;
    }
}
