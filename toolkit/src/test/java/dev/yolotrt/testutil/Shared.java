package dev.yolotrt.testutil;

import dev.yolotrt.util.Settings;

import java.nio.file.Path;

/** The shared test assets (../shared beside the checkout), as surefire points the settings at them. */
public final class Shared {
    private Shared() {
    }

    public static Settings settings() {
        return Settings.fromEnvironment();
    }

    public static Path model(String name) {
        return settings().modelsDir().resolve(name);
    }

    public static Path image(String name) {
        return settings().assetsDir().resolve(name);
    }

    /** What Ultralytics 8.3.218 output for the shared models (../shared/reference/ultralytics-8.3.218). */
    public static Path reference(String name) {
        return Path.of(System.getenv("YOLO_TRT_REFERENCE")).resolve(name);
    }

    public static Path datasets() {
        return settings().datasetsDir();
    }
}
