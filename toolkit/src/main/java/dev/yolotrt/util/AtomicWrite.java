package dev.yolotrt.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file through a temporary file in the same folder, moved into place only when complete,
 * so that a failure never leaves a half-written engine, image, cache or table behind.
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
            String suffix = file.getFileName().toString().replaceFirst("^.*?(\\.[^.]*)?$", "$1");
            Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".part" + suffix);
            try {
                body.write(tmp);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return file;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new YoloException("cannot write " + file + ": " + Downloads.oneLine(e), e);
        }
    }

    public static Path write(Path file, byte[] bytes) {
        return write(file, tmp -> Files.write(tmp, bytes));
    }
}
