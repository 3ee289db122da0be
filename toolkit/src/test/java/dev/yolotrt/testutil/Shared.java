package dev.yolotrt.testutil;

import dev.yolotrt.util.Settings;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The shared test assets (../shared beside the checkout, as surefire points the settings at them).
 * Without them, every test that needs them is skipped and one line says where they come from; the
 * tests that need no assets still run, and nothing is written outside the checkout.
 */
public final class Shared {
    private static final Settings SETTINGS = Settings.fromEnvironment();
    private static final boolean PRESENT = Files.isRegularFile(SETTINGS.modelsDir().resolve("yolov8n.onnx"))
            && Files.isRegularFile(SETTINGS.assetsDir().resolve("bus.jpg"))
            && Files.isDirectory(SETTINGS.datasetsDir().resolve("coco8"));
    private static final AtomicBoolean TOLD = new AtomicBoolean();

    private Shared() {
    }

    /** Skips the calling test when the assets are missing, saying so once per run. */
    public static void require() {
        if (PRESENT) return;
        String why = "test assets not found (" + SETTINGS.modelsDir() + " has no yolov8n.onnx): the tests that need models, images or datasets are"
                + " skipped; put them in ../shared beside the checkout as ../shared/ASSETS.md lists, or point YOLO_TRT_MODELS,"
                + " YOLO_TRT_ASSETS and YOLO_TRT_DATASETS at them";
        if (TOLD.compareAndSet(false, true)) System.err.println("yolo-trt: " + why);
        Assumptions.abort(why);
    }

    public static Settings settings() {
        require();
        return SETTINGS;
    }

    public static Path model(String name) {
        return settings().modelsDir().resolve(name);
    }

    public static Path image(String name) {
        return settings().assetsDir().resolve(name);
    }

    /** What Ultralytics 8.3.218 output for the shared models (../shared/reference/ultralytics-8.3.218). */
    public static Path reference(String name) {
        require();
        return Path.of(System.getenv("YOLO_TRT_REFERENCE")).resolve(name);
    }

    /** A test video of ../shared/videos (beside the reference folder). */
    public static Path video(String name) {
        Path v = Path.of(System.getenv("YOLO_TRT_REFERENCE")).getParent().getParent().resolve("videos").resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(v), "test video not found: " + v);
        return v;
    }

    /** The ffmpeg program inside the bytedeco ffmpeg jar (extracted to JavaCPP's cache). */
    public static String ffmpeg() {
        try {
            return org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("ffmpeg's libraries do not load (libpulse0 missing?): " + e.getMessage(), e);
        }
    }

    public static Path datasets() {
        return settings().datasetsDir();
    }
}
