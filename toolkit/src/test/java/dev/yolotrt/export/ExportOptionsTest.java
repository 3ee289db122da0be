package dev.yolotrt.export;

import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportOptionsTest {

    @Test
    void defaultsAreTheSeedGuides() {
        ExportOptions o = ExportOptions.builder().build();
        assertEquals("engine", o.format());
        assertNull(o.imgsz());
        assertFalse(o.half());
        assertFalse(o.int8());
        assertFalse(o.dynamic());
        assertFalse(o.simplify());
        assertNull(o.workspace());
        assertFalse(o.nms());
        assertEquals(1, o.batch());
        assertEquals("coco8.yaml", o.data());
        assertEquals(1.0, o.fraction());
        assertNull(o.device());
        assertEquals("minmax", o.calibrator());
        assertEquals("fp32", o.precision());
    }

    @Test
    void simplifyIsRefusedWithItsReason() {
        YoloException e = assertThrows(YoloException.class, () -> ExportOptions.builder(Map.of("simplify", "True")).build());
        assertTrue(e.getMessage().startsWith("simplify=True is not supported") && e.getMessage().contains("folds constants"), e.getMessage());
        assertEquals(0.25, ExportOptions.builder().build().conf(), "an engine with NMS inside keeps predict's conf");
    }

    @Test
    void int8ImpliesDynamicAsInTheSeed() {
        ExportOptions o = ExportOptions.builder(Map.of("int8", "true", "batch", "8")).build();
        assertTrue(o.dynamic());
        assertEquals("int8", o.precision());
        assertEquals(16, o.calibrationBatch());
    }

    @Test
    void badValuesAreRejectedWithTheKey() {
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().fraction(0).build()).getMessage().contains("fraction=0.0 must be in (0, 1]"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().fraction(1.5).build()).getMessage().contains("fraction"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().format("tflite").build()).getMessage().contains("format=tflite"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().int8(true).quant("fp8").build()).getMessage().contains("quant=fp8"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().format("onnx").int8(true).quant("implicit").build())
                .getMessage().contains("quant=implicit"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().device("dla:x").build()).getMessage().contains("dla:0"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().device("cpu").build()).getMessage().contains("device=cpu"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().imgsz(300).build()).getMessage().contains("multiple of 32"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().workspace(-1.0).build()).getMessage().contains("workspace"));
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().calibrator("percentile9").build()).getMessage().contains("calibrator"));
    }

    @Test
    void quantDefaultsToImplicitForEnginesAndQdqForOnnx() {
        assertEquals("implicit", ExportOptions.builder().int8(true).build().quant());
        assertEquals("qdq", ExportOptions.builder(Map.of("format", "onnx", "int8", "true")).build().quant());
        ExportOptions q = ExportOptions.builder(Map.of("int8", "true", "quant", "QDQ", "opt_level", "1")).build();
        assertEquals("qdq", q.quant());
        assertEquals(1, q.optimizationLevel());
        assertEquals("int8-qdq", q.variant());
        assertEquals("qdq", q.args(640).get("quant"));
        assertEquals(1, q.args(640).get("opt_level"));
        // The placement rules are part of a Q/DQ engine's arguments, so an engine of older rules is not reused.
        assertEquals(11, q.args(640).get("qdq_placement"));
        assertFalse(ExportOptions.builder().int8(true).build().args(640).containsKey("qdq_placement"));
        // The level names cached engines apart, also outside INT8.
        assertEquals(Map.of("opt_level", 2), ExportOptions.builder().half(true).optimizationLevel(2).build().tuning());
        // TensorRT's own level by default for the flag-built networks: levels 1 and 2 built 4.7-6.2 % slower FP16 engines on
        // an H200; level 2 for the strongly typed FP16 network, 0.4 % slower than its level 3 and built in 83 s (docs/int8.md).
        assertEquals(null, ExportOptions.builder().build().optimizationLevel());
        assertEquals(null, ExportOptions.builder().build().builderLevel());
        assertEquals(null, ExportOptions.builder().half(true).stronglyTyped(false).build().builderLevel());
        assertEquals(null, ExportOptions.builder().int8(true).build().builderLevel());
        ExportOptions half = ExportOptions.builder(Map.of("half", "true")).build();
        assertTrue(half.stronglyTyped());
        assertEquals(2, half.builderLevel());
        assertEquals(2, half.args(640).get("opt_level"));
        assertEquals(true, half.args(640).get("strongly_typed"));
        assertEquals(3, ExportOptions.builder(Map.of("half", "true", "opt_level", "3")).build().builderLevel());
        assertFalse(ExportOptions.builder(Map.of("half", "true", "strongly_typed", "false")).build().stronglyTyped());
        assertFalse(ExportOptions.builder(Map.of("half", "true", "device", "dla:0")).build().stronglyTyped());
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder(Map.of("opt_level", "6")).build()).getMessage().contains("opt_level"));
    }

    @Test
    void variantsNameEnginesApart() {
        assertEquals("fp16+nms", ExportOptions.builder().half(true).nms(true).build().variant());
        assertEquals("int8", ExportOptions.builder().int8(true).build().variant());
        assertEquals("int8-percentile", ExportOptions.builder().int8(true).calibrator("percentile").build().variant());
        assertEquals(0.25, ExportOptions.builder().nms(true).build().args(640).get("conf"));
    }

    @Test
    void deviceNamesDla() {
        assertEquals(1, ExportOptions.builder().device("dla:1").build().dlaCore());
        assertEquals(-1, ExportOptions.builder().device("0").build().dlaCore());
        assertEquals(-1, ExportOptions.builder().build().dlaCore());
    }

    @Test
    void timingCacheKeysSeparateGpuAndTensorRt() {
        String k = TimingCache.key("NVIDIA H100 80GB HBM3 (sm_90)", "10.6.0");
        assertEquals("nvidia-h100-80gb-hbm3-sm-90_trt10.6.0", k);
        assertFalse(k.equals(TimingCache.key("NVIDIA A100-SXM4-80GB (sm_80)", "10.6.0")));
        assertFalse(k.equals(TimingCache.key("NVIDIA H100 80GB HBM3 (sm_90)", "10.7.0")));
        assertTrue(TimingCache.file(java.nio.file.Path.of("/c"), k).toString().endsWith("/c/timing/" + k + ".cache"));
    }

    @Test
    void int8TuningKnobs() {
        var e = assertThrows(YoloException.class, () -> ExportOptions.builder().fp16Layers("/model\\.22/").build());
        assertTrue(e.getMessage().contains("add int8=True"), e.getMessage());
        e = assertThrows(YoloException.class, () -> ExportOptions.builder().int8(true).fp16Layers("(").build());
        assertTrue(e.getMessage().startsWith("fp16_layers=( is not a valid regular expression"), e.getMessage());
        assertTrue(assertThrows(YoloException.class, () -> ExportOptions.builder().calibBatch(0).build()).getMessage().contains("calib_batch=0"));
        ExportOptions o = ExportOptions.builder(Map.of("int8", "true", "batch", "4", "calib_batch", "2", "split", "train",
                "fp16_layers", "/model\\.0/")).build();
        assertEquals(2, o.calibrationBatch());
        assertEquals("train", o.split());
        assertEquals("/model\\.0/", o.args(640).get("fp16_layers"));
        assertEquals(o, o.toBuilder().build());
        assertEquals(8, ExportOptions.builder().batch(4).build().calibrationBatch());
    }
}
