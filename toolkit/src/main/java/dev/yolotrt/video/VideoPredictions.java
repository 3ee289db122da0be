package dev.yolotrt.video;

import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.predict.Results;
import dev.yolotrt.track.MotionAhead;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The predictions of one video, frame by frame in order, with memory bounded however long it is. A thread of its own
 * decodes (FFmpeg) into a small queue; up to the predictor's concurrency batches run at once on its sessions (letterbox
 * on the GPU where the backend can); {@code after} (the tracker) then sees each result in frame order on the
 * consumer's thread. A file never drops a frame (decoding waits for the pipeline); a live source keeps only the newest
 * frame unless {@code stream_buffer}. Close it to stop decoding early.
 */
public final class VideoPredictions implements Iterator<Results>, AutoCloseable {

    /**
     * {@code vid_stride}: every n-th frame; {@code streamBuffer}: a live source queues frames instead of keeping the newest;
     * {@code gmcMethod}: BoT-SORT's motion compensation to compute ahead for the tracker, or null; {@code keepFrames}: each
     * result keeps a heap copy of its frame, as Ultralytics' results keep {@code orig_img}, for drawing later. A caller
     * that draws nothing (the CLI without save or show) skips the copy: at 1080p it is 6 MB a frame, gigabytes a second
     * at track's rates.
     */
    public record Options(int vidStride, boolean streamBuffer, String gmcMethod, boolean keepFrames) {
        public Options {
            if (vidStride < 1) throw new YoloException("vid_stride=" + vidStride + " must be at least 1");
        }
    }

    private static final Object END = new Object();

    /** A frame being converted and, when computed ahead, its camera motion (null otherwise). */
    private record Pending(Future<VideoSource.Frame> frame, CompletableFuture<double[]> motion) {
    }

    private final VideoSource source;
    private final int stride;
    private final boolean keepFrames;
    private final Predictor predictor;
    private final PredictOptions o;
    private final UnaryOperator<Results> after;
    private final int chunk;
    private final int inFlight;
    private final BlockingQueue<Object> frames;
    private final boolean latestOnly;
    private final Thread decoder;
    /** Threads converting decoded frames to BGR, each with its own swscale context. */
    private final ExecutorService conversion;
    private final ThreadLocal<VideoSource.Converter> converterOfThread = new ThreadLocal<>();
    private final List<VideoSource.Converter> converters = new ArrayList<>();
    private final ExecutorService batches;
    private final ArrayDeque<Future<List<Results>>> running = new ArrayDeque<>();
    private final ArrayDeque<Results> ready = new ArrayDeque<>();
    /** BoT-SORT's camera motion, computed on threads of its own (null unless tracking with it); its futures in frame order. */
    private final ExecutorService motionPool;
    private final MotionAhead motionAhead;
    private final ArrayDeque<CompletableFuture<double[]>> motions = new ArrayDeque<>();
    private volatile RuntimeException failure;
    private volatile boolean closed;
    private boolean ended;
    private boolean finished;
    private Path runDir;
    private double decodeMs;
    private int decoded;
    private double afterMs;

    private final AutoCloseable owned;
    // The source must be opened raw (VideoSource.open(..., true)): frames are converted on the conversion threads.

    private final Runnable onEnd;

    /**
     * {@code owned}: closed last, after the source (the run's writer, a model opened for this video's shape), or null;
     * {@code onEnd}: run once when the last frame has been taken (the writer completes its video), or null.
     */
    public VideoPredictions(VideoSource source, Predictor predictor, PredictOptions o, Options vo, UnaryOperator<Results> after,
                            AutoCloseable owned, Runnable onEnd) {
        this.source = source;
        this.stride = vo.vidStride();
        this.keepFrames = vo.keepFrames();
        this.owned = owned;
        this.onEnd = onEnd;
        this.predictor = predictor;
        this.o = o;
        this.after = after == null ? UnaryOperator.identity() : after;
        this.chunk = predictor.chunk(o);
        this.inFlight = Math.max(1, predictor.concurrency());
        this.latestOnly = source.live() && !vo.streamBuffer();
        // Enough frames for the batches in flight and the next one; a live source without buffering holds one.
        this.frames = new ArrayBlockingQueue<>(latestOnly ? 1 : Math.max(4, (inFlight + 1) * chunk));
        this.batches = Executors.newFixedThreadPool(inFlight, r -> {
            Thread t = new Thread(r, "video-batch");
            t.setDaemon(true);
            return t;
        });
        int convertThreads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors() / 2));
        this.conversion = Executors.newFixedThreadPool(convertThreads, r -> {
            Thread t = new Thread(r, "video-convert");
            t.setDaemon(true);
            return t;
        });
        // A live source that keeps the newest frame skips frames: its tracker computes the motion itself. The motion
        // has threads of its own (BoT-SORT's costliest part, several times the conversion), started only when asked.
        this.motionPool = latestOnly || vo.gmcMethod() == null ? null : Executors.newFixedThreadPool(motionThreads(), r -> {
            Thread t = new Thread(r, "video-motion");
            t.setDaemon(true);
            return t;
        });
        this.motionAhead = motionPool == null ? null : MotionAhead.of(vo.gmcMethod(), motionPool, predictor.gpu());
        this.decoder = new Thread(() -> decode(vo.vidStride()), "video-decode");
        decoder.setDaemon(true);
        decoder.start();
    }

    /**
     * Threads computing BoT-SORT's camera motion ahead: all cores but two (each task runs OpenCV on its own thread, see
     * {@link MotionAhead}); the two left decode and feed the GPU. On a 16-core H200 machine vtest.avi tracked at 637
     * frames/s with 12 motion threads, 853 with 14 and 854 with 16 (docs/benchmarks.md, sixth run).
     * {@code -Dyolo.motion.threads=N} sets another count (to measure the split on a given machine).
     */
    public static int motionThreads() {
        int n = Integer.getInteger("yolo.motion.threads", Runtime.getRuntime().availableProcessors() - 2);
        return Math.max(1, n);
    }

    /** The converter of the calling conversion thread (swscale contexts are not shared), closed with the pipeline. */
    private VideoSource.Converter converter() {
        VideoSource.Converter c = converterOfThread.get();
        if (c == null) {
            c = new VideoSource.Converter();
            converterOfThread.set(c);
            synchronized (converters) {
                converters.add(c);
            }
        }
        return c;
    }

    /** Times a dropped live stream is opened again before the run ends. */
    static final int RECONNECTS = 3;

    /**
     * The next raw frame; a live source that drops (read error or end) is reconnected up to {@link #RECONNECTS} times
     * in a row, then ends the run with one warning line (null). A file's error propagates.
     */
    private VideoSource.Raw nextFrame() {
        for (int attempt = 0; ; attempt++) {
            String why;
            try {
                VideoSource.Raw raw = source.nextRaw();
                if (raw != null || !source.live()) return raw;
                why = source.name() + " ended";
            } catch (YoloException e) {
                if (!source.live() || decoded == 0) throw e;
                why = e.getMessage();
            }
            if (closed) return null;
            if (attempt == RECONNECTS) {
                Progress.note("WARNING: " + why + "; reconnecting failed " + RECONNECTS + " times, ending after " + decoded + " frames");
                return null;
            }
            try {
                Thread.sleep(200L << attempt);
                source.reconnect();
            } catch (YoloException e) {
                // counted as a failed attempt: the loop tries again or gives up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private void decode(int stride) {
        try {
            while (!closed) {
                long t0 = System.nanoTime();
                VideoSource.Raw raw = nextFrame();
                decodeMs += (System.nanoTime() - t0) / 1e6;
                if (raw == null) {
                    checkComplete();
                    break;
                }
                decoded++;
                if (raw.index() % stride != 0) {
                    raw.free();
                    continue;
                }
                // Frames are numbered as they are returned (Ultralytics' frame count): with vid_stride=3, source frames 0, 3, 6 are 0, 1, 2.
                VideoSource.Raw r = new VideoSource.Raw(raw.picture(), raw.index() / stride, raw.timestampUs());
                if (latestOnly) {
                    Pending p = new Pending(CompletableFuture.completedFuture(converter().convert(r)), null);
                    // Live: the newest frame replaces one the pipeline has not taken yet.
                    while (!frames.offer(p)) drop(frames.poll());
                } else {
                    // Files: conversion to BGR (the costliest part of HD) runs on the conversion threads, in order,
                    // and so does the camera motion, ahead of the tracker.
                    CompletableFuture<VideoSource.Frame> f = CompletableFuture.supplyAsync(() -> converter().convert(r), conversion);
                    Pending p = new Pending(f, motionAhead == null ? null : motionAhead.next(f.thenApply(VideoSource.Frame::image)));
                    while (!closed && !frames.offer(p, 100, TimeUnit.MILLISECONDS)) {
                        // back-pressure: the pipeline is behind
                    }
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                while (!closed && !frames.offer(END, 100, TimeUnit.MILLISECONDS)) {
                    if (latestOnly) frames.poll();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A file that ends well before the frames its container announces is truncated: the run fails rather than save
     * a short video that looks whole (containers that only estimate their length get some slack).
     */
    private void checkComplete() {
        int announced = source.frames();
        if (!source.live() && announced > 0 && decoded + Math.max(2, announced / 100) < announced) {
            throw new YoloException(source.name() + " is truncated or corrupt: it announces " + announced + " frames but only " + decoded
                    + " decode; re-encode or re-download it");
        }
    }

    /** Frees a queued frame nobody will take. */
    private static void drop(Object queued) {
        if (!(queued instanceof Pending p)) return;
        try {
            VideoSource.Frame fr = p.frame().get();
            if (fr != null) fr.image().close();
        } catch (ExecutionException | InterruptedException | java.util.concurrent.CancellationException e) {
            // nothing was converted
        }
    }

    /** A converted frame and the camera motion into it being computed from it (null when none is). */
    private record Taken(VideoSource.Frame frame, CompletableFuture<double[]> motion) {
        /** The frame's pixels are copied into its result: they go once the motion ahead has read them too. */
        void free() {
            if (motion == null) frame.image().close();
            else motion.whenComplete((h, e) -> frame.image().close());
        }
    }

    private Taken take(Object queued) {
        Pending p = (Pending) queued;
        if (p.motion() != null) motions.add(p.motion());
        try {
            return new Taken(p.frame().get(), p.motion());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new YoloException("converting a frame of " + source.name() + " failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new YoloException("interrupted while reading " + source.name());
        }
    }

    /** Milliseconds spent decoding so far, and frames decoded (strided-out ones included). */
    public double decodeMs() {
        return decodeMs;
    }

    public int decodedFrames() {
        return decoded;
    }

    /** Milliseconds the motion threads spent on BoT-SORT's camera motion so far (all added; 0 when none is computed ahead). */
    public double motionMs() {
        return motionAhead == null ? 0 : motionAhead.busyMs();
    }

    /** Milliseconds the consumer's thread spent in {@code after} (the tracker, and the writer when saving) so far. */
    public double afterMs() {
        return afterMs;
    }

    public VideoSource source() {
        return source;
    }

    /**
     * The frames this run returns, as progress counts them: every {@code vid_stride}-th of the frames the file announces,
     * the first included (795 at vid_stride=10: 80); 0 when unknown (a stream, a camera).
     */
    public int frames() {
        int announced = source.frames();
        return announced > 0 ? (announced + stride - 1) / stride : 0;
    }

    /** The run folder results are saved in, or null when nothing is saved. */
    public Path runDir() {
        return runDir;
    }

    /** Records where the results are being saved (set by whoever opened the writer). */
    public VideoPredictions savingTo(Path dir) {
        this.runDir = dir;
        return this;
    }

    @Override
    public boolean hasNext() {
        fill();
        if (ready.isEmpty() && onEnd != null && !finished) {
            finished = true;
            onEnd.run();
        }
        return !ready.isEmpty();
    }

    @Override
    public Results next() {
        if (!hasNext()) throw new NoSuchElementException();
        Results r = ready.poll();
        CompletableFuture<double[]> motion = motions.poll();
        Results withMotion = motion == null ? r : r.withMotion(awaitMotion(motion));
        long t0 = System.nanoTime();
        try {
            return after.apply(withMotion);
        } finally {
            afterMs += (System.nanoTime() - t0) / 1e6;
        }
    }

    private double[] awaitMotion(CompletableFuture<double[]> motion) {
        try {
            return motion.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new YoloException("camera motion of a frame of " + source.name() + " failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new YoloException("interrupted while tracking " + source.name());
        }
    }

    /** Starts batches while frames come, and waits for the oldest one when nothing is ready. */
    private void fill() {
        while (ready.isEmpty()) {
            start();
            if (running.isEmpty()) {
                if (failure != null) throw failure;
                return;
            }
            try {
                ready.addAll(running.poll().get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw new YoloException("predicting on " + source.name() + " failed: " + e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new YoloException("interrupted while predicting on " + source.name());
            }
        }
    }

    /** Submits batches of the frames decoded so far while slots are free (waits for the first frame of each). */
    private void start() {
        while (!ended && running.size() < inFlight) {
            List<Taken> part = new ArrayList<>(chunk);
            try {
                Object first = running.isEmpty() ? frames.take() : frames.poll(0, TimeUnit.MILLISECONDS);
                if (first == null) return;
                if (first == END) {
                    ended = true;
                    break;
                }
                part.add(take(first));
                // A batch fills from what is already decoded: a live stream never waits for a full batch.
                while (part.size() < chunk) {
                    Object next = source.live() ? frames.poll() : frames.take();
                    if (next == null) break;
                    if (next == END) {
                        ended = true;
                        break;
                    }
                    part.add(take(next));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new YoloException("interrupted while reading " + source.name());
            }
            running.add(batches.submit(() -> predict(part)));
        }
    }

    /** One batch's results, each with a copy of its frame unless none is kept; the frames are freed here, their one owner. */
    private List<Results> predict(List<Taken> part) {
        try {
            List<Mat> images = part.stream().map(t -> t.frame().image()).toList();
            List<Results> out = predictor.results(images, List.of(source.name()), o, keepFrames);
            List<Results> framed = new ArrayList<>(out.size());
            for (int i = 0; i < out.size(); i++) framed.add(out.get(i).withFrame(part.get(i).frame().index(), part.get(i).frame().timestampUs()));
            return framed;
        } finally {
            part.forEach(Taken::free);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            decoder.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Every frame given is converted and its motion computed before the pools stop taking work.
        if (motionAhead != null) motionAhead.close();
        batches.shutdown();
        try {
            batches.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        conversion.shutdown();
        try {
            conversion.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (motionPool != null) motionPool.shutdown();
        for (Object f; (f = frames.poll()) != null; ) drop(f);
        synchronized (converters) {
            converters.forEach(VideoSource.Converter::close);
        }
        source.close();
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                throw new YoloException("closing " + source.name() + ": " + e.getMessage());
            }
        }
    }
}
