package dev.yolotrt.predict;

import dev.yolotrt.backend.Backend;
import dev.yolotrt.backend.DeviceLetterbox;
import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.backend.Tensor;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The predictor's side of gpu_preprocess, without a GPU: a backend that "letterboxes on the device" by running the host
 * letterbox on exactly what it is handed (each job's pixel pointer, row step and placement). Predictions through it
 * equal the host path's, so the jobs carry the right pixels and geometry into the right input slots; val's shrinking
 * (INTER_AREA) stays on the host.
 */
class DevicePathTest {

    /** ONNX Runtime behind a session that takes decoded images, as a TensorRT session does. */
    private static final class HostAsDevice implements Backend {
        private final Backend inner;
        private final AtomicInteger imagesCalls = new AtomicInteger();

        HostAsDevice(Backend inner) {
            this.inner = inner;
        }

        @Override public String name() { return "host-as-device"; }
        @Override public long[] inputShape() { return inner.inputShape(); }
        @Override public int maxBatch() { return inner.maxBatch(); }
        @Override public void close() { inner.close(); }

        @Override
        public Session openSession() {
            Session s = inner.openSession();
            return new Session() {
                @Override public FloatBuffer inputBuffer(int batch, int height, int width) { return s.inputBuffer(batch, height, width); }
                @Override public List<Tensor> infer(FloatBuffer input, int batch, int height, int width) { return s.infer(input, batch, height, width); }
                @Override public boolean letterboxesOnDevice() { return true; }

                @Override
                public List<Tensor> inferImages(List<DeviceLetterbox.Job> jobs, int batch, int height, int width) {
                    imagesCalls.incrementAndGet();
                    FloatBuffer in = s.inputBuffer(batch, height, width);
                    for (int i = 0; i < jobs.size(); i++) {
                        DeviceLetterbox.Job j = jobs.get(i);
                        try (Mat view = new Mat(j.srcH(), j.srcW(), CV_8UC3, j.pixels(), j.step())) {
                            new Letterbox(j.srcH(), j.srcW(), height, width, (double) j.newW() / j.srcW(), j.newH(), j.newW(), j.top(), j.left(),
                                    INTER_LINEAR).toChw(view, in, i * 3 * height * width);
                        }
                    }
                    return s.infer(in, batch, height, width);
                }

                @Override public void close() { s.close(); }
            };
        }
    }

    @Test
    void jobsCarryThePixelsAndPlacementOfTheHostLetterbox() throws Exception {
        List<ImageSource> sources = new ArrayList<>();
        for (String p : List.of("bus.jpg", "zidane.jpg", "dog.jpg", "horses.jpg", "kite.jpg")) {
            sources.addAll(ImageSource.resolve(Shared.image(p).toString(), Shared.settings()));
        }
        try (Yolo m = Yolo.load("yolov8n-dynamic.onnx", Shared.settings());
             HostAsDevice fake = new HostAsDevice(OnnxRuntimeBackend.open(m.file(), 1));
             Predictor p = new Predictor(fake, m.metadata())) {
            PredictOptions host = PredictOptions.builder().batch(2).gpuPreprocess(false).build(), device = PredictOptions.builder().batch(2).gpuPreprocess(true).build();
            List<Results> want = m.predictor().predict(sources, host), got = p.predict(sources, device);
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).summary(), got.get(i).summary(), want.get(i).path());
                float[] a = want.get(i).boxes().xyxy(), b = got.get(i).boxes().xyxy();
                assertEquals(a.length, b.length);
                for (int k = 0; k < a.length; k++) assertEquals(a[k], b[k], 1e-3, want.get(i).path() + " box value " + k);
            }
            // A dynamic-batch model, batches of 2 (so the second image of each lands in slot 1): the warm-up and 3 batches.
            assertEquals(1 + 3, fake.imagesCalls.get());

            // val's geometry shrinks with INTER_AREA, which the kernel does not do: those batches stay on the host.
            int before = fake.imagesCalls.get();
            try (Mat bus = Images.read(Shared.image("bus.jpg"))) {
                p.run(List.of(bus), PredictOptions.builder().valResize(true).gpuPreprocess(true).build());
            }
            assertEquals(before, fake.imagesCalls.get());
        }
    }
}
