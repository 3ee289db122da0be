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
        // A yes/no key alone is true (yolo predict show); any other bare word is refused.
        assertTrue(Cfg.parse(List.of("save", "half")).bool("half"));
        assertTrue(Cfg.parse(List.of("save")).bool("save"));
        assertTrue(assertThrows(YoloException.class, () -> Cfg.parse(List.of("conf"))).getMessage().startsWith("'conf' is not key=value"));
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

    /** Defaults, then the mode's, then the user's: conf per mode, save per caller (Ultralytics' CLI saves, its Python API does not). */
    @Test
    void modesLayerTheirDefaultsUnderTheUsersValues() {
        Cfg none = Cfg.empty();
        assertNull(none.get("conf"), "the table's conf is None: each mode has its own");
        assertEquals(0.25, none.forMode(Cfg.Mode.PREDICT, Cfg.Caller.API).number("conf"));
        assertEquals(0.1, none.forMode(Cfg.Mode.TRACK, Cfg.Caller.API).number("conf"));
        assertEquals(0.001, none.forMode(Cfg.Mode.VAL, Cfg.Caller.API).number("conf"));
        assertEquals(0.25, none.forMode(Cfg.Mode.EXPORT, Cfg.Caller.API).number("conf"));
        assertEquals(true, none.forMode(Cfg.Mode.PREDICT, Cfg.Caller.CLI).bool("save"));
        assertEquals(false, none.forMode(Cfg.Mode.PREDICT, Cfg.Caller.API).bool("save"));
        assertEquals(true, none.forMode(Cfg.Mode.TRACK, Cfg.Caller.CLI).bool("save"));
        assertEquals(false, none.forMode(Cfg.Mode.TRACK, Cfg.Caller.API).bool("save"));
        assertEquals(true, none.forMode(Cfg.Mode.VAL, Cfg.Caller.API).bool("save"), "val saves its plots, as Ultralytics'");
        Cfg user = Cfg.of(Map.of("conf", 0.6, "save", true));
        assertEquals(0.6, user.forMode(Cfg.Mode.VAL, Cfg.Caller.API).number("conf"));
        assertEquals(true, user.forMode(Cfg.Mode.PREDICT, Cfg.Caller.API).bool("save"));
        // A mode layered first stays: predict's builder over track's configuration keeps track's conf.
        Cfg track = none.forMode(Cfg.Mode.TRACK, Cfg.Caller.API);
        assertEquals(0.1, PredictOptions.builder().apply(track).build().conf());
        assertEquals(0.001, dev.yolotrt.val.ValOptions.defaults().conf());
        // conf=None (Ultralytics' spelling of "unset") is the mode's.
        assertEquals(0.25, Cfg.parse(List.of("conf=None")).forMode(Cfg.Mode.PREDICT, Cfg.Caller.CLI).number("conf"));
        assertEquals(0.001, dev.yolotrt.val.ValOptions.of(Map.of("conf", "None")).conf());
    }
}
