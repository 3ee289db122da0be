package dev.yolotrt.trt11;

import ai.onnx.proto.OnnxMl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The probe's FP16 model, for a strongly typed FP16 build (TensorRT 11 has no FP16 builder flag): every float
 * initializer in FP16 except Resize's roi and scales (which ONNX requires in FP32), a Cast to FP16 after each float
 * graph input and a Cast back to FP32 before each float graph output, so the I/O stays FP32. Enough for the plain
 * graphs of Ultralytics detect models (no Constant nodes, no Cast to float inside), which it checks; the toolkit's own
 * conversion (issue 25, AutoCast-like) is not this. Runs on the development machine:
 * {@code java -cp trt11-probe.jar:tribuo-util-onnx.jar:protobuf-java.jar dev.yolotrt.trt11.HalfOnnx IN.onnx OUT.onnx}.
 */
public final class HalfOnnx {

    private static final int FLOAT = OnnxMl.TensorProto.DataType.FLOAT.getNumber();
    private static final int FLOAT16 = OnnxMl.TensorProto.DataType.FLOAT16.getNumber();

    private HalfOnnx() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: HalfOnnx IN.onnx OUT.onnx");
            System.exit(2);
        }
        OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(Path.of(args[0])));
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        Set<String> keepFloat = new HashSet<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Constant") || n.getOpType().equals("Cast"))
                throw new IllegalArgumentException(args[0] + " has " + n.getOpType() + " nodes, which this probe tool does not convert");
            if (n.getOpType().equals("Resize")) n.getInputList().stream().skip(1).filter(x -> !x.isEmpty()).forEach(keepFloat::add);
        }
        int converted = 0;
        for (int i = 0; i < g.getInitializerCount(); i++) {
            OnnxMl.TensorProto t = g.getInitializer(i);
            if (t.getDataType() != FLOAT || keepFloat.contains(t.getName())) continue;
            g.setInitializer(i, half(t));
            converted++;
        }
        g.clearValueInfo();  // its float types are stale now; TensorRT infers shapes and types itself
        for (OnnxMl.ValueInfoProto in : g.getInputList()) {
            if (in.getType().getTensorType().getElemType() != FLOAT) continue;
            String h = in.getName() + "_fp16";
            renameInput(g, in.getName(), h);
            g.addNode(0, cast(in.getName(), h, FLOAT16));
        }
        for (OnnxMl.ValueInfoProto out : g.getOutputList()) {
            if (out.getType().getTensorType().getElemType() != FLOAT) continue;
            String h = out.getName() + "_fp16";
            for (int i = 0; i < g.getNodeCount(); i++) {
                OnnxMl.NodeProto n = g.getNode(i);
                int k = n.getOutputList().indexOf(out.getName());
                if (k >= 0) g.setNode(i, n.toBuilder().setOutput(k, h).build());
            }
            renameInput(g, out.getName(), h);
            g.addNode(cast(h, out.getName(), FLOAT));
        }
        byte[] bytes = model.toBuilder().setGraph(g).build().toByteArray();
        Path tmp = Path.of(args[1] + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, Path.of(args[1]), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.out.println(args[1] + ": " + converted + " initializers in FP16, " + keepFloat.size() + " Resize inputs kept FP32, FP32 I/O");
    }

    /** Points every consumer of {@code from} (except the Cast that produces {@code to}) at {@code to}. */
    private static void renameInput(OnnxMl.GraphProto.Builder g, String from, String to) {
        for (int i = 0; i < g.getNodeCount(); i++) {
            OnnxMl.NodeProto n = g.getNode(i);
            if (n.getOutputList().contains(to) || !n.getInputList().contains(from)) continue;
            OnnxMl.NodeProto.Builder b = n.toBuilder();
            for (int k = 0; k < b.getInputCount(); k++) if (b.getInput(k).equals(from)) b.setInput(k, to);
            g.setNode(i, b.build());
        }
    }

    private static OnnxMl.NodeProto cast(String in, String out, int to) {
        return OnnxMl.NodeProto.newBuilder().setOpType("Cast").setName(out + "/Cast").addInput(in).addOutput(out)
                .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("to").setType(OnnxMl.AttributeProto.AttributeType.INT).setI(to))
                .build();
    }

    private static OnnxMl.TensorProto half(OnnxMl.TensorProto t) {
        float[] v;
        if (!t.getRawData().isEmpty()) {
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            v = new float[b.remaining() / 4];
            b.asFloatBuffer().get(v);
        } else {
            v = new float[t.getFloatDataCount()];
            for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
        }
        ByteBuffer h = Tensors.bytes(v, true);
        return t.toBuilder().clearFloatData().setDataType(FLOAT16)
                .setRawData(com.google.protobuf.ByteString.copyFrom(h)).build();
    }
}
