package dev.yolotrt.notebook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.YoloException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Executes a notebook without Jupyter: every code cell runs through the same JShell evaluation and
 * rich display as the kernel, and the outputs are written back in nbformat 4. For machines without
 * Python or Jupyter (the GPU machine), and for CI.
 */
public final class NotebookRunner {

    /** What a run did: cells executed and the first error, if any. */
    public record Report(int cells, String error) {
        public boolean ok() {
            return error == null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.concurrent.ScheduledExecutorService TIMER = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cell-timeout");
        t.setDaemon(true);
        return t;
    });

    private NotebookRunner() {
    }

    /** Cells run without a time limit by default, as in Jupyter's nbconvert. */
    public static Report run(Path in, Path out) {
        return run(in, out, null);
    }

    /**
     * Runs every cell, each started with a line through the {@link Log} sink; a cell running longer than {@code timeout}
     * (null: no limit) is stopped and fails the run. While a cell runs, its info lines are its standard output and its
     * progress bars its standard error, as a console shows them.
     */
    public static Report run(Path in, Path out, Duration timeout) {
        byte[] bytes;
        try {
            bytes = java.nio.file.Files.readAllBytes(in);
        } catch (IOException e) {
            throw new YoloException("cannot read notebook " + in + ": " + Downloads.oneLine(e));
        }
        ObjectNode nb = parse(bytes, in.toString());
        ArrayNode cells = (ArrayNode) nb.get("cells");
        int count = 0;
        String error = null;
        PrintStream stdout = System.out, stderr = System.err;
        Log.Sink console = new Log.Console(null, false);
        Log.Sink outer = Log.install(new Log.Sink() {
            @Override
            public void line(String line) {
                System.out.println(line);
            }

            @Override
            public void bar(String label, long done, long total, String line) {
                console.bar(label, done, total, line);
            }

            @Override
            public void barDone(String label, String line) {
                console.barDone(label, line);
            }
        });
        try (JShellEvaluator shell = new JShellEvaluator()) {
            for (var node : cells) {
                ObjectNode cell = (ObjectNode) node;
                if (!"code".equals(cell.path("cell_type").asText())) continue;
                String source = source(cell);
                ArrayNode outputs = JSON.createArrayNode();
                cell.set("outputs", outputs);
                if (error != null) {
                    cell.putNull("execution_count");
                    continue; // like Jupyter: nothing runs after a failed cell
                }
                cell.put("execution_count", ++count);
                outer.line("cell " + count + ": " + firstLine(source));
                Capture capture = new Capture();
                Display.install(bundle -> outputs.add(output("display_data", bundle, null)));
                System.setOut(capture.out);
                System.setErr(capture.err);
                // Set before stopping, so the cell sees it however soon the stop returns control.
                java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.ScheduledFuture<?> timer = timeout == null ? null : TIMER.schedule(() -> {
                    stopped.set(true);
                    shell.stop();
                }, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                try {
                    JShellEvaluator.Outcome o = Magics.handle(source, shell) ? new JShellEvaluator.Outcome(false, null) : shell.eval(source);
                    if (stopped.get()) throw new JShellEvaluator.CellException("stopped after the " + timeout.toSeconds() + " s timeout");
                    capture.flushTo(outputs);
                    if (o.hasValue() && o.value() != null) outputs.add(output("execute_result", Rich.bundle(o.value()), count));
                } catch (Exception e) {
                    capture.flushTo(outputs);
                    String msg = stopped.get() ? "stopped after the " + timeout.toSeconds() + " s timeout"
                            : e instanceof JShellEvaluator.CellException ? e.getMessage() : JShellEvaluator.describe(e);
                    ObjectNode err = outputs.addObject();
                    err.put("output_type", "error");
                    err.put("ename", msg.lines().findFirst().orElse("error").replaceFirst(":.*", ""));
                    err.put("evalue", msg.lines().findFirst().orElse(""));
                    ArrayNode tb = err.putArray("traceback");
                    msg.lines().forEach(tb::add);
                    error = "cell " + count + ": " + msg.lines().findFirst().orElse("");
                } finally {
                    if (timer != null) timer.cancel(false);
                    System.setOut(stdout);
                    System.setErr(stderr);
                    Display.install(null);
                }
            }
        } finally {
            Log.install(outer);
        }
        Path target = out == null ? in : out;
        AtomicWrite.write(target, tmp -> JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), nb));
        return new Report(count, error);
    }

    /** A notebook's JSON, checked: an object whose cells are objects with text sources; one line otherwise. */
    public static ObjectNode parse(byte[] json, String what) {
        ObjectNode nb;
        try {
            if (!(JSON.readTree(json) instanceof ObjectNode o)) throw new IOException("the top level is not an object");
            nb = o;
        } catch (IOException e) {
            throw new YoloException(what + " is not a notebook (nbformat 4 JSON): " + Downloads.oneLine(e));
        }
        if (!(nb.get("cells") instanceof ArrayNode cells)) throw new YoloException(what + " has no cells; is it an .ipynb file?");
        for (int i = 0; i < cells.size(); i++) {
            if (!(cells.get(i) instanceof ObjectNode c)) {
                throw new YoloException(what + ": cell " + (i + 1) + " is not a notebook cell (an object with cell_type and source)");
            }
            var src = c.get("source");
            if (src != null && !src.isTextual() && !(src.isArray() && java.util.stream.StreamSupport.stream(src.spliterator(), false).allMatch(x -> x.isTextual()))) {
                throw new YoloException(what + ": cell " + (i + 1) + "'s source is not text or a list of lines");
            }
        }
        return nb;
    }

    private static String source(ObjectNode cell) {
        var s = cell.get("source");
        if (s == null) return "";
        if (s.isArray()) {
            StringBuilder sb = new StringBuilder();
            s.forEach(x -> sb.append(x.asText()));
            return sb.toString();
        }
        return s.asText();
    }

    private static String firstLine(String s) {
        String l = s.strip().lines().findFirst().orElse("");
        return l.length() > 60 ? l.substring(0, 57) + "..." : l;
    }

    static ObjectNode output(String type, Map<String, Object> bundle, Integer count) {
        ObjectNode o = JSON.createObjectNode();
        o.put("output_type", type);
        ObjectNode data = o.putObject("data");
        bundle.forEach((k, v) -> {
            if (k.startsWith("text/")) {
                ArrayNode lines = data.putArray(k);
                Arrays.stream(String.valueOf(v).split("(?<=\n)")).forEach(lines::add);
            } else {
                data.put(k, String.valueOf(v));
            }
        });
        o.putObject("metadata");
        if (count != null) o.put("execution_count", count);
        return o;
    }

    /** stdout and stderr of one cell, bounded. */
    private static final class Capture {
        final ByteArrayOutputStream outBytes = new ByteArrayOutputStream(), errBytes = new ByteArrayOutputStream();
        final BoundedOutput outBound = new BoundedOutput(outBytes, BoundedOutput.CAP), errBound = new BoundedOutput(errBytes, BoundedOutput.CAP);
        final PrintStream out = new PrintStream(outBound, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(errBound, true, StandardCharsets.UTF_8);

        void flushTo(ArrayNode outputs) {
            out.flush();
            err.flush();
            for (var e : List.of(Map.entry("stdout", Map.entry(outBytes, outBound)), Map.entry("stderr", Map.entry(errBytes, errBound)))) {
                String text = e.getValue().getKey().toString(StandardCharsets.UTF_8) + e.getValue().getValue().notice();
                if (text.isEmpty()) continue;
                ObjectNode s = outputs.addObject();
                s.put("output_type", "stream");
                s.put("name", e.getKey());
                ArrayNode lines = s.putArray("text");
                Arrays.stream(text.split("(?<=\n)")).forEach(lines::add);
                e.getValue().getKey().reset();
            }
        }
    }
}
