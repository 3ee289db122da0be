package dev.yolotrt.export;

import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EngineFileTest {

    /** The header exactly as Ultralytics' exporter writes it: length (uint32 LE), JSON, then the plan. */
    @Test
    void readsAHandMadeUltralyticsEngine(@TempDir Path tmp) throws Exception {
        String json = "{\"description\": \"Ultralytics YOLOv8n model trained on coco.yaml\", \"author\": \"Ultralytics\", "
                + "\"date\": \"2024-01-01T00:00:00\", \"version\": \"8.1.0\", \"license\": \"AGPL-3.0\", \"stride\": 32, "
                + "\"task\": \"detect\", \"batch\": 4, \"imgsz\": [320, 320], \"names\": {\"0\": \"person\", \"1\": \"bicycle\", \"2\": \"car\"}, "
                + "\"args\": {\"batch\": 4, \"half\": true, \"int8\": false, \"dynamic\": true, \"nms\": false}}";
        byte[] meta = json.getBytes(StandardCharsets.UTF_8);
        byte[] plan = {'f', 't', 'r', 't', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(meta.length).array());
        out.write(meta);
        out.write(plan);
        Path f = Files.write(tmp.resolve("yolov8n.engine"), out.toByteArray());

        EngineFile e = EngineFile.read(f);
        assertArrayEquals(plan, e.plan());
        ModelMetadata m = e.modelMetadata();
        assertEquals(List.of("person", "bicycle", "car"), m.names());
        assertEquals(4, m.batch());
        assertArrayEquals(new int[] {320, 320}, m.imgsz());
        assertEquals("detect", m.task().id());
        assertEquals(true, m.args().get("half"));
        assertEquals("8.1.0", m.version());
    }

    @Test
    void writeThenReadRoundTrips(@TempDir Path tmp) throws Exception {
        ModelMetadata src = new ModelMetadata("d", "Ultralytics", "x", "8.0.175", dev.yolotrt.task.Task.DETECT, 32, 1, new int[] {640, 640},
                List.of("person", "bus"), Map.of(), null);
        byte[] plan = new byte[1000];
        new java.util.Random(3).nextBytes(plan);
        Path f = EngineFile.write(tmp.resolve("a.engine"), EngineFile.metadata(src, 8, 640, new ExportOptions.Builder().half(true).batch(8).build().args(640), Map.of("tensorrt", "10.6.0")), plan);
        EngineFile back = EngineFile.read(f);
        assertArrayEquals(plan, back.plan());
        ModelMetadata m = back.modelMetadata();
        assertEquals(List.of("person", "bus"), m.names());
        assertEquals(8, m.batch());
        assertEquals(true, m.args().get("half"));
        assertEquals(Map.of("0", "person", "1", "bus"), back.metadata().get("names"));
        try (var s = java.nio.file.Files.list(tmp)) {
            assertEquals(1, s.count()); // the temporary file is gone
        }
    }

    @Test
    void aBarePlanHasNoMetadata(@TempDir Path tmp) throws Exception {
        byte[] plan = new byte[256];
        new java.util.Random(5).nextBytes(plan);
        plan[4] = 'x';
        EngineFile e = EngineFile.read(Files.write(tmp.resolve("bare.plan"), plan));
        assertNull(e.metadata());
        assertNull(e.modelMetadata());
        assertArrayEquals(plan, e.plan());
    }

    @Test
    void tooSmallIsNotAnEngine(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(tmp.resolve("x.engine"), "hello");
        YoloException ex = assertThrows(YoloException.class, () -> EngineFile.read(f));
        assertTrue(ex.getMessage().contains("is not a TensorRT engine"), ex.getMessage());
    }
}
