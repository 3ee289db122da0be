package dev.yolotrt.pipeline;

import dev.yolotrt.backend.Backend;
import dev.yolotrt.backend.DeviceLetterbox;
import dev.yolotrt.backend.KernelUnavailable;
import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Batch;
import dev.yolotrt.predict.Decoder;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.predict.Results;
import dev.yolotrt.tensor.Picked;
import dev.yolotrt.tensor.Tensor;
import dev.yolotrt.testutil.LogLines;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
        private final AtomicInteger imagesCalls = new AtomicInteger(), pickCalls = new AtomicInteger(), fullHeads = new AtomicInteger();
        /** Pairs kept per image, as DeviceCandidates.CAP; past it the whole head comes back. */
        private final int cap;
        /** Plays a driver too old for the kernels' PTX: every device call fails as DeviceKernels then does. */
        private volatile boolean oldDriver;

        HostAsDevice(Backend inner) {
            this(inner, 30_000);
        }

        HostAsDevice(Backend inner, int cap) {
            this.inner = inner;
            this.cap = cap;
        }

        /** What candidates.cu keeps of a head, each image's pairs handed over in reverse order (the atomics promise none). */
        private Picked pick(List<Tensor> out, int batch, Picked.Pick p) {
            Tensor head = out.get(0);
            int channels = head.dim(1), anchors = head.dim(2), nc = channels - 4;
            FloatBuffer d = head.data();
            List<Picked.Candidates> images = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                int base = b * channels * anchors;
                List<float[]> pairs = new ArrayList<>();
                for (int a = 0; a < anchors; a++) {
                    float[] box = {d.get(base + a), d.get(base + anchors + a), d.get(base + 2 * anchors + a), d.get(base + 3 * anchors + a)};
                    float best = Float.NEGATIVE_INFINITY;
                    int bc = 0;
                    for (int c = 0; c < nc; c++) {
                        float s = d.get(base + (4 + c) * anchors + a);
                        if (p.multiLabel() && s > p.conf()) pairs.add(new float[] {a, c, s, box[0], box[1], box[2], box[3]});
                        if (s > best) {
                            best = s;
                            bc = c;
                        }
                    }
                    if (!p.multiLabel() && best > p.conf()) pairs.add(new float[] {a, bc, best, box[0], box[1], box[2], box[3]});
                }
                if (pairs.size() > cap) {
                    fullHeads.incrementAndGet();
                    return new Picked(null, out);
                }
                java.util.Collections.reverse(pairs);
                int n = pairs.size();
                int[] anchor = new int[n], cls = new int[n];
                float[] score = new float[n], cxcywh = new float[4 * n];
                for (int i = 0; i < n; i++) {
                    float[] q = pairs.get(i);
                    anchor[i] = (int) q[0];
                    cls[i] = (int) q[1];
                    score[i] = q[2];
                    System.arraycopy(q, 3, cxcywh, 4 * i, 4);
                }
                images.add(new Picked.Candidates(anchor, cls, score, cxcywh));
            }
            return new Picked(images, null);
        }

        @Override public String name() { return "host-as-device"; }
        @Override public long[] inputShape() { return inner.inputShape(); }
        @Override public int maxBatch() { return inner.maxBatch(); }
        @Override public void close() { inner.close(); }

        @Override
        public Session openSession() {
            Session s = inner.openSession();
            class DeviceSession implements Session, DeviceOps {
                @Override public FloatBuffer inputBuffer(int batch, int height, int width) { return s.inputBuffer(batch, height, width); }
                @Override public List<Tensor> infer(FloatBuffer input, int batch, int height, int width) { return s.infer(input, batch, height, width); }
                @Override public java.util.Optional<DeviceOps> device() { return java.util.Optional.of(this); }
                @Override public double[] timeEngine(int batch, int height, int width, int warmup, int reps, int runs) { throw new UnsupportedOperationException(); }

                @Override
                public List<Tensor> inferImages(List<DeviceLetterbox.Job> jobs, int batch, int height, int width) {
                    imagesCalls.incrementAndGet();
                    if (oldDriver) throw new KernelUnavailable("this GPU driver cannot run letterbox.ptx (CUDA 12.6 PTX, CUDA driver error 222)");
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

                @Override
                public Picked inferPicked(FloatBuffer input, List<DeviceLetterbox.Job> jobs, int batch, int height, int width, Picked.Pick p) {
                    pickCalls.incrementAndGet();
                    if (oldDriver) throw new KernelUnavailable("this GPU driver cannot run candidates.ptx (CUDA 12.6 PTX, CUDA driver error 222)");
                    return pick(jobs == null ? s.infer(input, batch, height, width) : inferImages(jobs, batch, height, width), batch, p);
                }

                @Override public void close() { s.close(); }
            }
            return new DeviceSession();
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

    /**
     * gpu_decode without a GPU: candidates picked as candidates.cu picks them, in scrambled order, give exactly the
     * detections the host decoder gives on the whole head, for predict (conf 0.25, best class) and val (conf 0.001, every
     * class), with the letterbox on the host or "on the device", and when an image has more pairs than the cap.
     */
    @Test
    void candidatesPickedOnTheDeviceGiveTheHostDecodersDetections() throws Exception {
        List<Mat> images = new ArrayList<>();
        for (String p : List.of("bus.jpg", "zidane.jpg", "dog.jpg", "horses.jpg", "kite.jpg", "giraffe.jpg")) images.add(Images.read(Shared.image(p)));
        try (Yolo m = Yolo.load("yolov8n-dynamic.onnx", Shared.settings())) {
            for (int cap : new int[] {30_000, 50}) {
                try (HostAsDevice fake = new HostAsDevice(OnnxRuntimeBackend.open(m.file(), 1), cap);
                     Predictor p = new Predictor(fake, m.metadata())) {
                    for (boolean forVal : new boolean[] {false, true}) {
                        for (boolean gpuPre : new boolean[] {false, true}) {
                            for (int i = 0; i < images.size(); i += 2) {
                                List<Mat> two = images.subList(i, i + 2);
                                Batch want = m.predictor().run(two, options(forVal).gpuPreprocess(false).gpuDecode(false).build());
                                Batch got = p.run(two, options(forVal).gpuPreprocess(gpuPre).gpuDecode(true).build());
                                for (int k = 0; k < 2; k++) {
                                    Decoder.Detections a = want.detections().get(k), b = got.detections().get(k);
                                    String what = "cap " + cap + (forVal ? ", val" : ", predict") + ", image " + (i + k);
                                    assertEquals(a.size(), b.size(), what);
                                    assertArrayEquals(a.xyxy(), b.xyxy(), what);
                                    assertArrayEquals(a.conf(), b.conf(), what);
                                    assertArrayEquals(a.cls(), b.cls(), what);
                                }
                            }
                        }
                    }
                    assertEquals(2 * 2 * 3, fake.pickCalls.get());
                    // val's conf 0.001 gives some image more than 50 pairs: that batch came back as the whole head.
                    assertEquals(cap == 50, fake.fullHeads.get() > 0, "cap " + cap);
                }
            }
        } finally {
            images.forEach(Mat::close);
        }
    }

    /** Predict's options (conf 0.25, each anchor's best class) or val's (conf 0.001, every class, val's resize), batch 2. */
    private static PredictOptions.Builder options(boolean val) {
        PredictOptions.Builder b = PredictOptions.builder().batch(2);
        return val ? b.conf(0.001).multiLabel(true).valResize(true) : b;
    }

    /**
     * A driver too old for the kernels' PTX (the default gpu_preprocess would then fail every prediction): the first
     * batch finds out, warns once, and it and every later batch run on the host with the host's results.
     */
    @Test
    void aDriverTooOldForTheKernelsLeavesTheWorkToTheHost() throws Exception {
        List<ImageSource> sources = new ArrayList<>();
        for (String p : List.of("bus.jpg", "zidane.jpg", "dog.jpg")) sources.addAll(ImageSource.resolve(Shared.image(p).toString(), Shared.settings()));
        try (LogLines log = LogLines.capture(); Yolo m = Yolo.load("yolov8n-dynamic.onnx", Shared.settings());
             HostAsDevice fake = new HostAsDevice(OnnxRuntimeBackend.open(m.file(), 1));
             Predictor p = new Predictor(fake, m.metadata())) {
            fake.oldDriver = true;
            List<Results> want = m.predictor().predict(sources, PredictOptions.builder().gpuPreprocess(false).build());
            List<Results> got = p.predict(sources, PredictOptions.builder().gpuPreprocess(true).gpuDecode(true).build());
            for (int i = 0; i < want.size(); i++) assertEquals(want.get(i).summary(), got.get(i).summary(), want.get(i).path());
            // Only the warm-up tried the kernel; the warning came once.
            assertEquals(1, fake.imagesCalls.get() + fake.pickCalls.get());
            List<String> notes = log.lines();
            assertEquals(1, notes.stream().filter(n -> n.contains("cannot run") && n.contains("on the host instead")).count(), notes.toString());
        }
    }
}
