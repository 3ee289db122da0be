package dev.yolotrt.notebook;

import java.io.File;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;

/**
 * IJava's line magics for the classpath, {@code %jars a.jar lib/*.jar} and {@code %classpath dir}, and {@code %spark}:
 * Spark's jars and the spark module's, as {@code mvn -Pspark-lib} builds them beside this toolkit.
 */
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
                case "%spark" -> spark().forEach(shell::addToClasspath);
                default -> throw new IllegalArgumentException("unknown magic " + parts[0] + "; this kernel knows %jars, %classpath and %spark");
            }
        }
        return true;
    }

    /**
     * Spark's jars (spark/target/spark-lib) and yolo-trt-spark.jar of the checkout this kernel's toolkit jar was built in
     * (toolkit/target/yolo-trt.jar), whatever the notebook's folder.
     */
    static java.util.List<String> spark() {
        Path root;
        try {
            root = Path.of(Magics.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent().getParent().getParent();
        } catch (java.net.URISyntaxException | NullPointerException e) {
            throw new IllegalArgumentException("%spark: cannot tell where this kernel's toolkit was built");
        }
        Path lib = root.resolve("spark/target/spark-lib"), jar = root.resolve("spark/target/yolo-trt-spark.jar");
        if (!Files.isDirectory(lib) || !Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("%spark: Spark's jars are not built; run once in " + root
                    + ": mvn -B -pl toolkit,spark -Pspark-lib -DskipTests package");
        }
        java.util.List<String> out = new java.util.ArrayList<>(expand(lib.resolve("*.jar").toString()));
        out.add(jar.toString());
        return out;
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
