package dev.yolotrt.data;

import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelScanTest {

    @Test
    void coco128TrainHasTwoBackgroundsAndTwoOrphanLabels() {
        Dataset ds = Dataset.load("coco128-val2017.yaml", Shared.settings());
        LabelScan train = LabelScan.of(ds.images("train", Shared.settings()), ds.nc());
        // ../shared/ASSETS.md: 941 boxes in the label files; two train2017 labels (000000000656: 3 boxes,
        // 000000000659: 9) have no image, two images no label file: 941 - 12 = 929 boxes are scored.
        assertEquals(128, train.images().size());
        assertEquals(2, train.backgrounds());
        assertEquals(2, train.orphanLabels());
        assertEquals(929, train.instances());
        assertEquals("128 images, 2 backgrounds, 0 corrupt, 2 label files without an image (ignored)", train.summary());
        assertNull(train.warning());

        LabelScan val = LabelScan.of(ds.images("val", Shared.settings()), ds.nc());
        assertEquals(128, val.images().size());
        assertEquals(898, val.instances());
    }

    @Test
    void badLabelFilesLeaveTheirImageOutWithOneWarning(@TempDir Path dir) throws Exception {
        Path images = Files.createDirectories(dir.resolve("images/val"));
        Path labels = Files.createDirectories(dir.resolve("labels/val"));
        for (String n : List.of("a", "b", "c", "d", "e")) Files.write(images.resolve(n + ".jpg"), new byte[] {1});
        Files.writeString(labels.resolve("a.txt"), "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1\n"); // one duplicate
        Files.writeString(labels.resolve("b.txt"), "0 0.5 0.5 1.7 0.2\n");     // not normalised
        Files.writeString(labels.resolve("c.txt"), "");                        // empty: a background
        Files.writeString(labels.resolve("d.txt"), "7 0.5 0.5 0.2 0.2\n");     // class out of range
        Files.writeString(labels.resolve("zz.txt"), "0 0.5 0.5 0.2 0.2\n");    // no image
        List<Path> all;
        try (var s = Files.list(images)) {
            all = s.sorted().toList();
        }
        LabelScan scan = LabelScan.of(all, 2);
        assertEquals(List.of("a.jpg", "c.jpg", "e.jpg"), scan.images().stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(2, scan.labels().get(0).size());
        assertEquals(2, scan.backgrounds()); // c (empty) and e (no file)
        assertEquals(2, scan.corrupt());
        assertEquals(1, scan.duplicates());
        assertEquals(1, scan.orphanLabels());
        assertEquals("5 images, 2 backgrounds, 2 corrupt, 1 duplicate labels removed, 1 label file without an image (ignored)",
                scan.summary());
        assertTrue(scan.warning().startsWith("WARNING: 2 images left out for a bad label file; first: "), scan.warning());
        assertTrue(scan.warning().contains("b.txt:1: coordinates must be normalized"), scan.warning());
    }
}
