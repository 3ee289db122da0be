package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Fp16OnnxTest {

    /**
     * half=True's strongly typed default needs YOLO's module names to keep the decode FP32: a graph without them is built
     * with the kFP16 flag instead; an explicit strongly_typed=True, and a YOLO graph, keep the typed network.
     */
    @Test
    void graphWithoutYoloNamesFallsBackToTheFp16Flag(@TempDir Path tmp) throws Exception {
        Path tiny = dev.yolotrt.testutil.TinyOnnx.identity(tmp.resolve("tiny.onnx"), 1, 3);
        ExportOptions half = ExportOptions.builder().half(true).build();
        assertTrue(half.stronglyTyped());
        ExportOptions resolved = Exporter.fp16Network(tiny, half);
        assertEquals(Boolean.FALSE, resolved.typed());
        assertEquals("fp16-flags", resolved.variant());
        ExportOptions asked = half.toBuilder().stronglyTyped(true).build();
        assertEquals(asked, Exporter.fp16Network(tiny, asked));
        assertEquals(half, Exporter.fp16Network(Shared.model("yolov8n.onnx"), half));
    }

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

    /**
     * export half=True's default path for a checkpoint (the README's): yolov8n.pt converted in Java, then to FP16, predicts
     * bus.jpg as the converted FP32 network does on ONNX Runtime.
     */
    @Test
    void convertedCheckpointPredictsTheSameInFp16(@TempDir Path tmp) throws Exception {
        byte[] fp32;
        try (dev.yolotrt.pt.Checkpoint c = dev.yolotrt.pt.Checkpoint.read(Shared.model("yolov8n.pt"))) {
            fp32 = dev.yolotrt.pt.OnnxWriter.write(c, 640);
        }
        Path full = Files.write(tmp.resolve("yolov8n-pt.onnx"), fp32);
        Path half = Files.write(tmp.resolve("yolov8n-pt-fp16.onnx"), Fp16Onnx.convert(fp32, null));
        Boxes x, y;
        try (Yolo m = Yolo.load(full, Shared.settings())) {
            x = m.predict(Shared.image("bus.jpg").toString()).get(0).boxes();
        }
        try (Yolo m = Yolo.load(half, Shared.settings())) {
            y = m.predict(Shared.image("bus.jpg").toString()).get(0).boxes();
        }
        assertEquals(5, x.size(), "4 persons and a bus");
        assertEquals(x.size(), y.size());
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.cls(i), y.cls(i));
            assertEquals(x.conf(i), y.conf(i), 0.02);
            for (int k = 0; k < 4; k++) assertEquals(x.xyxy(i)[k], y.xyxy(i)[k], 2.0, "box " + i);
        }
    }

    /**
     * The other tasks' heads through the same conversion: each FP16 model predicts as its FP32 model on ONNX Runtime
     * (boxes within 2 px and 0.02 confidence, masks overlapping by 95 %, confident keypoints within 3 px, rotated boxes
     * within 2 px and 0.02 rad, classifier top-5 in the same order with probabilities within 0.02).
     */
    @ParameterizedTest
    @CsvSource({"yolo11n-seg.onnx, bus.jpg", "yolo11n-pose.onnx, bus.jpg", "yolov8n-obb-dota8.onnx, P0861__1024__0___1648.jpg",
            "yolo11n-cls-dogcat.onnx, dog.jpg", "yolov8n-cls-waste.onnx, bus.jpg"})
    void everyTaskPredictsAsItsFp32Model(String model, String image, @TempDir Path tmp) throws Exception {
        Path src = Shared.model(model);
        Path half = Files.write(tmp.resolve(model.replace(".onnx", "-fp16.onnx")), Fp16Onnx.convert(OnnxFiles.read(src), null));
        String img = image.startsWith("P") ? Shared.datasets().resolve("dota8/images/train/" + image).toString() : Shared.image(image).toString();
        // The dota8 model is barely trained: its reference predictions use conf 0.01 (tasks.json).
        Map<String, String> options = model.contains("obb") ? Map.of("conf", "0.01") : Map.of();
        Results a, b;
        try (Yolo m = Yolo.load(src, Shared.settings())) {
            a = m.predict(img, options).get(0);
        }
        try (Yolo m = Yolo.load(half, Shared.settings())) {
            b = m.predict(img, options).get(0);
        }
        if (a.probs() != null) {
            assertArrayEquals(a.probs().top5(), b.probs().top5(), "top-5 order");
            for (int k = 0; k < a.probs().top5().length; k++) assertEquals(a.probs().top5conf()[k], b.probs().top5conf()[k], 0.02, "top-5 probability " + k);
            return;
        }
        if (a.obb() != null) {
            // Confidences near 0.01 come and go with FP16 rounding: each of the ten most confident rotated boxes has a twin.
            assertTrue(a.obb().size() >= 10, "rotated boxes: " + a.obb().size());
            for (int i = 0; i < 10; i++) {
                float[] p = a.obb().xywhr(i);
                boolean twin = false;
                for (int j = 0; j < b.obb().size() && !twin; j++) {
                    float[] q = b.obb().xywhr(j);
                    twin = a.obb().cls(i) == b.obb().cls(j) && Math.abs(a.obb().conf(i) - b.obb().conf(j)) <= 0.02
                            && Math.abs(p[0] - q[0]) <= 2 && Math.abs(p[1] - q[1]) <= 2 && Math.abs(p[2] - q[2]) <= 2 && Math.abs(p[3] - q[3]) <= 2
                            && Math.abs(p[4] - q[4]) <= 0.02;
                }
                assertTrue(twin, "rotated box " + i + " " + java.util.Arrays.toString(p) + " has no FP16 twin");
            }
            return;
        }
        Boxes x = a.boxes(), y = b.boxes();
        assertTrue(x.size() > 0);
        assertEquals(x.size(), y.size());
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.cls(i), y.cls(i));
            assertEquals(x.conf(i), y.conf(i), 0.02);
            for (int k = 0; k < 4; k++) assertEquals(x.xyxy(i)[k], y.xyxy(i)[k], 2.0, "box " + i);
        }
        if (a.masks() != null) {
            for (int i = 0; i < a.masks().size(); i++) {
                byte[] p = a.masks().data(i), q = b.masks().data(i);
                int both = 0, either = 0;
                for (int j = 0; j < p.length; j++) {
                    if (p[j] != 0 && q[j] != 0) both++;
                    if (p[j] != 0 || q[j] != 0) either++;
                }
                assertTrue(both >= 0.95 * either, "mask " + i + " IoU " + both / (double) either);
            }
        }
        if (a.keypoints() != null) {
            for (int i = 0; i < a.keypoints().size(); i++) {
                float[] p = a.keypoints().xy(i), q = b.keypoints().xy(i), c = a.keypoints().conf(i);
                for (int k = 0; k < p.length / 2; k++) {
                    if (c != null && c[k] < 0.5f) continue;
                    assertEquals(p[2 * k], q[2 * k], 3.0, "keypoint " + k + " of " + i);
                    assertEquals(p[2 * k + 1], q[2 * k + 1], 3.0, "keypoint " + k + " of " + i);
                }
            }
        }
    }
}
