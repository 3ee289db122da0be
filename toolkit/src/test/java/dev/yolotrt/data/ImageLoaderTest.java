package dev.yolotrt.data;

import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parallel decoder: input order kept, decoding on several threads at once, bounded by its window. */
class ImageLoaderTest {

    /** A "decode" that takes a random time and yields a 1 × (i + 1) image, so order can be read back. */
    private static Mat slowImage(int i, AtomicInteger running, AtomicInteger maxRunning, AtomicInteger calls, long seed) {
        calls.incrementAndGet();
        maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
            Thread.sleep(new Random(seed + i).nextInt(20));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.decrementAndGet();
        }
        return new Mat(1, i + 1, CV_8UC3);
    }

    @Test
    void ordersResultsAndDecodesInParallel() {
        AtomicInteger running = new AtomicInteger(), maxRunning = new AtomicInteger(), calls = new AtomicInteger();
        List<Integer> items = IntStream.range(0, 60).boxed().toList();
        List<Integer> seen = new ArrayList<>();
        try (ImageLoader<Integer> loader = new ImageLoader<>(items, i -> slowImage(i, running, maxRunning, calls, 7), 6, 12)) {
            while (loader.hasNext()) {
                ImageLoader.Loaded<Integer> l = loader.next();
                assertEquals(l.source() + 1, l.image().cols(), "image of item " + l.source());
                seen.add(l.source());
                l.image().close();
            }
        }
        assertEquals(items, seen);
        assertTrue(maxRunning.get() > 1, "decodes overlapped: " + maxRunning.get());
        assertEquals(60, calls.get());
    }

    @Test
    void aSlowConsumerHoldsDecodingBack() throws Exception {
        AtomicInteger running = new AtomicInteger(), maxRunning = new AtomicInteger(), calls = new AtomicInteger();
        List<Integer> items = IntStream.range(0, 100).boxed().toList();
        try (ImageLoader<Integer> loader = new ImageLoader<>(items, i -> slowImage(i, running, maxRunning, calls, 3), 4, 5)) {
            for (int taken = 1; taken <= 10; taken++) {
                loader.next().image().close();
                Thread.sleep(30); // the sink is slower than the decoders
                assertTrue(loader.ahead() <= 5, "decoded ahead: " + loader.ahead());
                assertTrue(calls.get() <= taken + 5, "decoded " + calls.get() + " for " + taken + " taken");
            }
        }
        assertTrue(calls.get() < 100, "closing stops the rest: " + calls.get());
    }
}
