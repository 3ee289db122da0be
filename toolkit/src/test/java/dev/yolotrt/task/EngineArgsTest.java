package dev.yolotrt.task;

import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The export args an engine header records, as Exporter writes them for nms=true. */
class EngineArgsTest {

    @Test
    void nmsEnginesKeepTheirConfidenceThreshold() {
        EngineArgs a = EngineArgs.of(Map.of("half", true, "int8", false, "nms", true, "conf", 0.25, "iou", 0.7, "max_det", 300));
        assertEquals("fp16+nms", a.variant());
        assertEquals(Precision.FP16, a.precision());
        assertEquals(Precision.INT8, EngineArgs.of(Map.of("half", true, "int8", true)).precision(), "int8 wins over half");
        assertEquals(Precision.FP32, EngineArgs.of(Map.of()).precision());
        assertEquals(0.25, a.nmsConf());
        // Without NMS the conf key means nothing to the engine: every score comes out.
        assertEquals(0.0, EngineArgs.of(Map.of("half", true, "conf", 0.25)).nmsConf());
    }

    @Test
    void aConfThatIsNoNumberIsOneLine() {
        YoloException e = assertThrows(YoloException.class, () -> EngineArgs.of(Map.of("nms", true, "conf", "high")));
        assertTrue(e.getMessage().contains("args.conf=high"), e.getMessage());
    }
}
