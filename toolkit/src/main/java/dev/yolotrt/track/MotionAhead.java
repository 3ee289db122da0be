package dev.yolotrt.track;

import dev.yolotrt.backend.DeviceFlow;
import dev.yolotrt.backend.KernelUnavailable;
import dev.yolotrt.util.Progress;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * BoT-SORT's camera motion for a video's frames, computed on a pool as soon as each frame exists rather than on the
 * tracker's thread: it depends on the frames only. Each frame's grey corners run on their own, each pair's optical
 * flow and fit as soon as both frames are ready, through the tracker's own {@code Gmc} steps, so the transforms are
 * the same bits. A frame's small grey image is freed once both pairs that read it are done. Frames must
 * be given in order, from one thread; {@link #close} waits for the work given, then frees the last frame's images.
 * <p>
 * While any is open, OpenCV runs each call on its calling thread ({@code setNumThreads(1)}), restored after the last
 * closes. OpenCV parallelises one loop at a time in the whole process and runs the others serially, so with a pool of
 * tasks its own workers (one per core) only add threads that compete with the pool for the same cores; each task
 * serial is the most work per core. Results do not depend on it (each OpenCV loop splits into independent parts).
 * <p>
 * Given a GPU, the corners and the optical flow (most of a frame's motion on the CPU) run there ({@link DeviceFlow});
 * grey, half size and the fit stay on the CPU. The transforms are the same bits either way.
 * {@code -Dyolo.gmc.cpu=true} keeps it all on the CPU (to measure both).
 */
public final class MotionAhead implements AutoCloseable {
    private static final Object OPENCV = new Object();
    private static int open;
    private static int openCvThreadsBefore;

    private final Executor pool;
    /** The optical flow on the GPU, owned here; null on the CPU. */
    private final DeviceFlow flow;
    private final AtomicLong busyNanos = new AtomicLong();
    private boolean closed;
    private CompletableFuture<Gmc.Prepared> prevFrame;
    private CompletableFuture<double[]> prevPair;
    /** Completes when every pair given so far is computed and the images it alone read are freed. */
    private CompletableFuture<Void> settled = CompletableFuture.completedFuture(null);

    private MotionAhead(Executor pool, DeviceFlow flow) {
        this.pool = pool;
        this.flow = flow;
        synchronized (OPENCV) {
            if (open++ == 0) {
                openCvThreadsBefore = opencv_core.getNumThreads();
                opencv_core.setNumThreads(1);
            }
        }
    }

    /**
     * Motion ahead for BoT-SORT's {@code gmc_method}, or null when it computes none; its corners and optical flow on GPU
     * {@code gpu} when one is given and its driver runs the toolkit's kernels, on the CPU otherwise.
     */
    public static MotionAhead of(String gmcMethod, Executor pool, OptionalInt gpu) {
        if (gmcMethod == null || !Gmc.enabled(gmcMethod)) return null;
        Gmc.requireOpenCvVideo();
        DeviceFlow flow = null;
        if (gpu.isPresent() && !Boolean.getBoolean("yolo.gmc.cpu")) {
            try {
                flow = DeviceFlow.open(gpu.getAsInt());
            } catch (KernelUnavailable e) {
                Progress.note("WARNING: " + e.getMessage() + "; BoT-SORT's corners and optical flow on the CPU instead");
            }
        }
        return new MotionAhead(pool, flow);
    }

    /** The transform from the previous frame given to {@code bgr} (identity for the first), computed on the pool. */
    public CompletableFuture<double[]> next(CompletableFuture<Mat> bgr) {
        CompletableFuture<Gmc.Prepared> frame = bgr.thenApplyAsync(m -> timed(() -> Gmc.prepare(m, flow)), pool);
        CompletableFuture<double[]> pair;
        CompletableFuture<?> done;
        if (prevFrame == null) {
            pair = frame.thenApply(f -> Gmc.identity());
            done = pair;
        } else {
            CompletableFuture<Gmc.Prepared> before = prevFrame;
            pair = before.thenCombineAsync(frame, (a, b) -> timed(() -> Gmc.between(a, b, flow)), pool);
            // The previous frame is read by its own pair and by this one: freed when both are done.
            done = CompletableFuture.allOf(prevPair, pair).whenComplete((v, e) -> before.thenAccept(Gmc.Prepared::close));
        }
        settled = CompletableFuture.allOf(settled, done.handle((v, e) -> null));
        prevFrame = frame;
        prevPair = pair;
        return pair;
    }

    private <T> T timed(Supplier<T> work) {
        long t0 = System.nanoTime();
        try {
            return work.get();
        } finally {
            busyNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    /** Milliseconds the pool's threads spent on this video's motion so far, all threads added (the benchmark's stage time). */
    public double busyMs() {
        return busyNanos.get() / 1e6;
    }

    /** Waits for the work given (the pool must still run it), then frees the last frame's images. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            settled.join();
        } finally {
            synchronized (OPENCV) {
                if (--open == 0) opencv_core.setNumThreads(openCvThreadsBefore);
            }
            if (prevFrame != null) prevFrame.handle((f, e) -> {
                if (f != null) f.close();
                return null;
            });
            prevFrame = null;
            prevPair = null;
            // Last: the frames' pyramids live in its memory.
            if (flow != null) flow.close();
        }
    }
}
