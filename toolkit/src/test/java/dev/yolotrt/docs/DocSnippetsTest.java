package dev.yolotrt.docs;

import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Java block of README.md and docs/*.md compiles and runs as written, and the commands of the README's first
 * screen run. The convention (docs/java-api.md): a block is a whole compilation unit when it declares a top-level
 * type, else import lines followed by statements, run as the body of a main method. Blocks marked {@code java gpu}
 * are compiled only, and run too with {@code -Ddocs.gpu=true} on a GPU machine; blocks marked {@code java spark} need
 * Spark, which this module does not have: the spark module's SparkDocSnippetsTest compiles them.
 */
class DocSnippetsTest {

    private static final Pattern FENCE = Pattern.compile("^```java(?:\\s+(\\w+))?\\s*$");
    private static final Pattern TYPE = Pattern.compile("(?m)^(?:public\\s+)?(?:final\\s+)?(?:class|record|interface|enum)\\s+(\\w+)");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
    private static final long RUN_SECONDS = 300;

    /** One fenced block: where it is, its marker (null, "gpu", "spark") and its text. */
    record Snippet(String file, int line, String marker, String code) {
        String where() {
            return file + ":" + line;
        }

        /** A class name unique to the block, for statement blocks. */
        String wrapperName() {
            return "Snippet_" + file.replaceAll("\\W", "_") + "_" + line;
        }

        /** The compilation unit and the name of its main class. */
        String[] unit() {
            Matcher type = TYPE.matcher(code);
            if (type.find()) {
                Matcher pkg = PACKAGE.matcher(code);
                return new String[] {code, (pkg.find() ? pkg.group(1) + "." : "") + type.group(1)};
            }
            StringBuilder imports = new StringBuilder(), body = new StringBuilder();
            boolean inBody = false;
            for (String l : code.split("\n", -1)) {
                if (!inBody && (l.startsWith("import ") || l.isBlank())) imports.append(l).append('\n');
                else {
                    inBody = true;
                    // the same line count before the body, so compiler messages point near the doc's lines
                    body.append("        ").append(l).append('\n');
                }
            }
            String src = imports + "public class " + wrapperName() + " { public static void main(String[] args) throws Exception {\n"
                    + body + "    }\n}\n";
            return new String[] {src, wrapperName()};
        }
    }

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("docs")))) p = p.getParent();
        if (p == null) throw new IllegalStateException("no README.md and docs/ above " + Path.of("").toAbsolutePath());
        return p;
    }

    static List<Path> docs(Path root) throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(root.resolve("README.md"));
        try (Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(f -> f.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }

    static List<Snippet> snippets(Path root) throws IOException {
        List<Snippet> out = new ArrayList<>();
        for (Path f : docs(root)) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = FENCE.matcher(lines.get(i));
                if (!m.matches()) continue;
                int start = i + 1;
                StringBuilder code = new StringBuilder();
                for (i = start; i < lines.size() && !lines.get(i).startsWith("```"); i++) code.append(lines.get(i)).append('\n');
                out.add(new Snippet(root.relativize(f).toString(), start, m.group(1), code.toString()));
            }
        }
        return out;
    }

    @Test
    void blocksAreFoundInEveryDocWithJava() throws IOException {
        List<Snippet> all = snippets(root());
        // README.md has no Java; java-api.md has six blocks, one of them for the GPU; video.md one; scale-out.md one for Spark
        assertEquals(6, all.stream().filter(s -> s.file().equals("docs/java-api.md")).count(), all.toString());
        assertEquals(1, all.stream().filter(s -> "gpu".equals(s.marker())).count());
        assertTrue(all.stream().anyMatch(s -> s.file().equals("docs/video.md")));
        assertTrue(all.stream().allMatch(s -> s.marker() == null || s.marker().equals("gpu") || s.marker().equals("spark")),
                "unknown marker; use ```java, ```java gpu or ```java spark: " + all);
    }

    @Test
    void aBlockThatDoesNotCompileFails(@TempDir Path tmp) {
        Snippet bad = new Snippet("docs/x.md", 3, null, "import dev.yolotrt.model.Yolo;\n\nvar model = Yolo.load(\"yolov8n.onnx\");\nmodel.noSuchMethod();\n");
        String errors = compile(List.of(bad), tmp);
        assertTrue(errors.contains("docs/x.md:3") && errors.contains("noSuchMethod"), errors);
    }

    @Test
    void everyJavaBlockCompilesAndRuns(@TempDir Path tmp) throws Exception {
        Path root = root();
        List<Snippet> compiled = snippets(root).stream().filter(s -> !"spark".equals(s.marker())).toList();
        String errors = compile(compiled, tmp.resolve("classes"));
        assertTrue(errors.isEmpty(), "doc snippets that do not compile:\n" + errors);

        Shared.require();   // running them needs the models and images
        List<String> failed = new ArrayList<>();
        boolean gpu = Boolean.getBoolean("docs.gpu");
        int ran = 0;
        for (Snippet s : compiled) {
            if (s.marker() != null && !(gpu && s.marker().equals("gpu"))) continue;   // gpu: compiled only, unless asked
            String cp = tmp.resolve("classes") + java.io.File.pathSeparator + System.getProperty("java.class.path");
            Result r = java(root, List.of("-cp", cp, s.unit()[1]), tmp.resolve("run" + ran + ".log"));
            ran++;
            if (r.code != 0) failed.add(s.where() + " exited " + r.code + ":\n" + tail(r.output));
        }
        assertTrue(failed.isEmpty(), "doc snippets that fail when run:\n" + String.join("\n", failed));
        assertTrue(ran >= 5, "ran " + ran);
    }

    /** The {@code ./yolo-trt} lines of the README before its first section, run through the CLI on the CPU. */
    @Test
    void readmeFirstScreenCommandsRun(@TempDir Path tmp) throws Exception {
        Path root = root();
        String readme = Files.readString(root.resolve("README.md"));
        String firstScreen = readme.substring(0, readme.indexOf("\n## "));
        List<String> commands = firstScreen.lines().filter(l -> l.startsWith("./yolo-trt ")).toList();
        assertEquals(List.of("./yolo-trt export model=yolov8n.pt format=onnx", "./yolo-trt predict model=yolov8n.onnx source=bus.jpg"), commands);

        // A fresh machine: an empty models folder but for the checkpoint the first command would download.
        Path models = Files.createDirectories(tmp.resolve("models"));
        Files.copy(Shared.model("yolov8n.pt"), models.resolve("yolov8n.pt"));
        StringBuilder all = new StringBuilder();
        for (String c : commands) {
            List<String> args = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"),
                    "-Dyolo.trt.models=" + models, "-Dyolo.trt.assets=" + Shared.image("bus.jpg").getParent(),
                    "-Dyolo.trt.cache=" + tmp.resolve("cache"), "dev.yolotrt.cli.Main"));
            args.addAll(List.of(c.substring("./yolo-trt ".length()).split(" ")));
            Result r = java(tmp, args, tmp.resolve("cmd.log"));
            assertEquals(0, r.code, c + ":\n" + r.output);
            all.append(r.output);
        }
        // Found by name in the models folder, the checkpoint's ONNX goes to the working directory (as Ultralytics puts a bare
        // name's export), never into that shared folder.
        assertTrue(Files.isRegularFile(tmp.resolve("yolov8n.onnx")), all.toString());
        assertFalse(Files.exists(models.resolve("yolov8n.onnx")), all.toString());
        assertTrue(all.toString().contains("4 persons, 1 bus"), all.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("runs/detect/predict/bus.jpg")), all.toString());
    }

    record Result(int code, String output) {
    }

    /** A child JVM in {@code dir}: snippets run where the docs say they run, and a System.exit ends only it. */
    static Result java(Path dir, List<String> args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(RUN_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            return new Result(-1, "timed out after " + RUN_SECONDS + " s\n" + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log));
    }

    static String tail(String s) {
        return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }

    /** Compiles the blocks into {@code out}; returns the errors, each prefixed with the block's place in the docs. */
    static String compile(List<Snippet> snippets, Path out) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertFalse(javac == null, "no system Java compiler: run the tests on a JDK");
        StringBuilder errors = new StringBuilder();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (Snippet s : snippets) {
            String[] unit = s.unit();
            String simple = unit[1].substring(unit[1].lastIndexOf('.') + 1);
            JavaFileObject src = new SimpleJavaFileObject(URI.create("string:///" + simple + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return unit[0];
                }
            };
            DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
            List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", out.toString(), "-proc:none", "-Xlint:none");
            boolean ok = javac.getTask(null, null, diags, options, null, List.of(src)).call();
            if (!ok) {
                diags.getDiagnostics().stream().filter(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR)
                        .forEach(d -> errors.append(s.where()).append(" (block line ").append(d.getLineNumber()).append("): ")
                                .append(d.getMessage(Locale.ROOT)).append('\n'));
            }
        }
        return errors.toString();
    }
}
