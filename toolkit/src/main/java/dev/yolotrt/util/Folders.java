package dev.yolotrt.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Folder operations several capabilities need. */
public final class Folders {
    private Folders() {
    }

    /** Deletes {@code dir} and everything below it, deepest first; links are deleted, not followed. */
    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
