package dev.yolotrt.cli;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.task.Task;
import dev.yolotrt.util.Log;
import dev.yolotrt.viz.ResultWriter;
import dev.yolotrt.viz.RunDirs;
import dev.yolotrt.bench.Benchmark;
import dev.yolotrt.bench.Throughput;
import dev.yolotrt.data.ImageSource;
import dev.yolotrt.data.Images;
import dev.yolotrt.export.ExportOptions;
import tech.tablesaw.api.Table;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Results;
import dev.yolotrt.video.MultiVideo;
import dev.yolotrt.video.VideoPredictions;
import dev.yolotrt.video.VideoSource;
import dev.yolotrt.notebook.NotebookRunner;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.ClassifyValidator;
import dev.yolotrt.val.Metrics;
import dev.yolotrt.val.ValOptions;
import dev.yolotrt.val.Validator;
import dev.yolotrt.viz.Tables;
import dev.yolotrt.viz.Window;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/** The CLI's modes. Each parses its {@code key=value} arguments through {@link Cfg}. */
final class Commands {

    static final List<String> MODES = List.of("predict", "track", "val", "export", "benchmark", "notebook", "kernel", "help", "version");
    /** The modes that take a TASK word ({@code yolo TASK MODE}). */
    static final List<String> TASK_MODES = List.of("predict", "track", "val", "export", "benchmark");
    private static final List<String> HELP = List.of("help", "--help", "-h");

    private final PrintStream out;
    private final PrintStream err;
    /** The TASK of {@code yolo-trt TASK MODE}, or null. */
    private final Task taskWord;
    private String mode;

    Commands(PrintStream out, PrintStream err) {
        this(out, err, null);
    }

    Commands(PrintStream out, PrintStream err, Task taskWord) {
        this.out = out;
        this.err = err;
        this.taskWord = taskWord;
    }

    /** Runs {@code mode}; info lines and progress bars go to {@code err} meanwhile (the one sink, set for the run). */
    int run(String mode, List<String> args) {
        Log.Sink previous = Log.install(new Log.Console(err, err == System.err && System.console() != null));
        try {
            return dispatch(mode, args);
        } finally {
            Log.install(previous);
        }
    }

    private int dispatch(String mode, List<String> args) {
        this.mode = mode;
        // As Ultralytics' CLI: help among a mode's key=value arguments prints the help (not among kernel's or notebook's).
        if (HELP.contains(mode) || TASK_MODES.contains(mode) && args.stream().anyMatch(HELP::contains)) mode = "help";
        if (taskWord != null && !TASK_MODES.contains(mode) && !mode.equals("help")) {
            throw new YoloException("a task goes before " + String.join(", ", TASK_MODES) + "; '" + Text.clip(mode) + "' is not one of them");
        }
        switch (mode) {
            case "help" -> {
                out.print(help());
                return 0;
            }
            case "version", "--version" -> {
                out.println(version());
                return 0;
            }
            case "predict" -> {
                return predict(Cfg.parse(args));
            }
            case "track" -> {
                return track(Cfg.parse(args));
            }
            case "val" -> {
                return val(Cfg.parse(args));
            }
            case "export" -> {
                return export(Cfg.parse(args));
            }
            case "benchmark" -> {
                return benchmark(Cfg.parse(args));
            }
            case "notebook" -> {
                return notebook(args);
            }
            case "kernel" -> {
                if (args.isEmpty() || !args.get(0).equals("install")) throw new YoloException("usage: yolo-trt kernel install [--user] [--name NAME]");
                out.println("Installed the Jupyter kernel spec in " + KernelSpec.install(args));
                return 0;
            }
            default -> throw new YoloException("unknown mode '" + mode + "'; valid modes: " + String.join(", ", MODES));
        }
    }

    private int predict(Cfg cfg) {
        // As in Ultralytics, the CLI saves annotated images unless told not to; the Java API does not.
        Cfg c = cfg.forMode(Cfg.Mode.PREDICT, Cfg.Caller.CLI);
        if (VideoSource.isVideo(c.string("source"))) return video(c, false);
        PredictOptions o = PredictOptions.builder().apply(c).build();
        try (Yolo model = load(c); Window window = window(c)) {
            ResultWriter writer = ResultWriter.forRun(c, "predict", model.metadata().task());
            // Results drawn as they come keep their pixels until dropped, rather than decoding each file a second time.
            boolean drawn = window != null || writer != null && writer.readsImages();
            List<ImageSource> sources = ImageSource.resolve(c.string("source"), model.settings()).stream()
                    .map(s -> drawn ? s.keepingPixels() : s).toList();
            int[] index = {0};
            int[] position = {0};   // the image's place in the source list: skipped images keep theirs, as Ultralytics counts
            double[] total = new double[3];
            model.predictor().stream(sources, o, r -> {
                index[0]++;
                while (position[0] < sources.size() - 1 && !sources.get(position[0]).path().equals(r.path())) position[0]++;
                total[0] += r.speed().get("preprocess");
                total[1] += r.speed().get("inference");
                total[2] += r.speed().get("postprocess");
                if (o.verbose()) {
                    out.printf(Locale.ROOT, "image %d/%d %s: %s, %.1fms%n", position[0] + 1, sources.size(), r.path(), r.summary(),
                            r.speed().get("inference"));
                    out.print(r.boxes().toString().indent(4));
                }
                if (writer != null) writer.write(r);
                if (window != null) window.show(r);
                position[0]++;
            });
            int n = index[0];
            speed(total, n, model.predictor().chunk(o), model.predictor().inputSize(o), model);
            if (writer != null) saved(c, writer.dir());
            return unread(n, sources.size());
        }
    }

    /** 0 when every image was predicted; else a line with the count of those skipped (each named by its warning) and 1. */
    private int unread(int predicted, int total) {
        if (predicted == total) return 0;
        err.println("yolo-trt " + mode + ": " + (total - predicted) + " of " + total + " images could not be read (the warnings above name them); the other "
                + predicted + (predicted == 1 ? " was" : " were") + " predicted");
        return 1;
    }

    /** Track mode: conf 0.1 unless given (ByteTrack wants the weak detections too), annotated output saved. */
    private int track(Cfg cfg) {
        Cfg c = cfg.forMode(Cfg.Mode.TRACK, Cfg.Caller.CLI);
        if (VideoSource.isVideo(c.string("source"))) return video(c, true);
        try (Yolo model = load(c); Window window = window(c);
             java.util.stream.Stream<Results> s = model.trackStream(c.string("source"), c.explicit())) {
            int[] n = {0};
            s.forEach(r -> {
                n[0]++;
                if (window != null) window.show(r);
                if (c.bool("verbose")) out.printf(Locale.ROOT, "image %d: %s%n%s", n[0], r, r.boxes().toString().indent(4));
            });
            return unread(n[0], ImageSource.resolve(c.string("source"), model.settings()).size());
        }
    }

    /**
     * predict or track on a video, stream or camera: one line per frame as Ultralytics prints it, the run folder
     * written as frames come; a stream that stops ends the run with one line.
     */
    private int video(Cfg c, boolean track) {
        // Nothing drawn here without a window (a saving run keeps its frames for the drawing): no frame copies.
        try (Yolo model = load(c); Window window = window(c); MultiVideo it = model.videos(c.string("source"), c, track, window != null)) {
            List<VideoPredictions> parts = it.parts();
            Map<String, Integer> which = new java.util.HashMap<>();
            for (int i = 0; i < parts.size(); i++) which.putIfAbsent(parts.get(i).source().name(), i);
            double[] total = new double[3];
            int n = 0;
            Results last = null;
            while (it.hasNext()) {
                Results r = it.next();
                n++;
                if (window != null) window.show(r);
                total[0] += r.speed().get("preprocess");
                total[1] += r.speed().get("inference");
                total[2] += r.speed().get("postprocess");
                if (c.bool("verbose")) {
                    int i = which.getOrDefault(r.path(), 0);
                    int frames = parts.get(i).frames();
                    // A file by its absolute path, as images (and Ultralytics) print it; a URL or camera as given.
                    String where = VideoSource.isStream(r.path()) ? r.path() : Path.of(r.path()).toAbsolutePath().normalize().toString();
                    out.printf(Locale.ROOT, "video %d/%d (frame %d/%s) %s: %s, %.1fms%n", i + 1, parts.size(), r.frame() + 1,
                            frames > 0 ? frames : "?", where, r.summary(), r.speed().get("inference"));
                }
                last = r;
            }
            if (n == 0) throw new YoloException("no frames could be read from " + c.string("source"));
            // The last frame's input: a .pt model runs a video at its own rect shape.
            speed(total, n, model.predictor().chunk(PredictOptions.builder().apply(c).build()), last.inputShape(), model);
            Path dir = parts.get(0).runDir();
            if (dir != null) saved(c, dir);
        }
        return 0;
    }

    /** Ultralytics' speed line: mean ms per image of each stage over {@code n} images, and the input's shape. */
    private void speed(double[] total, int n, int batch, int[] hw, Yolo model) {
        out.printf(Locale.ROOT, "Speed: %.1fms preprocess, %.1fms inference, %.1fms postprocess per image at shape (%d, 3, %d, %d) on %s%n",
                total[0] / n, total[1] / n, total[2] / n, batch, hw[0], hw[1], model.backend().name());
    }

    /** Ultralytics' closing lines: where the run folder is, and how many label files save_txt wrote. */
    private void saved(Cfg c, Path dir) {
        out.println("Results saved to " + dir);
        Path labels = dir.resolve("labels");
        if (c.bool("save_txt") && Files.isDirectory(labels)) {
            try (java.util.stream.Stream<Path> files = Files.list(labels)) {
                long nl = files.filter(f -> f.toString().endsWith(".txt")).count();
                out.println(nl + " label" + (nl == 1 ? "" : "s") + " saved to " + labels);
            } catch (java.io.IOException e) {
                throw new YoloException("cannot list " + labels + ": " + e.getMessage());
            }
        }
    }

    private int val(Cfg c) {
        ValOptions o = ValOptions.of(c);
        long t0 = System.nanoTime();
        try (Yolo model = load(c)) {
            Validator.Run run = model.val(o);
            out.print(run.report(o.verbose()));
            Path dir = model.saveVal(run, c);
            if (run.top() != null) {
                ClassifyValidator.Result r = run.top();
                out.printf(Locale.ROOT, "Validated %s on %s %s (%d images) in %.1fs; results saved to %s%n", model.file().getFileName(),
                        r.dataset(), r.split(), r.images(), (System.nanoTime() - t0) / 1e9, dir);
                return 0;
            }
            Metrics m = run.box();
            if (run.predictions() != null) out.println("Saved " + run.predictions().size() + " COCO-format predictions to " + dir.resolve("predictions.json"));
            out.printf(Locale.ROOT, "Validated %s on %s %s (%d images) in %.1fs; results saved to %s%n", model.file().getFileName(),
                    m.dataset(), m.split(), m.images(), (System.nanoTime() - t0) / 1e9, dir);
        }
        return 0;
    }

    private int export(Cfg c) {
        ExportOptions o = ExportOptions.builder().apply(c).build();
        try (Yolo model = load(c)) {
            Path p = model.exportFile(o);
            String name = (model.checkpoint() != null ? model.checkpoint() : model.file()).getFileName().toString();
            out.println("Exported " + name + " -> " + p + (o.format().equals("onnx") && o.int8() ? " (INT8 Q/DQ)" : ""));
            if (o.format().equals("engine")) out.println("Predict:  yolo-trt predict model=" + p + " source=bus.jpg");
            if (o.format().equals("engine") || o.int8()) out.println("Validate: yolo-trt val model=" + p + " data=" + c.string("data"));
        }
        return 0;
    }

    private int benchmark(Cfg c) {
        if (c.integer("iters") < 1) throw new YoloException("iters=" + c.integer("iters") + " must be at least 1");
        if (c.isSet("source")) return throughput(c);
        try (Yolo model = load(c)) {
            // The model's own size unless imgsz is given (a fixed 320 export is not benchmarked at 640).
            int imgsz = c.isSet("imgsz") ? c.ints("imgsz").get(0) : model.metadata().imgsz()[0];
            Benchmark.Plan d = Benchmark.Plan.defaults(c.integer("batch"), imgsz, c.string("data"));
            Benchmark.Plan plan = new Benchmark.Plan(List.of(c.string("precisions").split(",")), d.batch(), d.imgsz(), d.data(),
                    d.warmup(), d.reps(), c.integer("iters"), c.string("split"), List.of());
            Table t = Benchmark.run(model, plan);
            out.println(t.printAll());
            Path dir = RunDirs.next(inRuns(c), "benchmark");
            Tables.writeCsv(t, dir.resolve("benchmark.csv"));
            Tables.writeMarkdown(t, dir.resolve("benchmark.md"));
            out.println("Results saved to " + dir);
        }
        return 0;
    }

    /** benchmark source=VIDEO: frames/s per stage (decode, inference, tracking, encode) and end to end, the limiting stage. */
    private int videoBenchmark(Cfg c) {
        try (Yolo model = load(c)) {
            Table t = dev.yolotrt.bench.VideoBenchmark.run(model, c.string("source"), c);
            out.println(t.printAll());
            Path dir = RunDirs.next(inRuns(c), "benchmark");
            Tables.writeMarkdown(t, dir.resolve("video-benchmark.md"));
            out.println("Results saved to " + dir);
        }
        return 0;
    }

    /** {@code notebook run in.ipynb [out.ipynb]}: execute headlessly, exit 1 if a cell failed. */
    private int notebook(List<String> args) {
        String usage = "usage: yolo-trt notebook run IN.ipynb [OUT.ipynb] [timeout=SECONDS]";
        List<String> files = args.stream().filter(a -> !a.startsWith("timeout=")).toList();
        java.time.Duration timeout = null;
        for (String a : args) {
            if (!a.startsWith("timeout=")) continue;
            try {
                timeout = java.time.Duration.ofSeconds(Long.parseLong(a.substring(8)));
            } catch (NumberFormatException e) {
                throw new YoloException("bad value " + a + ": expected whole seconds; " + usage);
            }
            if (timeout.isNegative() || timeout.isZero()) throw new YoloException("bad value " + a + ": expected a positive number of seconds");
        }
        if (files.size() < 2 || files.size() > 3 || !files.get(0).equals("run")) throw new YoloException(usage);
        Path in = Path.of(files.get(1));
        if (!Files.isRegularFile(in)) throw new YoloException("notebook not found: " + in);
        Path target = files.size() > 2 ? Path.of(files.get(2)) : in;
        NotebookRunner.Report r = NotebookRunner.run(in, target, timeout);
        out.println("Executed " + r.cells() + " cells of " + in + "; outputs written to " + target);
        if (!r.ok()) throw new YoloException(in + " failed at " + r.error());
        return 0;
    }

    /** benchmark source=...: images per second over the images, old and pipelined path side by side. */
    private int throughput(Cfg c) {
        if (VideoSource.isVideo(c.string("source"))) return videoBenchmark(c);
        PredictOptions o = PredictOptions.builder().apply(c).build();
        try (Yolo model = load(c)) {
            Table t = Throughput.run(model, ImageSource.resolve(c.string("source"), model.settings()), o);
            out.println(t.printAll());
            Path dir = RunDirs.next(inRuns(c), "throughput");
            Tables.writeMarkdown(t, dir.resolve("throughput.md"));
            out.println("Results saved to " + dir);
        }
        return 0;
    }

    /**
     * The model= of a command, with its settings and task= override. The TASK of {@code yolo-trt TASK MODE} must be
     * the model's own (or task='s): it names what the user expects, so another is refused rather than forced.
     */
    private Yolo load(Cfg c) {
        Task task = c.task();
        if (taskWord != null && task != null && task != taskWord) {
            throw new YoloException("the command names the task " + taskWord.id() + " but task=" + task.id() + "; give one of them");
        }
        Yolo model = Yolo.load(c.string("model"), settings(c), task);
        Task own = model.metadata().task();
        if (taskWord != null && taskWord != own) {
            model.close();
            throw new YoloException(Text.clip(c.string("model")) + " is a " + own.id() + " model, not " + taskWord.id() + ": run yolo-trt "
                    + own.id() + " " + mode + " ..., or leave the task out");
        }
        return model;
    }

    /** show=true: a window, or null (after one line on stderr) where none can open or none was asked for. */
    private Window window(Cfg c) {
        return c.bool("show") ? Window.open("yolo-trt " + mode, ResultWriter.Options.of(c)) : null;
    }

    /** Benchmarks keep their runs under runs/ unless project= says otherwise. */
    private static Cfg inRuns(Cfg c) {
        return c.isSet("project") ? c : c.with(Map.of("project", "runs"));
    }

    static Settings settings(Cfg cfg) {
        Settings s = Settings.fromEnvironment();
        s = s.withDevices(gpus(cfg.string("device")));
        return cfg.integer("threads") > 0 ? s.withCpuThreads(cfg.integer("threads")) : s;
    }

    /** The GPUs of {@code device=0} or {@code device=0,1} (one engine on each); none for cpu, dla:N (export) or unset. */
    static List<Integer> gpus(String device) {
        return gpus(device, gpuCount());
    }

    /** As {@link #gpus(String)} on a machine with {@code have} GPUs. */
    static List<Integer> gpus(String device, int have) {
        if (device == null || device.isBlank() || device.equalsIgnoreCase("cpu")) return List.of();
        if (device.toLowerCase(Locale.ROOT).startsWith("dla:")) {
            if (!device.matches("(?i)dla:[01]")) throw new YoloException("device=" + Text.clip(device) + ": a DLA core is dla:0 or dla:1");
            return List.of();
        }
        if (!device.matches("\\d{1,3}(,\\d{1,3})*")) {
            throw new YoloException("device=" + Text.clip(device) + ": expected cpu, a GPU number (0), several (0,1) or dla:N");
        }
        List<Integer> ids = java.util.Arrays.stream(device.split(",")).map(Integer::valueOf).distinct().toList();
        if (ids.size() != device.split(",").length) throw new YoloException("device=" + device + " names a GPU twice");
        for (int id : ids) {
            if (id >= have) {
                throw new YoloException("device=" + device + ": " + (have == 0 ? "this machine has no NVIDIA GPU" : "this machine has GPU 0"
                        + (have > 1 ? " to " + (have - 1) : "")) + "; use device=cpu" + (have > 0 ? " or one of its GPUs" : ""));
            }
        }
        return ids;
    }

    /** NVIDIA GPUs the driver shows (/dev/nvidia0, /dev/nvidia1 ...), counted without loading CUDA. */
    static int gpuCount() {
        try (var s = Files.list(Path.of("/dev"))) {
            return (int) s.filter(p -> p.getFileName().toString().matches("nvidia\\d+")).count();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    static String version() {
        Properties p = new Properties();
        try (InputStream in = Commands.class.getResourceAsStream("/dev/yolotrt/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException ignored) {
            // fall through to "unknown"
        }
        // Which JPEG decoder runs tells a user whether folders decode at full speed (libturbojpeg) or not, and why.
        return "yolo-trt " + p.getProperty("version", "unknown") + " (Java " + System.getProperty("java.version") + "; JPEGs decoded by "
                + Images.jpegDecoder() + ")";
    }

    static String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("""
                Usage: yolo-trt [TASK] MODE key=value ...
                TASK (optional, must be the model's): detect, segment, pose, classify, obb

                Modes:
                  predict    run the model on images, folders, videos or streams: yolo-trt predict model=yolov8n.pt source=bus.jpg
                  track      track objects in a video: yolo-trt track model=yolov8n.pt source=clip.mp4 tracker=bytetrack.yaml
                  val        mAP on a dataset (top-1/top-5 for classifiers), plots saved: yolo-trt val model=yolov8n.pt data=coco8.yaml
                  export     ONNX from a .pt, or a TensorRT engine (GPU): yolo-trt export model=yolov8n.pt format=engine half=true
                  benchmark  latency and accuracy per precision: yolo-trt benchmark model=yolov8n.onnx batch=8
                  notebook   run a notebook without Jupyter: yolo-trt notebook run in.ipynb [out.ipynb] [timeout=SECONDS]
                  kernel     install the Jupyter kernel: yolo-trt kernel install [--user] [--name NAME]
                  help       this text
                  version    the toolkit's version

                The ./yolo-trt launcher also takes: setup gpu (TensorRT and CUDA through Maven), classpath (for jshell and
                other JVM tools) and library-path (the folder TensorRT's builder needs on LD_LIBRARY_PATH); see docs/gpu.md.

                Models (.pt, .onnx or .engine) are found by path or by name in $YOLO_TRT_MODELS; sample images (bus.jpg, zidane.jpg)
                in $YOLO_TRT_ASSETS. Keys and defaults:
                """);
        int width = Cfg.keys().keySet().stream().mapToInt(String::length).max().orElse(0);
        int valueWidth = Cfg.keys().values().stream().mapToInt(k -> shown(k).length()).max().orElse(0);
        for (Cfg.Key k : Cfg.keys().values()) {
            sb.append(String.format(Locale.ROOT, "  %-" + width + "s %-" + valueWidth + "s %s%n", k.name(), shown(k), k.help()));
        }
        return sb.toString();
    }

    /** A key's default as the user would type it (None for unset, lists without brackets). */
    private static String shown(Cfg.Key k) {
        return k.fallback() == null ? "None" : k.fallback().toString().replaceAll("[\\[\\] ]", "");
    }
}
