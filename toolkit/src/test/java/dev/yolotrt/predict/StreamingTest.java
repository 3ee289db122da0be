package dev.yolotrt.predict;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
