package dev.yolotrt.model;

import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.testutil.TinyOnnx;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class YoloLoadTest {

    @Test
    void readsUltralyticsMetadata() {
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings())) {
            ModelMetadata md = m.metadata();
            assertEquals("detect", md.task().id());
            assertEquals(32, md.stride());
            assertEquals(1, md.batch());
            assertArrayEquals(new int[] {640, 640}, md.imgsz());
            assertEquals(80, md.nc());
            assertEquals("person", md.name(0));
            assertEquals("bus", md.name(5));
            assertEquals("toothbrush", md.name(79));
            assertTrue(md.author().contains("Ultralytics"), md.author());
            assertFalse(m.backend().dynamicBatch());
        }
    }

    @Test
    void dynamicModelHasADynamicBatch() {
        try (Yolo m = Yolo.load("yolov8n-dynamic.onnx", Shared.settings())) {
            assertTrue(m.backend().dynamicBatch());
            assertEquals(Integer.MAX_VALUE, m.backend().maxBatch());
        }
    }

    @Test
    void parsesPythonDictNames() {
        assertEquals(List.of("person", "it's", "a \"b\""), ModelMetadata.parseNames("{0: 'person', 1: \"it's\", 2: 'a \"b\"'}"));
        assertEquals(List.of("a", "1", "c"), ModelMetadata.parseNames("{0: 'a', 2: 'c'}"));
    }

    @Test
    void missingModelSaysWhereToPutIt(@TempDir Path dir) {
        Settings s = Settings.from(Map.of(Settings.MODELS, dir.toString()));
        YoloException e = assertThrows(YoloException.class, () -> Yolo.load("yolov9z.onnx", s));
        assertTrue(e.getMessage().contains("yolov9z.onnx not found"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("YOLO_TRT_MODELS"), e.getMessage());
    }

    @Test
    void aFolderAsModelSaysSo(@TempDir Path dir) {
        YoloException e = assertThrows(YoloException.class, () -> Yolo.load(dir, Settings.from(Map.of(Settings.CACHE, dir.toString()))));
        assertEquals(dir + " is a folder; give model= a model file (.pt, .onnx or .engine)", e.getMessage());
    }

    @Test
    void anEmptyOnnxFileIsOneLineWithoutOnnxRuntimesWords(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.onnx"));
        YoloException e = assertThrows(YoloException.class, () -> Yolo.load(empty, Settings.from(Map.of(Settings.CACHE, dir.toString()))));
        assertEquals(empty + " is not an ONNX model: it holds no graph (0 bytes); make it again from its checkpoint: yolo-trt export model=empty.pt "
                + "format=onnx (or Ultralytics' yolo export)", e.getMessage());
    }

    @Test
    void aFileThatIsNotOnnx(@TempDir Path dir) throws Exception {
        Path bogus = Files.writeString(dir.resolve("model.onnx"), "this is not a protobuf");
        YoloException e = assertThrows(YoloException.class, () -> Yolo.load(bogus, Settings.from(Map.of(Settings.CACHE, dir.toString()))));
        assertTrue(e.getMessage().startsWith(bogus + " is not a readable ONNX model"), e.getMessage());
        assertTrue(e.getMessage().endsWith("make it again from its checkpoint: yolo-trt export model=model.pt format=onnx (or Ultralytics' yolo export)"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void anOnnxThatIsNotYolo(@TempDir Path dir) throws Exception {
        Path identity = TinyOnnx.identity(dir.resolve("identity.onnx"), 1, 3, 8, 8);
        YoloException e = assertThrows(YoloException.class, () -> Yolo.load(identity, Settings.from(Map.of(Settings.CACHE, dir.toString()))));
        assertTrue(e.getMessage().contains("has no Ultralytics metadata and is not a detect model"), e.getMessage());
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]"), e.getMessage());
    }
}
