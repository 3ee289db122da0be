package dev.yolotrt.fuzz;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.cli.Main;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.Images;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.export.EngineFile;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.notebook.NotebookRunner;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.CocoJson;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One regression test per finding of the fuzzing round (issue 11): each reproducer is now one clear line. */
class FindingsTest {

    private static final Settings NONE = Settings.from(Map.of(Settings.CACHE, "/nonexistent/yolo-trt"));

    private static String fails(Executable call, String expected) {
        YoloException e = assertThrows(YoloException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void header(String json) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        byte[] all = ByteBuffer.allocate(4 + h.length + 64).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length).put(h).array();
        EngineFile.parse(all, "x.engine").modelMetadata();
    }

    @Test
    void engineHeaders() {
        fails(() -> header("{\"names\":{\"a\":\"b\"}}"), "'a' is not a class id");
        fails(() -> header("{\"names\":{\"0\":\"a\",\"2000000000\":\"b\"}}"), "class id 2000000000 is out of range");
        fails(() -> header("{\"imgsz\":[\"640\",\"640\"]}"), "imgsz value 640 is not a whole number");
        fails(() -> header("{\"imgsz\":[null,640]}"), "imgsz value null");
        fails(() -> header("{\"task\":null}"), "task=null is not a task name");
        fails(() -> header("{\"args\":{\"half\":\"yes\"}}"), "args.half=yes is not true or false");
    }

    @Test
    void onnxMetadataProps() {
        fails(() -> ModelMetadata.fromOnnxProps(Map.of("names", "{99999999999: 'a'}"), new int[] {640, 640}, 1), "out of range");
        fails(() -> ModelMetadata.fromOnnxProps(Map.of("names", "{2000000000: 'a'}"), new int[] {640, 640}, 1), "out of range");
        fails(() -> ModelMetadata.fromOnnxProps(Map.of("stride", "32", "imgsz", "[99999999999, 640]"), new int[] {640, 640}, 1),
                "metadata imgsz=99999999999 is not a whole number");
        fails(() -> ModelMetadata.fromOnnxProps(Map.of("stride", "99999999999"), new int[] {640, 640}, 1), "metadata stride=");
    }

    @Test
    void datasetYaml(@TempDir Path tmp) {
        fails(() -> Dataset.fromYaml("val: x\nnames: !!int person", "d.yaml", NONE), "d.yaml is not a dataset YAML");
        fails(() -> Dataset.fromYaml("val: x\nnames: !!binary abc", "d.yaml", NONE), "d.yaml");
        fails(() -> Dataset.fromYaml("val: x\nnames: !!set {a, b}", "d.yaml", NONE), "'names' must be a list or a map");
        fails(() -> Dataset.fromYaml("path: \"a\\0b\"\nval: x\nnames: [a]", "d.yaml", NONE), "is not a valid path");
        Settings here = Settings.from(Map.of(Settings.DATASETS, tmp.toString(), Settings.CACHE, tmp.toString()));
        fails(() -> Dataset.fromYaml("path: /\nval: dev/zero\nnames: [a]", "d.yaml", here).images("val", here), "d.yaml path / lies outside");
        fails(() -> Dataset.fromYaml("path: " + tmp + "\nval: nothing\nnames: [a]\ndownload: python3 get.py", "d.yaml", here).images("val", here),
                "its 'download' is a script");
    }

    @Test
    void sources(@TempDir Path tmp) throws Exception {
        fails(() -> ImageSource.resolve("/tmp/[*.jpg", NONE), "is not a valid path or glob");
        fails(() -> ImageSource.resolve("http://", NONE).get(0).load(), "not a valid URL");
        Path empty = Files.createFile(tmp.resolve("empty.jpg"));
        fails(() -> Images.read(empty), "cannot decode image " + empty + " (the file is empty)");
        Path huge = Files.write(tmp.resolve("huge.jpg"), jpegHeader(65500, 65500));
        fails(() -> Images.read(huge), "65500x65500 pixels, more than the 178 megapixels allowed");
        Path bomb = Files.write(tmp.resolve("bomb.jpg"), jpegHeader(30000, 30000));
        fails(() -> Images.read(bomb), "30000x30000 pixels");
        Path garbage = Files.write(tmp.resolve("garbage.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        String msg = fails(() -> Images.read(garbage), "cannot decode image " + garbage);
        assertFalse(msg.contains("/home/") || msg.contains("opencv/modules"), "no build-machine paths: " + msg);
    }

    @Test
    void aThreeThousandByOneImageLetterboxes() {
        try (Mat wide = new Mat(1, 3000, org.bytedeco.opencv.global.opencv_core.CV_8UC3)) {
            Letterbox lb = Letterbox.of(1, 3000, 640, 640);
            assertEquals(1, lb.newH());
            try (Mat out = lb.apply(wide)) {
                assertEquals(640, out.rows());
            }
        }
    }

    /** A real 16 x 16 JPEG whose frame header (SOF0) is patched to claim {@code w} x {@code h}. */
    static byte[] jpegHeader(int w, int h) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_3BYTE_BGR), "jpg", out);
        byte[] b = out.toByteArray();
        for (int i = 2; i + 8 < b.length; i++) {
            if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xC0) {
                b[i + 5] = (byte) (h >> 8);
                b[i + 6] = (byte) h;
                b[i + 7] = (byte) (w >> 8);
                b[i + 8] = (byte) w;
                return b;
            }
        }
        throw new AssertionError("no SOF0 marker");
    }

    @Test
    void options() {
        fails(() -> PredictOptions.builder().apply(Cfg.parse(List.of("iou=none"))).build(), "bad value iou=none");
        fails(() -> Cfg.parse(List.of("conf=NaN")), "bad value conf=NaN");
        fails(() -> PredictOptions.builder().apply(Cfg.parse(List.of("imgsz=30016"))).build(), "bad value imgsz=[30016]: must be from 32 to 16384");
        fails(() -> PredictOptions.builder().apply(Cfg.parse(List.of("batch=1000", "imgsz=2048"))).build(), "too large for one input tensor");
        fails(() -> PredictOptions.builder().apply(Cfg.parse(List.of("line_width=-3"))).build(), "bad value line_width=-3: must be from 1 to 100");
    }

    @Test
    void notebookJson(@TempDir Path tmp) throws Exception {
        fails(() -> NotebookRunner.parse("{\"cells\": [1]}".getBytes(StandardCharsets.UTF_8), "n.ipynb"), "cell 1 is not a notebook cell");
        fails(() -> NotebookRunner.parse("{\"cells\": [".getBytes(StandardCharsets.UTF_8), "n.ipynb"), "n.ipynb is not a notebook");
        Path nb = Files.writeString(tmp.resolve("exit.ipynb"), "{\"cells\":[{\"cell_type\":\"code\",\"source\":\"System.exit(3);\"},"
                + "{\"cell_type\":\"code\",\"source\":\"int after = 1;\"}],\"metadata\":{},\"nbformat\":4,\"nbformat_minor\":5}");
        NotebookRunner.Report r = NotebookRunner.run(nb, tmp.resolve("out.ipynb"));
        assertTrue(r.error().contains("System.exit(3) is not allowed in a notebook cell"), r.error());
        assertTrue(Files.isRegularFile(tmp.resolve("out.ipynb")));
        Path loop = Files.writeString(tmp.resolve("loop.ipynb"), "{\"cells\":[{\"cell_type\":\"code\",\"source\":\"while (true) { }\"}],"
                + "\"metadata\":{},\"nbformat\":4,\"nbformat_minor\":5}");
        NotebookRunner.Report stopped = NotebookRunner.run(loop, tmp.resolve("loop-out.ipynb"), java.time.Duration.ofSeconds(2));
        assertTrue(stopped.error().contains("stopped after the 2 s timeout"), stopped.error());
    }

    @Test
    void onnxGraphsAndCocoIds(@TempDir Path tmp) {
        assertEquals(null, dev.yolotrt.export.LayerGroups.module("/model.2000000000/conv"));
        assertEquals(22, dev.yolotrt.export.LayerGroups.module("/model.22/cv2.0/conv"));
        CocoJson j = new CocoJson(true);
        j.add(Path.of("99999999999999999999999.jpg"), new float[] {1, 2, 3, 4}, new float[] {0.5f}, new int[] {0});
        assertEquals(1, j.size());
    }

    @Test
    void mainPrintsOneLineForEveryFailure() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"predict", "source=/tmp/[*.jpg"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(1, rc);
        String text = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, text.lines().count(), text);
    }

    @Test
    void files(@TempDir Path tmp) throws Exception {
        Path f = AtomicWrite.write(tmp.resolve("results.csv"), "a,b\n".getBytes(StandardCharsets.UTF_8));
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
        assertTrue(perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ),
                "respects the umask, not 0600: " + perms);
        // A part file a killed process left, an hour old, looks like an image: never read, removed on the next write.
        Path stale = Files.write(tmp.resolve(".bus.jpg.abc.part.jpg"), new byte[] {1, 2, 3});
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 7_200_000));
        Files.copy(Shared.image("bus.jpg"), tmp.resolve("bus.jpg"));
        assertEquals(1, ImageSource.resolve(tmp.toString(), NONE).size());
        AtomicWrite.write(tmp.resolve("bus.jpg"), Files.readAllBytes(Shared.image("bus.jpg")));
        assertFalse(Files.exists(stale));
    }
}
