package dev.yolotrt.backend;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.yolotrt.util.Contained;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX's external data, checked before ONNX Runtime or TensorRT open a model: a tensor may keep its bytes in
 * another file, named by a {@code location} relative to the model. ONNX's own checker refuses locations that
 * are absolute or leave the model's folder; so does this, symbolic links included, so a stranger's model can
 * never read (and hand back as predictions) files outside its own folder.
 */
public final class OnnxExternalData {

    private OnnxExternalData() {
    }

    /** Refuses {@code onnx} in one line when any tensor's external data lies outside the model's folder. */
    public static void check(Path onnx) {
        byte[] bytes;
        try {
            // protobuf's own limit: larger models keep their weights as external data
            if (Files.size(onnx) > Integer.MAX_VALUE - 16) throw new YoloException(onnx + " is larger than 2 GB, more than an ONNX file can be (weights above that are external data)");
            bytes = Files.readAllBytes(onnx);
        } catch (IOException e) {
            throw new YoloException("cannot read " + onnx + ": " + Downloads.oneLine(e));
        }
        check(bytes, onnx);
    }

    /** As {@link #check(Path)} for a model already read from {@code onnx}. */
    public static void check(byte[] bytes, Path onnx) {
        OnnxMl.ModelProto m;
        try {
            m = OnnxMl.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new YoloException(onnx + " is not a readable ONNX model (" + Downloads.oneLine(e) + "); " + Text.reexport(onnx));
        }
        // An empty file (or bytes that happen to parse) is a model without a graph: said here, not in ONNX Runtime's C++ words.
        if (!m.hasGraph()) throw new YoloException(onnx + " is not an ONNX model: it holds no graph (" + bytes.length + " bytes); " + Text.reexport(onnx));
        Path dir = onnx.toAbsolutePath().getParent();
        graph(m.getGraph(), dir, onnx);
        for (OnnxMl.FunctionProto f : m.getFunctionsList()) for (OnnxMl.NodeProto n : f.getNodeList()) node(n, dir, onnx);
    }

    private static void graph(OnnxMl.GraphProto g, Path dir, Path onnx) {
        for (OnnxMl.TensorProto t : g.getInitializerList()) tensor(t, dir, onnx);
        for (OnnxMl.SparseTensorProto s : g.getSparseInitializerList()) {
            tensor(s.getValues(), dir, onnx);
            tensor(s.getIndices(), dir, onnx);
        }
        for (OnnxMl.NodeProto n : g.getNodeList()) node(n, dir, onnx);
    }

    /** Constant nodes and the subgraphs of If / Loop / Scan carry tensors too (protobuf bounds their nesting). */
    private static void node(OnnxMl.NodeProto n, Path dir, Path onnx) {
        for (OnnxMl.AttributeProto a : n.getAttributeList()) {
            if (a.hasT()) tensor(a.getT(), dir, onnx);
            for (OnnxMl.TensorProto t : a.getTensorsList()) tensor(t, dir, onnx);
            if (a.hasSparseTensor()) {
                tensor(a.getSparseTensor().getValues(), dir, onnx);
                tensor(a.getSparseTensor().getIndices(), dir, onnx);
            }
            if (a.hasG()) graph(a.getG(), dir, onnx);
            for (OnnxMl.GraphProto sub : a.getGraphsList()) graph(sub, dir, onnx);
        }
    }

    private static void tensor(OnnxMl.TensorProto t, Path dir, Path onnx) {
        if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL && t.getExternalDataCount() == 0) return;
        String location = null;
        for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset", "length" -> {
                    if (!e.getValue().matches("\\d{1,18}")) {
                        throw new YoloException(onnx + ": tensor '" + dev.yolotrt.util.Text.clip(t.getName()) + "' has external data " + e.getKey()
                                + " '" + dev.yolotrt.util.Text.clip(e.getValue()) + "', not a byte count; refused");
                    }
                }
                default -> {
                    // checksum and other keys only describe the data
                }
            }
        }
        Contained.resolve(dir, location, onnx + ": tensor '" + dev.yolotrt.util.Text.clip(t.getName()) + "' keeps its data at");
    }
}
