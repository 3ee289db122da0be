package dev.yolotrt.pipeline;

import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Decoder;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One loaded model shared by 8 threads, 50 predictions each over the 8 photos, gives exactly the
 * single-threaded detections (a shared input buffer once returned other images' boxes), and opens
 * no more sessions than threads.
 */
class SharedModelTest {

    private static final List<String> PHOTOS = List.of("bus.jpg", "zidane.jpg", "dog.jpg", "eagle.jpg", "giraffe.jpg",
            "horses.jpg", "kite.jpg", "person.jpg");

    @Test
    void eightThreadsGetTheSingleThreadedResults() throws Exception {
        try (Yolo model = Yolo.load("yolov8n.onnx", Shared.settings())) {
            Predictor p = model.predictor();
            PredictOptions o = PredictOptions.defaults();
            List<Mat> images = PHOTOS.stream().map(n -> Images.read(Shared.image(n))).toList();
            List<String> expected = new ArrayList<>();
            for (Mat m : images) expected.add(describe(p.run(List.of(m), o).detections().get(0)));
            assertTrue(expected.get(0).startsWith("0 0.8"), "bus.jpg's first box is a person: " + expected.get(0));

            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> jobs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    jobs.add(pool.submit(() -> {
                        int wrong = 0;
                        for (int k = 0; k < 50; k++) {
                            int i = (thread + k) % images.size();
                            if (!expected.get(i).equals(describe(p.run(List.of(images.get(i)), o).detections().get(0)))) wrong++;
                        }
                        return wrong;
                    }));
                }
                int wrong = 0;
                for (Future<Integer> f : jobs) wrong += f.get();
                assertEquals(0, wrong, "predictions that differ from the single-threaded ones, of 400");
            } finally {
                pool.shutdown();
            }
            assertTrue(p.sessions() <= 9, "sessions opened: " + p.sessions());
            images.forEach(Mat::close);
        }
    }

    private static String describe(Decoder.Detections d) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < d.size(); i++) {
            sb.append(d.cls()[i]).append(' ').append(d.conf()[i]).append(' ').append(Arrays.toString(Arrays.copyOfRange(d.xyxy(), i * 4, i * 4 + 4))).append(';');
        }
        return sb.toString();
    }
}
