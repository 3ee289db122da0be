package dev.yolotrt.pipeline;

import dev.yolotrt.backend.Backend;
import dev.yolotrt.backend.DeviceLetterbox;
import dev.yolotrt.backend.KernelUnavailable;
import dev.yolotrt.backend.SessionPool;
import dev.yolotrt.data.ImageLoader;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.predict.Batch;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.Postprocess;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.predict.Preprocess;
import dev.yolotrt.predict.Results;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.task.Task;
import dev.yolotrt.tensor.Picked;
import dev.yolotrt.tensor.Tensor;
import dev.yolotrt.util.Futures;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;

/**
 * The pipeline shared by predict, val and benchmark on every backend: a batch letterboxed ({@link Preprocess}, or on
 * the device), inferred on a backend session, decoded + NMS and scaled back to the originals ({@link Postprocess});
 * images decoded ahead and batches kept in flight for streams. Safe to share between threads: each call leases its
 * own backend session (input buffer, outputs, stream) from a pool, which the predictor owns and closes.
 */
public final class Predictor implements AutoCloseable {

    private final Backend backend;
    private final ModelMetadata meta;
    private final List<SessionPool> pools = new ArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();
    private volatile boolean warm;
    private volatile boolean warnedImgsz;
    /** Set once a kernel could not load on this GPU's driver: batches then letterbox and decode on the host. */
    private volatile boolean hostOnly;
    /** Long-lived threads that run pipelined batches: CUDA keeps state per host thread, so threads are not made per call. */
    private ThreadPoolExecutor workers;
    private volatile boolean closed;

    public Predictor(Backend backend, ModelMetadata meta) {
        this(List.of(backend), meta);
    }

    /**
     * A predictor over copies of one model on several devices (one engine per GPU): calls take turns between them, so
     * batches in flight at once run on different GPUs. The first backend answers for the model's shape.
     */
    public Predictor(List<Backend> backends, ModelMetadata meta) {
        if (backends.isEmpty()) throw new IllegalArgumentException("no backend");
        this.backend = backends.get(0);
        this.meta = meta;
        for (Backend b : backends) pools.add(new SessionPool(b));
    }

    /** Sessions opened so far: at most the number of calls that ran at the same time. */
    public int sessions() {
        return pools.stream().mapToInt(SessionPool::size).sum();
    }

    /** Sessions opened so far on each backend (device), in the order the backends were given. */
    public List<Integer> sessionsPerBackend() {
        return pools.stream().map(SessionPool::size).toList();
    }

    /** Batches a pipelined caller keeps in flight: each device's own concurrency, added up. */
    public int concurrency() {
        return pools.size() * backend.concurrency();
    }

    /** The GPU the model runs on (the first, when on several), where other work of its frames can run too; empty on the CPU. */
    public java.util.OptionalInt gpu() {
        return backend.gpu();
    }

    /** How many images one inference call takes with these options. */
    public int chunk(PredictOptions o) {
        return backend.dynamicBatch() ? Math.min(o.batch(), backend.maxBatch()) : Math.max(1, backend.maxBatch());
    }

    /** The (height, width) the model is fed: fixed for static models, {@code imgsz} for dynamic ones. */
    public int[] inputSize(PredictOptions o) {
        long[] s = backend.inputShape();
        if (s[2] > 0 && s[3] > 0) {
            if (o.imgsz() != null && (o.imgsz()[0] != s[2] || o.imgsz()[1] != s[3]) && !warnedImgsz) {
                warnedImgsz = true;
                Progress.note("WARNING: imgsz=" + o.imgsz()[0] + "," + o.imgsz()[1] + " ignored: this model takes a fixed "
                        + s[2] + "x" + s[3] + " input (export it with dynamic=true for other sizes)");
            }
            return new int[] {(int) s[2], (int) s[3]};
        }
        return o.imgsz() != null ? o.imgsz() : meta.imgsz();
    }

    /** Runs the pipeline on up to {@link #chunk} images. */
    public Batch run(List<Mat> images, PredictOptions o) {
        ensureOpen();
        if (!hostOnly) {
            try {
                return run(images, o, true);
            } catch (KernelUnavailable e) {
                // The kernels only speed up what the host does too: without them, every later batch stays on the host.
                hostOnly = true;
                Progress.note("WARNING: " + e.getMessage() + "; letterboxing and decoding on the host instead");
            }
        }
        return run(images, o, false);
    }

    /** The pipeline; {@code kernels}: the letterbox and candidates kernels may run where the options and the session allow. */
    private Batch run(List<Mat> images, PredictOptions o, boolean kernels) {
        int[] hw = inputSize(o);
        int h = hw[0], w = hw[1], n = images.size();
        // A static batch larger than the images is padded with empty slots.
        int batch = backend.dynamicBatch() ? n : Math.max(n, (int) backend.inputShape()[0]);
        long t0 = System.nanoTime();
        SessionPool pool = pools.get(Math.floorMod(turn.getAndIncrement(), pools.size()));
        try (SessionPool.Lease lease = pool.lease()) {
            Backend.Session session = lease.session();
            Task task = meta.task();
            Letterbox[] boxes = Preprocess.letterboxes(task, images, h, w, o.valResize());
            // The device work, where the session has a device and the kernels may run: null on the host.
            Backend.DeviceOps device = kernels ? session.device().orElse(null) : null;
            List<DeviceLetterbox.Job> jobs = device != null && o.gpuPreprocess() ? deviceJobs(images, boxes) : null;
            FloatBuffer input = jobs == null ? session.inputBuffer(batch, h, w) : null;
            if (jobs == null) Preprocess.toChw(task, images, boxes, input, h, w);
            long t1 = System.nanoTime();
            // A detect head's candidates picked on the device: only they cross back (a class filter stays on the host).
            Picked picked = device != null && o.gpuDecode() && task == Task.DETECT && !meta.engineArgs().nms() && o.classes() == null
                    ? device.inferPicked(input, jobs, batch, h, w, new Picked.Pick((float) o.conf(), o.multiLabel())) : null;
            List<Tensor> out = picked != null ? picked.head() : jobs != null ? device.inferImages(jobs, batch, h, w) : session.infer(input, batch, h, w);
            long t2 = System.nanoTime();
            // Outputs view the session's buffers: decoded before the lease is given back.
            Postprocess.Decoded d = Postprocess.decode(meta, o, images, boxes, out, picked, h, w);
            long t3 = System.nanoTime();
            return new Batch(d.detections(), Collections.unmodifiableList(Arrays.asList(boxes)), d.extras(),
                    (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
        }
    }

    /**
     * The device letterbox's jobs, or null where the kernel does not apply and the host letterboxes: classification
     * (centre crop), val's INTER_AREA shrinking, and images that are not continuous 8-bit BGR.
     */
    private static List<DeviceLetterbox.Job> deviceJobs(List<Mat> images, Letterbox[] boxes) {
        List<DeviceLetterbox.Job> jobs = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            Mat img = images.get(i);
            Letterbox b = boxes[i];
            boolean resized = b != null && (b.newW() != b.srcW() || b.newH() != b.srcH());
            if (b == null || resized && b.interpolation() != INTER_LINEAR || img.type() != CV_8UC3 || !img.isContinuous()) return null;
            jobs.add(new DeviceLetterbox.Job(img.data(), img.cols(), img.rows(), img.step(), b.newW(), b.newH(), b.left(), b.top()));
        }
        return jobs;
    }

    /**
     * Runs {@code images} {@code calls} times with {@link #concurrency()} batches in flight on the predictor's batch threads,
     * as streaming a folder does (one batch uploads while another infers and a third is decoded); wall milliseconds.
     */
    public double timeInFlight(List<Mat> images, PredictOptions o, int calls) {
        int lanes = concurrency();
        ArrayDeque<Future<Batch>> running = new ArrayDeque<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            if (running.size() == lanes) Futures.get(running.poll(), "predicting");
            running.add(workers(lanes).submit(() -> run(images, o)));
        }
        while (!running.isEmpty()) Futures.get(running.poll(), "predicting");
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * One inference on a blank image, as Ultralytics' warmup: loads OpenCV's natives and lets the
     * backend allocate, so that the first real image's timings are not inflated.
     */
    public void warmup(PredictOptions o) {
        int[] hw = inputSize(o);
        try (Mat blank = new Mat(hw[0], hw[1], org.bytedeco.opencv.global.opencv_core.CV_8UC3,
                new org.bytedeco.opencv.opencv_core.Scalar(Letterbox.PAD, Letterbox.PAD, Letterbox.PAD, 0))) {
            run(Collections.nCopies(chunk(o), blank), o);
        }
        warm = true;
    }

    /**
     * Predicts on each source, handing each result over in input order as soon as its batch is done;
     * images are decoded on all cores ahead of inference (bounded: a slow sink holds decoding back).
     */
    public void stream(List<ImageSource> sources, PredictOptions o, Consumer<Results> sink) {
        try (Predictions it = iterate(sources, o)) {
            while (it.hasNext()) sink.accept(it.next());
        }
    }

    /** The results of {@code sources} one by one, in input order; close it to stop the decoding threads. */
    public Predictions iterate(List<ImageSource> sources, PredictOptions o) {
        ensureOpen();
        return iterate(sources, o, concurrency());
    }

    /**
     * As {@link #iterate(List, PredictOptions)} with up to {@code inFlight} batches running at once. As in Ultralytics, an
     * image of the list that cannot be decoded is skipped with a warning while others remain.
     */
    Predictions iterate(List<ImageSource> sources, PredictOptions o, int inFlight) {
        if (!warm) warmup(o);
        return new Predictions(List.copyOf(sources).iterator(), o, inFlight, true);
    }

    /**
     * As {@link #iterate(List, PredictOptions)} over sources pulled as decoding frees up, on the caller's thread (a Spark
     * partition streams through without being held in memory).
     */
    public Predictions iterate(Iterator<ImageSource> sources, PredictOptions o) {
        return iterate(sources, o, concurrency());
    }

    /** Every source gives a result or an error: a Spark partition's rows and results stay paired. */
    private Predictions iterate(Iterator<ImageSource> sources, PredictOptions o, int inFlight) {
        if (!warm) warmup(o);
        return new Predictions(sources, o, inFlight, false);
    }

    /**
     * Pull-based predictions: images decode ahead on all cores; up to {@code inFlight} batches run at once, each on a
     * session of its own (the GPU infers one while the host prepares and decodes the next), and results come out in
     * input order. Bounded: the decoder stays a couple of batches ahead, and no batch starts before a slot is free.
     */
    public final class Predictions implements Iterator<Results>, AutoCloseable {
        private final PredictOptions o;
        /** Milliseconds summed over the images so far: decode, letterbox, inference, NMS (batches' times shared per image). */
        private final double[] stageMs = new double[4];
        private final int threads;
        private final int chunk;
        private final int[] hw;
        private final ImageLoader<ImageSource> loader;
        private final ArrayDeque<Results> ready = new ArrayDeque<>();
        private final ArrayDeque<Future<List<Results>>> running = new ArrayDeque<>();
        private final int inFlight;
        private final boolean skipUnreadable;
        private int taken;

        private Predictions(Iterator<ImageSource> sources, PredictOptions o, int inFlight, boolean skipUnreadable) {
            this.o = o;
            this.skipUnreadable = skipUnreadable;
            this.chunk = chunk(o);
            this.hw = inputSize(o);
            this.inFlight = Math.max(1, inFlight);
            this.threads = ImageLoader.defaultThreads();
            // Enough decoded images for the batches in flight and the next one, never the whole folder.
            this.loader = new ImageLoader<>(sources, ImageSource::load, threads, Math.max((this.inFlight + 1) * chunk, threads));
        }

        @Override
        public boolean hasNext() {
            // Images left may all be skipped: try them before promising a result.
            if (ready.isEmpty() && running.isEmpty() && loader.hasNext()) start();
            return !ready.isEmpty() || !running.isEmpty();
        }

        @Override
        public Results next() {
            if (ready.isEmpty()) {
                start();
                if (running.isEmpty()) throw new NoSuchElementException();
                ready.addAll(finished(running.poll()));
                start();
            }
            return ready.poll();
        }

        /**
         * Where the time went so far, each stage at its own parallelism: decoding runs on {@link Stages#decodeThreads} threads,
         * batches (letterbox, inference, NMS) on {@link Stages#inFlight} sessions at once.
         */
        public synchronized Stages stages() {
            return new Stages(stageMs[0], stageMs[1], stageMs[2], stageMs[3], threads, inFlight);
        }

        /** Starts batches while slots are free and images remain. */
        private void start() {
            while (running.size() < inFlight && loader.hasNext()) {
                List<ImageLoader.Loaded<ImageSource>> part = new ArrayList<>();
                while (part.size() < chunk && loader.hasNext()) {
                    ImageLoader.Loaded<ImageSource> l = decoded();
                    if (l != null) part.add(l);
                }
                if (!part.isEmpty()) running.add(workers(inFlight).submit(() -> results(part)));
            }
        }

        /** The next decoded image; null for one skipped (the list goes on); the error itself when no image decoded at all. */
        private ImageLoader.Loaded<ImageSource> decoded() {
            try {
                ImageLoader.Loaded<ImageSource> l = loader.next();
                taken++;
                return l;
            } catch (YoloException e) {
                if (!skipUnreadable || taken == 0 && !loader.hasNext() && running.isEmpty()) throw e;
                Log.info("WARNING: " + e.getMessage() + "; skipped");
                return null;
            }
        }

        private List<Results> finished(Future<List<Results>> f) {
            return Futures.get(f, "predicting");
        }

        /** One batch's results; the batch owns its decoded images and frees them once its results are made. */
        private List<Results> results(List<ImageLoader.Loaded<ImageSource>> part) {
            List<Mat> images = part.stream().map(ImageLoader.Loaded::image).toList();
            try {
                Batch b = run(images, o);
                double decodeMs = part.stream().mapToDouble(ImageLoader.Loaded::decodeMs).sum();
                synchronized (this) {
                    stageMs[0] += decodeMs;
                    stageMs[1] += b.preMs();
                    stageMs[2] += b.inferMs();
                    stageMs[3] += b.postMs();
                }
                List<ImageSource> sources = part.stream().map(ImageLoader.Loaded::source).toList();
                return b.results(images, sources.stream().map(ImageSource::path).toList(), i -> sources.get(i).keepPixels(), meta.names(), hw, decodeMs);
            } finally {
                images.forEach(Mat::close);
            }
        }

        @Override
        public void close() {
            // Batches still running finish on their sessions before the model can close them; their results are dropped.
            for (Future<List<Results>> f : running) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (ExecutionException ignored) {
                    // the consumer stopped before this batch: its failure is nobody's to report
                }
            }
            running.clear();
            loader.close();
        }
    }

    /**
     * Summed stage times of a pipelined run and the parallelism of each: images decode on {@code decodeThreads} threads,
     * batches run {@code inFlight} at once.
     */
    public record Stages(double decodeMs, double preMs, double inferMs, double postMs, int decodeThreads, int inFlight) {
        /** The stage that bounds the rate: decoding, or the batches' work, each divided by the threads doing it. */
        public String limit() {
            double batches = (preMs + inferMs + postMs) / inFlight;
            if (decodeMs / decodeThreads >= batches) return "decode (" + decodeThreads + " threads)";
            String part = inferMs >= preMs && inferMs >= postMs ? "inference" : preMs >= postMs ? "preprocess" : "postprocess";
            return part + " (" + inFlight + (inFlight == 1 ? " batch" : " batches") + " in flight)";
        }
    }

    /**
     * Runs one batch (up to {@link #chunk} images: video frames, which the caller keeps owning) and returns its results,
     * each with a copy of its frame's pixels if {@code keepPixels}; {@code paths}: one per image, or one for all.
     */
    public List<Results> results(List<Mat> images, List<String> paths, PredictOptions o, boolean keepPixels) {
        return run(images, o).results(images, paths, i -> keepPixels, meta.names(), inputSize(o), 0);
    }

    public List<Results> predict(List<ImageSource> sources, PredictOptions o) {
        List<Results> out = new ArrayList<>();
        stream(sources, o, out::add);
        return out;
    }

    /** The pool pipelined batches run on, grown to {@code size} threads (created on first use, kept until close). */
    private synchronized ExecutorService workers(int size) {
        ensureOpen();
        if (workers == null) {
            AtomicInteger count = new AtomicInteger();
            workers = new ThreadPoolExecutor(size, size, 1, TimeUnit.MINUTES,
                    new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "yolo-predict-" + count.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
        } else if (workers.getMaximumPoolSize() < size) {
            workers.setMaximumPoolSize(size);
            workers.setCorePoolSize(size);
        }
        return workers;
    }

    /** A closed model is said to be closed, not left to fail deep inside a thread pool or native code. */
    private void ensureOpen() {
        if (closed) throw new YoloException("this model was closed (close() or the end of its try-with-resources); load it again with Yolo.load(...)");
    }

    /** Stops the batch threads, then closes the sessions, last device first; the backends are closed by their owner afterwards. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (workers != null) {
                workers.shutdown();
                try {
                    workers.awaitTermination(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (int i = pools.size() - 1; i >= 0; i--) pools.get(i).close();
    }
}
