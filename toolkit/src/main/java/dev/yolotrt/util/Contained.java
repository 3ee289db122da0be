package dev.yolotrt.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * The one containment rule for paths that come from data (an ONNX file's external-data locations, a dataset
 * YAML's {@code path} and {@code download} targets, archive entries, run folder names): resolve, normalise, and
 * refuse what leaves its root, following symbolic links as the file system will when the path is opened.
 */
public final class Contained {

    private Contained() {
    }

    /**
     * {@code relative} resolved in {@code root}; refused when it is absolute, climbs out of {@code root}, or
     * reaches outside it through a symbolic link. {@code what} names the value in the one-line error.
     */
    public static Path resolve(Path root, String relative, String what) {
        if (relative == null || relative.isBlank() || relative.indexOf('\0') >= 0) {
            throw new YoloException(what + " '" + Text.clip(relative) + "': not a valid path; refused");
        }
        Path rel;
        try {
            rel = Path.of(relative);
        } catch (InvalidPathException e) {
            throw new YoloException(what + " '" + Text.clip(relative) + "' is not a valid path");
        }
        if (rel.isAbsolute() || relative.startsWith("/") || relative.startsWith("\\") || relative.matches("^[A-Za-z]:.*")) {
            throw new YoloException(what + " '" + Text.clip(relative) + "' is an absolute path; only paths inside " + root + " are allowed");
        }
        try {
            return check(root.resolve(rel), List.of(root), what);
        } catch (YoloException e) {
            throw new YoloException(what + " '" + Text.clip(relative) + "' lies outside " + root.toAbsolutePath().normalize()
                    + "; refused (paths in files may not leave their folder)");
        }
    }

    /**
     * {@code path} itself, when it lies inside one of {@code roots} (normalised, and again with symbolic links
     * followed as far as the path exists); refused otherwise.
     */
    public static Path check(Path path, List<Path> roots, String what) {
        Path p = path.toAbsolutePath().normalize();
        for (Path root : roots) {
            Path r = root.toAbsolutePath().normalize();
            if (p.startsWith(r) && real(p).startsWith(real(r))) return p;
        }
        throw new YoloException(what + " " + p + " lies outside " + (roots.size() == 1 ? roots.get(0).toAbsolutePath().normalize()
                : roots.stream().map(r -> r.toAbsolutePath().normalize().toString()).toList()) + "; refused (paths in files may not leave their folder)");
    }

    /** The path with symbolic links resolved for the part of it that exists, the rest appended as it is. */
    static Path real(Path p) {
        Path existing = p;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) existing = existing.getParent();
        if (existing == null) return p;
        try {
            return existing.toRealPath().resolve(existing.relativize(p)).normalize();
        } catch (IOException e) {
            throw new YoloException(p + " cannot be resolved (a broken symbolic link or a loop): " + Downloads.oneLine(e));
        }
    }
}
