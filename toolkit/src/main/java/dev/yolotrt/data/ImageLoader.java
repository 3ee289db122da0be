package dev.yolotrt.data;

import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Decodes images on several threads ahead of their consumer and hands them over in input order. At
 * most {@code window} images are decoded and not yet taken, so a slow consumer holds decoding back
 * instead of filling memory (back-pressure). Close it to stop the threads and free what was decoded
 * but never taken.
 */
public final class ImageLoader<T> implements Iterator<ImageLoader.Loaded<T>>, AutoCloseable {

    /** One decoded image, its source and how long decoding took. */
    public record Loaded<T>(T source, Mat image, double decodeMs) {
    }

    private final Iterator<T> items;
    private final Function<T, Mat> load;
    private final int window;
    private final ExecutorService pool;
    private final Deque<Future<Loaded<T>>> ahead = new ArrayDeque<>();

    /**
     * Decoding threads for a pipeline: every core, up to 64. JPEG decoding is the host's slowest stage even through
     * libturbojpeg (4.7-5.4 ms per COCO image and thread on an H200 host, 7.3 through OpenCV): 16 cores feed one H200 at
     * about 2,600 images/s.
     * The cap bounds the decoded images kept ahead (at least one per thread) when photos are large.
     */
    public static int defaultThreads() {
        return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 64));
    }

    /** Decodes {@code items} with {@code load} on {@code threads} threads, at most {@code window} ahead. */
    public ImageLoader(List<T> items, Function<T, Mat> load, int threads, int window) {
        this(List.copyOf(items).iterator(), load, threads, window);
    }

    /**
     * As {@link #ImageLoader(List, Function, int, int)} over items pulled one at a time, on the consumer's thread, as the
     * window frees up (a Spark partition's rows, which never sit in memory at once).
     */
    public ImageLoader(Iterator<T> items, Function<T, Mat> load, int threads, int window) {
        this.items = items;
        this.load = load;
        this.window = Math.max(1, window);
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "image-decode");
            t.setDaemon(true);
            return t;
        });
        fill();
    }

    /** Decoded images waiting to be taken (for tests of the back-pressure). */
    public synchronized int ahead() {
        return ahead.size();
    }

    private synchronized void fill() {
        while (ahead.size() < window && items.hasNext()) {
            T item = items.next();
            ahead.add(pool.submit(() -> {
                long t0 = System.nanoTime();
                Mat m = load.apply(item);
                return new Loaded<>(item, m, (System.nanoTime() - t0) / 1e6);
            }));
        }
    }

    @Override
    public synchronized boolean hasNext() {
        return !ahead.isEmpty() || items.hasNext();
    }

    /** The next image in input order, waiting for it if it is still being decoded. */
    @Override
    public Loaded<T> next() {
        if (!hasNext()) throw new NoSuchElementException();
        Future<Loaded<T>> f;
        synchronized (this) {
            f = ahead.poll();
        }
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new YoloException("decoding failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new YoloException("decoding was interrupted");
        } finally {
            // Also after a failed image: a consumer that skips it goes on with the window full.
            fill();
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        synchronized (this) {
            for (Future<Loaded<T>> f : ahead) {
                try {
                    if (f.isDone() && !f.isCancelled()) f.get().image().close();
                    else f.cancel(true);
                } catch (ExecutionException | InterruptedException | java.util.concurrent.CancellationException e) {
                    // nothing decoded to free
                }
            }
            ahead.clear();
        }
    }
}
