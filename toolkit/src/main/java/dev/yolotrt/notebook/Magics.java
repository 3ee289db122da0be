package dev.yolotrt.notebook;

import java.io.File;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;

/** IJava's line magics for the classpath: {@code %jars a.jar lib/*.jar} and {@code %classpath dir}. */
final class Magics {
    private Magics() {
    }

    /** Handles a cell that is only magics; returns false for ordinary Java. */
    static boolean handle(String cell, JShellEvaluator shell) {
        String s = cell.strip();
        if (!s.startsWith("%")) return false;
        for (String line : s.split("\n")) {
            String[] parts = line.strip().split("\\s+");
            switch (parts[0]) {
                case "%jars", "%classpath" -> {
                    for (int i = 1; i < parts.length; i++) for (String p : expand(parts[i])) shell.addToClasspath(p);
                }
                default -> throw new IllegalArgumentException("unknown magic " + parts[0] + "; this kernel knows %jars and %classpath");
            }
        }
        return true;
    }

    /** A path, or a glob in its last part (lib/*.jar). */
    static java.util.List<String> expand(String spec) {
        if (!spec.contains("*")) return java.util.List.of(spec);
        Path p = Path.of(spec);
        Path dir = p.getParent() == null ? Path.of(".") : p.getParent();
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + p.getFileName());
        try (var files = Files.list(dir)) {
            return files.filter(f -> m.matches(f.getFileName())).map(Path::toString).sorted().toList();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot list " + dir + File.separator);
        }
    }
}
