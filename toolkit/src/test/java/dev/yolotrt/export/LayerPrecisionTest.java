package dev.yolotrt.export;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine inspector's JSON read on the CPU, from a handwritten sample in TensorRT 10's detailed format. */
class LayerPrecisionTest {

    static String sample() throws Exception {
        return report("inspector-yolov8n-int8.json");
    }

    private static String report(String name) throws Exception {
        try (InputStream in = LayerPrecisionTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void layersWithPrecisionAndFusedNodes() throws Exception {
        LayerPrecision lp = LayerPrecision.parse(sample());
        assertEquals(9, lp.layers().size());
        LayerPrecision.Layer stem = lp.layers().get(1);
        assertEquals("CaskConvolution", stem.type());
        assertEquals("INT8", stem.precision());
        assertEquals(List.of("/model.0/conv/Conv", "/model.0/act/Sigmoid", "/model.0/act/Mul"), stem.nodes());
        assertEquals("FP16", lp.layers().get(2).precision());
        assertEquals("FP32", lp.layers().get(8).precision());
        assertEquals("FP32", LayerPrecision.precision("Row major linear FP32"));
        assertEquals("INT8", LayerPrecision.precision("Thirty-two wide channel vectorized row major Int8 format"));
        assertEquals("FP16", LayerPrecision.precision("Channel major FP16 format where channel % 8 == 0"));
    }

    @Test
    void tablePerBlock() throws Exception {
        LayerPrecision lp = LayerPrecision.parse(sample());
        Table t = lp.table(LayerGroups.of(Shared.model("yolov8n.onnx")));
        // stem: the input reformat and the INT8 conv; backbone: model.1 in FP16; neck: a concat copy and model.12 in INT8;
        // head box: cv2.0.0 (INT8) and the DFL conv (FP32); head cls: cv3.0.2 in FP16; head: the sigmoid in FP32.
        assertEquals(List.of("stem", "backbone", "neck", "head box", "head cls", "head"), t.stringColumn("Block").asList());
        assertEquals(List.of(1, 0, 1, 1, 0, 0), t.intColumn("INT8").asList());
        assertEquals(List.of(0, 1, 0, 0, 1, 0), t.intColumn("FP16").asList());
        assertEquals(List.of(0, 0, 0, 1, 0, 1), t.intColumn("FP32").asList());
        assertEquals(List.of(1, 0, 1, 0, 0, 0), t.intColumn("Reformat").asList());
        assertEquals(9, lp.layerTable(LayerGroups.of(Shared.model("yolov8n.onnx"))).rowCount());
    }

    /** Acceptance 3, CPU half: the warning fires when TensorRT ran a layer in another precision than asked. */
    @Test
    void warningsWhenAPrecisionRequestWasOverridden() throws Exception {
        LayerPrecision lp = LayerPrecision.parse(sample());
        // The head asked in FP16: cv2.0.0 ran INT8 anyway; model.1's conv ran FP16 though nothing asked it.
        List<String> w = lp.warnings("^/model\\.22/");
        assertEquals(2, w.size(), w.toString());
        assertTrue(w.get(0).contains("/model.1/conv/Conv") && w.get(0).contains("ran FP16"), w.get(0));
        assertTrue(w.get(1).contains("/model.22/cv2.0/cv2.0.0/conv/Conv") && w.get(1).contains("fp16_layers=^/model\\.22/")
                && w.get(1).endsWith("but ran INT8"), w.get(1));
        // Without fp16_layers: model.1 and the head's cv3.0.2 should have been INT8; the DFL conv stays float by design.
        List<String> none = lp.warnings(null);
        assertEquals(2, none.size(), none.toString());
        assertTrue(none.get(1).contains("/model.22/cv3.0/cv3.0.2/Conv"), none.toString());
        // A layer the builder pinned to FP16 (a Q/DQ first stage), as the export saves it into the JSON: FP16 is as
        // asked, INT8 is a warning of its own.
        assertEquals(Set.of(), lp.pinned());
        assertTrue(pinned(lp, "/model.1/conv/Conv").warnings(null).stream().noneMatch(x -> x.contains("/model.1/conv/Conv")));
        List<String> int8 = pinned(lp, "/model.22/cv2.0/cv2.0.0/conv/Conv").warnings(null);
        assertTrue(int8.stream().anyMatch(x -> x.contains("/model.22/cv2.0/cv2.0.0/conv/Conv") && x.contains("pinned to FP16") && x.endsWith("but ran INT8")),
                int8.toString());
        // TensorRT may relax the pin (obey, then prefer): a pinned layer that ran FP32 is a warning too.
        List<String> fp32 = pinned(lp, "/model.22/dfl/conv/Conv").warnings(null);
        assertTrue(fp32.stream().anyMatch(x -> x.contains("/model.22/dfl/conv/Conv") && x.contains("pinned to FP16") && x.endsWith("but ran FP32")),
                fp32.toString());
    }

    /**
     * A real report (H200, TensorRT 10.6, twelfth run): the Q/DQ yolov8n engine with the backbone asked in FP16. TensorRT
     * fuses the neck's input DequantizeLinear, named after the backbone tensor it reads, into the neck's Resize: that
     * layer is the neck's and ran INT8 as asked, so it neither counts in the backbone nor warns.
     */
    @Test
    void qdqNodesFusedIntoALayerDoNotMoveItToAnotherBlock() throws Exception {
        LayerPrecision lp = LayerPrecision.parse(report("inspector-yolov8n-qdq-backbone-fp16.json"));
        LayerGroups groups = LayerGroups.of(Shared.model("yolov8n.onnx"));
        LayerPrecision.Layer resize = lp.layers().stream().filter(l -> l.name().equals("/model.10/Resize")).findFirst().orElseThrow();
        assertEquals(List.of("/model.10/Resize", "/model.9/cv2/act/Mul_output_0_DequantizeLinear", "/model.10/Resize_output_0_QuantizeLinear"),
                resize.nodes());
        assertEquals("INT8", resize.precision());
        assertEquals("neck", LayerPrecision.block(resize, groups));
        String backbone = groups.get("backbone").regex();
        assertEquals(List.of(), lp.warnings(backbone));
        // So do the head's first convolutions, whose input DequantizeLinear is named after the neck tensor they read.
        Table t = lp.table(groups);
        assertEquals(List.of("stem", "backbone", "neck", "head box", "head cls", "head"), t.stringColumn("Block").asList());
        assertEquals(List.of(0, 0, 20, 9, 9, 0), t.intColumn("INT8").asList(), t.printAll());
        assertEquals(85, t.intColumn("FP16").get(1), t.printAll());
        // The same engine read as if nothing had been asked: the backbone's convolutions did not run INT8.
        assertTrue(lp.warnings(null).stream().anyMatch(w -> w.contains("/model.6/cv1/conv/Conv") && w.endsWith("was meant to run INT8 but ran FP16")),
                lp.warnings(null).toString());
    }

    /** The report with {@code layer} pinned, read back from the JSON an export saves. */
    private static LayerPrecision pinned(LayerPrecision lp, String layer) throws Exception {
        LayerPrecision read = LayerPrecision.parse(LayerPrecision.withPinned(sample(), Set.of(layer)));
        assertEquals(lp.layers(), read.layers());
        assertEquals(Set.of(layer), read.pinned());
        return read;
    }

    @Test
    void notJsonIsOneLine(@TempDir Path tmp) throws Exception {
        assertTrue(assertThrows(YoloException.class, () -> LayerPrecision.parse("Layers: none")).getMessage().startsWith("the engine inspector"));
        assertTrue(assertThrows(YoloException.class, () -> LayerPrecision.parse("{\"Bindings\": []}")).getMessage().contains("no Layers"));
        Path engine = tmp.resolve("m.engine");
        assertTrue(assertThrows(YoloException.class, () -> LayerPrecision.of(engine)).getMessage().contains("m.layers.json"));
        Files.writeString(tmp.resolve("m.layers.json"), sample());
        assertEquals(9, LayerPrecision.of(engine).layers().size());
        // A damaged report: one line naming the file and what to do.
        Files.writeString(tmp.resolve("m.layers.json"), "{\"Layers\": [");
        String damaged = assertThrows(YoloException.class, () -> LayerPrecision.of(engine)).getMessage();
        assertTrue(damaged.contains("m.layers.json") && damaged.contains("not JSON") && damaged.endsWith("export the engine again to write it anew")
                && !damaged.contains("\n"), damaged);
    }
}
