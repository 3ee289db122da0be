package dev.yolotrt.predict;

import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.viz.Annotator;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** yolov8n on bus.jpg against boxes measured once (and an independent ONNX Runtime pipeline's, BASELINE.md). */
class BusPredictTest {

    private static Yolo model;

    @BeforeAll
    static void load() {
        model = Yolo.load("yolov8n.onnx", Shared.settings());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void busAndThreePeopleAboveHalf() {
        Results r = model.predict(Shared.image("bus.jpg").toString(), Map.of("conf", 0.5)).get(0);
        Boxes b = r.boxes();
        assertArrayEquals(new int[] {1080, 810}, r.origShape());
        assertEquals(4, b.size());
        assertEquals(Map.of("person", 3, "bus", 1), r.counts());
        // Measured with this pipeline; the independent reference differs by at most 4 px.
        float[][] expected = {{670, 381, 810, 880}, {222, 407, 344, 856}, {51, 397, 244, 905}, {31, 231, 801, 776}};
        String[] names = {"person", "person", "person", "bus"};
        float[] conf = {0.89f, 0.88f, 0.88f, 0.84f};
        for (int i = 0; i < 4; i++) {
            assertEquals(names[i], b.name(i));
            assertArrayEquals(expected[i], b.xyxy(i), 2f, "box " + i);
            assertEquals(conf[i], b.conf(i), 0.01f);
        }
        assertEquals("640x640 3 persons, 1 bus", r.summary());
    }

    @Test
    void defaultConfFindsTheFourthPersonAtTheEdge() {
        Results r = model.predict(Shared.image("bus.jpg").toString()).get(0);
        assertEquals(Map.of("person", 4, "bus", 1), r.counts());
        float[] edge = r.boxes().xyxy(4);
        assertEquals(0f, edge[0], 1f); // cut by the left border
        float[] xywh = r.boxes().xywh(3);
        assertEquals((31 + 801) / 2f, xywh[0], 2f);
        float[] n = r.boxes().xyxyn(3);
        assertEquals(801f / 810, n[2], 0.005f);
    }

    @Test
    void classFilterKeepsOnlyBuses() {
        Results r = model.predict(Shared.image("bus.jpg").toString(), PredictOptions.builder().classes(5).build()).get(0);
        assertEquals(Map.of("bus", 1), r.counts());
    }

    @Test
    void plotDrawsBoxesInClassColours(@TempDir Path tmp) throws Exception {
        Results r = model.predict(Shared.image("bus.jpg").toString(), Map.of("conf", 0.5)).get(0);
        Path saved;
        try (var drawn = Annotator.plot(r, true, true, null)) {
            saved = Images.write(drawn, tmp.resolve("bus.png"));
        }
        BufferedImage img = ImageIO.read(saved.toFile());
        assertEquals(810, img.getWidth());
        // The person box's left edge (x = 222) is drawn in Ultralytics' class-0 red FF3838.
        int rgb = img.getRGB(222, 600) & 0xffffff;
        assertEquals(0xFF3838, rgb);
        assertEquals(List.of(), listTemp(tmp));
    }

    /**
     * A result holds no native memory: a file is decoded again to draw, an image given in memory is kept on the heap
     * (the caller's Mat stays the caller's, open and untouched), and both draw the same pixels as the image given
     * explicitly.
     */
    @Test
    void resultsDrawFromTheFileOrTheirOwnCopyOfAnImageInMemory() {
        try (Mat bus = Images.read(Shared.image("bus.jpg"))) {
            byte[] before = pixels(bus);
            Results fromFile = model.predict(Shared.image("bus.jpg").toString(), Map.of("conf", 0.5)).get(0);
            Results fromMat = model.predict(bus, Map.of("conf", 0.5)).get(0);
            assertEquals(fromFile.counts(), fromMat.counts());
            assertArrayEquals(before, pixels(bus), "the caller's Mat is left as it was");
            try (Mat a = fromFile.origImg(); Mat b = fromMat.origImg()) {
                assertArrayEquals(before, pixels(a));
                assertArrayEquals(before, pixels(b));
            }
            try (Mat drawn = Annotator.plot(fromFile, true, true, null); Mat mem = Annotator.plot(fromMat, true, true, null);
                 Mat given = Annotator.plot(fromFile, bus, true, true, null)) {
                assertArrayEquals(pixels(drawn), pixels(mem));
                assertArrayEquals(pixels(drawn), pixels(given));
                assertTrue(!java.util.Arrays.equals(before, pixels(drawn)), "boxes were drawn");
            }
            try (Mat small = new Mat(bus, new org.bytedeco.opencv.opencv_core.Rect(0, 0, 100, 100))) {
                var e = org.junit.jupiter.api.Assertions.assertThrows(dev.yolotrt.util.YoloException.class,
                        () -> Annotator.plot(fromFile, small, true, true, null));
                assertTrue(e.getMessage().contains("give the image the result was predicted on"), e.getMessage());
            }
        }
    }

    private static byte[] pixels(Mat bgr) {
        try (Mat c = bgr.clone()) {
            byte[] out = new byte[c.cols() * c.rows() * c.channels()];
            c.data().get(out);
            return out;
        }
    }

    @Test
    void theApiSavesImagesLabelsAndCropsLikeTheCli(@TempDir Path tmp) throws Exception {
        model.predict(Shared.image("bus.jpg").toString(), Map.of("conf", 0.5, "save", true, "save_txt", true,
                "save_crop", true, "project", tmp.toString(), "name", "run"));
        Path run = tmp.resolve("run");
        assertEquals(810, ImageIO.read(run.resolve("bus.jpg").toFile()).getWidth());
        assertEquals(4, Files.readAllLines(run.resolve("labels/bus.txt")).size());
        assertTrue(Files.isRegularFile(run.resolve("crops/bus/bus.jpg")));
        assertEquals(3, listAll(run.resolve("crops/person")).size());
        // A run name is one folder inside project.
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.yolotrt.util.YoloException.class, () ->
                model.predict(Shared.image("bus.jpg").toString(), Map.of("save", true, "project", tmp.toString(), "name", "../x")));
        assertTrue(e.getMessage().contains("name=../x must be a plain folder name"), e.getMessage());
    }

    private static List<Path> listAll(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static List<Path> listTemp(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
        }
    }

    @Test
    void folderAndListSourcesGiveOneResultPerImage() {
        List<Results> all = model.predict(Shared.settings().assetsDir().toString());
        assertEquals(8, all.size());
        assertTrue(all.stream().allMatch(r -> r.speed().get("inference") > 0));
        List<Results> two = model.predict(List.of(Shared.image("bus.jpg"), Shared.image("zidane.jpg")));
        assertEquals(2, two.size());
        assertTrue(two.get(1).counts().getOrDefault("person", 0) >= 2, two.get(1).toString());
    }
}
