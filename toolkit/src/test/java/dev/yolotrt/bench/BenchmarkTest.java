package dev.yolotrt.bench;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.LogLines;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batches a benchmark's rows run at, and the line that says so when the model cannot take the plan's batch. */
class BenchmarkTest {

    @Test
    void aFixedBatchModelSaysItRunsAtItsOwnBatch() {
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings()); LogLines log = LogLines.capture()) {
            List<String> lines = log.lines();
            assertEquals(List.of(1), Benchmark.batches(m, 8));
            assertEquals(1, lines.size(), String.valueOf(lines));
            assertTrue(lines.get(0).startsWith("WARNING: batch=8 but yolov8n.onnx takes a fixed batch of 1 (input [1, 3, 640, 640])"), lines.get(0));
            log.clear();
            assertEquals(List.of(1), Benchmark.batches(m, 1));
            assertTrue(lines.isEmpty(), "batch=1 on a batch-1 model is what was asked: " + lines);
        }
    }
}
