package dev.yolotrt.backend;

import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Settings;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * ONNX Runtime's native libraries, extracted once into the cache ({@code $YOLO_TRT_CACHE/onnxruntime/<jar>}) and
 * named by {@code onnxruntime.native.path}. Left to itself, ONNX Runtime extracts them into a new
 * {@code /tmp/onnxruntime-java*} folder per process, and the folder outlives the process (its delete-on-exit runs
 * before its files'). Where the cache cannot be written, ONNX Runtime does as before.
 */
final class OrtNatives {

    static final String PROPERTY = "onnxruntime.native.path";
    private static final String RESOURCES = "/ai/onnxruntime/native/linux-x64/";
    private static final String[] LIBS = {"libonnxruntime.so", "libonnxruntime4j_jni.so"};
    private static boolean done;

    private OrtNatives() {
    }

    /** Before ONNX Runtime's first use: points it at the cached libraries, extracting them when missing. */
    static synchronized void prepare() {
        if (done) return;
        done = true;
        if (System.getProperty(PROPERTY) != null || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) return;
        try {
            URL first = OrtNatives.class.getResource(RESOURCES + LIBS[0]);
            if (first == null) return;   // another platform's jar: ONNX Runtime finds its own
            // One folder per ONNX Runtime jar, named after it ("onnxruntime-1.23.2"), so an upgrade never loads old natives.
            String jar = first.getPath().replaceFirst("!.*", "").replaceFirst(".*/", "").replaceFirst("\\.jar$", "");
            Path dir = Settings.fromEnvironment().cacheDir().resolve("onnxruntime").resolve(jar.isEmpty() ? "classes" : jar);
            for (String lib : LIBS) {
                URL url = OrtNatives.class.getResource(RESOURCES + lib);
                if (url == null) return;
                long size = url.openConnection().getContentLengthLong();
                Path target = dir.resolve(lib);
                if (Files.isRegularFile(target) && Files.size(target) == size) continue;
                Files.createDirectories(dir);
                AtomicWrite.write(target, tmp -> {
                    try (InputStream in = url.openStream()) {
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    }
                });
            }
            System.setProperty(PROPERTY, dir.toString());
        } catch (IOException | RuntimeException e) {
            // A read-only or full cache: ONNX Runtime extracts to /tmp as it always did.
        }
    }
}
