package dev.yolotrt.data;

import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The one table of downloadable files (models, sample images): name → URL + sha256, read from
 * {@code assets.tsv}. Names resolve in a settings directory first, then through this table.
 */
public final class Assets {

    /** One row of the table. */
    public record Asset(String name, String kind, String url, String sha256) {
    }

    private static final Map<String, Asset> TABLE = load();

    private Assets() {
    }

    public static Map<String, Asset> table() {
        return TABLE;
    }

    /**
     * A model given by path, or by file name in {@link Settings#modelsDir()}; downloaded when the
     * table has a URL for it. Fails with one line saying where to put the file.
     */
    public static Path model(String nameOrPath, Settings settings) {
        // An ONNX name whose checkpoint is there, or can be downloaded, instead: the checkpoint (converted in
        // Java when loaded), as Ultralytics publishes only checkpoints.
        String pt = stem(nameOrPath) + ".pt";
        boolean checkpointInstead = nameOrPath.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") && Path.of(nameOrPath).getNameCount() == 1
                && !Files.exists(Path.of(nameOrPath)) && !Files.exists(settings.modelsDir().resolve(nameOrPath))
                && (Files.isRegularFile(settings.modelsDir().resolve(pt)) || TABLE.containsKey(pt) && !TABLE.get(pt).url().isEmpty());
        boolean engine = nameOrPath.toLowerCase(java.util.Locale.ROOT).matches(".*\\.(engine|plan)");
        return resolve(checkpointInstead ? pt : nameOrPath, settings, settings.modelsDir(), Settings.MODELS, Downloads.Kind.MODEL, engine
                ? "an engine is built on the GPU that runs it: yolo-trt export model=" + stem(nameOrPath) + ".onnx format=engine on a machine with an NVIDIA GPU"
                : "put " + pt + " there (YOLOv8 and YOLO11 checkpoints are converted in Java when loaded)");
    }

    /** A sample image given by path, or by name in {@link Settings#assetsDir()} (bus.jpg, zidane.jpg). */
    public static Path image(String nameOrPath, Settings settings) {
        return resolve(nameOrPath, settings, settings.assetsDir(), Settings.ASSETS, Downloads.Kind.IMAGE, "give a file, folder, glob or URL");
    }

    private static Path resolve(String nameOrPath, Settings settings, Path dir, String env, Downloads.Kind kind, String how) {
        Path direct = Path.of(nameOrPath);
        if (Files.exists(direct)) return direct;
        boolean bare = direct.getNameCount() == 1;
        if (bare) {
            Path inDir = dir.resolve(nameOrPath);
            if (Files.exists(inDir)) return inDir;
            Asset asset = TABLE.get(nameOrPath);
            if (asset != null && !asset.url().isEmpty()) {
                return Downloads.fetch(asset.url().replace("{releases}", settings.releases()), inDir, asset.sha256(), kind,
                        "Offline? Put " + nameOrPath + " in " + dir + " (or set " + env + ")");
            }
            throw new YoloException(nameOrPath + " not found here or in " + dir + " (set " + env
                    + " to the folder that holds it, or " + how + ")");
        }
        throw new YoloException(nameOrPath + " not found (" + how + ")");
    }

    private static String stem(String name) {
        String f = Path.of(name).getFileName().toString();
        int dot = f.lastIndexOf('.');
        return dot > 0 ? f.substring(0, dot) : f;
    }

    private static Map<String, Asset> load() {
        Map<String, Asset> table = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(Assets.class.getResourceAsStream("/dev/yolotrt/assets.tsv")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split("\t", -1);
                table.put(f[0], new Asset(f[0], f[1], f.length > 2 ? f[2] : "", f.length > 3 ? f[3] : ""));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(table);
    }
}
