package dev.yolotrt.notebook;

import dev.yolotrt.util.YoloException;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.VarSnippet;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Java cells run by JShell in this JVM (local execution), so a cell's value is a live object the
 * notebook can render: the last expression of a cell is handed over through a static slot. Used by
 * the Jupyter kernel and the headless runner alike.
 */
public final class JShellEvaluator implements AutoCloseable {

    /** What a cell produced: its last expression's value, if it had one. */
    public record Outcome(boolean hasValue, Object value) {
    }

    /**
     * A cell that did not compile or threw; the message is what the user reads. It carries no stack trace: the kernel's
     * own frames would be all of it, and Jupyter's execute reply (what nbconvert prints) lists them above the message.
     */
    public static final class CellException extends Exception {
        public CellException(String message) {
            super(message, null, false, false);
        }
    }

    private static final ConcurrentHashMap<Long, Object> SLOTS = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT = new AtomicLong();
    private final JShell shell;

    public JShellEvaluator() {
        shell = JShell.builder().executionEngine(ExitGuard.engine(), java.util.Map.of()).build();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isBlank()) shell.addToClasspath(entry);
        }
    }

    /** Called from snippets: parks a value for the evaluator to pick up. */
    public static void park(long id, Object value) {
        SLOTS.put(id, value == null ? NULL : value);
    }

    private static final Object NULL = new Object();

    /** Adds jars or folders (like IJava's %jars / %classpath). */
    public void addToClasspath(String path) {
        shell.addToClasspath(path);
    }

    /** Runs every statement of {@code code}; returns the value of the last one if it is an expression. */
    public Outcome eval(String code) throws CellException {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = code;
        Outcome last = new Outcome(false, null);
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) break;
            String source = info.completeness().isComplete() ? info.source() : remaining;
            remaining = info.completeness().isComplete() ? info.remaining() : "";
            last = run(source);
        }
        return last;
    }

    private Outcome run(String source) throws CellException {
        Outcome out = new Outcome(false, null);
        for (SnippetEvent e : shell.eval(source)) {
            if (e.exception() != null) throw new CellException(describe(e.exception()));
            Snippet s = e.snippet();
            if (e.status() == Snippet.Status.REJECTED) {
                StringBuilder sb = new StringBuilder();
                shell.diagnostics(s).forEach(d -> sb.append(sb.length() > 0 ? "\n" : "").append(message(d, s.source())));
                throw new CellException(sb.length() > 0 ? sb.toString() : "rejected: " + s.source().strip());
            }
            if (e.causeSnippet() != null) continue;
            // JShell keeps a bare identifier as an ExpressionSnippet and any other expression as a
            // temporary variable ($1, $2 ...): both are the cell's value.
            if (s instanceof ExpressionSnippet x) {
                out = fetch(x.name());
            } else if (s instanceof VarSnippet v && v.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND) {
                out = fetch(v.name());
            } else {
                out = new Outcome(false, null);
            }
        }
        return out;
    }

    private Outcome fetch(String var) throws CellException {
        long id = NEXT.incrementAndGet();
        for (SnippetEvent e : shell.eval(JShellEvaluator.class.getName() + ".park(" + id + "L, " + var + ");")) {
            if (e.exception() != null) throw new CellException(describe(e.exception()));
        }
        Object v = SLOTS.remove(id);
        return new Outcome(true, v == NULL ? null : v);
    }

    private static String message(Diag d, String source) {
        long line = source.substring(0, (int) Math.max(0, Math.min(source.length(), d.getStartPosition()))).chars().filter(c -> c == '\n').count() + 1;
        return "line " + line + ": " + d.getMessage(Locale.ROOT);
    }

    /**
     * The user's exception as Java prints it: class, message, and the frames of their own cells. The toolkit's own
     * errors already say what went wrong and what to do, so they are that one line, as the CLI prints them.
     */
    static String describe(Throwable t) {
        String cls = t instanceof EvalException ee ? ee.getExceptionClassName() : t.getClass().getName();
        StringBuilder sb = new StringBuilder(cls);
        if (t.getMessage() != null) sb.append(": ").append(t.getMessage());
        if (cls.equals(YoloException.class.getName())) return sb.toString();
        for (StackTraceElement el : t.getStackTrace()) {
            if (el.getClassName().startsWith("jdk.jshell") || el.getClassName().startsWith("java.lang.reflect")
                    || el.getClassName().startsWith("jdk.internal")) continue;
            sb.append("\n\tat ").append(el);
        }
        if (t.getCause() != null) sb.append("\nCaused by: ").append(describe(t.getCause()));
        return sb.toString();
    }

    /** Stops the running cell (the kernel's interrupt). */
    public void stop() {
        shell.stop();
    }

    /** Names a snippet would complete to at {@code cursor}. */
    public List<String> complete(String code, int cursor) {
        List<String> out = new ArrayList<>();
        shell.sourceCodeAnalysis().completionSuggestions(code, cursor, new int[1]).forEach(s -> out.add(s.continuation()));
        return out;
    }

    @Override
    public void close() {
        shell.close();
    }
}
