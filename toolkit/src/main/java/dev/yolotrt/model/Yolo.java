package dev.yolotrt.model;

import dev.yolotrt.task.Task;
import dev.yolotrt.backend.Backend;
import dev.yolotrt.task.EngineArgs;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.data.Assets;
import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.viz.ResultWriter;
import dev.yolotrt.backend.OnnxRuntimeBackend;
import dev.yolotrt.backend.TensorRtBackend;
import dev.yolotrt.export.EngineFile;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.export.Exporter;
import dev.yolotrt.export.Source;
import dev.yolotrt.pt.Converted;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.TaskLayout;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.Text;
import dev.yolotrt.val.ValOptions;
import dev.yolotrt.val.Validator;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.track.Tracker;
import dev.yolotrt.track.TrackerConfig;
import dev.yolotrt.track.Tracking;
import dev.yolotrt.video.MultiVideo;
import dev.yolotrt.video.VideoPredictions;
import dev.yolotrt.video.VideoSink;
import dev.yolotrt.video.VideoSource;
import dev.yolotrt.viz.RunDirs;
import dev.yolotrt.viz.Tables;
import dev.yolotrt.viz.ValPlots;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A loaded YOLO model, the entry point of the API: {@code Yolo.load("yolov8n.onnx").predict("bus.jpg")}.
 * It owns its backend's native resources; close it (try-with-resources) when done.
 */
public final class Yolo implements AutoCloseable {

    private final Path file;
    private final ModelMetadata metadata;
    private final List<Backend> backends;
    private final Backend backend;
    private final Settings settings;
    private final Predictor predictor;
    /** The .pt checkpoint this model was converted from (rect inputs are converted from it), or null. */
    private Path checkpoint;
    /**
     * Where exports go when the options name no file: the working directory for a model found by name in
     * YOLO_TRT_MODELS or downloaded (a shared store the toolkit does not write into, and where Ultralytics would have
     * put a bare name), else null: beside the checkpoint or model, as Ultralytics does.
     */
    private Path exportDir;
    /** The tracker kept between track calls with persist=true. */
    private Tracker tracker;

    Yolo(Path file, ModelMetadata metadata, Backend backend, Settings settings) {
        this(file, metadata, List.of(backend), settings);
    }

    /** A model with one backend per device ({@code device=0,1}): predictions take turns between them. */
    Yolo(Path file, ModelMetadata metadata, List<Backend> backends, Settings settings) {
        this.file = file;
        this.metadata = metadata;
        this.backends = List.copyOf(backends);
        this.backend = backends.get(0);
        this.settings = settings;
        this.predictor = new Predictor(this.backends, metadata);
    }

    /** Loads a model by path or by file name in {@code YOLO_TRT_MODELS}. */
    public static Yolo load(String model) {
        return load(model, Settings.fromEnvironment());
    }

    public static Yolo load(String model, Settings settings) {
        return load(model, settings, null);
    }

    /** As {@link #load(String, Settings)}, with the {@code task=} override (null: the model's own). */
    public static Yolo load(String model, Settings settings, Task task) {
        Path found = Assets.model(model, settings);
        Yolo y = load(found, settings, task);
        if (!found.equals(Path.of(model))) y.exportDir = Path.of("").toAbsolutePath();
        return y;
    }

    /** Loads a model or engine file with the settings of the environment. */
    public static Yolo load(Path file) {
        return load(file, Settings.fromEnvironment());
    }

    public static Yolo load(Path file, Settings settings) {
        return load(file, settings, null);
    }

    /** Loads a model whose task is {@code task} (detect, segment, pose, classify, obb), or its metadata's when null. */
    public static Yolo load(Path file, Settings settings, Task task) {
        if (Files.isDirectory(file)) throw new YoloException(file + " is a folder; give model= a model file (.pt, .onnx or .engine)");
        if (!Files.isRegularFile(file)) throw new YoloException("model not found: " + file);
        if (AtomicWrite.isPartial(file)) throw new YoloException(file + " is an unfinished download or write (a .part file); give the finished model");
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".engine") || name.endsWith(".plan")) return loadEngine(file, settings, task);
        if (name.endsWith(".pt")) {
            Yolo y = loadOnnx(Converted.onnx(file, settings.cacheDir()), settings, task);
            y.checkpoint = file;
            return y;
        }
        return loadOnnx(file, settings, task);
    }

    private static Yolo loadEngine(Path file, Settings settings, Task task) {
        EngineFile ef = EngineFile.read(file);
        ModelMetadata meta;
        try {
            meta = ef.modelMetadata();
        } catch (YoloException e) {
            throw new YoloException(file + ": " + e.getMessage() + "; export the engine again");
        }
        EngineArgs built = meta == null ? EngineArgs.of(Map.of()) : meta.engineArgs();
        // One engine per GPU of device=0,1 (deserialized on each); the current GPU when none is named.
        List<Integer> devices = settings.devices().isEmpty() ? List.of(-1) : settings.devices();
        List<Backend> engines = new ArrayList<>();
        try {
            for (int d : devices) engines.add(new TensorRtBackend(ef.plan(), file.toString(), built.variant(), built.nms(), d));
            TensorRtBackend backend = (TensorRtBackend) engines.get(0);
            long[] in = backend.inputShape();
            if (meta == null) {
                int size = in[2] > 0 ? (int) in[2] : 640;
                meta = ModelMetadata.inferred(new int[] {size, size}, 80, Math.max(1, backend.maxBatch()));
            }
            if (task != null) meta = meta.withTask(task);
            // An engine with NMS inside has Ultralytics' end-to-end output, not the raw head.
            if (!built.nms()) TaskLayout.check(meta, backend.outputShapes(), file.toString());
            return new Yolo(file, meta, engines, settings);
        } catch (RuntimeException e) {
            for (int i = engines.size() - 1; i >= 0; i--) engines.get(i).close();
            throw e;
        }
    }

    private static Yolo loadOnnx(Path file, Settings settings, Task task) {
        OnnxRuntimeBackend backend = OnnxRuntimeBackend.open(file, settings.cpuThreads());
        try {
            return new Yolo(file, onnxMetadata(file, backend, task), backend, settings);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** Ultralytics' metadata_props, checked against the graph's input and output shapes (task from the file unless {@code task}). */
    static ModelMetadata onnxMetadata(Path file, OnnxRuntimeBackend backend, Task task) {
        long[] in = backend.inputShape();
        Map<String, long[]> outs = backend.outputShapes();
        long[] out = outs.isEmpty() ? new long[0] : outs.values().iterator().next();
        String shapes = "input " + Arrays.toString(in) + ", outputs " + describe(outs);
        if (in.length != 4 || in[1] != 3 || outs.isEmpty() || out.length < 2) {
            throw new YoloException(file + " is not an Ultralytics YOLO model (" + shapes
                    + "); expected images [B,3,H,W] -> output0 [B,4+nc,anchors] (detect) or [B,nc] (classify)");
        }
        if (in[2] > ModelMetadata.MAX_IMGSZ || in[3] > ModelMetadata.MAX_IMGSZ || out[1] > ModelMetadata.MAX_CLASSES + 1000) {
            throw new YoloException(file + " has an input or output larger than any YOLO model's (" + shapes + "); not loaded");
        }
        int[] size = {in[2] > 0 ? (int) in[2] : 640, in[3] > 0 ? (int) in[3] : 640};
        int batch = in[0] > 0 ? (int) in[0] : 1;
        ModelMetadata meta;
        try {
            meta = ModelMetadata.fromOnnxProps(backend.metadataProps(), size, out.length == 2 ? (int) out[1] : (int) out[1] - 4);
        } catch (YoloException e) {
            throw new YoloException(file + ": its Ultralytics metadata (metadata_props) is damaged: " + e.getMessage()
                    + "; " + Text.reexport(file));
        }
        if (meta == null) {
            if (out.length != 3 || out[1] < 5) throw new YoloException(file + " has no Ultralytics metadata and is not a detect model (" + shapes + ")");
            meta = ModelMetadata.inferred(size, (int) out[1] - 4, batch);
        }
        if (task != null) meta = meta.withTask(task);
        TaskLayout.check(meta, List.copyOf(outs.values()), file.toString());
        return meta;
    }

    private static String describe(Map<String, long[]> outs) {
        StringBuilder sb = new StringBuilder();
        outs.forEach((k, v) -> sb.append(sb.length() > 0 ? ", " : "").append(k).append(Arrays.toString(v)));
        return sb.toString();
    }

    public Path file() {
        return file;
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    public Backend backend() {
        return backend;
    }

    public Settings settings() {
        return settings;
    }

    /** The .pt checkpoint this model was converted from, or null. */
    public Path checkpoint() {
        return checkpoint;
    }

    /** What the exporter, calibration and tracing need of this model. */
    public Source source() {
        return new Source(file, metadata, backend.inputShape(), settings);
    }

    public Predictor predictor() {
        return predictor;
    }

    public List<String> names() {
        return metadata.names();
    }

    /** Predicts with predict mode's defaults (Ultralytics': conf 0.25, iou 0.7, max_det 300). */
    public List<Results> predict(Object source) {
        return predict(source, Map.of());
    }

    /**
     * Predicts with {@code key=value} options, e.g. {@code Map.of("conf", 0.5)}; {@code save},
     * {@code save_txt} and {@code save_crop} write a run folder as the CLI does (off by default here,
     * as in Ultralytics' Python API).
     */
    public List<Results> predict(Object source, Map<String, ?> options) {
        if (VideoSource.isVideo(source)) {
            // Every frame's result, as Ultralytics' predict(video) returns them (stream(...) keeps memory bounded).
            try (java.util.stream.Stream<Results> s = stream(source, options)) {
                return new ArrayList<>(s.toList());
            }
        }
        Cfg c = Cfg.of(options).forMode(Cfg.Mode.PREDICT, Cfg.Caller.API);
        List<Results> results = predict(source, PredictOptions.builder().apply(c).build());
        ResultWriter writer = ResultWriter.forRun(c, "predict", metadata.task());
        if (writer != null) results.forEach(writer::write);
        return results;
    }

    public List<Results> predict(Object source, PredictOptions options) {
        return predictor.predict(ImageSource.resolve(source, settings), options);
    }

    /**
     * The predictions of {@code source} as a lazy stream in input order (a folder of thousands of images
     * never sits in memory: images are decoded a few batches ahead); close the stream, or use it in a
     * try-with-resources, to stop the decoding threads early.
     */
    public java.util.stream.Stream<Results> stream(Object source, PredictOptions options) {
        Predictor.Predictions it = predictor.iterate(ImageSource.resolve(source, settings), options);
        return java.util.stream.StreamSupport.stream(java.util.Spliterators.spliteratorUnknownSize(it, java.util.Spliterator.ORDERED), false)
                .onClose(it::close);
    }

    /**
     * The predictions of a video, stream URL or camera one frame at a time ({@code vid_stride}, {@code stream_buffer},
     * {@code timeout} and the predict options), memory bounded however long it runs; close the stream to stop it.
     */
    public java.util.stream.Stream<Results> stream(Object source, Map<String, ?> options) {
        Cfg c = Cfg.of(options).forMode(Cfg.Mode.PREDICT, Cfg.Caller.API);
        if (!VideoSource.isVideo(source)) return stream(source, PredictOptions.builder().apply(c).build());
        return asStream(videos(String.valueOf(source), c, false));
    }

    /**
     * Track mode ({@code model.track(source)}): predictions with conf 0.1 unless given, each frame's boxes replaced by
     * the confirmed tracks of {@code tracker} (botsort.yaml by default, or bytetrack.yaml, or a tracker YAML), with ids.
     * {@code persist=true} continues the tracks of the previous call. {@code save}, {@code save_txt}, ... as predict.
     */
    public List<Results> track(Object source, Map<String, ?> options) {
        List<Results> out = new ArrayList<>();
        try (java.util.stream.Stream<Results> s = trackStream(source, options)) {
            s.forEach(out::add);
        }
        return out;
    }

    public List<Results> track(Object source) {
        return track(source, Map.of());
    }

    /** {@link #track(Object, Map)} one frame at a time (Ultralytics' {@code stream=True}). */
    public java.util.stream.Stream<Results> trackStream(Object source, Map<String, ?> options) {
        Cfg c = Cfg.of(options).forMode(Cfg.Mode.TRACK, Cfg.Caller.API);
        if (VideoSource.isVideo(source)) return asStream(videos(String.valueOf(source), c, true));
        Tracker t = tracker(c);
        ResultWriter writer = ResultWriter.forRun(c, "track", metadata.task());
        return stream(source, PredictOptions.builder().apply(c).build()).map(r -> Tracking.apply(t, r)).peek(r -> {
            if (writer != null) writer.write(r);
        });
    }

    /** Track mode follows boxes: a classifier has none, and Ultralytics refuses it too. */
    private void refuseTrackingClasses() {
        if (!metadata.task().boxes()) {
            throw new YoloException("Classification doesn't support mode=track: " + file.getFileName() + " is a classify model, with no boxes to follow; use predict");
        }
    }

    /** The tracker of a track call: the kept one with persist=true (unless its YAML changed), else a new one. */
    private synchronized Tracker tracker(Cfg c) {
        refuseTrackingClasses();
        TrackerConfig cfg = TrackerConfig.load(c.string("tracker"));
        if (c.bool("persist") && tracker != null && tracker.config().equals(cfg)) return tracker;
        if (tracker != null) tracker.close();
        tracker = new Tracker(cfg);
        return tracker;
    }

    /**
     * A video's predictions: the source opened (a live one gives up after {@code timeout} seconds of silence), a .pt
     * model converted for the video's rect input as Ultralytics runs PyTorch models, and the run folder written when
     * {@code save}, {@code save_txt}, {@code save_crop} or {@code save_frames} asks; the writing happens as frames are
     * taken, and the video is completed when the last one is.
     */
    public VideoPredictions video(String source, Cfg c, boolean track) {
        return video(source, c, track, true);
    }

    /**
     * As {@link #video(String, Cfg, boolean)}; {@code keepFrames} false: the results carry no copy of their frames (for
     * a caller that draws none: the CLI without save or show); a run that saves keeps them for its drawing anyway.
     */
    public VideoPredictions video(String source, Cfg c, boolean track, boolean keepFrames) {
        return video(source, c, track ? tracker(c) : null, null, keepFrames);
    }

    /**
     * A video, stream or camera, or a {@code .streams} file of several read side by side (each with its own tracker,
     * all saved into one run folder), as one iterator of results.
     */
    public MultiVideo videos(String source, Cfg c, boolean track) {
        return videos(source, c, track, true);
    }

    /** As {@link #videos(String, Cfg, boolean)}, with {@code keepFrames} as for {@link #video(String, Cfg, boolean, boolean)}. */
    public MultiVideo videos(String source, Cfg c, boolean track, boolean keepFrames) {
        if (track) refuseTrackingClasses();
        String s = source.strip();
        if (!s.endsWith(".streams")) return new MultiVideo(List.of(video(s, c, track, keepFrames)));
        Path file = Path.of(s);
        if (!Files.isRegularFile(file)) throw new YoloException("streams file not found: " + file);
        Cfg shared = c;
        if (ResultWriter.Options.of(c).any() || c.bool("save_frames")) {
            Path dir = RunDirs.reserve(c, track ? "track" : "predict", metadata.task());
            shared = c.with(Map.of("project", dir.toAbsolutePath().getParent().toString(), "name", dir.getFileName().toString(), "exist_ok", true));
        }
        Cfg each = shared;
        return MultiVideo.open(file, src -> {
            Tracker t = track ? new Tracker(TrackerConfig.load(c.string("tracker"))) : null;
            try {
                return video(src, each, t, t, keepFrames);
            } catch (RuntimeException e) {
                if (t != null) t.close();
                throw e;
            }
        });
    }

    /** {@code tracker}: the frames' tracker, or null to predict only; {@code alsoClose}: closed with the video, or null. */
    private VideoPredictions video(String source, Cfg c, Tracker tracker, AutoCloseable alsoClose, boolean keepFrames) {
        PredictOptions o = PredictOptions.builder().apply(c).build();
        boolean track = tracker != null;
        java.util.function.UnaryOperator<Results> after = track ? r -> Tracking.apply(tracker, r) : null;
        VideoSource src = VideoSource.open(source, (int) Math.round(c.number("timeout") * 1000), true, VideoSource.Decoder.of(c.string("decoder")));
        Yolo rect = null;
        VideoSink sink = null;
        try {
            if (checkpoint != null && metadata.task().boxes()) {
                int size = o.imgsz() != null ? o.imgsz()[0] : metadata.imgsz()[0];
                int[] hw = dev.yolotrt.predict.Letterbox.rectShape(src.height(), src.width(), size, metadata.stride());
                if (hw[0] != metadata.imgsz()[0] || hw[1] != metadata.imgsz()[1]) {
                    rect = loadOnnx(Converted.onnx(checkpoint, settings.cacheDir(), hw), settings, metadata.task());
                }
            }
            Predictor p = rect == null ? predictor : rect.predictor;
            // Sessions, buffers and kernels ready before the first frame (Ultralytics' warmup), so frame 1's time is real.
            p.warmup(o);
            ResultWriter.Options wo = ResultWriter.Options.of(c);
            boolean frames = c.bool("save_frames");
            if (wo.any() || frames) {
                sink = new VideoSink(RunDirs.reserve(c, track ? "track" : "predict", metadata.task()), source,
                        src.live() ? 30 : src.fps(), wo, wo.image(), frames, c.bool("show_trails"));
            }
            VideoSink s = sink;
            java.util.function.UnaryOperator<Results> step = after;
            java.util.function.UnaryOperator<Results> then = s == null ? after : r -> {
                Results done = step == null ? r : step.apply(r);
                s.write(done);
                return done;
            };
            Yolo owned = rect;
            AutoCloseable close = () -> {
                try {
                    if (s != null) s.close();
                } finally {
                    try {
                        if (owned != null) owned.close();
                    } finally {
                        if (alsoClose != null) alsoClose.close();
                    }
                }
            };
            return new VideoPredictions(src, p, o, new VideoPredictions.Options(c.integer("vid_stride"), c.bool("stream_buffer"),
                    track && tracker.config().isBotSort() ? tracker.config().gmcMethod() : null, keepFrames || s != null), then, close,
                    s == null ? null : s::finish).savingTo(s == null ? null : s.dir());
        } catch (RuntimeException e) {
            if (sink != null) sink.close();
            src.close();
            if (rect != null) rect.close();
            throw e;
        }
    }

    private static java.util.stream.Stream<Results> asStream(MultiVideo it) {
        return java.util.stream.StreamSupport.stream(java.util.Spliterators.spliteratorUnknownSize(it, java.util.Spliterator.ORDERED), false)
                .onClose(it::close);
    }

    /** {@link #predict(Object, Map)} on another thread. */
    public java.util.concurrent.CompletableFuture<List<Results>> predictAsync(Object source, Map<String, ?> options) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> predict(source, options));
    }

    /**
     * Exports this model as Ultralytics' {@code model.export(...)} does and returns the export, loaded: a TensorRT engine
     * ({@code format=engine}, needs an NVIDIA GPU), a .pt checkpoint's network as ONNX ({@code format=onnx}), or with
     * {@code int8=True} the model quantized with Q/DQ nodes ({@code format=onnx}, runs anywhere).
     */
    public Yolo export(ExportOptions options) {
        return load(exportFile(options), settings);
    }

    public Yolo export(Map<String, ?> options) {
        return export(ExportOptions.builder(options).build());
    }

    /** As {@link #export(ExportOptions)}, returning the file written instead of loading it. */
    public Path exportFile(ExportOptions options) {
        Path home = checkpoint != null ? checkpoint : file;
        Path dir = exportDir != null ? exportDir : home.toAbsolutePath().getParent();
        String stem = home.getFileName().toString().replaceFirst("(?i)\\.(pt|onnx)$", "");
        boolean onnx = options.format().equals("onnx");
        Path out = options.output() != null ? options.output() : dir.resolve(stem + (!onnx ? ".engine" : options.int8() ? "-int8.onnx" : ".onnx"));
        if (onnx && !options.int8()) {
            if (checkpoint == null) throw new YoloException("format=onnx exports .pt checkpoints; " + file.getFileName() + " is not one");
            try {
                AtomicWrite.write(out, Files.readAllBytes(file)); // the checkpoint's network, converted when it was loaded
            } catch (java.io.IOException e) {
                throw new YoloException("cannot read " + checkpoint.getFileName() + "'s converted ONNX " + file + ": " + e.getMessage());
            }
            return out;
        }
        return Exporter.export(source(), options.withOutput(out), false).engine();
    }

    /**
     * Validates on a dataset split (default coco8.yaml val) with Ultralytics' val defaults, as {@code model.val()}: box
     * metrics ({@code box()}) for every task with boxes, plus {@code masks()} or {@code pose()}; a classifier's top-1 /
     * top-5 accuracy ({@code top()}) on an ImageNet-style folder ({@code data}: the folder holding {@code split}/).
     */
    public Validator.Run val(ValOptions options) {
        return Validator.val(predictor, metadata, file.getFileName().toString(), settings, options);
    }

    /**
     * Validates with {@code key=value} options, e.g. {@code Map.of("data", "coco8.yaml", "split", "train")}. Like
     * Ultralytics' {@code model.val()}, it saves results.csv and the plots into the next runs/&lt;task&gt;/val folder
     * ({@link #saveVal}); {@code save=False} writes nothing.
     */
    public Validator.Run val(Map<String, ?> options) {
        Cfg c = Cfg.of(options).forMode(Cfg.Mode.VAL, Cfg.Caller.API);
        Validator.Run run = val(ValOptions.of(c));
        if (c.bool("save") || run.predictions() != null) dev.yolotrt.util.Log.info("Results saved to " + saveVal(run, c));
        return run;
    }

    /**
     * Writes a validation's results into the next runs/&lt;task&gt;/val folder of {@code c}'s project and name, and returns it:
     * results.csv (and results-&lt;task&gt;.csv for masks or keypoints), Ultralytics' plots when {@code save} (curves per
     * metric family, the boxes' confusion matrix), and predictions.json when the run kept COCO-format predictions.
     */
    public Path saveVal(Validator.Run run, Cfg c) {
        Path dir = RunDirs.next(c, "val", run.task());
        if (run.top() != null) {
            Tables.writeCsv(run.top().table(), dir.resolve("results.csv"));
            return dir;
        }
        Tables.writeCsv(run.box().table(), dir.resolve("results.csv"));
        if (run.second() != null) Tables.writeCsv(run.second().table(), dir.resolve("results-" + run.task().id() + ".csv"));
        if (c.bool("save")) {
            ValPlots.save(run.box(), "Box", true, dir);
            if (run.second() != null) ValPlots.save(run.second(), run.task().secondMetric(), false, dir);
        }
        if (run.predictions() != null) run.predictions().write(dir.resolve("predictions.json"));
        return dir;
    }

    @Override
    public void close() {
        if (tracker != null) tracker.close();
        // Reverse order of creation: the predictor's sessions, then the backend they run on.
        try {
            predictor.close();
        } finally {
            for (int i = backends.size() - 1; i >= 0; i--) backends.get(i).close();
        }
    }

    @Override
    public String toString() {
        return "Yolo(" + file.getFileName() + ", " + metadata.task() + ", " + metadata.nc() + " classes, imgsz "
                + metadata.imgsz()[0] + "x" + metadata.imgsz()[1] + ", " + backend.name() + ")";
    }
}
