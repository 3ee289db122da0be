package dev.yolotrt.bench;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Results;
import dev.yolotrt.track.TrackerConfig;
import dev.yolotrt.util.Folders;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.video.VideoPredictions;
import dev.yolotrt.video.VideoSource;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code benchmark source=VIDEO}: frames per second of a video through each stage (decode, the batched inference
 * pipeline, BoT-SORT's camera motion, the tracker, encoding the annotated video) and end to end (predict, track, track
 * and save), and the stage that limits {@code track}. The motion and the tracker are timed inside the track run itself,
 * on the threads {@code track} uses.
 */
public final class VideoBenchmark {
    /** Frames of an untimed track run before the timed one. */
    static final int WARMUP_FRAMES = 64;

    private VideoBenchmark() {
    }

    public static Table run(Yolo model, String source, Cfg c) {
        StringColumn what = StringColumn.create("Run"), note = StringColumn.create("Note");
        IntColumn frames = IntColumn.create("Frames");
        DoubleColumn seconds = DoubleColumn.create("Seconds"), rate = DoubleColumn.create("Frames/s");
        Cfg quiet = c.with(Map.of("save", false, "save_txt", false, "save_crop", false, "save_frames", false, "verbose", false));
        TrackerConfig tc = TrackerConfig.load(c.string("tracker"));

        // 1. Decoding alone, on one thread.
        long t0 = System.nanoTime();
        int n = 0;
        String decoder;
        try (VideoSource v = VideoSource.open(source, (int) Math.round(c.number("timeout") * 1000), false, VideoSource.Decoder.of(c.string("decoder")))) {
            decoder = v.nvdec() ? "NVDEC" : "FFmpeg";
            for (VideoSource.Frame f; (f = v.next()) != null; n++) f.image().close();
        }
        double decodeS = (System.nanoTime() - t0) / 1e9;
        add(what, frames, seconds, rate, note, "decode", n, decodeS, decoder + " to BGR, one thread");
        Log.info("decode: " + n + " frames");

        // 2. Predict end to end (no tracker, nothing saved): the inference stage's rate at its parallelism.
        double[] inferMs = {0};
        int inFlight;
        t0 = System.nanoTime();
        n = 0;
        try (VideoPredictions it = model.video(source, quiet, false, false)) {
            inFlight = model.predictor().concurrency();
            while (it.hasNext()) {
                Results r = it.next();
                n++;
                inferMs[0] += r.speed().get("preprocess") + r.speed().get("inference") + r.speed().get("postprocess");
            }
        }
        add(what, frames, seconds, rate, note, "predict", n, (System.nanoTime() - t0) / 1e9, "decode + batches in flight, no tracker, nothing saved");
        double inferRate = n / (inferMs[0] / 1000) * inFlight;
        add(what, frames, seconds, rate, note, "inference", n, n / inferRate, inFlight + (inFlight == 1 ? " batch" : " batches") + " in flight (letterbox, model, NMS)");
        Log.info("predict: " + n + " frames");

        // 3. Track end to end without saving (the measure), exactly as `track` runs it; each stage's busy time
        // in that run gives its rate: the decode thread, the motion threads (BoT-SORT), the tracker on the consumer.
        // Track's options as `track` layers them (its conf is 0.1: the trackers take the weak boxes too), the user's over them.
        Cfg tracking = quiet.forMode(Cfg.Mode.TRACK, Cfg.Caller.CLI);
        // First, untimed, a track run's first frames: they load the camera motion's GPU kernels, open its lanes and get
        // the tracker compiled, once per process, which the one timed pass of a short video would otherwise carry.
        try (VideoPredictions warm = model.video(source, tracking, true, false)) {
            for (int k = 0; k < WARMUP_FRAMES && warm.hasNext(); k++) warm.next();
        }
        VideoPredictions[] run = new VideoPredictions[1];
        double trackS = timed(model, source, tracking, frames, seconds, rate, note, what, "track", "nothing saved, after " + WARMUP_FRAMES
                + " frames' warm-up", run);
        VideoPredictions tr = run[0];
        int tn = frames.get(frames.size() - 1);
        double decodeRate = tr.decodedFrames() / Math.max(1e-9, tr.decodeMs() / 1000);
        add(what, frames, seconds, rate, note, "decode in track", tr.decodedFrames(), tr.decodeMs() / 1000, "its FFmpeg thread, BGR conversion on others");
        List<String> names = new ArrayList<>(List.of("decode", "inference"));
        List<Double> rates = new ArrayList<>(List.of(decodeRate, inferRate));
        if (tr.motionMs() > 0) {
            int threads = VideoPredictions.motionThreads();
            add(what, frames, seconds, rate, note, "motion (GMC)", tn, tr.motionMs() / 1000 / threads,
                    "camera motion ahead, " + threads + (threads == 1 ? " thread (its" : " threads (their") + " busy time in track)");
            names.add("motion (GMC)");
            rates.add(tn / Math.max(1e-9, tr.motionMs() / 1000 / threads));
        }
        add(what, frames, seconds, rate, note, "tracking", tn, tr.afterMs() / 1000, tc.trackerType() + " on the consumer thread, in track");
        names.add("tracking");
        rates.add(tn / Math.max(1e-9, tr.afterMs() / 1000));
        Log.info("track: done");
        // The annotated video goes to a new run folder of its own (never one that exists), deleted afterwards: the
        // benchmark's output is its table.
        Cfg saving = tracking.with(Map.of("save", true, "name", "benchmark-save", "exist_ok", false));
        double saveS;
        try {
            saveS = timed(model, source, saving, frames, seconds, rate, note, what, "track + save", "annotated video written (then deleted)", run);
        } finally {
            if (run[0] != null && run[0].runDir() != null && Files.isDirectory(run[0].runDir())) {
                try {
                    Folders.deleteTree(run[0].runDir());
                } catch (IOException e) {
                    throw new YoloException("benchmark: cannot delete its saved video's folder " + run[0].runDir() + ": " + e.getMessage());
                }
            }
        }
        int last = frames.get(frames.size() - 1);
        if (saveS > trackS) {
            add(what, frames, seconds, rate, note, "encode", last, saveS - trackS, "drawing + MJPEG, by difference");
        } else {
            // Other work on the machine, or noise larger than the encoding: no rate rather than an absurd one.
            what.append("encode");
            frames.append(last);
            seconds.appendMissing();
            rate.appendMissing();
            note.append("not measurable: track + save was not slower than track here");
        }

        String limit = limit(names.toArray(String[]::new), rates.stream().mapToDouble(Double::doubleValue).toArray());
        for (DoubleColumn col : new DoubleColumn[] {seconds, rate}) col.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(1));
        return Table.create(model.file().getFileName() + " on " + source + " (" + model.backend().name() + "); track without saving is limited by "
                + limit, what, frames, seconds, rate, note);
    }

    /** One run of {@code track} timed end to end; {@code run[0]}: its pipeline, closed, for its stage times. */
    private static double timed(Yolo model, String source, Cfg c, IntColumn frames, DoubleColumn seconds, DoubleColumn rate, StringColumn note,
                                StringColumn what, String name, String how, VideoPredictions[] run) {
        long t0 = System.nanoTime();
        int n = 0;
        // As the CLI runs track: results without frame copies (a saving run keeps them for its drawing).
        try (VideoPredictions it = model.video(source, c, true, false)) {
            run[0] = it;
            for (; it.hasNext(); n++) it.next();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        add(what, frames, seconds, rate, note, name, n, s, how);
        return s;
    }

    /** The stage with the lowest rate. */
    static String limit(String[] names, double[] rates) {
        int k = 0;
        for (int i = 1; i < rates.length; i++) if (rates[i] < rates[k]) k = i;
        return names[k] + String.format(java.util.Locale.ROOT, " (%.0f frames/s)", rates[k]);
    }

    private static void add(StringColumn what, IntColumn frames, DoubleColumn seconds, DoubleColumn rate, StringColumn note, String name, int n,
                            double s, String how) {
        what.append(name);
        frames.append(n);
        seconds.append(s);
        rate.append(n / s);
        note.append(how);
    }
}
