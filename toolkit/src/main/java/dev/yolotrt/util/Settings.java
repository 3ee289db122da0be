package dev.yolotrt.util;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where models, datasets, sample images and caches live. Each directory comes from an environment
 * variable (or the system property of the same name in lower case with dots, e.g.
 * {@code yolo.trt.models}) and defaults to a folder of the user cache, so nothing is global. {@code devices}: the GPUs an
 * engine runs on, one engine per GPU (Ultralytics' {@code device=0,1}); empty, the current GPU.
 */
public record Settings(Path modelsDir, Path datasetsDir, Path assetsDir, Path cacheDir, int cpuThreads, String releases,
                       List<Integer> devices) {

    public Settings {
        devices = List.copyOf(devices);
    }

    public static final String MODELS = "YOLO_TRT_MODELS";
    public static final String DATASETS = "YOLO_TRT_DATASETS";
    public static final String ASSETS = "YOLO_TRT_ASSETS";
    public static final String CACHE = "YOLO_TRT_CACHE";
    public static final String THREADS = "YOLO_TRT_THREADS";
    /** Where official checkpoints are downloaded from (Ultralytics' release assets; a mirror may stand in). */
    public static final String RELEASES = "YOLO_TRT_RELEASES";
    public static final String DEFAULT_RELEASES = "https://github.com/ultralytics/assets/releases/download/v8.4.0";

    /** Settings from the process environment and system properties. */
    public static Settings fromEnvironment() {
        return from(System.getenv());
    }

    public static Settings from(Map<String, String> env) {
        Path cache = path(env, CACHE, defaultCache());
        return new Settings(
                path(env, MODELS, cache.resolve("models")),
                path(env, DATASETS, cache.resolve("datasets")),
                path(env, ASSETS, cache.resolve("assets")),
                cache,
                (int) bounded(THREADS, value(env, THREADS, "0"), 0, 4096),
                value(env, RELEASES, DEFAULT_RELEASES).replaceFirst("/+$", ""), List.of());
    }

    public Settings withCpuThreads(int threads) {
        return new Settings(modelsDir, datasetsDir, assetsDir, cacheDir, threads, releases, devices);
    }

    public Settings withDevices(List<Integer> gpus) {
        return new Settings(modelsDir, datasetsDir, assetsDir, cacheDir, cpuThreads, releases, gpus);
    }

    private static Path defaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("yolo-trt");
    }

    private static Path path(Map<String, String> env, String key, Path fallback) {
        String v = value(env, key, null);
        return v == null ? fallback : Path.of(v).toAbsolutePath().normalize();
    }

    /**
     * A positive whole number from {@code key} (environment variable, or its system property), {@code fallback}
     * when unset: the limits of downloads and parsers are configured this way.
     */
    public static long positive(String key, long fallback) {
        String v = value(System.getenv(), key, null);
        return v == null ? fallback : bounded(key, v, 1, Long.MAX_VALUE >> 20);
    }

    private static long bounded(String key, String v, long min, long max) {
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new YoloException(key + "=" + Text.clip(v) + " is not a whole number from " + min + " to " + max);
    }

    private static String value(Map<String, String> env, String key, String fallback) {
        String prop = System.getProperty(key.toLowerCase().replace('_', '.'));
        if (prop != null && !prop.isBlank()) return prop;
        String v = env.get(key);
        return v != null && !v.isBlank() ? v : fallback;
    }
}
