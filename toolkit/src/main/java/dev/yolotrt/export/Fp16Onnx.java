package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An FP16 ONNX for a strongly typed TensorRT network: float weights and activations become FP16, except what must
 * stay FP32 as NVIDIA's AutoCast keeps it: the decode after the head's last convolutions (DFL softmax and expectation,
 * anchors and strides in pixels up to the image size, the sigmoid and the final concatenation), Resize's scales, and
 * the graph's inputs and outputs, which keep their FP32 type behind Cast nodes so callers see the same model.
 * In a strongly typed network TensorRT runs each layer in the type of its tensors, so this file alone decides the
 * precisions; no builder flag can override them.
 */
public final class Fp16Onnx {

    private static final Pattern MODULE = Pattern.compile("^/model\\.(\\d+)/");
    private static final int FLOAT = OnnxMl.TensorProto.DataType.FLOAT_VALUE;
    private static final int HALF = OnnxMl.TensorProto.DataType.FLOAT16_VALUE;
    /** Ops whose inputs past the first are not data: their float constants (Resize's roi and scales) stay FP32. */
    private static final Set<String> DATA_FIRST = Set.of("Resize", "Upsample");

    private Fp16Onnx() {
    }

    /**
     * The decode of a YOLO graph: every node of the last module outside its convolution branches (cv2, cv3, cv4 and
     * the segmentation proto), e.g. {@code ^/model\.22/(?!cv\d|proto)}; null for a graph without /model.N/ names.
     */
    static Pattern decode(OnnxMl.GraphProto g) {
        int head = -1;
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            var m = MODULE.matcher(n.getName());
            if (m.find()) head = Math.max(head, Integer.parseInt(m.group(1)));
        }
        return head < 0 ? null : Pattern.compile("^/model\\." + head + "/(?!cv\\d|proto)");
    }

    /** {@code onnx} in FP16, keeping FP32 the nodes matching {@code keepFp32} (null: the decode of the YOLO head). */
    public static byte[] convert(byte[] onnx, Pattern keepFp32) {
        OnnxMl.ModelProto model = OnnxFiles.parse(onnx, "the model");
        OnnxMl.GraphProto g = model.getGraph();
        Pattern keep = keepFp32 != null ? keepFp32 : decode(g);
        Map<String, OnnxMl.TensorProto> init = new HashMap<>();
        g.getInitializerList().forEach(t -> init.put(t.getName(), t));
        // Which float initializers become FP16: those read only as data by FP16 nodes.
        Set<String> fp32Init = new HashSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            boolean fp32 = keeps(n, keep);
            for (int i = 0; i < n.getInputCount(); i++) {
                if (init.containsKey(n.getInput(i)) && (fp32 || (i > 0 && DATA_FIRST.contains(n.getOpType())))) fp32Init.add(n.getInput(i));
            }
        }
        Map<String, Integer> type = new HashMap<>(); // float tensor → FLOAT or FLOAT16 as produced
        OnnxMl.GraphProto.Builder out = g.toBuilder().clearNode().clearInitializer().clearValueInfo();
        for (OnnxMl.TensorProto t : g.getInitializerList()) {
            if (t.getDataType() == FLOAT && !fp32Init.contains(t.getName())) {
                out.addInitializer(half(t));
                type.put(t.getName(), HALF);
            } else {
                out.addInitializer(t);
                if (t.getDataType() == FLOAT) type.put(t.getName(), FLOAT);
            }
        }
        for (OnnxMl.ValueInfoProto in : g.getInputList()) {
            if (in.getType().getTensorType().getElemType() == FLOAT) type.put(in.getName(), FLOAT);
        }
        Map<String, String> casts = new HashMap<>(); // "tensor→type" → cast output
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            boolean fp32 = keeps(n, keep);
            int want = fp32 ? FLOAT : HALF;
            OnnxMl.NodeProto.Builder b = n.toBuilder();
            for (int i = 0; i < b.getInputCount(); i++) {
                String t = b.getInput(i);
                Integer have = type.get(t);
                if (have == null || (i > 0 && DATA_FIRST.contains(n.getOpType()))) continue;
                if (have != want) b.setInput(i, cast(out, t, want, casts));
            }
            // Cast nodes already in the model keep their target; every other float output takes the node's type.
            out.addNode(b);
            for (String o : n.getOutputList()) {
                if (n.getOpType().equals("Cast")) {
                    long to = OnnxFiles.attribute(n, "to").map(OnnxMl.AttributeProto::getI).orElse(0L);
                    if (to == FLOAT) type.put(o, FLOAT);
                } else if (producesFloat(n, type)) {
                    type.put(o, want);
                }
            }
        }
        // Graph outputs keep FP32: the last FP16 producer's tensor is cast under the output's own name.
        for (OnnxMl.ValueInfoProto o : g.getOutputList()) {
            if (type.getOrDefault(o.getName(), FLOAT) == HALF) renameAndCast(out, o.getName());
        }
        return model.toBuilder().setGraph(out).build().toByteArray();
    }

    private static boolean keeps(OnnxMl.NodeProto n, Pattern keep) {
        return n.getOpType().equals("Constant") || (keep != null && keep.matcher(n.getName()).find());
    }

    /** Whether a node's outputs are float: it reads a float tensor first (shape ops read ints) and is not a shape query. */
    private static boolean producesFloat(OnnxMl.NodeProto n, Map<String, Integer> type) {
        if (Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin", "TopK").contains(n.getOpType())) return false;
        if (n.getOpType().equals("Constant")) {
            return n.getAttributeList().stream().anyMatch(a -> a.getName().equals("value") && a.getT().getDataType() == FLOAT);
        }
        return n.getInputCount() > 0 && type.containsKey(n.getInput(0));
    }

    private static String cast(OnnxMl.GraphProto.Builder out, String t, int to, Map<String, String> casts) {
        return casts.computeIfAbsent(t + "→" + to, k -> {
            String name = t + (to == HALF ? "_to_fp16" : "_to_fp32");
            out.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Cast").setName(name).addInput(t).addOutput(name)
                    .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("to").setType(OnnxMl.AttributeProto.AttributeType.INT).setI(to)));
            return name;
        });
    }

    /** The node writing graph output {@code name} now writes {@code name_fp16}, and a Cast to FP32 writes {@code name}. */
    private static void renameAndCast(OnnxMl.GraphProto.Builder out, String name) {
        String inner = name + "_fp16";
        for (OnnxMl.NodeProto.Builder n : out.getNodeBuilderList()) {
            for (int i = 0; i < n.getOutputCount(); i++) if (n.getOutput(i).equals(name)) n.setOutput(i, inner);
            for (int i = 0; i < n.getInputCount(); i++) if (n.getInput(i).equals(name)) n.setInput(i, inner);
        }
        out.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Cast").setName(name + "_to_fp32").addInput(inner).addOutput(name)
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("to").setType(OnnxMl.AttributeProto.AttributeType.INT).setI(FLOAT)));
    }

    /** A float initializer as FP16 (IEEE half, round to nearest even; Java 17 has no Float.floatToFloat16 yet). */
    private static OnnxMl.TensorProto half(OnnxMl.TensorProto t) {
        float[] v = QdqOnnx.values(t);
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putShort(toHalf(f));
        return t.toBuilder().clearFloatData().setDataType(HALF).setRawData(ByteString.copyFrom(b.array())).build();
    }

    /** IEEE 754 binary16 of {@code f}, rounding to nearest even; overflow to ±infinity, tiny values to subnormals or zero. */
    static short toHalf(float f) {
        int bits = Float.floatToIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = bits & 0x7fffff;
        if (((bits >>> 23) & 0xff) == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0)); // inf, NaN
        if (exp >= 0x1f) return (short) (sign | 0x7c00);
        if (exp <= 0) {
            if (exp < -10) return (short) sign;
            mant |= 0x800000;
            int shift = 14 - exp;
            int half = mant >> shift;
            int rest = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
            if (rest > mid || (rest == mid && (half & 1) == 1)) half++;
            return (short) (sign | half);
        }
        int half = sign | (exp << 10) | (mant >> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) half++; // may carry into the exponent: still correct
        return (short) half;
    }
}
