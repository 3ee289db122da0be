package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Fp16OnnxTest {

    @Test
    void halfBitsAsIeee754() {
        assertEquals(0x3c00, Fp16Onnx.toHalf(1f) & 0xffff);
        assertEquals(0xc000, Fp16Onnx.toHalf(-2f) & 0xffff);
        assertEquals(0x7bff, Fp16Onnx.toHalf(65504f) & 0xffff); // the largest half
        assertEquals(0x7c00, Fp16Onnx.toHalf(70000f) & 0xffff); // overflow: infinity
        assertEquals(0x2e66, Fp16Onnx.toHalf(0.1f) & 0xffff);   // 0.0999755859375
        assertEquals(0x0001, Fp16Onnx.toHalf(6e-8f) & 0xffff);  // the smallest subnormal, 2^-24
        assertEquals(0, Fp16Onnx.toHalf(1e-9f) & 0xffff);
        assertEquals(0x3c00, Fp16Onnx.toHalf(1.00048828125f) & 0xffff); // halfway to the next half: ties to even
    }

    /** The FP16 model keeps FP32 interfaces and decode, and predicts bus.jpg as the FP32 one does (ONNX Runtime on the CPU). */
    @Test
    void fp16ModelKeepsDecodeFp32AndPredictsTheSame(@TempDir Path tmp) throws Exception {
        byte[] fp32 = OnnxFiles.read(Shared.model("yolov8n.onnx"));
        byte[] fp16 = Fp16Onnx.convert(fp32, null);
        OnnxMl.GraphProto g = OnnxFiles.parse(fp16, "fp16").getGraph();
        assertEquals(OnnxMl.TensorProto.DataType.FLOAT_VALUE, g.getInput(0).getType().getTensorType().getElemType());
        assertEquals(OnnxMl.TensorProto.DataType.FLOAT_VALUE, g.getOutput(0).getType().getTensorType().getElemType());
        Map<String, OnnxMl.TensorProto> init = new HashMap<>();
        g.getInitializerList().forEach(t -> init.put(t.getName(), t));
        Map<String, OnnxMl.NodeProto> byName = new HashMap<>();
        g.getNodeList().forEach(n -> byName.put(n.getName(), n));
        assertEquals(OnnxMl.TensorProto.DataType.FLOAT16_VALUE, init.get(byName.get("/model.0/conv/Conv").getInput(1)).getDataType());
        assertEquals(OnnxMl.TensorProto.DataType.FLOAT16_VALUE, init.get(byName.get("/model.22/cv3.0/cv3.0.2/Conv").getInput(1)).getDataType());
        assertEquals(OnnxMl.TensorProto.DataType.FLOAT_VALUE, init.get(byName.get("/model.22/dfl/conv/Conv").getInput(1)).getDataType());
        // The head's last convolutions are FP16 and the decode's first concat FP32: a Cast between them.
        assertTrue(byName.get("/model.22/Concat").getInput(0).endsWith("_to_fp32"), byName.get("/model.22/Concat").toString());
        assertTrue(byName.get("/model.0/conv/Conv").getInput(0).equals("images_to_fp16"));

        Path half = Files.write(tmp.resolve("yolov8n-fp16.onnx"), fp16);
        Boxes a, b;
        try (Yolo m = Yolo.load(Shared.model("yolov8n.onnx"), Shared.settings())) {
            a = m.predict(Shared.image("bus.jpg").toString()).get(0).boxes();
        }
        try (Yolo m = Yolo.load(half, Shared.settings())) {
            b = m.predict(Shared.image("bus.jpg").toString()).get(0).boxes();
        }
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.cls(i), b.cls(i));
            assertEquals(a.conf(i), b.conf(i), 0.02);
            for (int k = 0; k < 4; k++) assertEquals(a.xyxy(i)[k], b.xyxy(i)[k], 2.0, "box " + i);
        }
    }
}
