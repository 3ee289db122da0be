package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.yolotrt.backend.OnnxExternalData;
import dev.yolotrt.util.YoloException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading and parsing ONNX files for export, tracing and layer groups, each failure one line naming the file. */
final class OnnxFiles {
    private OnnxFiles() {
    }

    /** The model's bytes, once its external data (if any) is known to stay in its folder. */
    static byte[] read(Path file) {
        byte[] onnx;
        try {
            onnx = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new YoloException("cannot read " + file + ": " + e.getMessage());
        }
        OnnxExternalData.check(onnx, file);
        return onnx;
    }

    /** A node's attribute by name. */
    static java.util.Optional<OnnxMl.AttributeProto> attribute(OnnxMl.NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst();
    }

    /** The model's protobuf; {@code what} names it in the error (a file name, or "the model"). */
    static OnnxMl.ModelProto parse(byte[] onnx, String what) {
        try {
            return OnnxMl.ModelProto.parseFrom(onnx);
        } catch (InvalidProtocolBufferException e) {
            throw new YoloException(what + " is not an ONNX model: " + e.getMessage());
        }
    }
}
