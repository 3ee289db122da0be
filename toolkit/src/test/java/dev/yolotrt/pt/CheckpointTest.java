package dev.yolotrt.pt;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ultralytics checkpoints read as data through the allow-list: tasks, state-dict names, shapes and FP16
 * values (against yolov8n.onnx's initializers, made from the same weights); foreign pickles, truncated
 * zips and oversized shapes are refused in one line.
 */
class CheckpointTest {

    @Test
    void readsTheFourCheckpoints() {
        Map<String, String> tasks = Map.of("yolov8n.pt", "detect", "yolo11n-cls-dogcat.pt", "classify", "yolov8n-cls-waste.pt", "classify",
                "yolov8n-obb-dota8.pt", "obb");
        tasks.forEach((file, task) -> {
            try (Checkpoint c = Checkpoint.read(Shared.model(file))) {
                assertEquals(task, c.task(), file);
                assertTrue(c.stateDict().size() > 50, file + ": " + c.stateDict().size() + " tensors");
            }
        });
    }

    @Test
    void aCheckpointThatCannotBeConvertedSaysWhatItIsAndWhatToDo(@TempDir Path tmp) throws Exception {
        // {'model': SegmentationModel()} as a protocol-2 pickle: enough to be told apart, no modules to convert.
        Path seg = zip(tmp.resolve("yolo11n-seg.pt"), "yolo11n-seg/data.pkl",
                java.util.HexFormat.of().parseHex("80027d58050000006d6f64656c63756c7472616c79746963732e6e6e2e7461736b730a5365676d656e746174696f6e4d6f64656c0a29817d62732e"));
        var settings = dev.yolotrt.util.Settings.from(Map.of(dev.yolotrt.util.Settings.CACHE, tmp.toString()));
        YoloException e = assertThrows(YoloException.class, () -> dev.yolotrt.model.Yolo.load(seg, settings));
        assertEquals("yolo11n-seg.pt (an Ultralytics segment checkpoint) cannot be converted in Java: module"
                + " ultralytics.nn.tasks.SegmentationModel holds no submodules. Export it once with `yolo export model=yolo11n-seg.pt"
                + " format=onnx` and load the .onnx", e.getMessage());
    }

    @Test
    void yolov8nWeightsAreTheOnnxWeights() throws Exception {
        var graph = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(Shared.model("yolov8n.onnx"))).getGraph();
        Map<String, float[]> onnx = new java.util.HashMap<>();
        for (var t : graph.getInitializerList()) {
            if (t.getFloatDataCount() > 0) {
                float[] v = new float[t.getFloatDataCount()];
                for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
                onnx.put(t.getName(), v);
            } else if (!t.getRawData().isEmpty()) {
                var b = t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                float[] v = new float[b.remaining()];
                b.get(v);
                onnx.put(t.getName(), v);
            }
        }
        try (Checkpoint c = Checkpoint.read(Shared.model("yolov8n.pt"))) {
            var sd = c.stateDict();
            var w = sd.get("model.0.conv.weight");
            assertArrayEquals(new long[] {16, 3, 3, 3}, w.shape());
            assertEquals("half", w.dtype());
            float[] ours = w.floats();
            float[] theirs = onnx.get("model.0.conv.weight");
            assertEquals(theirs.length, ours.length, "ONNX initializer names: " + onnx.keySet().stream().limit(5).toList());
            for (int i = 0; i < ours.length; i++) assertEquals(theirs[i], ours[i], Math.abs(theirs[i]) * 1e-3 + 1e-4, "weight " + i);
        }
    }

    @Test
    void foreignPicklesTruncatedZipsAndHugeShapesAreOneLine(@TempDir Path tmp) throws Exception {
        // A pickle that would call os.system('echo pwned') if it were run: GLOBAL os system, args, REDUCE.
        byte[] evil = java.util.HexFormat.of().parseHex("8002636f730a73797374656d0a7100580a0000006563686f2070776e656471018571025271032e");
        Path p = zip(tmp.resolve("evil.pt"), "evil/data.pkl", evil);
        YoloException e = assertThrows(YoloException.class, () -> Checkpoint.read(p));
        assertTrue(e.getMessage().contains("it asks for os.system, which is not on the checkpoint allow-list"), e.getMessage());

        byte[] whole = Files.readAllBytes(Shared.model("yolov8n.pt"));
        Path cut = Files.write(tmp.resolve("cut.pt"), java.util.Arrays.copyOf(whole, whole.length / 2));
        YoloException t = assertThrows(YoloException.class, () -> Checkpoint.read(cut));
        assertTrue(t.getMessage().startsWith(cut.toString()), t.getMessage());

        Path text = Files.writeString(tmp.resolve("text.pt"), "not a zip");
        assertTrue(assertThrows(YoloException.class, () -> Checkpoint.read(text)).getMessage().contains("not a PyTorch checkpoint"));

        // A storage claiming 2^40 elements.
        byte[] huge = java.util.HexFormat.of().parseHex("800228580700000073746f72616765710063746f7263680a48616c6653746f726167650a71015801000000307102580300000063707571038a06000000000001747104512e");
        Path h = zip(tmp.resolve("huge.pt"), "huge/data.pkl", huge);
        YoloException he = assertThrows(YoloException.class, () -> Checkpoint.read(h));
        assertTrue(he.getMessage().contains("out of range"), he.getMessage());
    }

    private static Path zip(Path file, String entry, byte[] data) throws Exception {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            z.putNextEntry(new ZipEntry(entry));
            z.write(data);
        }
        return file;
    }
}
