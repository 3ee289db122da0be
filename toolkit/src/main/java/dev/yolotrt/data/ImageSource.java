package dev.yolotrt.data;

import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * One image to predict on, loaded when needed so that a folder of thousands is not held in memory.
 * {@link #resolve} accepts what Ultralytics' {@code source=} accepts: a file, a folder, a glob, a
 * list, an http(s) URL, a {@link BufferedImage} or an OpenCV {@link Mat}. {@code loader} gives a new Mat each call,
 * which the caller owns; {@code keepPixels}: its result keeps the pixels (a source that cannot be read again from
 * {@code path}), else drawing the result reads the file at {@code path} again.
 */
public record ImageSource(String path, Supplier<Mat> loader, boolean keepPixels) {

    /** A source read again from {@code path} to draw (or not drawn at all: a Spark row's bytes). */
    public ImageSource(String path, Supplier<Mat> loader) {
        this(path, loader, false);
    }

    public static final Set<String> IMAGE_SUFFIXES = Set.of("bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm");

    public Mat load() {
        return loader.get();
    }

    /** This source with its result keeping the pixels (drawn at once, instead of decoding the file again). */
    public ImageSource keepingPixels() {
        return new ImageSource(path, loader, true);
    }

    public static ImageSource of(Path file) {
        return new ImageSource(file.toString(), () -> Images.read(file));
    }

    public static List<ImageSource> resolve(Object source, Settings settings) {
        if (source == null || source instanceof CharSequence s && s.toString().isBlank()) {
            throw new YoloException("the source is empty: give source= an image, folder, glob, URL or video");
        }
        List<ImageSource> out = new ArrayList<>();
        try {
            add(source, settings, out);
        } catch (java.nio.file.InvalidPathException | java.util.regex.PatternSyntaxException e) {
            throw new YoloException("source " + source + " is not a valid path or glob (" + Downloads.oneLine(e) + ")");
        }
        if (out.isEmpty()) throw new YoloException("no images found in source " + source);
        return out;
    }

    private static void add(Object source, Settings settings, List<ImageSource> out) {
        if (source instanceof Collection<?> c) {
            for (Object o : c) add(o, settings, out);
        } else if (source instanceof Object[] a) {
            for (Object o : a) add(o, settings, out);
        } else if (source instanceof BufferedImage bi) {
            out.add(new ImageSource("image" + out.size() + ".jpg", () -> Images.fromBufferedImage(bi), true));
        } else if (source instanceof Mat m) {
            // A copy: the pipeline frees what it decodes, and the caller's Mat stays the caller's.
            out.add(new ImageSource("image" + out.size() + ".jpg", m::clone, true));
        } else if (source instanceof Path p) {
            addPath(p, out);
        } else if (source instanceof String s) {
            addString(s.strip(), settings, out);
        } else {
            throw new YoloException("unsupported source type " + (source == null ? "null" : source.getClass().getName())
                    + "; give a file, folder, glob, URL, list, BufferedImage or Mat");
        }
    }

    private static void addString(String s, Settings settings, List<ImageSource> out) {
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            out.add(new ImageSource(s, () -> Images.decode(Downloads.bytes(s, Downloads.Kind.IMAGE, "image"), s), true));
        } else if (s.contains("*") || s.contains("?")) {
            addGlob(s, out);
        } else if (s.contains(",") && !Files.exists(Path.of(s))) {
            for (String part : s.split(",")) addString(part.strip(), settings, out);
        } else {
            addPath(Assets.image(s, settings), out);
        }
    }

    private static void addPath(Path p, List<ImageSource> out) {
        if (Files.isDirectory(p)) {
            try (Stream<Path> files = Files.list(p)) {
                files.filter(ImageSource::isImage).sorted().forEach(f -> out.add(of(f)));
            } catch (IOException e) {
                throw new YoloException("cannot list folder " + p + ": " + Downloads.oneLine(e));
            }
        } else if (AtomicWrite.isPartial(p)) {
            throw new YoloException(p + " is an unfinished download or write (a .part file); give the finished file");
        } else if (Files.exists(p)) {
            out.add(of(p));
        } else {
            throw new YoloException("image not found: " + p + " (give a file, folder, glob or URL)");
        }
    }

    private static void addGlob(String glob, List<ImageSource> out) {
        Path pattern = Path.of(glob);
        Path dir = pattern.getParent() == null ? Path.of(".") : pattern.getParent();
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern.getFileName());
        if (!Files.isDirectory(dir)) throw new YoloException("folder not found for glob " + glob);
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> m.matches(f.getFileName()) && isImage(f)).sorted().forEach(f -> out.add(of(f)));
        } catch (IOException e) {
            throw new YoloException("cannot list folder " + dir + ": " + Downloads.oneLine(e));
        }
    }

    /** An image file by its suffix; hidden files and partial downloads (unfinished writes) are skipped. */
    public static boolean isImageFile(Path f) {
        return isImage(f);
    }

    static boolean isImage(Path f) {
        if (f.getFileName() == null) return false;
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return !n.startsWith(".") && !AtomicWrite.isPartial(f) && Files.isRegularFile(f) && dot > 0 && IMAGE_SUFFIXES.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
