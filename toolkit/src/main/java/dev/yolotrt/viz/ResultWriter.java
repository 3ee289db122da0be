package dev.yolotrt.viz;

import dev.yolotrt.task.Task;
import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.data.Images;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Text;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Saves predictions the way Ultralytics lays them out in a run folder: annotated images
 * ({@code save}), YOLO-format labels under {@code labels/} ({@code save_txt}, {@code save_conf}) and
 * one crop per box under {@code crops/<class>/} ({@code save_crop}). The CLI and the Java API share it.
 */
public final class ResultWriter {

    /** What to write, from the keys of the same names. */
    public record Options(boolean image, boolean txt, boolean conf, boolean crop, boolean showLabels, boolean showConf,
                          Integer lineWidth) {

        public static Options of(Cfg c) {
            return new Options(c.bool("save"), c.bool("save_txt"), c.bool("save_conf"), c.bool("save_crop"),
                    c.bool("show_labels"), c.bool("show_conf"), c.get("line_width") == null ? null : c.integer("line_width"));
        }

        public boolean any() {
            return image || txt || crop;
        }
    }

    private final Path dir;
    private final Options o;

    public ResultWriter(Path dir, Options o) {
        this.dir = dir;
        this.o = o;
    }

    /** A writer into the next run folder ({@code project}/{@code name}), or null when nothing is to be saved. */
    public static ResultWriter forRun(Cfg c, String mode, Task task) {
        Options o = Options.of(c);
        return o.any() ? new ResultWriter(RunDirs.reserve(c, mode, task), o) : null;
    }

    public Path dir() {
        return dir;
    }

    /** Whether writing a result reads its image (annotated images or crops), not its boxes alone. */
    public boolean readsImages() {
        return o.image() || o.crop();
    }

    public void write(Results r) {
        String name = saveName(r);
        // A video's frame n (from 1) is <stem>_<n> for labels and crops, as Ultralytics names them; its image goes
        // into the annotated video instead (video.VideoSink).
        boolean frame = r.frame() >= 0;
        String stem = name.replaceFirst("\\.[^.]+$", "") + (frame ? "_" + (r.frame() + 1) : "");
        boolean drawn = o.image() && !frame;
        if (o.txt()) AtomicWrite.write(dir.resolve("labels").resolve(stem + ".txt"), r.labelLines(o.conf()).getBytes(StandardCharsets.UTF_8));
        if (!drawn && !o.crop()) return;
        // One original for the drawing and the crops: a file is decoded again once.
        try (Mat orig = r.origImg()) {
            if (drawn) {
                try (Mat m = Annotator.plot(r, orig, o.showLabels(), o.showConf(), o.lineWidth())) {
                    Images.write(m, dir.resolve(name));
                }
            }
            if (o.crop()) crops(r, orig, stem);
        }
    }

    /** One crop per box under crops/<class>/: stem.jpg, stem2.jpg, ... per class, as Ultralytics' increment_path numbers them. */
    private void crops(Results r, Mat orig, String stem) {
        java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        for (int i = 0; i < r.boxes().size(); i++) {
            float[] b = r.boxes().xyxy(i);
            int x1 = (int) b[0], y1 = (int) b[1], x2 = (int) Math.ceil(b[2]), y2 = (int) Math.ceil(b[3]);
            x2 = Math.min(x2, orig.cols());
            y2 = Math.min(y2, orig.rows());
            if (x2 <= x1 || y2 <= y1) continue;
            try (Mat crop = new Mat(orig, new Rect(x1, y1, x2 - x1, y2 - y1))) {
                int n = seen.merge(r.boxes().name(i), 1, Integer::sum);
                String suffix = n == 1 ? "" : String.valueOf(n);
                Images.write(crop, dir.resolve("crops").resolve(folderName(r.boxes().name(i))).resolve(stem + suffix + ".jpg"));
            }
        }
    }

    /**
     * A class name as one folder name: names come from the model's metadata, which a stranger wrote, so separators and
     * dot-only names (which would climb out of crops/) become underscores.
     */
    static String folderName(String className) {
        String n = className.replaceAll("[/\\\\\\x00-\\x1f]", "_");
        return n.isBlank() || n.matches("\\.+") ? "_" + n : Text.clip(n);
    }

    /** A video's or stream's name without its suffix: clip for clip.mp4, the last path part or "stream" for a URL, 0 for a camera. */
    public static String videoName(String source) {
        String s = source.replaceAll("[?#].*$", "").replaceAll("/+$", "");
        int slash = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
        String last = s.substring(slash + 1);
        if (last.isEmpty() || last.contains(":")) last = "stream";
        String stem = last.replaceFirst("\\.[^.]+$", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return stem.isEmpty() || stem.startsWith(".") ? "stream" + stem : stem;
    }

    /** The file name to save {@code r} under: the source's name, or that name + .jpg for URLs and other suffixes. */
    static String saveName(Results r) {
        if (r.frame() >= 0) return videoName(r.path()) + ".jpg";
        String name = Path.of(r.path().replaceAll("[?#].*$", "")).getFileName().toString();
        return name.toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$") ? name : name + ".jpg";
    }
}
