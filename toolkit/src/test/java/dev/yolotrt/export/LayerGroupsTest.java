package dev.yolotrt.export;

import dev.yolotrt.pt.Checkpoint;
import dev.yolotrt.pt.OnnxWriter;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.testutil.TinyOnnx;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerGroupsTest {

    @Test
    void yolov8nBlocks() {
        LayerGroups g = LayerGroups.of(Shared.model("yolov8n.onnx"));
        assertEquals(List.of("stem", "backbone", "neck", "head", "head box", "head cls"), g.groups().stream().map(LayerGroups.Group::name).toList());
        // model.0 is Conv(3, 16, k=3) with BatchNorm folded in: 16·3·3·3 weights + 16 biases; Conv, Sigmoid, Mul (SiLU).
        assertEquals(448, g.get("stem").params());
        assertEquals(3, g.get("stem").nodes());
        // YOLOv8n's backbone ends with SPPF (model.9); the neck starts with the first Upsample (model.10); Detect is model.22.
        Pattern backbone = Pattern.compile(g.get("backbone").regex());
        assertTrue(backbone.matcher("/model.9/cv2/conv/Conv").find());
        assertFalse(backbone.matcher("/model.10/Resize").find());
        assertFalse(backbone.matcher("/model.0/conv/Conv").find());
        Pattern neck = Pattern.compile(g.get("neck").regex());
        assertTrue(neck.matcher("/model.10/Resize").find() && neck.matcher("/model.21/m.0/cv2/conv/Conv").find());
        assertFalse(neck.matcher("/model.22/cv2.0/cv2.0.0/conv/Conv").find());
        assertTrue(Pattern.compile(g.get("head box").regex()).matcher("/model.22/dfl/conv/Conv").find());
        assertTrue(Pattern.compile(g.get("head cls").regex()).matcher("/model.22/cv3.2/cv3.2.2/Conv").find());
        // The four disjoint blocks hold every weight: Ultralytics reports 3,151,904 parameters for fused yolov8n.
        long all = g.get("stem").params() + g.get("backbone").params() + g.get("neck").params() + g.get("head").params();
        assertTrue(all >= 3_151_904 && all < 3_200_000, "weights " + all);
        assertTrue(g.get("head box").params() + g.get("head cls").params() <= g.get("head").params());
        Table t = g.table();
        assertEquals(6, t.rowCount());
    }

    /** The .pt converter names nodes as Ultralytics' export does, so both give the same blocks with the same weights and convolutions. */
    @Test
    void convertedPtGroupsLikeUltralyticsExport() {
        byte[] converted;
        try (Checkpoint c = Checkpoint.read(Shared.model("yolov8n.pt"))) {
            converted = OnnxWriter.write(c, 640);
        }
        LayerGroups ours = LayerGroups.of(converted, "yolov8n.pt");
        LayerGroups theirs = LayerGroups.of(Shared.model("yolov8n.onnx"));
        assertEquals(theirs, ours);
        assertEquals(convs(OnnxFiles.read(Shared.model("yolov8n.onnx"))), convs(converted));
    }

    /** The names of the Conv nodes, in graph order. */
    private static List<String> convs(byte[] onnx) {
        return OnnxFiles.parse(onnx, "model").getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv"))
                .map(n -> n.getName()).toList();
    }

    @Test
    void moduleIndexFromNames() {
        assertEquals(22, LayerGroups.module("/model.22/cv2.0/cv2.0.0/conv/Conv_output_0"));
        assertEquals(0, LayerGroups.module("/model.0/conv/Conv"));
        assertEquals(null, LayerGroups.module("output0"));
    }

    @Test
    void foreignGraphIsOneLine(@TempDir Path tmp) throws Exception {
        byte[] tiny = Files.readAllBytes(TinyOnnx.identity(tmp.resolve("tiny.onnx"), 1, 3));
        var e = assertThrows(YoloException.class, () -> LayerGroups.of(tiny, "tiny.onnx"));
        assertTrue(e.getMessage().startsWith("tiny.onnx does not have Ultralytics' /model.N/ layer names"), e.getMessage());
        assertTrue(assertThrows(YoloException.class, () -> LayerGroups.of(new byte[] {1, 2, 3}, "x.onnx")).getMessage().startsWith("x.onnx is not an ONNX model"));
    }
}
