package dev.yolotrt.gpu;

import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.bench.Benchmark;
import dev.yolotrt.export.Exporter;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.notebook.JShellEvaluator;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native memory comes back: predictions from new threads, engine load/close cycles, engine builds
 * and notebook cells (each on a new thread, as the kernel runs them) leave free device memory within
 * 64 MiB of where it started, and host memory outside the Java heap bounded: a third round of the same work adds
 * less than 256 MB.
 */
@Tag("gpu")
class NativeLifetimeGpuTest {

    private static final long SLACK = 64L << 20;

    @Test
    void deviceMemoryComesBack(@TempDir Path tmp) throws Exception {
        String bus = Shared.image("bus.jpg").toString();
        Path engine;
        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings())) {
            engine = Exporter.cached(onnx.source(), Benchmark.exportOptions("fp32", 8, 640, "coco8.yaml")).engine();
        }
        // CUDA and TensorRT allocate once per process on first use: measure from after that.
        try (Yolo warm = Yolo.load(engine, Shared.settings())) {
            warm.predict(bus);
        }
        long base = TensorRt.freeMemory();
        report("start", base, base, rssMb());
        // The same work three times: the first rounds pay one-time costs (JIT, metaspace, JShell's compiler, allocator
        // arenas and pools); a leak keeps growing in the last round. Run with a fixed, pre-touched heap (-Xms = -Xmx,
        // -XX:+AlwaysPreTouch, as scripts/gpu-core-check.sh does): otherwise the committed heap shrinks and grows under
        // RSS and "RSS minus heap" moves by hundreds of MB on its own.
        long[] grew = new long[3];
        for (int n = 1; n <= 3; n++) {
            long before = nativeMb();
            round(n, engine, bus, tmp, base);
            grew[n - 1] = nativeMb() - before;
        }
        System.out.printf(Locale.ROOT, "LEAK host memory outside the Java heap: round 1 %+d MB, round 2 %+d MB, round 3 %+d MB%n",
                grew[0], grew[1], grew[2]);
        // The Java heap may grow up to its maximum; what must stay bounded is the memory outside it: native buffers,
        // TensorRT's host allocations.
        assertTrue(grew[2] < 256, "host memory outside the Java heap grew by " + grew[2] + " MB in round 3");
    }

    private static void round(int n, Path engine, String bus, Path tmp, long base) throws Exception {
        for (int i = 0; i < 20; i++) {
            try (Yolo y = Yolo.load(engine, Shared.settings())) {
                y.predict(bus);
            }
        }
        long cycles = TensorRt.freeMemory();
        report(n + ": 20 engine load/close cycles", base, cycles, rssMb());

        int sessions;
        try (Yolo y = Yolo.load(engine, Shared.settings())) {
            for (int i = 0; i < 200; i++) {
                Thread t = new Thread(() -> y.predict(bus));
                t.start();
                t.join();
            }
            sessions = y.predictor().sessions();
        }
        long threads = TensorRt.freeMemory();
        report(n + ": 200 predictions, each from a new thread (" + sessions + " session)", base, threads, rssMb());

        try (Yolo onnx = Yolo.load("yolov8n.onnx", Shared.settings())) {
            for (int i = 0; i < 10; i++) {
                Exporter.export(onnx.source(), Benchmark.exportOptions("fp32", 8, 640, "coco8.yaml").withOutput(tmp.resolve("b" + i + ".engine")),
                        false);
                Files.delete(tmp.resolve("b" + i + ".engine"));
            }
        }
        long builds = TensorRt.freeMemory();
        report(n + ": 10 engine builds from the timing cache", base, builds, rssMb());

        try (JShellEvaluator shell = new JShellEvaluator()) {
            cell(shell, "var y = dev.yolotrt.model.Yolo.load(java.nio.file.Path.of(\"" + engine + "\"));");
            for (int i = 0; i < 50; i++) cell(shell, "y.predict(\"" + bus + "\").get(0).boxes().size()");
            cell(shell, "y.close();");
        }
        long cells = TensorRt.freeMemory();
        report(n + ": 50 notebook cells predicting, each on a new thread", base, cells, rssMb());

        for (long after : new long[] {cycles, threads, builds, cells}) {
            assertTrue(base - after < SLACK, "device memory not given back: " + (base - after) / (1 << 20) + " MiB");
        }
        assertTrue(sessions == 1, "sequential callers share one session, got " + sessions);
    }

    /** Runs a cell on a thread of its own, as the kernel does. */
    private static void cell(JShellEvaluator shell, String code) throws Exception {
        AtomicReference<Exception> failed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                shell.eval(code);
            } catch (Exception e) {
                failed.set(e);
            }
        });
        t.start();
        t.join();
        if (failed.get() != null) throw failed.get();
    }

    private static void report(String what, long base, long now, long rss) {
        System.out.printf(Locale.ROOT, "LEAK %-55s free %,d MiB (%+d MiB), RSS %d MB, Java heap %d MB%n", what, now >> 20,
                (now - base) >> 20, rss, Runtime.getRuntime().totalMemory() >> 20);
    }

    /** RSS minus the committed Java heap, after a GC: the host memory native code holds. */
    private static long nativeMb() throws Exception {
        System.gc();
        return rssMb() - (Runtime.getRuntime().totalMemory() >> 20);
    }

    private static long rssMb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
        return 0;
    }
}
