package dev.yolotrt.backend;

import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrtNativesTest {

    /** A CLI run in its own JVM leaves no onnxruntime-java folder in the temp folder, and the natives sit in the cache. */
    @Test
    void aRunLeavesNoTempFolderBehind(@TempDir Path tmp) throws Exception {
        Path temp = Files.createDirectories(tmp.resolve("tmp")), cache = tmp.resolve("cache");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Djava.io.tmpdir=" + temp,
                "-Dyolo.trt.cache=" + cache, "-cp", System.getProperty("java.class.path"), "dev.yolotrt.cli.Main", "predict",
                "model=" + Shared.model("yolov8n.onnx"), "source=" + Shared.image("bus.jpg"), "save=false", "verbose=false")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "still running after 120 s");
        assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("log")));
        try (Stream<Path> s = Files.list(temp)) {
            assertEquals(List.of(), s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("onnxruntime-java")).toList());
        }
        try (Stream<Path> s = Files.list(cache.resolve("onnxruntime"))) {
            Path dir = s.findFirst().orElseThrow();
            assertTrue(dir.getFileName().toString().startsWith("onnxruntime-1."), dir.toString());
            assertTrue(Files.size(dir.resolve("libonnxruntime.so")) > 1_000_000);
            assertTrue(Files.isRegularFile(dir.resolve("libonnxruntime4j_jni.so")));
        }
    }
}
