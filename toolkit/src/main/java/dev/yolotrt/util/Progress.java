package dev.yolotrt.util;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A tqdm-like progress bar. On a terminal it redraws one line in place; elsewhere (CI logs, pipes)
 * it prints a line at most every 10%. A notebook replaces the sink to update a display in place.
 */
public final class Progress implements AutoCloseable {

    /** Where progress goes; the default writes to stderr. */
    public interface Sink {
        void update(String label, long done, long total, String line);

        default void finish(String label, String line) {
            update(label, -1, -1, line);
        }
    }

    private static volatile Sink defaultSink = new ConsoleSink(System.err, System.console() != null);

    private final String label;
    private final long total;
    private final Sink sink;
    private final long started = System.nanoTime();
    private final String unit;
    private long done;
    private long lastUpdate;

    private Progress(String label, long total, String unit, Sink sink) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.sink = sink;
        sink.update(label, 0, total, render());
    }

    public static Progress start(String label, long total) {
        return new Progress(label, total, "it", defaultSink);
    }

    public static Progress bytes(String label, long total) {
        return new Progress(label, total, "B", defaultSink);
    }

    /** A bar of unknown length that shows elapsed time; {@link #set} with seconds to refresh it. */
    public static Progress timer(String label) {
        return new Progress(label, 0, "s", defaultSink);
    }

    /** Installs the sink that new bars use (a notebook kernel does this once); returns the previous one. */
    public static Sink install(Sink sink) {
        Sink previous = defaultSink;
        defaultSink = sink;
        return previous;
    }

    /** One line of its own through the current sink (a scan summary, a warning). */
    public static void note(String line) {
        defaultSink.finish("note", line);
    }

    public void step(long n) {
        done += n;
        update();
    }

    public void set(long value) {
        done = value;
        update();
    }

    /**
     * At most ten updates a second, and the last one: a download of gigabytes steps once per network read, and a
     * line (or a redraw) for each would flood a log and cost more than the read.
     */
    private void update() {
        long now = System.nanoTime();
        if (now - lastUpdate < 100_000_000L && (total <= 0 || done < total)) return;
        lastUpdate = now;
        sink.update(label, done, total, render());
    }

    @Override
    public void close() {
        sink.finish(label, render());
    }

    String render() {
        double secs = (System.nanoTime() - started) / 1e9;
        String amount = unit.equals("B")
                ? String.format(Locale.ROOT, "%.1f/%s MB", done / 1e6, total > 0 ? String.format(Locale.ROOT, "%.1f", total / 1e6) : "?")
                : done + "/" + (total > 0 ? total : "?");
        if (unit.equals("s")) return String.format(Locale.ROOT, "%s ... %.0fs", label, secs);
        if (total <= 0) return String.format(Locale.ROOT, "%s %s [%.1fs]", label, amount, secs);
        double f = Math.min(1.0, (double) done / total);
        int width = 20, filled = (int) Math.round(f * width);
        return String.format(Locale.ROOT, "%s %3d%% |%s%s| %s [%.1fs]", label, Math.round(f * 100),
                "█".repeat(filled), " ".repeat(width - filled), amount, secs);
    }

    /** Prints to a stream: in place on a terminal, otherwise every 10%. */
    public static final class ConsoleSink implements Sink {
        private final PrintStream out;
        private final boolean terminal;
        private long lastTenth = -1;
        private long lastLine = System.nanoTime() - 5_000_000_000L;

        public ConsoleSink(PrintStream out, boolean terminal) {
            this.out = out;
            this.terminal = terminal;
        }

        @Override
        public synchronized void update(String label, long done, long total, String line) {
            if (terminal) {
                out.print("\r" + line);
                out.flush();
                return;
            }
            if (total <= 0) {
                // Unknown length: a line every 5 s at most.
                long now = System.nanoTime();
                if (done > 0 && now - lastLine >= 5_000_000_000L) {
                    lastLine = now;
                    out.println(line);
                }
                return;
            }
            long tenth = done * 10 / total;
            if (done == 0) lastTenth = -1;
            if (tenth != lastTenth && tenth >= 0 && tenth < 10) {
                lastTenth = tenth;
                out.println(line);
            }
        }

        @Override
        public synchronized void finish(String label, String line) {
            out.println(terminal ? "\r" + line : line);
            lastTenth = -1;
        }
    }
}
