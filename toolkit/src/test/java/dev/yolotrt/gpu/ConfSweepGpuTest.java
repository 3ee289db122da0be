package dev.yolotrt.gpu;

import dev.yolotrt.backend.TensorRtBackend;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A notebook sweeping {@code conf} (issue 23): the candidates kernel reads conf from device memory, so one CUDA graph per
 * input shape serves every value. 20 values through the FP32 engine on bus.jpg: the number of captured graphs stays what
 * the first call left, and every value really reached the kernel (no box below it, fewer boxes as it rises, the CPU's
 * count at each value).
 */
@Tag("gpu")
class ConfSweepGpuTest {

    @Test
    void twentyConfsKeepTheNumberOfGraphs() {
        String bus = Shared.image("bus.jpg").toString();
        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings());
             Yolo trt = Yolo.load(TensorRtGpuTest.engine(onnx, "fp32"), Shared.settings())) {
            TensorRtBackend engine = (TensorRtBackend) trt.backend();
            trt.predict(bus, Map.of("conf", 0.25));
            int graphs = engine.capturedGraphs();
            assertTrue(graphs >= 1, "the first call captured its graph");
            int previous = Integer.MAX_VALUE;
            for (int i = 0; i < 20; i++) {
                double conf = 0.02 + 0.045 * i;
                Boxes b = trt.predict(bus, Map.of("conf", conf)).get(0).boxes();
                Results cpu = onnx.predict(bus, Map.of("conf", conf)).get(0);
                System.out.printf(Locale.ROOT, "conf %.3f: %d boxes (CPU %d), %d graphs%n", conf, b.size(), cpu.boxes().size(),
                        engine.capturedGraphs());
                assertEquals(graphs, engine.capturedGraphs(), "graphs after conf=" + conf);
                for (int k = 0; k < b.size(); k++) assertTrue(b.conf(k) > conf, "box " + k + " conf " + b.conf(k) + " <= " + conf);
                assertTrue(b.size() <= previous, "fewer boxes as conf rises");
                // FP32 against the CPU: a box right at the threshold may fall either side.
                assertTrue(Math.abs(b.size() - cpu.boxes().size()) <= 1, "conf " + conf + ": " + b.size() + " vs CPU " + cpu.boxes().size());
                previous = b.size();
            }
        }
    }
}
