package dev.yolotrt.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file through a temporary file in the same folder, moved into place only when complete,
 * so that a failure never leaves a half-written engine, image, cache or table behind. The temporary
 * file is created by the writer itself, so the result gets the user's umask (not 0600); it is hidden
 * (a leading dot, which image folders skip), and ones left by a killed process are removed by the
 * next write of the same file.
 */
public final class AtomicWrite {

    /** Writes the content into {@code tmp}. */
    public interface Body {
        void write(Path tmp) throws IOException;
    }

    private AtomicWrite() {
    }

    public static Path write(Path file, Body body) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            String name = file.getFileName().toString();
            String suffix = name.replaceFirst("^.*?(\\.[^.]*)?$", "$1");
            removeStale(dir, "." + name + ".");
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".part" + suffix);
            IN_FLIGHT.add(tmp);
            try {
                body.write(tmp);
                if (!Files.exists(tmp)) throw new IOException("nothing was written");
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return file;
            } finally {
                Files.deleteIfExists(tmp);
                IN_FLIGHT.remove(tmp);
            }
        } catch (IOException e) {
            throw new YoloException("cannot write " + file + ": " + Downloads.oneLine(e), e);
        }
    }

    /** A temporary file of this class's: hidden, with {@code .part} before its suffix. */
    public static boolean isPartial(Path f) {
        Path n = f.getFileName();
        if (n == null) return false;
        String s = n.toString();
        return s.endsWith(".part") || s.startsWith(".") && s.matches(".*\\.part\\.[^.]*$");
    }

    /** Temporary files being written now; a JVM that is shut down (Ctrl-C, SIGTERM) removes them on the way out. */
    private static final java.util.Set<Path> IN_FLIGHT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : IN_FLIGHT) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // the next write of the same file removes it once it is an hour old
                }
            }
        }, "yolo-trt-partial-cleanup"));
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final long STALE_MS = 3_600_000;

    /** Temporary files of the same target older than an hour: what a killed process left. */
    private static void removeStale(Path dir, String prefix) {
        long cutoff = System.currentTimeMillis() - STALE_MS;
        try (var s = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.contains(".part");
        })) {
            for (Path p : s) {
                if (Files.getLastModifiedTime(p).toMillis() < cutoff) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // leftovers only cost disk
        }
    }

    public static Path write(Path file, byte[] bytes) {
        return write(file, tmp -> Files.write(tmp, bytes));
    }
}
