package dev.yolotrt.gpu;

import dev.yolotrt.backend.Backend;
import dev.yolotrt.backend.DeviceLetterbox;
import dev.yolotrt.tensor.Picked;
import dev.yolotrt.backend.TensorRtBackend;
import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The letterbox kernel against the host letterbox: every float of the engine input within 1/255 on the 8 photos and
 * coco128 val2017, and predictions with {@code gpu_preprocess} equal to the host path's (boxes ± 1 px) on bus.jpg and
 * coco8. Uses the benchmark's FP32 engine (dynamic batch 1..8, 640).
 */
@Tag("gpu")
class DeviceLetterboxGpuTest {

    private static List<Path> images() throws Exception {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(Shared.image("bus.jpg").getParent())) {
            s.filter(p -> p.toString().endsWith(".jpg")).sorted().forEach(all::add);
        }
        try (Stream<Path> s = Files.list(Shared.datasets().resolve("coco128/images/val2017"))) {
            s.sorted().forEach(all::add);
        }
        return all;
    }

    /** bus.jpg, then the images of {@code dir} (under the datasets), sorted. */
    private static List<Path> busAnd(String dir) throws Exception {
        List<Path> files = new ArrayList<>(List.of(Shared.image("bus.jpg")));
        try (Stream<Path> s = Files.list(Shared.datasets().resolve(dir))) {
            s.sorted().forEach(files::add);
        }
        return files;
    }

    @Test
    void kernelEqualsTheHostLetterboxWithinOneLevel() throws Exception {
        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings());
             Yolo trt = Yolo.load(TensorRtGpuTest.engine(onnx, "fp32"), Shared.settings());
             Backend.Session session = trt.backend().openSession()) {
            dev.yolotrt.backend.TrtSession s = (dev.yolotrt.backend.TrtSession) session;
            int size = 640, plane = 3 * size * size, checked = 0;
            double worst = 0;
            long off = 0;
            for (Path p : images()) {
                try (Mat img = Images.read(p)) {
                    Letterbox b = Letterbox.of(img.rows(), img.cols(), size, size);
                    FloatBuffer host = FloatBuffer.allocate(plane);
                    b.toChw(img, host, 0);
                    s.inferImages(List.of(new DeviceLetterbox.Job(img.data(), img.cols(), img.rows(), img.step(), b.newW(), b.newH(),
                            b.left(), b.top())), 1, size, size);
                    float[] dev = s.input(plane);
                    long differ = 0;
                    double max = 0;
                    for (int i = 0; i < plane; i++) {
                        double d = Math.abs(dev[i] - host.get(i));
                        if (d > 1e-6) differ++;
                        max = Math.max(max, d);
                    }
                    worst = Math.max(worst, max);
                    off += differ;
                    checked++;
                    assertTrue(max <= 1 / 255.0 + 1e-6, p.getFileName() + ": max difference " + max * 255 + " levels");
                }
            }
            System.out.printf(Locale.ROOT, "Device letterbox: %d images, %d of %d floats differ from the host's, at most %.2f levels%n",
                    checked, off, (long) checked * plane, worst * 255);
            assertTrue(checked >= 136, "8 photos and 128 val2017 images, got " + checked);
        }
    }

    @Test
    void predictionsWithTheKernelEqualTheHostPath() throws Exception {
        List<Path> files = busAnd("coco8/images/val");
        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings());
             Yolo trt = Yolo.load(TensorRtGpuTest.engine(onnx, "fp32"), Shared.settings())) {
            for (Path f : files) {
                Boxes host = trt.predict(f.toString(), PredictOptions.builder().gpuPreprocess(false).build()).get(0).boxes();
                Boxes dev = trt.predict(f.toString(), PredictOptions.builder().gpuPreprocess(true).build()).get(0).boxes();
                assertEquals(host.size(), dev.size(), f.getFileName() + ": count");
                for (int i = 0; i < host.size(); i++) {
                    assertEquals(host.cls(i), dev.cls(i), f.getFileName() + " box " + i + " class");
                    for (int k = 0; k < 4; k++) assertEquals(host.xyxy(i)[k], dev.xyxy(i)[k], 1.0, f.getFileName() + " box " + i);
                }
                System.out.println("gpu_preprocess " + f.getFileName() + ": " + dev.size() + " boxes as the host path");
            }
        }
    }

    /**
     * gpu_decode: the candidates kernel's pairs give the host decoder's detections exactly, at predict's and val's
     * settings, on bus.jpg and coco128 val2017 (val's conf 0.001 sends the most pairs through the atomics).
     */
    @Test
    void candidatesPickedOnTheGpuGiveTheHostDecodersDetections() throws Exception {
        List<Path> files = busAnd("coco128/images/val2017");
        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings());
             Yolo trt = Yolo.load(TensorRtGpuTest.engine(onnx, "fp32"), Shared.settings())) {
            int pairs = 0;
            for (boolean val : new boolean[] {false, true}) {
                for (Path f : files) {
                    try (Mat img = Images.read(f)) {
                        PredictOptions.Builder o = PredictOptions.builder();
                        if (val) o.conf(0.001).multiLabel(true).valResize(true);
                        var host = trt.predictor().run(List.of(img), o.gpuDecode(false).build()).detections().get(0);
                        var dev = trt.predictor().run(List.of(img), o.gpuDecode(true).build()).detections().get(0);
                        String what = f.getFileName() + (val ? " (val)" : "");
                        assertEquals(host.size(), dev.size(), what);
                        org.junit.jupiter.api.Assertions.assertArrayEquals(host.cls(), dev.cls(), what);
                        org.junit.jupiter.api.Assertions.assertArrayEquals(host.conf(), dev.conf(), what);
                        org.junit.jupiter.api.Assertions.assertArrayEquals(host.xyxy(), dev.xyxy(), 1e-3f, what);
                        pairs += dev.size();
                    }
                }
            }
            System.out.println("gpu_decode: " + files.size() + " images at predict's and val's settings, " + pairs + " detections as the host decoder's");
        }
    }

    /**
     * Whole batches through one graph each (pixel upload, letterbox table, kernel, engine, candidates, copies back): eight
     * coco128 val2017 images of different sizes per call, so that the pixel buffers grow and the graphs are captured
     * again, at predict's settings and at val's (whose thousands of pairs per image need the copy after the graph's first
     * 512), give each image the detections the host path gives it.
     */
    @Test
    void batchesOfMixedSizesThroughOneGraphEqualTheHostPath() throws Exception {
        List<Path> files = busAnd("coco128/images/val2017").subList(1, 33);
        List<Mat> images = new ArrayList<>();
        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings());
             Yolo trt = Yolo.load(TensorRtGpuTest.engine(onnx, "fp32"), Shared.settings())) {
            for (Path f : files) images.add(Images.read(f));
            int detections = 0, most = 0;
            for (boolean val : new boolean[] {false, true}) {
                for (int from = 0; from < images.size(); from += 8) {
                    List<Mat> batch = images.subList(from, from + 8);
                    PredictOptions.Builder o = PredictOptions.builder().batch(8);
                    if (val) o.conf(0.001).multiLabel(true).valResize(true);
                    var host = trt.predictor().run(batch, o.gpuPreprocess(false).gpuDecode(false).build()).detections();
                    var dev = trt.predictor().run(batch, o.gpuPreprocess(true).gpuDecode(true).build()).detections();
                    for (int i = 0; i < batch.size(); i++) {
                        String what = files.get(from + i).getFileName() + (val ? " (val)" : "") + " in a batch of 8";
                        assertEquals(host.get(i).size(), dev.get(i).size(), what);
                        org.junit.jupiter.api.Assertions.assertArrayEquals(host.get(i).cls(), dev.get(i).cls(), what);
                        org.junit.jupiter.api.Assertions.assertArrayEquals(host.get(i).xyxy(), dev.get(i).xyxy(), 1.0f, what);
                        detections += dev.get(i).size();
                        most = Math.max(most, dev.get(i).size());
                    }
                }
            }
            // Val's settings did send images past the graph's first 512 pairs, so the copy after the graph ran above.
            int pairs;
            try (Backend.Session session = trt.backend().openSession()) {
                List<DeviceLetterbox.Job> jobs = new ArrayList<>();
                for (Mat img : images.subList(0, 8)) {
                    Letterbox b = Letterbox.of(img.rows(), img.cols(), 640, 640);
                    jobs.add(new DeviceLetterbox.Job(img.data(), img.cols(), img.rows(), img.step(), b.newW(), b.newH(), b.left(), b.top()));
                }
                Picked picked = session.device().orElseThrow().inferPicked(null, jobs, 8, 640, 640, new Picked.Pick(0.001f, true));
                pairs = picked.images().stream().mapToInt(Picked.Candidates::size).max().orElse(0);
            }
            assertTrue(pairs > 512, "val's conf 0.001 keeps more than the graph's 512 pairs for some image, got at most " + pairs);
            System.out.println("one graph per batch: " + files.size() + " images in batches of 8 at predict's and val's settings, "
                    + detections + " detections as the host path's (at most " + most + " in one image; up to " + pairs
                    + " pairs per image at val's conf)");
        } finally {
            images.forEach(Mat::close);
        }
    }
}
