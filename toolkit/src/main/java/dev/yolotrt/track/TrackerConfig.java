package dev.yolotrt.track;

import dev.yolotrt.util.YoloException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A tracker YAML in Ultralytics' keys: {@code tracker=bytetrack.yaml} and {@code botsort.yaml} are built in with
 * Ultralytics 8.3.218's defaults; a user's file overrides any of them (keys it leaves out keep the built-in value of
 * its {@code tracker_type}).
 */
public record TrackerConfig(String trackerType, double trackHighThresh, double trackLowThresh, double newTrackThresh,
                            int trackBuffer, double matchThresh, boolean fuseScore, String gmcMethod, double proximityThresh,
                            double appearanceThresh, boolean withReid) {

    private static final Set<String> KEYS = Set.of("tracker_type", "track_high_thresh", "track_low_thresh", "new_track_thresh",
            "track_buffer", "match_thresh", "fuse_score", "gmc_method", "proximity_thresh", "appearance_thresh", "with_reid", "model");

    public static TrackerConfig byteTrack() {
        return load("bytetrack.yaml");
    }

    public static TrackerConfig botSort() {
        return load("botsort.yaml");
    }

    /** {@code bytetrack.yaml}, {@code botsort.yaml}, or the path of a tracker YAML. */
    public static TrackerConfig load(String tracker) {
        String t = tracker == null ? "botsort.yaml" : tracker.strip();
        Path p = Path.of(t);
        Map<String, Object> user;
        if (Files.isRegularFile(p)) {
            try (InputStream in = Files.newInputStream(p)) {
                user = read(in, t);
            } catch (IOException e) {
                throw new YoloException("cannot read tracker file " + t + ": " + e.getMessage());
            }
        } else if (t.equals("bytetrack.yaml") || t.equals("botsort.yaml")) {
            return of(builtIn(t), t);
        } else {
            throw new YoloException("tracker=" + t + " not found; use bytetrack.yaml, botsort.yaml or the path of a tracker YAML");
        }
        Object type = user.get("tracker_type");
        if (!"bytetrack".equals(type) && !"botsort".equals(type)) {
            throw new YoloException(t + ": tracker_type must be bytetrack or botsort, not " + type);
        }
        Map<String, Object> merged = new LinkedHashMap<>(builtIn(type + ".yaml"));
        merged.putAll(user);
        return of(merged, t);
    }

    private static Map<String, Object> builtIn(String name) {
        try (InputStream in = TrackerConfig.class.getResourceAsStream(name)) {
            return read(in, name);
        } catch (IOException e) {
            throw new IllegalStateException(name, e);
        }
    }

    private static Map<String, Object> read(InputStream in, String name) {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (RuntimeException e) {
            throw new YoloException(name + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(doc instanceof Map<?, ?> m)) throw new YoloException(name + " is not a tracker YAML (expected key: value lines)");
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (!KEYS.contains(String.valueOf(k))) throw new YoloException(name + ": unknown key '" + k + "'; valid keys: " + String.join(", ", KEYS));
            out.put(String.valueOf(k), v);
        });
        return out;
    }

    private static TrackerConfig of(Map<String, Object> m, String name) {
        TrackerConfig c = new TrackerConfig(String.valueOf(m.get("tracker_type")), num(m, "track_high_thresh", name),
                num(m, "track_low_thresh", name), num(m, "new_track_thresh", name), (int) num(m, "track_buffer", name),
                num(m, "match_thresh", name), bool(m, "fuse_score", name), m.get("gmc_method") == null ? "none" : String.valueOf(m.get("gmc_method")),
                m.containsKey("proximity_thresh") ? num(m, "proximity_thresh", name) : 0.5,
                m.containsKey("appearance_thresh") ? num(m, "appearance_thresh", name) : 0.8,
                m.containsKey("with_reid") && bool(m, "with_reid", name));
        if (c.withReid) {
            throw new YoloException(name + ": with_reid=True (appearance re-identification) is not supported; set with_reid: False");
        }
        if (c.isBotSort() && !Gmc.METHODS.contains(c.gmcMethod.toLowerCase(Locale.ROOT))) {
            throw new YoloException(name + ": gmc_method " + c.gmcMethod + " is not supported; use one of " + String.join(", ", Gmc.METHODS));
        }
        if (c.trackBuffer < 0) throw new YoloException(name + ": track_buffer must be >= 0");
        return c;
    }

    private static double num(Map<String, Object> m, String k, String name) {
        Object v = m.get(k);
        if (v instanceof Number n) return n.doubleValue();
        throw new YoloException(name + ": " + k + " must be a number, not " + v);
    }

    private static boolean bool(Map<String, Object> m, String k, String name) {
        Object v = m.get(k);
        if (v instanceof Boolean b) return b;
        throw new YoloException(name + ": " + k + " must be True or False, not " + v);
    }

    public boolean isBotSort() {
        return trackerType.equals("botsort");
    }
}
