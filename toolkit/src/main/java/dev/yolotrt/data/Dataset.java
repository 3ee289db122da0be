package dev.yolotrt.data;

import dev.yolotrt.util.Contained;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * An Ultralytics dataset YAML: {@code path}, {@code train} / {@code val} / {@code test} (a folder,
 * a .txt list of images, or a list of those), {@code names} (a list or an id → name map) and
 * {@code download}. A relative {@code path} resolves in {@link Settings#datasetsDir()}.
 */
public record Dataset(String name, Path yaml, Path root, Map<String, Object> splits, List<String> names,
                      Map<String, String> download, int[] kptShape) {

    /** Loads {@code data} by path, or by name among the YAMLs shipped with the toolkit (coco8.yaml ...). */
    public static Dataset load(String data, Settings settings) {
        Path file = Path.of(data);
        Map<String, Object> yaml;
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                yaml = parse(in, file.toString());
            } catch (IOException e) {
                throw new YoloException("cannot read dataset YAML " + file + ": " + e.getMessage());
            }
        } else {
            try (InputStream in = Dataset.class.getResourceAsStream("/dev/yolotrt/datasets/" + data)) {
                if (in == null || file.getNameCount() > 1) {
                    throw new YoloException("dataset YAML " + data + " not found (give a path, or one of coco8.yaml, coco8-seg.yaml, coco8-pose.yaml, dota8.yaml, coco128.yaml, coco128-val2017.yaml, coco.yaml)");
                }
                yaml = parse(in, data);
            } catch (IOException e) {
                throw new YoloException("cannot read dataset YAML " + data + ": " + e.getMessage());
            }
            file = null;
        }
        return fromMap(yaml, file, data, settings);
    }

    /** A dataset from YAML text (no file): {@code what} names it in errors. */
    public static Dataset fromYaml(String text, String what, Settings settings) {
        return fromMap(parse(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), what), null, what, settings);
    }

    static Map<String, Object> parse(InputStream in, String what) {
        try {
            Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            if (!(o instanceof Map<?, ?> m)) throw new YoloException(what + " is not a dataset YAML (expected keys path, train, val, names)");
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new YoloException(what + " is not valid YAML: " + Downloads.oneLine(e));
        } catch (RuntimeException e) {
            // SnakeYAML's constructors throw plain exceptions for bad tags (!!int person, !!binary x).
            throw new YoloException(what + " is not a dataset YAML: " + Downloads.oneLine(e));
        }
    }

    static Dataset fromMap(Map<String, Object> y, Path yamlFile, String what, Settings settings) {
        Object namesNode = y.get("names");
        if (namesNode == null) throw new YoloException(what + " has no 'names': list the class names (a list, or 0: person ...)");
        List<String> names = new ArrayList<>();
        if (namesNode instanceof List<?> l) {
            for (Object o : l) names.add(String.valueOf(o));
        } else if (namesNode instanceof Map<?, ?> m) {
            Map<Integer, String> byId = new java.util.TreeMap<>();
            for (var e : m.entrySet()) {
                try {
                    byId.put(Integer.parseInt(String.valueOf(e.getKey())), String.valueOf(e.getValue()));
                } catch (NumberFormatException ex) {
                    throw new YoloException(what + ": 'names' keys must be class ids, got '" + e.getKey() + "'");
                }
            }
            int i = 0;
            for (var e : byId.entrySet()) {
                if (e.getKey() != i++) throw new YoloException(what + ": 'names' ids must run 0, 1, 2 ... without gaps; missing " + (i - 1));
                names.add(e.getValue());
            }
        } else {
            throw new YoloException(what + ": 'names' must be a list or a map of id: name");
        }
        if (!y.containsKey("val") && !y.containsKey("train")) throw new YoloException(what + " names no 'val' or 'train' split");

        Path root;
        Object p = y.get("path");
        if (p == null) {
            root = yamlFile != null ? yamlFile.toAbsolutePath().getParent() : settings.datasetsDir();
        } else {
            Path pp = path(String.valueOf(p), what + " path");
            root = inside(pp.isAbsolute() ? pp : settings.datasetsDir().resolve(pp), folders(yamlFile, settings), what + " path");
        }
        Map<String, Object> splits = new LinkedHashMap<>();
        for (String s : List.of("train", "val", "test")) if (y.get(s) != null) splits.put(s, y.get(s));
        Map<String, String> download = new LinkedHashMap<>();
        Object d = y.get("download");
        if (d instanceof String s) download.put(s, ".");
        else if (d instanceof List<?> l) l.forEach(u -> download.put(String.valueOf(u), "."));
        else if (d instanceof Map<?, ?> m) m.forEach((k, v) -> download.put(String.valueOf(k), String.valueOf(v)));
        String name = yamlFile != null ? yamlFile.getFileName().toString() : what;
        int[] kpt = null;
        Object k = y.get("kpt_shape");
        if (k instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Integer kn && l.get(1) instanceof Integer kv && kn > 0 && kn <= 1000
                && (kv == 2 || kv == 3)) {
            kpt = new int[] {kn, kv};
        } else if (k != null) {
            throw new YoloException(what + ": kpt_shape must be [keypoints, 2 or 3], got " + k);
        }
        return new Dataset(name, yamlFile, root, splits, names, download, kpt);
    }

    /** The image files of a split, sorted; downloads the dataset first when they are missing and a URL is known. */
    public List<Path> images(String split, Settings settings) {
        Object spec = splits.get(split);
        if (spec == null) throw new YoloException(name + " has no '" + split + "' split (it has " + String.join(", ", splits.keySet()) + ")");
        List<Object> entries = spec instanceof List<?> l ? new ArrayList<>(l) : List.of(spec);
        List<Path> allowed = new ArrayList<>(folders(yaml, settings));
        allowed.add(root);
        List<Path> targets = entries.stream().map(e -> inside(root.resolve(path(String.valueOf(e), name + " " + split)), allowed, name + " " + split)).toList();
        if (targets.stream().anyMatch(t -> !Files.exists(t))) {
            if (download.isEmpty()) {
                throw new YoloException(name + ": " + split + " images not found at " + firstMissing(targets)
                        + " and the YAML names no download URL; put the dataset there or fix 'path' (" + Settings.DATASETS + ")");
            }
            download(settings);
        }
        List<Path> images = new ArrayList<>();
        for (Path t : targets) {
            if (!Files.exists(t)) throw new YoloException(name + ": " + split + " images not found at " + t + " (even after download)");
            for (Path img : list(t)) images.add(inside(img, allowed, name + " " + split + " image"));
        }
        if (images.isEmpty()) throw new YoloException(name + ": no images in the '" + split + "' split (" + targets + ")");
        return images;
    }

    /** The folders a dataset may read from: the datasets folder, and the YAML's own folder when it is a file. */
    private static List<Path> folders(Path yamlFile, Settings settings) {
        return yamlFile == null ? List.of(settings.datasetsDir()) : List.of(settings.datasetsDir(), yamlFile.toAbsolutePath().getParent());
    }

    /** {@code p} when it lies in one of {@code roots}; else one line that says how to allow it. */
    private static Path inside(Path p, List<Path> roots, String what) {
        try {
            return Contained.check(p, roots, what);
        } catch (YoloException e) {
            throw new YoloException(e.getMessage() + ". Move the dataset into the datasets folder, or set " + Settings.DATASETS + " to a folder that holds it");
        }
    }

    private static Path path(String p, String what) {
        try {
            return Path.of(p);
        } catch (java.nio.file.InvalidPathException e) {
            throw new YoloException(what + ": '" + p.replace("\0", "\\0") + "' is not a valid path");
        }
    }

    /** A split can list at most this many files: more means the YAML points at a system folder. */
    private static final int MAX_FILES = 2_000_000;
    private static final long MAX_LIST_BYTES = 256L << 20;

    private static Path firstMissing(List<Path> targets) {
        return targets.stream().filter(t -> !Files.exists(t)).findFirst().orElse(targets.get(0));
    }

    private static List<Path> list(Path target) {
        try {
            if (Files.isDirectory(target)) {
                try (Stream<Path> s = Files.walk(target)) {
                    List<Path> all = s.limit(MAX_FILES + 1L).toList();
                    if (all.size() > MAX_FILES) throw new YoloException(target + " holds more than " + MAX_FILES + " files; point the split at its images folder");
                    return all.stream().filter(ImageSource::isImage).sorted().toList();
                } catch (java.io.UncheckedIOException e) {
                    throw new YoloException("cannot list images in " + target + ": " + Downloads.oneLine(e.getCause()));
                }
            }
            // A .txt list: one image per line, relative to the list's folder.
            if (!Files.isRegularFile(target) || Files.size(target) > MAX_LIST_BYTES) {
                throw new YoloException(target + " is neither an image folder nor a .txt list of images");
            }
            Path base = target.getParent();
            List<Path> out = new ArrayList<>();
            for (String line : Files.readAllLines(target)) {
                String l = line.strip();
                if (l.isEmpty()) continue;
                Path img = path(l, target.toString());
                out.add(img.isAbsolute() ? img : base.resolve(l).normalize());
            }
            return out;
        } catch (IOException e) {
            throw new YoloException("cannot list images in " + target + ": " + e.getMessage());
        }
    }

    /** Downloads and unzips each {@code download} entry into the datasets folder (or its named subfolder). */
    public void download(Settings settings) {
        Path base = settings.datasetsDir();
        for (var e : download.entrySet()) {
            String url = e.getKey();
            if (!url.matches("(?i)^https?://.*")) {
                throw new YoloException(name + ": its 'download' is a script, which this toolkit does not run; get the dataset by hand into "
                        + root + " (" + Settings.DATASETS + " sets the datasets folder)");
            }
            Path into = Contained.resolve(base, e.getValue(), name + ": the download target");
            Path zip = Downloads.fetch(url, base.resolve(archiveName(url)), null, Downloads.Kind.DATASET,
                    "Offline? Download it elsewhere and unzip it into " + into + " (or set " + Settings.DATASETS + ")");
            try {
                unzip(zip, into);
            } finally {
                try {
                    Files.deleteIfExists(zip);
                } catch (IOException ignored) {
                    // a leftover zip only costs disk
                }
            }
        }
    }

    /** The archive's file name from its URL's last path segment; a name that is not plain becomes download.zip. */
    static String archiveName(String url) {
        String path;
        try {
            path = java.net.URI.create(url).getPath();
        } catch (IllegalArgumentException e) {
            path = null;
        }
        String last = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
        return last.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}") ? last : "download.zip";
    }

    /** Unzips into a temporary folder beside {@code into}, then moves each top-level entry in place. */
    static void unzip(Path zip, Path into) {
        try {
            Files.createDirectories(into);
            Path tmp = Files.createTempDirectory(into, ".unzip");
            try {
                unzipInto(zip, tmp, into);
            } finally {
                if (Files.exists(tmp)) dev.yolotrt.util.Folders.deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new YoloException("cannot unzip " + zip + " into " + into + ": " + e.getMessage());
        }
    }

    /** Unpacked bytes allowed per byte of archive (JPEG datasets barely compress) and entries per archive. */
    private static final long MAX_UNZIP_RATIO = 20, MAX_ENTRIES = 10_000_000;

    private static void unzipInto(Path zip, Path tmp, Path into) throws IOException {
        long total = Files.size(zip), budget = MAX_UNZIP_RATIO * total + (64L << 20), written = 0, entries = 0;
        byte[] buf = new byte[1 << 16];
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip));
             Progress bar = Progress.bytes("Unzipping " + zip.getFileName(), total)) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (++entries > MAX_ENTRIES) throw new YoloException(zip + " holds more than " + MAX_ENTRIES + " entries; refused");
                Path out = Contained.resolve(tmp, entry.getName(), zip + ": the archive entry");
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (OutputStream o = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW)) {
                        for (int n; (n = in.read(buf)) > 0; ) {
                            written += n;
                            if (written > budget) {
                                throw new YoloException(zip + " unpacks to more than " + MAX_UNZIP_RATIO + " times its size (a zip bomb?); refused");
                            }
                            o.write(buf, 0, n);
                        }
                    }
                }
                if (entry.getCompressedSize() > 0) bar.step(entry.getCompressedSize());
            }
        }
        try (Stream<Path> top = Files.list(tmp)) {
            for (Path p : top.toList()) moveMerge(p, into.resolve(p.getFileName().toString()), into);
        }
    }

    /** Moves {@code src} to {@code dst}, merging folders; nothing is written through a link that leaves {@code into}. */
    private static void moveMerge(Path src, Path dst, Path into) throws IOException {
        Contained.check(dst, List.of(into), "unzipping into");
        if (Files.isDirectory(src) && Files.isDirectory(dst)) {
            try (Stream<Path> children = Files.list(src)) {
                for (Path c : children.toList()) moveMerge(c, dst.resolve(c.getFileName().toString()), into);
            }
        } else if (!Files.exists(dst, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.move(src, dst);
        }
    }

    public int nc() {
        return names.size();
    }
}
