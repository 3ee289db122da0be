package dev.yolotrt.pipeline;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.predict.Results;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streaming predictions come back in input order with the same boxes as one-by-one predictions; the async call too. */
class StreamingTest {

    @Test
    void streamKeepsInputOrderAndResults() throws Exception {
        List<String> photos = new ArrayList<>();
        for (String p : List.of("bus.jpg", "zidane.jpg", "dog.jpg", "horses.jpg", "kite.jpg", "person.jpg", "eagle.jpg", "giraffe.jpg")) {
            photos.add(Shared.image(p).toString());
        }
        List<String> sources = new ArrayList<>(photos);
        List<String> reversed = new ArrayList<>(photos);
        java.util.Collections.reverse(reversed);
        sources.addAll(reversed);
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings())) {
            List<String> want = new ArrayList<>();
            for (String s : sources) want.add(m.predict(s).get(0).summary());
            List<String> names = new ArrayList<>(), got = new ArrayList<>();
            try (var stream = m.stream(sources, PredictOptions.defaults())) {
                stream.forEach(r -> {
                    names.add(Path.of(r.path()).getFileName().toString());
                    got.add(r.summary());
                });
            }
            assertEquals(sources.stream().map(s -> Path.of(s).getFileName().toString()).toList(), names);
            assertEquals(want, got);
            assertEquals(want.subList(0, 1), m.predictAsync(sources.get(0), Map.of()).get().stream().map(Results::summary).toList());
        }
    }

    /** The limiting stage weighs each stage by its parallelism (hand-computed: 160 ms on 16 threads is 10 ms per thread). */
    @Test
    void theLimitingStageIsTheSlowestAtItsOwnParallelism() {
        // Decoding 160 / 16 = 10 against batches (3 + 20 + 4) / 3 = 9: decoding limits.
        assertEquals("decode (16 threads)", new Predictor.Stages(160, 3, 20, 4, 16, 3).limit());
        // Decoding 128 / 16 = 8 against 9: the batches limit, inference the largest part of them.
        assertEquals("inference (3 batches in flight)", new Predictor.Stages(128, 3, 20, 4, 16, 3).limit());
        assertEquals("postprocess (2 batches in flight)", new Predictor.Stages(10, 3, 2, 40, 16, 2).limit());
        assertEquals("inference (1 batch in flight)", new Predictor.Stages(10, 3, 20, 4, 16, 1).limit());
    }

    /** Batches timed in flight run on the predictor's sessions, never more than it keeps in flight. */
    @Test
    void timingInFlightUsesThePredictorsSessions() {
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings());
             org.bytedeco.opencv.opencv_core.Mat bus = dev.yolotrt.data.Images.read(Shared.image("bus.jpg"))) {
            Predictor p = m.predictor();
            double ms = p.timeInFlight(List.of(bus), PredictOptions.defaults(), 3);
            assertTrue(ms > 0, "wall ms " + ms);
            assertEquals(p.concurrency(), p.sessions());
        }
    }

    @Test
    void batchesInFlightAtOnceStillComeOutInInputOrder() throws Exception {
        List<dev.yolotrt.data.ImageSource> sources = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            for (String p : List.of("bus.jpg", "zidane.jpg", "dog.jpg", "horses.jpg", "kite.jpg", "person.jpg", "eagle.jpg")) {
                sources.addAll(dev.yolotrt.data.ImageSource.resolve(Shared.image(p).toString(), Shared.settings()));
            }
        }
        PredictOptions o = PredictOptions.builder().batch(2).build();
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings())) {
            List<String> one = new ArrayList<>(), three = new ArrayList<>();
            try (Predictor.Predictions it = m.predictor().iterate(sources, o, 1)) {
                it.forEachRemaining(r -> one.add(Path.of(r.path()).getFileName() + " " + r.summary()));
            }
            // Three batches of two running at once on three sessions, finishing in any order.
            Predictor.Stages stages;
            try (Predictor.Predictions it = m.predictor().iterate(sources, o, 3)) {
                it.forEachRemaining(r -> three.add(Path.of(r.path()).getFileName() + " " + r.summary()));
                stages = it.stages();
            }
            assertEquals(3, stages.inFlight());
            assertTrue(stages.decodeMs() > 0 && stages.inferMs() > 0, stages.toString());
            assertEquals(21, one.size());
            assertEquals(one, three);
            assertEquals(sources.stream().map(s -> Path.of(s.path()).getFileName().toString()).toList(),
                    three.stream().map(s -> s.substring(0, s.indexOf(' '))).toList());
        }
    }
}
