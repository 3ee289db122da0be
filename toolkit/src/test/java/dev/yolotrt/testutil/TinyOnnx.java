package dev.yolotrt.testutil;

import ai.onnx.proto.OnnxMl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-built ONNX graphs for tests of models that are valid ONNX but not YOLO exports. */
public final class TinyOnnx {
    private TinyOnnx() {
    }

    /** y = Identity(x), both float [dims]. */
    public static Path identity(Path file, long... dims) throws IOException {
        OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17))
                .setGraph(OnnxMl.GraphProto.newBuilder().setName("identity")
                        .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").addInput("x").addOutput("y"))
                        .addInput(tensor("x", dims))
                        .addOutput(tensor("y", dims)))
                .build();
        Files.write(file, model.toByteArray());
        return file;
    }

    public static OnnxMl.ValueInfoProto tensor(String name, long... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
                .build();
    }

    /** A model of {@code g} with {@code output} as its output, opset 17, as bytes. */
    public static byte[] model(OnnxMl.GraphProto.Builder g, String output) {
        g.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(output));
        return OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(g).addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17))
                .build().toByteArray();
    }

    /** Little-endian float32 raw data. */
    public static com.google.protobuf.ByteString floats(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return com.google.protobuf.ByteString.copyFrom(b.array());
    }

    /** A 3×3 float convolution weight [out, in, 3, 3] of small fixed values. */
    public static OnnxMl.TensorProto weight(String name, int out, int in) {
        float[] v = new float[out * in * 9];
        for (int i = 0; i < v.length; i++) v[i] = (i % 7 - 3) / 10f;
        return OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(java.util.List.of((long) out, (long) in, 3L, 3L)).setRawData(floats(v)).build();
    }

    /** Conv {@code in} * {@code w} → {@code out} with the same stride on both axes. */
    public static OnnxMl.NodeProto conv(String name, String in, String w, String out, long stride) {
        return OnnxMl.NodeProto.newBuilder().setName(name).setOpType("Conv").addInput(in).addInput(w).addOutput(out)
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("strides").setType(OnnxMl.AttributeProto.AttributeType.INTS)
                        .addInts(stride).addInts(stride)).build();
    }
}
