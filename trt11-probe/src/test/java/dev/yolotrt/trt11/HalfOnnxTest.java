package dev.yolotrt.trt11;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The probe's FP16 model: FP16 weights, FP32 I/O, and ONNX Runtime finds on it what it finds on the FP32 model. */
class HalfOnnxTest {

    private static final Path MODELS = Path.of(System.getenv().getOrDefault("YOLO_TRT_MODELS", "../../shared/models"));
    private static final Path IMAGES = Path.of(System.getenv().getOrDefault("YOLO_TRT_ASSETS", "../../shared/images"));

    @Test
    void fp16ModelAgreesWithFp32OnTheCpu(@TempDir Path dir) throws Exception {
        Path fp32 = MODELS.resolve("yolov8n.onnx"), bus = IMAGES.resolve("bus.jpg");
        assumeTrue(Files.isRegularFile(fp32) && Files.isRegularFile(bus), "test assets (../shared) not found");
        Path fp16 = dir.resolve("yolov8n-fp16.onnx");
        HalfOnnx.main(new String[]{fp32.toString(), fp16.toString()});

        OnnxMl.GraphProto g = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(fp16)).getGraph();
        long floats = g.getInitializerList().stream().filter(t -> t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT.getNumber()).count();
        long halves = g.getInitializerList().stream().filter(t -> t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT16.getNumber()).count();
        assertEquals(1, floats, "only Resize's scales (shared by both Resize nodes) stay FP32");
        assertEquals(130, halves);
        assertEquals(OnnxMl.TensorProto.DataType.FLOAT.getNumber(), g.getInput(0).getType().getTensorType().getElemType());
        assertEquals("Cast", g.getNode(0).getOpType());
        assertEquals("Cast", g.getNode(g.getNodeCount() - 1).getOpType());

        float[] input = Input.letterbox(bus, 640);
        Tensors.Tensor ref = Reference.run(fp32, input, 640), half = Reference.run(fp16, input, 640);
        Agreement a = Agreement.of(half.values(), ref.values(), (int) ref.shape()[2]);
        assertTrue(a.objects() > 0);
        assertTrue(a.within(Agreement.FP16), a.toString());
        assertFalse(a.within(new Agreement.Tolerance(1e-4f, 1e-6f)), "FP16 weights must change the output: " + a);
        List<Detections.Box> r = Detections.top(ref.values(), 8400, 0.25f, 0.45f, 10), h = Detections.top(half.values(), 8400, 0.25f, 0.45f, 10);
        // bus.jpg: four people and a bus, as Ultralytics finds them.
        assertEquals(List.of(0, 0, 0, 5, 0), r.stream().map(Detections.Box::cls).toList());
        assertEquals(r.stream().map(Detections.Box::cls).toList(), h.stream().map(Detections.Box::cls).toList());
    }
}
