package dev.yolotrt.video;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Results;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Not a test: {@code track} frames/s end to end without saving, as the CLI runs it, for several videos, both trackers
 * and several counts of BoT-SORT's motion threads, with one model load (run by scripts/gpu-botsort-check.sh).
 * {@code -Dprofile=true}: the second pass's CPU time by thread ({@link ThreadCpu}).
 * {@code TrackRates MODEL MOTION_THREADS,... VIDEO...}: each run twice (the first warms up), both printed.
 */
public final class TrackRates {
    private TrackRates() {
    }

    public static void main(String[] args) {
        String[] motion = args[1].split(",");
        try (Yolo model = Yolo.load(Path.of(args[0]))) {
            // -Ddecoders=cpu,nvdec: each setting with each decoder (default: the decoder option's default).
            String[] decoders = System.getProperty("decoders", "").isEmpty() ? new String[] {null} : System.getProperty("decoders").split(",");
            for (int v = 2; v < args.length; v++) {
                String video = args[v];
                for (String d : decoders) {
                    run(model, video, "bytetrack.yaml", null, d);
                    for (String m : motion) run(model, video, "botsort.yaml", m, d);
                }
            }
        }
    }

    private static void run(Yolo model, String video, String tracker, String motionThreads, String decoder) {
        if (motionThreads != null) System.setProperty("yolo.motion.threads", motionThreads);
        for (int pass = 1; pass <= 2; pass++) {
            ThreadCpu cpu = pass == 2 && Boolean.getBoolean("profile") ? new ThreadCpu() : null;
            long t0 = System.nanoTime();
            int n = 0;
            Set<Integer> ids = new HashSet<>();
            // The CLI's track: its options layered as the CLI layers them, and no frame copies (it draws nothing).
            Map<String, Object> o = new java.util.HashMap<>(Map.of("tracker", tracker, "batch", 8, "save", false, "verbose", false));
            if (decoder != null) o.put("decoder", decoder);
            Cfg c = Cfg.of(o).forMode(Cfg.Mode.TRACK, Cfg.Caller.CLI);
            try (MultiVideo frames = model.videos(video, c, true, false)) {
                while (frames.hasNext()) {
                    Results r = frames.next();
                    n++;
                    if (r.boxes().isTrack()) for (int id : r.boxes().ids()) ids.add(id);
                }
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "track %s %s%s%s pass %d: %d frames in %.3f s = %.0f frames/s (%d track ids)%n",
                    Path.of(video).getFileName(), tracker, motionThreads == null ? "" : " motion_threads=" + motionThreads,
                    decoder == null ? "" : " decoder=" + decoder, pass, n, s, n / s,
                    ids.size());
            if (cpu != null) System.out.println("  " + cpu.report(n));
        }
    }
}
