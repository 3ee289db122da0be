package dev.yolotrt.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.testutil.LogLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The notebooks execute headlessly top to bottom, with the outputs a reader expects. */
class NotebookRunnerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode run(Path in, Path out) throws Exception {
        dev.yolotrt.testutil.Shared.require(); // the notebooks load models and images

        NotebookRunner.Report r = NotebookRunner.run(in, out);
        assertTrue(r.ok(), String.valueOf(r.error()));
        return JSON.readTree(out.toFile());
    }

    static List<String> mimeTypes(JsonNode cell) {
        List<String> out = new ArrayList<>();
        cell.path("outputs").forEach(o -> o.path("data").fieldNames().forEachRemaining(out::add));
        return out;
    }

    /** The cells of notebooks/{@code name} executed here; the test is skipped where a GPU would take the TensorRT path. */
    static JsonNode runWithoutGpu(String name, Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(dev.yolotrt.backend.TensorRt.available(), "a GPU is present");
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        return run(repo.resolve("notebooks").resolve(name), tmp.resolve(name)).get("cells");
    }

    /** How many outputs of all {@code cells} carry {@code mime}. */
    static long count(JsonNode cells, String mime) {
        long n = 0;
        for (JsonNode c : cells) n += mimeTypes(c).stream().filter(mime::equals).count();
        return n;
    }

    @Test
    void quickstartShowsTheAnnotatedBusAndTables(@TempDir Path tmp) throws Exception {
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        JsonNode nb = run(repo.resolve("notebooks/01-quickstart.ipynb"), tmp.resolve("01.ipynb"));
        JsonNode cells = nb.get("cells");
        JsonNode busCell = null, tableCell = null, valCell = null;
        for (JsonNode c : cells) {
            String src = c.path("source").toString();
            if (src.contains("var bus = ")) busCell = c;
            if (src.contains("bus.table()")) tableCell = c;
            if (src.contains("model.val(")) valCell = c;
        }
        assertTrue(mimeTypes(busCell).contains("image/png"), busCell.toString());
        String png = busCell.get("outputs").get(0).get("data").get("image/png").asText();
        assertTrue(java.util.Base64.getDecoder().decode(png).length > 50_000, "an annotated photo, not a blank");
        assertTrue(mimeTypes(tableCell).contains("text/html"));
        assertTrue(tableCell.toString().contains("4 persons, 1 bus"), tableCell.toString());
        assertTrue(mimeTypes(valCell).contains("text/html"));
        assertTrue(valCell.toString().contains("0.609"), "mAP50-95 of yolov8n on coco8 (Ultralytics: 0.60923)");
        long displays = 0;
        for (JsonNode c : cells) for (JsonNode o : c.path("outputs")) if (o.path("output_type").asText().equals("display_data")) displays++;
        assertTrue(displays >= 2, "the loop cell displays two images");
    }

    @Test
    void benchmarkNotebookShowsTablesAndCharts(@TempDir Path tmp) throws Exception {
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        JsonNode cells = run(repo.resolve("notebooks/04-benchmark-and-map.ipynb"), tmp.resolve("04.ipynb")).get("cells");
        // 2 latency, mAP, latency vs batch, PR, confusion, throughput, stages
        assertEquals(8, count(cells, "image/png"), "charts");
        long htmls = count(cells, "text/html");
        assertTrue(htmls >= 3, "tables: " + htmls);                // the benchmark table, the metrics, the throughput
        assertTrue(cells.toString().contains("pipelined (1 in flight)"), "the CPU's throughput rows");
    }

    @Test
    void tasksNotebookShowsEachTaskAndTheSummary(@TempDir Path tmp) throws Exception {
        Path repo = Path.of(System.getProperty("user.dir")).getParent();
        JsonNode cells = run(repo.resolve("notebooks/05-tasks.ipynb"), tmp.resolve("05.ipynb")).get("cells");
        assertTrue(count(cells, "image/png") >= 4, "segment, pose, classify and obb images");
        String all = cells.toString();
        for (String s : List.of("4 persons, 1 bus", "cats 0.55, dogs 0.45", "Masks of bus.jpg", "obb")) assertTrue(all.contains(s), s);
    }

    @Test
    void exportNotebookSkipsTensorRtWithoutAGpuAndStillTabulates(@TempDir Path tmp) throws Exception {
        JsonNode cells = runWithoutGpu("02-export-tensorrt.ipynb", tmp);
        String all = cells.toString();
        assertTrue(all.contains("No TensorRT GPU here"), "a clear skip line");
        JsonNode last = cells.get(cells.size() - 1);
        assertTrue(mimeTypes(last).contains("text/html"));
        assertTrue(last.toString().contains("bus 0.84"), last.toString());
    }

    @Test
    void int8TuningNotebookAnalysesOnTheCpuAndSkipsTheSweeps(@TempDir Path tmp) throws Exception {
        JsonNode cells = runWithoutGpu("03-int8-calibration-tuning.ipynb", tmp);
        String all = cells.toString();
        assertTrue(all.contains("the engine sections skip"), "a clear skip line");
        // Section 6 (what INT8 changed, on ONNX Runtime) adds its two tables and the four images where detections changed.
        assertEquals(5, count(cells, "image/png"), "the activation-range chart and section 6's four changed images");
        assertEquals(5, count(cells, "text/html"), "ranges, layer groups, the plan, per class and per size");
        assertTrue(all.contains("INT8 - FP32 mAP50-95"), "section 6's bootstrap interval");
        // The plan of section 3: implicit INT8 and Q/DQ INT8 with both ranges; the layer groups name the head by its regex.
        assertTrue(all.contains("calibrator=minmax fraction=1.0 calib_batch=16 split=train quant=qdq"), "Q/DQ with MinMax ranges in the plan");
        assertTrue(all.contains("calibrator=percentile fraction=1.0 calib_batch=16 split=train quant=qdq"), "Q/DQ with percentile ranges in the plan");
        assertTrue(all.contains("^/model\\\\.22/"), "the head's regex among the layer groups");
    }

    private static Path notebook(Path dir, String... cells) throws Exception {
        StringBuilder sb = new StringBuilder("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": [");
        for (int i = 0; i < cells.length; i++) {
            sb.append(i > 0 ? "," : "").append("{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": [], \"source\": ")
                    .append(JSON.writeValueAsString(cells[i])).append("}");
        }
        return Files.writeString(dir.resolve("t.ipynb"), sb.append("]}").toString());
    }

    @Test
    void aThrowingCellShowsTheJavaErrorAndStopsTheRun(@TempDir Path tmp) throws Exception {
        Path in = notebook(tmp, "int x = 41;\nx + 1", "throw new IllegalStateException(\"boom\");", "System.out.println(\"never\");");
        NotebookRunner.Report r = NotebookRunner.run(in, tmp.resolve("out.ipynb"));
        assertFalse(r.ok());
        assertTrue(r.error().contains("java.lang.IllegalStateException: boom"), r.error());
        JsonNode cells = JSON.readTree(tmp.resolve("out.ipynb").toFile()).get("cells");
        assertEquals("42", cells.get(0).get("outputs").get(0).get("data").get("text/plain").get(0).asText());
        assertEquals("error", cells.get(1).get("outputs").get(0).get("output_type").asText());
        assertEquals(0, cells.get(2).get("outputs").size());
    }

    /**
     * The one log sink inside a cell: info lines are the cell's standard output, as {@code System.out::println} made
     * them; a progress bar's last state its standard error, as a console shows it; the runner's own line per cell and
     * the sink it found are back after the run.
     */
    @Test
    void aCellsInfoLinesAreItsOutputAndItsBarsItsErrors(@TempDir Path tmp) throws Exception {
        Path in = notebook(tmp, "dev.yolotrt.util.Log.info(\"exported\");\n"
                + "try (var bar = dev.yolotrt.util.Progress.start(\"work\", 2)) { bar.step(2); }");
        try (LogLines outside = LogLines.capture()) {
            JsonNode nb = run(in, tmp.resolve("out.ipynb"));
            JsonNode outputs = nb.get("cells").get(0).get("outputs");
            assertEquals("stdout", outputs.get(0).get("name").asText(), outputs.toString());
            assertEquals("exported\n", outputs.get(0).get("text").get(0).asText(), outputs.toString());
            assertEquals("stderr", outputs.get(1).get("name").asText(), outputs.toString());
            assertTrue(outputs.get(1).get("text").toString().contains("work 100% |"), outputs.toString());
            assertEquals(List.of("cell 1: dev.yolotrt.util.Log.info(\"exported\");"), outside.lines());
            dev.yolotrt.util.Log.info("after");
            assertEquals("after", outside.lines().get(1));
        }
    }

    @Test
    void theToolkitsOwnErrorIsOneLine(@TempDir Path tmp) throws Exception {
        Path in = notebook(tmp, "dev.yolotrt.model.Yolo.load(java.nio.file.Path.of(\"no-such-model.onnx\"))");
        NotebookRunner.Report r = NotebookRunner.run(in, tmp.resolve("out.ipynb"));
        assertFalse(r.ok());
        assertEquals("cell 1: dev.yolotrt.util.YoloException: model not found: no-such-model.onnx", r.error());
        JsonNode err = JSON.readTree(tmp.resolve("out.ipynb").toFile()).get("cells").get(0).get("outputs").get(0);
        assertEquals(1, err.get("traceback").size(), err.toString());
    }

    @Test
    void aCellsErrorReachesJupytersReplyAsItsMessageAlone() {
        // nbconvert prints the execute reply's traceback: the kernel's frames there would bury the one line.
        var reply = io.github.spencerpark.jupyter.messages.reply.ErrorReply.of(
                new JShellEvaluator.CellException("dev.yolotrt.util.YoloException: model not found: no-such-model.onnx"));
        assertEquals(List.of(), reply.getStacktrace());
        assertEquals("dev.yolotrt.util.YoloException: model not found: no-such-model.onnx", reply.getErrorMessage());
    }

    @Test
    void compileErrorsNameTheLine(@TempDir Path tmp) throws Exception {
        Path in = notebook(tmp, "int a = 1;\nString s = a;");
        NotebookRunner.Report r = NotebookRunner.run(in, tmp.resolve("out.ipynb"));
        assertTrue(r.error().contains("incompatible types"), r.error());
    }

    @Test
    void aMillionLinesAreCutNotKept(@TempDir Path tmp) throws Exception {
        Path in = notebook(tmp, "for (int i = 0; i < 1_000_000; i++) System.out.println(\"line \" + i);", "\"still alive\"");
        JsonNode nb = run(in, tmp.resolve("out.ipynb"));
        String text = nb.get("cells").get(0).get("outputs").get(0).get("text").toString();
        assertTrue(text.contains("more bytes of output not kept"), text.substring(Math.max(0, text.length() - 200)));
        assertTrue(Files.size(tmp.resolve("out.ipynb")) < 2_000_000);
        assertEquals("still alive", nb.get("cells").get(1).get("outputs").get(0).get("data").get("text/plain").get(0).asText());
    }
}
