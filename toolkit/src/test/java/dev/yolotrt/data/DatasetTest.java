package dev.yolotrt.data;

import dev.yolotrt.testutil.Shared;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetTest {

    @Test
    void shippedCoco8ResolvesInTheDatasetsFolder() {
        Dataset ds = Dataset.load("coco8.yaml", Shared.settings());
        assertEquals(80, ds.nc());
        assertEquals("person", ds.names().get(0));
        assertEquals(Shared.datasets().resolve("coco8"), ds.root());
        List<Path> val = ds.images("val", Shared.settings());
        assertEquals(4, val.size());
        assertEquals("000000000036.jpg", val.get(0).getFileName().toString());
        List<Label> labels = Labels.read(Labels.labelFile(val.get(2)), 80);
        assertEquals(9, labels.size()); // 000000000049: 6 persons, 2 horses, a potted plant
        assertEquals(17, labels.get(0).cls());
        assertEquals(0.597835, labels.get(0).cx(), 1e-9);
    }

    @Test
    void labelFileSwapsTheLastImagesFolder() {
        assertEquals(Path.of("/d/images/x/labels/a/b.txt"), Labels.labelFile(Path.of("/d/images/x/images/a/b.jpg")));
    }

    @Test
    void labelLinesParseBoxesAndPolygons() {
        Label box = Labels.parse("3 0.5 0.5 0.2 0.4", Path.of("l.txt"), 1, 80);
        float[] xyxy = box.xyxy(100, 200);
        assertEquals(40f, xyxy[0], 1e-4);
        assertEquals(60f, xyxy[1], 1e-4);
        assertEquals(60f, xyxy[2], 1e-4);
        assertEquals(140f, xyxy[3], 1e-4);
        Label poly = Labels.parse("1 0.1 0.2 0.5 0.2 0.3 0.6", Path.of("l.txt"), 1, 80);
        assertEquals(0.3, poly.cx(), 1e-12);
        assertEquals(0.4, poly.cy(), 1e-12);
        assertEquals(0.4, poly.w(), 1e-12);
    }

    @Test
    void malformedLabelsNameFileAndLine(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(tmp.resolve("a.txt"), "0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1\n");
        YoloException e = assertThrows(YoloException.class, () -> Labels.read(f, 80));
        assertTrue(e.getMessage().startsWith(f + ":2: expected 'class cx cy w h'"), e.getMessage());
        Path g = Files.writeString(tmp.resolve("b.txt"), "80 0.5 0.5 0.1 0.1\n");
        YoloException range = assertThrows(YoloException.class, () -> Labels.read(g, 80));
        assertTrue(range.getMessage().contains(g + ":1: class id 80 is out of range"), range.getMessage());
        Path h = Files.writeString(tmp.resolve("c.txt"), "0 x 0.5 0.1 0.1\n");
        assertTrue(assertThrows(YoloException.class, () -> Labels.read(h, 80)).getMessage().contains(":1: not numbers"));
        Path k = Files.writeString(tmp.resolve("d.txt"), "0 50 50 10 10\n");
        assertTrue(assertThrows(YoloException.class, () -> Labels.read(k, 80)).getMessage().contains("normalized"));
        assertEquals(List.of(), Labels.read(tmp.resolve("none.txt"), 80)); // background image
    }

    @Test
    void yamlProblemsAreOneLine(@TempDir Path tmp) throws Exception {
        Settings s = Settings.from(Map.of(Settings.DATASETS, tmp.toString()));
        Path noNames = Files.writeString(tmp.resolve("a.yaml"), "path: x\nval: images/val\n");
        assertTrue(assertThrows(YoloException.class, () -> Dataset.load(noNames.toString(), s)).getMessage().contains("has no 'names'"));
        Path bad = Files.writeString(tmp.resolve("b.yaml"), "names: [a, b\nval: [");
        assertTrue(assertThrows(YoloException.class, () -> Dataset.load(bad.toString(), s)).getMessage().contains("is not valid YAML"));
        Path gap = Files.writeString(tmp.resolve("c.yaml"), "val: v\nnames:\n  0: a\n  2: c\n");
        assertTrue(assertThrows(YoloException.class, () -> Dataset.load(gap.toString(), s)).getMessage().contains("without gaps"));
        Path noSplit = Files.writeString(tmp.resolve("d.yaml"), "path: ds\nval: images/val\nnames: [a]\n");
        YoloException missing = assertThrows(YoloException.class, () -> Dataset.load(noSplit.toString(), s).images("val", s));
        assertTrue(missing.getMessage().contains("val images not found at " + tmp.resolve("ds/images/val")), missing.getMessage());
        assertTrue(assertThrows(YoloException.class, () -> Dataset.load("nope.yaml", s)).getMessage().contains("dataset YAML nope.yaml not found"));
    }

    @Test
    void txtSplitListsAndNameLists(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("ds/images"));
        Files.writeString(tmp.resolve("ds/images/a.jpg"), "x");
        Files.writeString(tmp.resolve("ds/val.txt"), "./images/a.jpg\n");
        Path yaml = Files.writeString(tmp.resolve("ds.yaml"), "path: " + tmp.resolve("ds") + "\nval: val.txt\nnames: [cat, dog]\n");
        Dataset ds = Dataset.load(yaml.toString(), Settings.from(Map.of()));
        assertEquals(List.of("cat", "dog"), ds.names());
        assertEquals(List.of(tmp.resolve("ds/images/a.jpg")), ds.images("val", Settings.from(Map.of())));
    }

    @Test
    void unzipMergesIntoTheTarget(@TempDir Path tmp) throws Exception {
        Path zip = tmp.resolve("d.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("set/images/val/a.jpg"));
            z.write(new byte[] {1, 2, 3});
            z.closeEntry();
            z.putNextEntry(new ZipEntry("set/labels/val/a.txt"));
            z.write("0 0.5 0.5 0.1 0.1\n".getBytes());
            z.closeEntry();
        }
        Files.createDirectories(tmp.resolve("out/set/images"));
        Dataset.unzip(zip, tmp.resolve("out"));
        assertEquals(3, Files.size(tmp.resolve("out/set/images/val/a.jpg")));
        assertTrue(Files.exists(tmp.resolve("out/set/labels/val/a.txt")));
        try (var s = Files.list(tmp.resolve("out"))) {
            assertEquals(List.of(tmp.resolve("out/set")), s.toList()); // no temporary folder left
        }
    }

    @Test
    void aRejectedZipLeavesNoPartialFolder(@TempDir Path tmp) throws Exception {
        Path zip = tmp.resolve("evil.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("ok/a.txt"));
            z.write(1);
            z.putNextEntry(new ZipEntry("../escape.txt"));
            z.write(2);
        }
        YoloException e = assertThrows(YoloException.class, () -> Dataset.unzip(zip, tmp.resolve("out")));
        assertTrue(e.getMessage().contains("the archive entry '../escape.txt' lies outside"), e.getMessage());
        try (var s = Files.list(tmp.resolve("out"))) {
            assertEquals(List.of(), s.toList()); // no .unzip folder, nothing half-extracted
        }
        assertTrue(Files.notExists(tmp.resolve("escape.txt")));
    }

    @Test
    void anArchiveIsSavedUnderAPlainNameInTheDatasetsFolder() {
        // A URL whose last segment is '..', empty, hidden or odd must not name a file above or beside the datasets folder.
        assertEquals("download.zip", Dataset.archiveName("http://h/x/.."));
        assertEquals("download.zip", Dataset.archiveName("http://h/"));
        assertEquals("download.zip", Dataset.archiveName("http://h/.hidden.zip"));
        assertEquals("coco8.zip", Dataset.archiveName("https://github.com/ultralytics/assets/releases/download/v0.0.0/coco8.zip?raw=1"));
    }
}
