package dev.yolotrt.notebook;

import dev.yolotrt.util.Log;
import io.github.spencerpark.jupyter.channels.JupyterConnection;
import io.github.spencerpark.jupyter.kernel.BaseKernel;
import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import io.github.spencerpark.jupyter.kernel.LanguageInfo;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Jupyter kernel: IJava's base library speaks the protocol, {@link JShellEvaluator} runs the cells,
 * {@link Rich} decides what a value looks like. Progress bars update one display in place.
 */
public final class YoloKernel extends BaseKernel {


    private final JShellEvaluator shell = new JShellEvaluator();
    private final LanguageInfo info = new LanguageInfo.Builder("java").version(System.getProperty("java.version"))
            .mimetype("text/x-java-source").fileExtension(".jshell").pygments("java").codemirror("text/x-java").build();

    public YoloKernel() {
        Display.install(bundle -> display(data(bundle)));
        Log.install(new CellSink());
    }

    /** Runs the kernel on a Jupyter connection file (what kernel.json's argv passes). */
    public static void main(String[] args) throws Exception {
        // The protocol library logs every message and its channel loops' starts and stops at INFO, to loggers named after
        // channels and addresses: the kernel's console shows warnings and errors only.
        for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) h.setLevel(java.util.logging.Level.WARNING);
        KernelConnectionProperties props = KernelConnectionProperties.parse(Files.readString(Path.of(args[0])));
        JupyterConnection connection = new JupyterConnection(props);
        YoloKernel kernel = new YoloKernel();
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        connection.waitUntilClose();
    }

    @Override
    public LanguageInfo getLanguageInfo() {
        return info;
    }

    @Override
    public String getBanner() {
        return "Java " + System.getProperty("java.version") + " with yolo-trt";
    }

    @Override
    public DisplayData eval(String code) throws Exception {
        if (Magics.handle(code, shell)) return null;
        // The cell's prints go out in 64 KiB batches, flushed every 200 ms, capped: one message per
        // println made a million-line cell take minutes.
        PrintStream out = System.out, err = System.err;
        BoundedOutput o1 = new BoundedOutput(new BufferedOutputStream(out, 1 << 16), BoundedOutput.CAP);
        BoundedOutput o2 = new BoundedOutput(new BufferedOutputStream(err, 1 << 16), BoundedOutput.CAP);
        PrintStream cellOut = new PrintStream(o1, false, StandardCharsets.UTF_8), cellErr = new PrintStream(o2, false, StandardCharsets.UTF_8);
        ScheduledFuture<?> flusher = FLUSH.scheduleAtFixedRate(() -> {
            cellOut.flush();
            cellErr.flush();
        }, 200, 200, TimeUnit.MILLISECONDS);
        System.setOut(cellOut);
        System.setErr(cellErr);
        try {
            JShellEvaluator.Outcome o = shell.eval(code);
            return o.hasValue() && o.value() != null ? data(Rich.bundle(o.value())) : null;
        } finally {
            flusher.cancel(false);
            cellOut.flush();
            cellErr.flush();
            System.setOut(out);
            System.setErr(err);
            out.print(o1.notice());
            err.print(o2.notice());
            out.flush();
            err.flush();
        }
    }

    private static final ScheduledExecutorService FLUSH = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cell-output-flush");
        t.setDaemon(true);
        return t;
    });

    @Override
    public List<String> formatError(Exception e) {
        String msg = e instanceof JShellEvaluator.CellException ? e.getMessage() : JShellEvaluator.describe(e);
        return msg.lines().toList();
    }

    @Override
    public void interrupt() {
        shell.stop();
    }

    @Override
    public void onShutdown(boolean restart) {
        shell.close();
    }

    static DisplayData data(Map<String, Object> bundle) {
        DisplayData d = new DisplayData();
        bundle.forEach(d::putData);
        return d;
    }

    /** Info lines into the running cell's output; a progress bar as one display that later updates replace. */
    private final class CellSink implements Log.Sink {
        private final AtomicLong ids = new AtomicLong();
        private String id;

        @Override
        public void line(String line) {
            System.out.println(line);
        }

        @Override
        public synchronized void bar(String label, long done, long total, String line) {
            DisplayData d = new DisplayData(line);
            if (id == null || done == 0) {
                id = "progress-" + ids.incrementAndGet();
                d.setDisplayId(id);
                display(d);
            } else {
                getIO().display.updateDisplay(id, d);
            }
        }

        @Override
        public synchronized void barDone(String label, String line) {
            if (id != null) getIO().display.updateDisplay(id, new DisplayData(line));
            id = null;
        }
    }
}
