package dev.yolotrt.gpu;

import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** device=0,1: one engine per GPU, batches alternating between them, the same detections as one GPU, in input order. */
@Tag("gpu")
class MultiGpuTest {

    @Test
    void twoGpusGiveTheDetectionsOfOne() throws Exception {
        Assumptions.assumeTrue(TensorRt.deviceCount() >= 2, "needs two GPUs");
        List<ImageSource> sources = new ArrayList<>();
        try (Stream<Path> s = Files.list(Shared.datasets().resolve("coco128/images/val2017"))) {
            for (Path p : s.sorted().toList()) sources.addAll(ImageSource.resolve(p.toString(), Shared.settings()));
        }
        PredictOptions o = PredictOptions.builder().batch(8).build();
        List<String> one = new ArrayList<>(), two = new ArrayList<>();
        Path engine;
        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings())) {
            engine = TensorRtGpuTest.engine(onnx, "fp32");
        }
        try (Yolo m = Yolo.load(engine, Shared.settings().withDevices(List.of(0)))) {
            m.predictor().predict(sources, o).forEach(r -> one.add(r.path() + " " + r.summary() + " " + java.util.Arrays.toString(r.boxes().xyxy())));
        }
        try (Yolo m = Yolo.load(engine, Shared.settings().withDevices(List.of(0, 1)))) {
            m.predictor().predict(sources, o).forEach(r -> two.add(r.path() + " " + r.summary() + " " + java.util.Arrays.toString(r.boxes().xyxy())));
            System.out.println("device=0,1: sessions per GPU " + m.predictor().sessionsPerBackend() + ", " + two.size() + " images");
            assertTrue(m.predictor().sessionsPerBackend().stream().allMatch(n -> n >= 1), "both GPUs ran batches");
        }
        assertEquals(128, one.size());
        assertEquals(one, two);
    }
}
