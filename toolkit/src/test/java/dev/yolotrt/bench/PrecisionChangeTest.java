package dev.yolotrt.bench;

import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.Accumulator;
import dev.yolotrt.val.Metrics;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two hand-made engines on two images. a.jpg: a small (10×10) and a large (200×200) cat; the reference finds both, the
 * other only the large one. b.jpg: a medium (50×50) dog found by both; the other adds a medium dog where there is none,
 * at a lower confidence than its hit, which leaves the dog's AP unchanged.
 */
class PrecisionChangeTest {

    private static final List<String> NAMES = List.of("cat", "dog");
    private static final float[] SMALL = {0, 0, 10, 10}, LARGE = {100, 100, 300, 300}, MEDIUM = {0, 0, 50, 50}, GHOST = {200, 200, 260, 260};

    private static Metrics reference() {
        Accumulator acc = new Accumulator(NAMES);
        acc.add("a.jpg", cat(SMALL, LARGE), new float[] {0.9f, 0.8f}, new int[] {0, 0}, cat(SMALL, LARGE), new int[] {0, 0});
        acc.add("b.jpg", MEDIUM, new float[] {0.7f}, new int[] {1}, MEDIUM, new int[] {1});
        return acc.metrics("fp16", "d", "val", Map.of());
    }

    private static Metrics other() {
        Accumulator acc = new Accumulator(NAMES);
        acc.add("a.jpg", LARGE, new float[] {0.8f}, new int[] {0}, cat(SMALL, LARGE), new int[] {0, 0});
        acc.add("b.jpg", cat(MEDIUM, GHOST), new float[] {0.7f, 0.6f}, new int[] {1, 1}, MEDIUM, new int[] {1});
        return acc.metrics("int8", "d", "val", Map.of());
    }

    private static float[] cat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void perSizeLosesOnlyTheSmallObject() {
        Table t = PrecisionChange.perSize(reference(), other());
        assertEquals(List.of("small", "medium", "large"), t.stringColumn("Size").asList());
        assertEquals(List.of(1, 1, 1), t.intColumn("Instances").asList());
        double[] ref = t.doubleColumn("mAP50-95 fp16").asDoubleArray(), oth = t.doubleColumn("mAP50-95 int8").asDoubleArray();
        // One label, one hit: Ultralytics' 101-point AP of a perfect detector is 0.995 (the point at recall 1 has precision 0).
        assertArrayEquals(new double[] {0.995, 0.995, 0.995}, ref, 1e-9);
        assertArrayEquals(new double[] {0, 0.995, 0.995}, oth, 1e-9);
        assertArrayEquals(new double[] {-0.995, 0, 0}, t.doubleColumn("Change").asDoubleArray(), 1e-9);
    }

    @Test
    void perClassPutsTheCatThatLostFirstUnderAll() {
        Table t = PrecisionChange.perClass(reference(), other());
        assertEquals(List.of("all", "cat", "dog"), t.stringColumn("Class").asList());
        assertEquals(List.of(3, 2, 1), t.intColumn("Instances").asList());
        // One cat of two found at precision 1: the envelope falls linearly from recall 0.5 to 1, AP 0.5 + 0.25 = 0.75.
        assertEquals(0.75 - 0.995, t.doubleColumn("Change").get(1), 1e-9, t.printAll());
        assertEquals(0, t.doubleColumn("Change").get(2), 1e-12, t.printAll());
        assertEquals(other().map() - reference().map(), t.doubleColumn("mAP50-95 int8").get(0) - t.doubleColumn("mAP50-95 fp16").get(0), 1e-12);
    }

    @Test
    void galleryListsTheLostCatAndTheAddedDog() {
        List<PrecisionChange.Diff> g = PrecisionChange.gallery(reference(), other(), 0.25, 10);
        assertEquals(2, g.size());
        PrecisionChange.Diff a = g.stream().filter(d -> d.image().equals("a.jpg")).findFirst().orElseThrow();
        assertEquals(1, a.lost());
        assertEquals(0, a.added());
        assertArrayEquals(SMALL, a.lostXyxy());
        assertEquals(0.9f, a.lostConf()[0]);
        PrecisionChange.Diff b = g.stream().filter(d -> d.image().equals("b.jpg")).findFirst().orElseThrow();
        assertEquals(0, b.lost());
        assertArrayEquals(GHOST, b.addedXyxy());
        assertArrayEquals(new int[] {1}, b.addedCls());
        // Above the ghost's confidence only the lost cat is a change.
        assertEquals(List.of("a.jpg"), PrecisionChange.gallery(reference(), other(), 0.65, 10).stream().map(PrecisionChange.Diff::image).toList());
    }

    @Test
    void intervalIsTheDifferenceOfTheRunsAndRefusesOtherImages() {
        Metrics ref = reference(), oth = other();
        assertEquals(oth.map() - ref.map(), PrecisionChange.interval(ref, oth, 50, 1).diff(), 1e-12);
        Accumulator one = new Accumulator(NAMES);
        one.add("c.jpg", MEDIUM, new float[] {0.7f}, new int[] {1}, MEDIUM, new int[] {1});
        YoloException e = assertThrows(YoloException.class, () -> PrecisionChange.interval(ref, one.metrics("x", "d", "val", Map.of()), 50, 1));
        assertTrue(e.getMessage().contains("same images"), e.getMessage());
    }
}
