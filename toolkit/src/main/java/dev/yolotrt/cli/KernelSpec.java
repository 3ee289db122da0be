package dev.yolotrt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.notebook.YoloKernel;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.YoloException;

import java.io.File;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code yolo-trt kernel install [--user] [--name NAME]}: writes the Jupyter kernelspec for this toolkit. */
final class KernelSpec {
    private KernelSpec() {
    }

    static Path install(List<String> args) {
        boolean user = false;
        String name = "yolo-trt";
        Path prefix = null;
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "install" -> { }
                case "--user" -> user = true;
                case "--name" -> name = value(args, ++i, "--name");
                case "--prefix" -> prefix = Path.of(value(args, ++i, "--prefix"));
                default -> throw new YoloException("unknown kernel option '" + args.get(i) + "'; usage: yolo-trt kernel install [--user] [--name NAME] [--prefix DIR]");
            }
        }
        if (!name.matches("[a-zA-Z0-9._-]+")) throw new YoloException("--name " + name + ": use letters, digits, '.', '_' or '-'");
        Path dir = kernelsDir(user, prefix).resolve(name);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("argv", List.of(javaCommand(), "-cp", classpath(), YoloKernel.class.getName(), "{connection_file}"));
        spec.put("display_name", "Java (" + name + ")");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MALLOC_ARENA_MAX", MALLOC_ARENA_MAX);
        // After `yolo-trt setup gpu` the launcher puts TensorRT's builder-resource folder there (docs/gpu.md); the kernel needs it too.
        String libraryPath = System.getenv("LD_LIBRARY_PATH");
        if (libraryPath != null && !libraryPath.isBlank()) env.put("LD_LIBRARY_PATH", libraryPath);
        spec.put("env", env);
        spec.put("language", "java");
        spec.put("interrupt_mode", "message");
        AtomicWrite.write(dir.resolve("kernel.json"), tmp -> new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), spec));
        return dir;
    }

    /**
     * glibc gives each thread that allocates natively a malloc arena of its own, up to 8 per core; TensorRT, CUDA and
     * OpenCV allocate from the kernel's cell and pipeline threads, and on a 64-core GPU host the arenas kept host
     * memory growing (+270 MB in a third round of the same work) with nothing leaking. Two arenas keep it flat (+152 MB,
     * falling from round to round); the launcher sets the same.
     */
    static final String MALLOC_ARENA_MAX = "2";

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) throw new YoloException(flag + " needs a value");
        return args.get(i);
    }

    /** Jupyter's data folders: JUPYTER_DATA_DIR or ~/.local/share/jupyter for --user, else PREFIX/share/jupyter. */
    private static Path kernelsDir(boolean user, Path prefix) {
        if (prefix != null) return prefix.resolve("share/jupyter/kernels");
        if (user) {
            String data = System.getenv("JUPYTER_DATA_DIR");
            // Jupyter looks under $HOME, which can differ from Java's user.home (taken from the password database).
            String home = System.getenv().getOrDefault("HOME", System.getProperty("user.home"));
            return (data != null ? Path.of(data) : Path.of(home, ".local/share/jupyter")).resolve("kernels");
        }
        return Path.of("/usr/local/share/jupyter/kernels");
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** This JVM's classpath made absolute, so the kernel starts from any folder. */
    private static String classpath() {
        StringBuilder sb = new StringBuilder();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.isBlank()) continue;
            Path p = Path.of(e).toAbsolutePath().normalize();
            sb.append(sb.length() > 0 ? File.pathSeparator : "").append(p);
            // A jar launched with -jar lists its libraries in the manifest: add them too.
            if (e.endsWith("yolo-trt.jar")) sb.append(File.pathSeparator).append(p.resolveSibling("lib")).append(File.separator).append('*');
        }
        return sb.toString();
    }
}
