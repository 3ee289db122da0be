package dev.yolotrt.cfg;

import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CfgTest {

    @Test
    void parsesTypedValuesAndKeepsDefaults() {
        Cfg c = Cfg.parse(List.of("conf=0.5", "imgsz=320", "classes=[0, 2]", "half=True", "workspace=None"));
        assertEquals(0.5, c.number("conf"));
        assertEquals(List.of(320), c.ints("imgsz"));
        assertEquals(List.of(0, 2), c.ints("classes"));
        assertTrue(c.bool("half"));
        assertNull(c.get("workspace"));
        assertEquals(0.7, c.number("iou"));
        assertEquals(300, c.integer("max_det"));
        assertEquals("coco8.yaml", c.string("data"));
    }

    @Test
    void unknownKeySuggestsTheClosestAndListsAll() {
        YoloException e = assertThrows(YoloException.class, () -> Cfg.parse(List.of("confidence=0.5")));
        assertTrue(e.getMessage().startsWith("'confidence' is not a valid option"), e.getMessage());
        assertTrue(e.getMessage().contains("Valid keys: model, task, source"), e.getMessage());
        YoloException typo = assertThrows(YoloException.class, () -> Cfg.of(Map.of("max_dett", 3)));
        assertTrue(typo.getMessage().contains("did you mean 'max_det'"), typo.getMessage());
    }

    @Test
    void badValuesNameKeyAndExpectation() {
        YoloException e = assertThrows(YoloException.class, () -> Cfg.parse(List.of("batch=eight")));
        assertEquals("bad value batch=eight: expected an integer (batch size (export: the largest batch the engine takes))", e.getMessage());
        assertThrows(YoloException.class, () -> Cfg.parse(List.of("half=maybe")));
        assertThrows(YoloException.class, () -> Cfg.parse(List.of("noequals")));
        assertThrows(YoloException.class, () -> Cfg.of(Map.of("batch", 2.5)));
    }

    @Test
    void optionsFromMapsAndBuildersAgree() {
        PredictOptions a = PredictOptions.builder(Map.of("conf", "0.4", "imgsz", "480,640", "agnostic_nms", true)).build();
        PredictOptions b = PredictOptions.builder().conf(0.4).imgsz(480, 640).agnosticNms(true).build();
        assertEquals(a.conf(), b.conf());
        assertArrayEquals(a.imgsz(), b.imgsz());
        assertEquals(a.agnosticNms(), b.agnosticNms());
        assertEquals(0.25, PredictOptions.defaults().conf());
        assertThrows(YoloException.class, () -> PredictOptions.builder().conf(1.5).build());
    }
}
