package dev.yolotrt.pipeline;

import dev.yolotrt.backend.Backend;
import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One model on several backends (as device=0,1 puts one engine on each GPU; two ONNX Runtime sessions stand in here):
 * batches take turns between them and in flight at once, and the results are the single backend's, in input order.
 */
class SeveralBackendsTest {

    @Test
    void batchesTakeTurnsAndResultsStayTheSame() throws Exception {
        List<ImageSource> sources = new ArrayList<>();
        for (String p : List.of("bus.jpg", "zidane.jpg", "dog.jpg", "horses.jpg", "kite.jpg", "person.jpg", "eagle.jpg", "giraffe.jpg")) {
            sources.addAll(ImageSource.resolve(Shared.image(p).toString(), Shared.settings()));
        }
        PredictOptions o = PredictOptions.builder().batch(2).build();
        try (Yolo m = Yolo.load("yolov8n.onnx", Shared.settings());
             Backend a = OnnxRuntimeBackend.open(m.file(), 1);
             Backend b = OnnxRuntimeBackend.open(m.file(), 1)) {
            List<String> want = new ArrayList<>();
            m.predictor().predict(sources, o).forEach(r -> want.add(r.path() + " " + r.summary()));
            List<String> got = new ArrayList<>();
            try (Predictor two = new Predictor(List.of(a, b), m.metadata());
                 Predictor.Predictions it = two.iterate(sources, o, 4)) {
                it.forEachRemaining(r -> got.add(r.path() + " " + r.summary()));
                assertEquals(want, got);
                // Both backends ran batches: the warm-up and 4 batches of 2 alternate between them.
                assertTrue(two.sessionsPerBackend().stream().allMatch(n -> n >= 1), "sessions per backend " + two.sessionsPerBackend());
            }
        }
    }
}
