package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.yolotrt.util.YoloException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * Makes the batch dimension of a static-batch ONNX export dynamic, as Ultralytics' {@code dynamic=True}
 * export would have: graph input and output dim 0 become the symbol {@code batch}, and each Reshape
 * shape constant that starts with the static batch starts with 0 (copy the input's dimension) instead.
 */
public final class OnnxBatch {

    public static final String SYMBOL = "batch";

    private OnnxBatch() {
    }

    /** True when the model's first input already has a symbolic (or unknown) batch dimension. */
    public static boolean isDynamic(byte[] onnx) {
        OnnxMl.TensorShapeProto.Dimension d0 = batchDim(parse(onnx).getGraph());
        return !d0.hasDimValue() || d0.getDimValue() <= 0;
    }

    /** The first input's dim 0; a graph without inputs or an input without a [B, 3, H, W] shape is one line. */
    private static OnnxMl.TensorShapeProto.Dimension batchDim(OnnxMl.GraphProtoOrBuilder g) {
        if (g.getInputCount() == 0) throw new YoloException("the ONNX graph has no input; not a YOLO export");
        OnnxMl.TensorShapeProto shape = g.getInput(0).getType().getTensorType().getShape();
        if (shape.getDimCount() != 4) {
            throw new YoloException("the ONNX input " + g.getInput(0).getName() + " has " + shape.getDimCount()
                    + " dimensions, not [batch, 3, height, width]; not a YOLO image model");
        }
        return shape.getDim(0);
    }

    public static byte[] makeDynamic(byte[] onnx) {
        OnnxMl.ModelProto model = parse(onnx);
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        long staticBatch = batchDim(g).getDimValue();
        if (staticBatch <= 0) return onnx;
        for (int i = 0; i < g.getInputCount(); i++) g.setInput(i, symbolic(g.getInput(i)));
        for (int i = 0; i < g.getOutputCount(); i++) g.setOutput(i, symbolic(g.getOutput(i)));
        // Intermediate shapes recorded at export time would contradict the new batch; let consumers infer them.
        g.clearValueInfo();

        Set<String> shapeInputs = new HashSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) if (n.getOpType().equals("Reshape") && n.getInputCount() > 1) shapeInputs.add(n.getInput(1));
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (shapeInputs.contains(g.getInitializer(i).getName())) g.setInitializer(i, zeroLead(g.getInitializer(i), staticBatch));
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            OnnxMl.NodeProto n = g.getNode(i);
            if (!n.getOpType().equals("Constant") || n.getOutputCount() == 0 || !shapeInputs.contains(n.getOutput(0))) continue;
            OnnxMl.NodeProto.Builder nb = n.toBuilder();
            for (int a = 0; a < nb.getAttributeCount(); a++) {
                if (nb.getAttribute(a).getName().equals("value")) {
                    nb.setAttribute(a, nb.getAttribute(a).toBuilder().setT(zeroLead(nb.getAttribute(a).getT(), staticBatch)));
                }
            }
            g.setNode(i, nb);
        }
        return model.toBuilder().setGraph(g).build().toByteArray();
    }

    private static OnnxMl.ValueInfoProto symbolic(OnnxMl.ValueInfoProto v) {
        OnnxMl.TypeProto.Tensor.Builder t = v.getType().getTensorType().toBuilder();
        if (t.getShape().getDimCount() == 0) return v;
        OnnxMl.TensorShapeProto.Builder s = t.getShape().toBuilder();
        s.setDim(0, OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam(SYMBOL));
        return v.toBuilder().setType(v.getType().toBuilder().setTensorType(t.setShape(s))).build();
    }

    /** An int64 shape tensor with its first entry set to 0 when it equals {@code batch}. */
    private static OnnxMl.TensorProto zeroLead(OnnxMl.TensorProto t, long batch) {
        if (t.getDataType() != OnnxMl.TensorProto.DataType.INT64.getNumber()) return t;
        if (t.getInt64DataCount() > 0) {
            return t.getInt64Data(0) == batch ? t.toBuilder().setInt64Data(0, 0).build() : t;
        }
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (raw.remaining() < 8 || raw.getLong(0) != batch) return t;
        ByteBuffer copy = ByteBuffer.allocate(raw.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(raw.duplicate()).flip();
        copy.putLong(0, 0L);
        return t.toBuilder().setRawData(ByteString.copyFrom(copy)).build();
    }

    private static OnnxMl.ModelProto parse(byte[] onnx) {
        OnnxMl.ModelProto m = OnnxFiles.parse(onnx, "the model");
        if (!m.hasGraph() || m.getGraph().getInputCount() == 0) throw new YoloException("the ONNX model has no graph inputs");
        return m;
    }
}
