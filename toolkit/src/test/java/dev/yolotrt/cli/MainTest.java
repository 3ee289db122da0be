package dev.yolotrt.cli;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static void assertOneLineError(Run r, String... fragments) {
        assertTrue(r.code() != 0);
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        for (String f : fragments) assertTrue(r.err().contains(f), r.err());
    }

    @Test
    void predictSavesAnnotatedImagesAndPrintsBoxes(@TempDir Path tmp) throws Exception {
        Run r = run("predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "conf=0.5", "project=" + tmp, "name=p");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("640x640 3 persons, 1 bus"), r.out());
        assertTrue(r.out().contains("bus 0.84"), r.out());
        assertTrue(r.out().contains("Results saved to " + tmp.resolve("p")), r.out());
        assertTrue(Files.isRegularFile(tmp.resolve("p/bus.jpg")));
        // The CLI draws from the pixels it kept, the API decodes the file again: the same annotated image.
        try (var model = dev.yolotrt.model.Yolo.load("yolov8n.onnx", Shared.settings())) {
            model.predict(Shared.image("bus.jpg").toString(), java.util.Map.of("conf", 0.5, "save", true, "project", tmp.toString(), "name", "api"));
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("p/bus.jpg")), Files.readAllBytes(tmp.resolve("api/bus.jpg")));
        Run again = run("predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "project=" + tmp, "name=p", "verbose=false");
        assertTrue(again.out().contains("Results saved to " + tmp.resolve("p2")), again.out());
    }

    @Test
    void aFailedRunLeavesNoRunFolderAndTheNextRunGetsTheLowestNumber(@TempDir Path tmp) throws Exception {
        Path corrupt = Files.write(tmp.resolve("corrupt.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
        Path runs = tmp.resolve("runs");
        assertTrue(run("predict", "model=yolov8n.onnx", "source=" + tmp.resolve("missing.jpg"), "project=" + runs).code() != 0);
        assertTrue(run("predict", "model=yolov8n.onnx", "source=" + corrupt, "project=" + runs).code() != 0);
        assertTrue(run("track", "model=yolov8n.onnx", "source=" + corrupt, "project=" + runs, "save=true").code() != 0);
        assertFalse(Files.exists(runs.resolve("predict")), "an empty run folder after a failed predict");
        assertFalse(Files.exists(runs), "the project folder made for a run that failed");
        Run ok = run("predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "project=" + runs, "verbose=false");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("Results saved to " + runs.resolve("predict") + "\n"), ok.out());
        assertTrue(Files.isRegularFile(runs.resolve("predict/bus.jpg")));
    }

    @Test
    void aRunFolderThatCannotBeMadeSaysWhy(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        assertOneLineError(run("predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "project=" + file),
                "cannot create run folder " + file.resolve("predict") + ": a file of that name is in the way, not a folder");
        assertOneLineError(run("predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "project=/proc/forbidden"),
                "cannot create run folder /proc/forbidden/predict: the file system takes no new folders there");
        assertEquals(java.util.List.of(file), Files.list(tmp).toList());
    }

    @Test
    void trackRefusesAClassifierInOneLine(@TempDir Path tmp) {
        Shared.require();
        String why = "Classification doesn't support mode=track: yolo11n-cls-dogcat.onnx is a classify model";
        assertOneLineError(run("track", "model=yolo11n-cls-dogcat.onnx", "source=" + Shared.video("cup.mp4"), "project=" + tmp), why);
        assertOneLineError(run("track", "model=yolo11n-cls-dogcat.onnx", "source=" + Shared.image("bus.jpg"), "project=" + tmp), why);
        try (var m = dev.yolotrt.model.Yolo.load("yolo11n-cls-dogcat.onnx", Shared.settings())) {
            YoloException e = assertThrows(YoloException.class, () -> m.track(Shared.image("bus.jpg").toString()));
            assertTrue(e.getMessage().startsWith(why), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("track")));
    }

    @Test
    void badInputMessagesSayWhatIsWrong(@TempDir Path tmp) {
        Shared.require();
        Run upper = run("predict", "CONF=0.3", "source=" + Shared.image("bus.jpg"), "project=" + tmp);
        assertOneLineError(upper, "'CONF' is not a valid option; did you mean 'conf'? Valid keys: ");
        Run far = run("predict", "zzzzzzzzzz=1", "source=" + Shared.image("bus.jpg"), "project=" + tmp);
        assertOneLineError(far, "'zzzzzzzzzz' is not a valid option. Valid keys: ");
        assertOneLineError(run("predict", "source=", "project=" + tmp), "the source is empty: give source= an image, folder, glob, URL or video");
        assertOneLineError(run("benchmark", "model=yolov8n.onnx", "precisions=fp32,fp64", "project=" + tmp),
                "precisions=fp64 is not a precision; valid: fp32, fp16, int8");
        // Only FP16 has two networks to choose from, and only one of them at a time.
        assertOneLineError(run("benchmark", "model=yolov8n.onnx", "precisions=int8-typed", "project=" + tmp), "precisions=int8-typed is not a precision");
        assertOneLineError(run("benchmark", "model=yolov8n.onnx", "precisions=fp16-typed-flags", "project=" + tmp),
                "precisions=fp16-typed-flags is not a precision");
        // How INT8 is quantized only means something for int8.
        assertOneLineError(run("benchmark", "model=yolov8n.onnx", "precisions=fp16-qdq", "project=" + tmp), "precisions=fp16-qdq is not a precision");
        // Port 9 (discard) refuses on loopback: an image URL is downloaded as an image, a video URL opened by FFmpeg.
        Run image = run("predict", "source=http://127.0.0.1:9/x.jpg", "project=" + tmp);
        assertOneLineError(image, "http://127.0.0.1:9/x.jpg");
        assertFalse(image.err().contains("video"), image.err());
        Run video = run("predict", "source=http://127.0.0.1:9/x.mp4", "project=" + tmp);
        assertOneLineError(video, "cannot open video http://127.0.0.1:9/x.mp4: connection refused (check the URL and that the server is up)");
        assertFalse(video.err().contains("setFormat") || video.err().contains("has been called"), video.err());
    }

    @Test
    void saveTxtWritesYoloLabelsThatReadBack(@TempDir Path tmp) throws Exception {
        Run r = run("predict", "source=" + Shared.image("bus.jpg"), "conf=0.5", "save=false", "save_txt=true", "save_conf=true",
                "project=" + tmp, "name=t");
        assertEquals(0, r.code(), r.err());
        Path labels = tmp.resolve("t/labels/bus.txt");
        java.util.List<String> lines = Files.readAllLines(labels);
        assertEquals(4, lines.size());
        assertFalse(Files.exists(tmp.resolve("t/bus.jpg")));
        // The bus line, read back with the dataset's label parser: centre x (31+801)/2/810.
        String bus = lines.stream().filter(l -> l.startsWith("5 ")).findFirst().orElseThrow();
        var label = dev.yolotrt.data.Labels.read(Files.writeString(tmp.resolve("bus.txt"), bus.substring(0, bus.lastIndexOf(' '))), 80).get(0);
        assertEquals((31 + 801) / 2.0 / 810, label.cx(), 0.003);
        assertTrue(Double.parseDouble(bus.substring(bus.lastIndexOf(' ') + 1)) > 0.8);
    }

    @Test
    void kernelInstallWritesAKernelSpec(@TempDir Path tmp) throws Exception {
        Run r = run("kernel", "install", "--prefix", tmp.toString(), "--name", "yolo-test");
        assertEquals(0, r.code(), r.err());
        String spec = Files.readString(tmp.resolve("share/jupyter/kernels/yolo-test/kernel.json"));
        assertTrue(spec.contains("dev.yolotrt.notebook.YoloKernel"), spec);
        assertTrue(spec.contains("{connection_file}"), spec);
        assertTrue(spec.contains("\"display_name\" : \"Java (yolo-test)\""), spec);
        assertTrue(spec.contains("\"MALLOC_ARENA_MAX\" : \"2\""), spec);
        assertOneLineError(run("kernel", "install", "--name", "bad name!"), "--name bad name!");
    }

    /** After `yolo-trt setup gpu` the launcher puts TensorRT's builder-resource folder on LD_LIBRARY_PATH; the kernel keeps it. */
    @Test
    void kernelSpecKeepsTheLibraryPathItWasInstalledWith(@TempDir Path tmp) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "kernel", "install", "--prefix", tmp.toString(), "--name", "yolo-lib");
        pb.environment().put("LD_LIBRARY_PATH", "/opt/example/tensorrt");
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        String spec = Files.readString(tmp.resolve("share/jupyter/kernels/yolo-lib/kernel.json"));
        assertTrue(spec.contains("\"LD_LIBRARY_PATH\" : \"/opt/example/tensorrt\""), spec);
    }

    @Test
    void unknownKeyIsOneLine() {
        assertOneLineError(run("predict", "modle=yolov8n.onnx"), "'modle' is not a valid option", "did you mean 'model'");
    }

    @Test
    void unknownModeIsOneLine() {
        // "detect" is a task now (yolo-trt detect predict ...): TaskModeTest covers it alone.
        assertOneLineError(run("detekt"), "unknown mode 'detekt'", "predict");
    }

    @Test
    void missingImageIsOneLine(@TempDir Path tmp) {
        Shared.require();
        assertOneLineError(run("predict", "source=" + tmp.resolve("nope.jpg"), "project=" + tmp), "nope.jpg");
    }

    @Test
    void unreadableImageIsOneLineAndNothingIsSaved(@TempDir Path tmp) throws Exception {
        Shared.require();
        Path broken = Files.writeString(tmp.resolve("broken.jpg"), "not a jpeg");
        Run r = run("predict", "source=" + broken, "project=" + tmp.resolve("runs"));
        assertOneLineError(r, "cannot decode image " + broken);
        assertFalse(Files.exists(tmp.resolve("runs")), "nothing saved, not even an empty run folder");
    }

    /** As Ultralytics: in a folder, an image that cannot be decoded is skipped with a warning; the others are predicted and saved. */
    @Test
    void anUnreadableImageInAFolderIsSkippedAndTheRunSaysSo(@TempDir Path tmp) throws Exception {
        Shared.require();
        Path dir = Files.createDirectories(tmp.resolve("mix"));
        Files.copy(Shared.image("bus.jpg"), dir.resolve("a-bus.jpg"));
        Path fake = Files.writeString(dir.resolve("b-fake.jpg"), "not a jpeg");
        Files.copy(Shared.image("zidane.jpg"), dir.resolve("c-zidane.jpg"));
        Run r = run("predict", "source=" + dir, "project=" + tmp.resolve("runs"), "name=p");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.out().contains("a-bus.jpg: 640x480 4 persons, 1 bus") || r.out().contains("a-bus.jpg: 640x640 4 persons, 1 bus"), r.out());
        assertTrue(r.out().contains("image 3/3 " + dir.resolve("c-zidane.jpg") + ": "), "skipped images keep their place: " + r.out());
        assertTrue(r.err().contains("WARNING: cannot decode image " + fake), r.err());
        assertTrue(r.err().strip().endsWith("yolo-trt predict: 1 of 3 images could not be read (the warnings above name them); the other 2 were predicted"), r.err());
        assertTrue(Files.exists(tmp.resolve("runs/p/a-bus.jpg")) && Files.exists(tmp.resolve("runs/p/c-zidane.jpg")));
        assertFalse(Files.exists(tmp.resolve("runs/p/b-fake.jpg")));
        Run t = run("track", "source=" + dir, "save=false");
        assertEquals(1, t.code(), t.err());
        assertTrue(t.err().strip().endsWith("yolo-trt track: 1 of 3 images could not be read (the warnings above name them); the other 2 were predicted"), t.err());
        // More failures in a row than the decoder keeps ahead, then a good image; and a folder where nothing decodes.
        Path many = Files.createDirectories(tmp.resolve("many"));
        for (int i = 0; i < 70; i++) Files.writeString(many.resolve(String.format("a%02d.jpg", i)), "not a jpeg");
        Files.copy(Shared.image("bus.jpg"), many.resolve("z-bus.jpg"));
        Run m = run("predict", "source=" + many, "save=false");
        assertEquals(1, m.code(), m.err());
        assertTrue(m.out().contains("z-bus.jpg: "), m.out());
        assertTrue(m.err().strip().endsWith("70 of 71 images could not be read (the warnings above name them); the other 1 was predicted"), m.err());
        Path none = Files.createDirectories(tmp.resolve("none"));
        for (int i = 0; i < 3; i++) Files.writeString(none.resolve(i + ".jpg"), "not a jpeg");
        Run n = run("predict", "source=" + none, "save=false");
        assertEquals(1, n.code(), n.err());
        assertTrue(n.err().strip().endsWith("cannot decode image " + none.resolve("2.jpg") + " (not an image, or a corrupt one)"), n.err());
    }

    @Test
    void missingModelIsOneLine(@TempDir Path tmp) {
        assertOneLineError(run("predict", "model=" + tmp.resolve("none.onnx")), "none.onnx not found");
    }

    @Test
    void valPrintsTheTableAndSavesResults(@TempDir Path tmp) throws Exception {
        Shared.require();
        Run r = run("val", "model=yolov8n.onnx", "data=coco8.yaml", "save_json=true", "project=" + tmp, "name=v");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Box(P"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith("all") && l.contains(" 4 ") && l.contains(" 17 ")), r.out());
        assertTrue(Files.readString(tmp.resolve("v/results.csv")).startsWith("Class,Images,Instances,P,R,mAP50,mAP50-95"));
        assertTrue(Files.readString(tmp.resolve("v/predictions.json")).contains("\"category_id\""));
    }

    @Test
    void valWithAMissingDatasetIsOneLine(@TempDir Path tmp) throws Exception {
        Shared.require();
        assertOneLineError(run("val", "data=" + tmp.resolve("none.yaml")), "none.yaml not found");
        Path yaml = Files.writeString(tmp.resolve("bad.yaml"), "path: " + tmp + "\nval: images\nnames: [a]\n");
        assertOneLineError(run("val", "data=" + yaml), "names 1 classes but yolov8n.onnx predicts 80");
    }

    @Test
    void exportWithoutAGpuIsOneLineAndWritesNothing(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(dev.yolotrt.backend.TensorRt.available(), "a GPU is present");
        Path model = Files.copy(Shared.model("yolov8n.onnx"), tmp.resolve("yolov8n.onnx"));
        assertOneLineError(run("export", "model=" + model, "half=true"), "needs an NVIDIA GPU with TensorRT 10.6");
        try (var files = Files.list(tmp)) {
            assertEquals(java.util.List.of(model), files.toList());
        }
        assertOneLineError(run("export", "model=" + model, "fraction=2"), "bad value fraction=2.0: must be from 0.0 to 1.0");
        assertOneLineError(run("export", "model=" + model, "format=tflite"), "format=tflite is not supported");
    }

    @Test
    void benchmarkWithoutAGpuMeasuresTheCpuBackend(@TempDir Path tmp) throws Exception {
        Shared.require();
        org.junit.jupiter.api.Assumptions.assumeFalse(dev.yolotrt.backend.TensorRt.available(), "a GPU is present");
        Run r = run("benchmark", "model=yolov8n.onnx", "project=" + tmp, "name=b");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("benchmarking the ONNX Runtime CPU backend instead: one FP32 row per batch, 5 timed calls each (precisions= and iters= are for engines)"), r.err());
        String md = Files.readString(tmp.resolve("b/benchmark.md"));
        assertTrue(md.startsWith("| Format | Precision | Batch | Engine ms/img"), md);
        assertTrue(md.contains("| onnx | FP32 | 1 |"), md);
        // Milliseconds to 2 decimals, mAP and MB to 3; no build for an ONNX row: "-", not 0.000.
        assertFalse(java.util.regex.Pattern.compile("\\d\\.\\d{4}").matcher(r.out()).find(), r.out());
        assertTrue(java.util.regex.Pattern.compile("onnx\\s+\\|\\s+FP32\\s+\\|\\s+1\\s+\\|\\s+\\d+\\.\\d\\d\\s").matcher(r.out()).find(), r.out());
        String row = md.lines().filter(l -> l.startsWith("| onnx")).findFirst().orElseThrow();
        java.util.List<String> head = java.util.Arrays.stream(md.lines().findFirst().orElseThrow().split("\\|")).map(String::strip).toList();
        assertEquals("-", java.util.Arrays.stream(row.split("\\|")).map(String::strip).toList().get(head.indexOf("Build s")), row);
        assertTrue(Files.readString(tmp.resolve("b/benchmark.csv")).contains("0.609"), "mAP50-95 of yolov8n on coco8 (Ultralytics: 0.60923)");
    }

    @Test
    void exportOnnxFromAPtWritesItBesideTheCheckpoint(@TempDir Path tmp) throws Exception {
        Path pt = Files.copy(Shared.model("yolov8n.pt"), tmp.resolve("yolov8n.pt"));
        Run r = run("export", "model=" + pt, "format=onnx");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Exported yolov8n.pt -> " + tmp.resolve("yolov8n.onnx")), r.out());
        Run p = run("predict", "model=" + tmp.resolve("yolov8n.onnx"), "source=" + Shared.image("bus.jpg"), "save=false");
        assertTrue(p.out().contains("4 persons, 1 bus"), p.out());
        assertOneLineError(run("export", "model=" + Shared.model("yolov8n.onnx"), "format=onnx"), "format=onnx exports .pt checkpoints");
    }

    @Test
    void exportOfAModelFoundByNameWritesIntoTheWorkingDirectoryNotTheModelStore() throws Exception {
        // yolov8n.pt by name is found in YOLO_TRT_MODELS, which holds Ultralytics' own yolov8n.onnx: left untouched.
        Path store = Shared.model("yolov8n.onnx");
        byte[] before = Files.readAllBytes(store);
        Path here = Path.of("yolov8n.onnx").toAbsolutePath();
        assertFalse(Files.exists(here), "a stray " + here + " from an earlier run");
        try {
            Run r = run("export", "model=yolov8n.pt", "format=onnx");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("Exported yolov8n.pt -> " + here), r.out());
            assertTrue(Files.size(here) > 1_000_000, "the converted network");
            assertArrayEquals(before, Files.readAllBytes(store), "the model store's file was rewritten");
        } finally {
            Files.deleteIfExists(here);
        }
    }

    @Test
    void benchmarkOverASourceComparesTheTwoPaths(@TempDir Path tmp) throws Exception {
        Shared.require();
        Run r = run("benchmark", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg") + "," + Shared.image("zidane.jpg"), "project=" + tmp);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("sequential decode") && r.out().contains("pipelined"), r.out());
        assertTrue(Files.readString(tmp.resolve("throughput/throughput.md")).contains("| Images/s |"));
        assertFalse(r.err().contains("WARNING: batch="), "batch=1 on a batch-1 model is what was asked: " + r.err());
        Run b8 = run("benchmark", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "batch=8", "project=" + tmp);
        assertEquals(0, b8.code(), b8.err());
        assertTrue(b8.err().contains("WARNING: batch=8 but yolov8n.onnx takes a fixed batch of 1 (input [1, 3, 640, 640]): its rows run at batch 1"),
                b8.err());
    }

    @Test
    void helpAndVersion() {
        Run help = run("help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("max_det"), help.out());
        // help anywhere on the line, as Ultralytics' CLI.
        for (String[] a : new String[][] {{"predict", "help"}, {"val", "--help"}, {"detect", "predict", "model=yolov8n.onnx", "help"}, {"detect", "help"}}) {
            Run h = run(a);
            assertEquals(0, h.code(), h.err());
            assertEquals(help.out(), h.out());
        }
        Run v = run("version");
        assertTrue(v.out().matches("yolo-trt \\d+\\.\\d+\\.\\d+.*\\R"), v.out());
        assertTrue(v.out().contains("; JPEGs decoded by " + dev.yolotrt.data.Images.jpegDecoder() + ")"), v.out());
    }

    @Test
    void deviceListsNameGpus() {
        assertEquals(java.util.List.of(0, 1), Commands.gpus("0,1", 4));
        assertEquals(java.util.List.of(2), Commands.gpus("2", 4));
        assertEquals("device=4: this machine has GPU 0 to 3; use device=cpu or one of its GPUs",
                assertThrows(YoloException.class, () -> Commands.gpus("4", 4)).getMessage());
        assertEquals("device=0: this machine has no NVIDIA GPU; use device=cpu", assertThrows(YoloException.class, () -> Commands.gpus("0", 0)).getMessage());
        assertEquals(java.util.List.of(), Commands.gpus("cpu"));
        assertEquals(java.util.List.of(), Commands.gpus("dla:1"));
        assertEquals(java.util.List.of(), Commands.gpus(null));
        assertOneLineError(run("predict", "model=yolov8n.onnx", "device=0,a"), "device=0,a: expected cpu, a GPU number (0), several (0,1) or dla:N");
        assertOneLineError(run("predict", "model=yolov8n.onnx", "device=1,1"), "device=1,1 names a GPU twice");
    }
}
