package dev.yolotrt.util;

import java.io.PrintStream;

/**
 * The one sink for what the toolkit tells its user besides results: info lines (export steps, benchmark and tuning
 * progress), warnings and {@link Progress} bars. The CLI and the notebook kernels install theirs once; until then
 * lines and bars go to stderr.
 */
public final class Log {

    /** Where lines and bars go. A lambda takes the lines only (a test collecting them); bars are then not shown. */
    @FunctionalInterface
    public interface Sink {
        /** An info line or a warning, on its own. */
        void line(String line);

        /** A bar's state, rendered as {@code line} ({@code total} 0 or less: its length is unknown). */
        default void bar(String label, long done, long total, String line) {
        }

        /** A bar's last state, or a note tied to the bars (a scan summary, a warning in a run), rendered as {@code line}. */
        default void barDone(String label, String line) {
        }
    }

    private static volatile Sink sink = new Console(null, System.console() != null);

    private Log() {
    }

    /** One line through the sink. */
    public static void info(String line) {
        sink.line(line);
    }

    /** Installs the sink every later line and bar goes to; returns the previous one (to restore). */
    public static Sink install(Sink s) {
        Sink previous = sink;
        sink = s;
        return previous;
    }

    /** The sink installed now. */
    public static Sink sink() {
        return sink;
    }

    /** Prints to a stream: bars in place on a terminal, otherwise a line every 10%. */
    public static final class Console implements Sink {
        private final PrintStream out;
        private final boolean terminal;
        private long lastTenth = -1;
        private long lastLine = System.nanoTime() - 5_000_000_000L;

        /** {@code out}: the stream, or null for {@code System.err} as it is when a line is written. */
        public Console(PrintStream out, boolean terminal) {
            this.out = out;
            this.terminal = terminal;
        }

        private PrintStream out() {
            return out != null ? out : System.err;
        }

        @Override
        public void line(String line) {
            out().println(line);
        }

        @Override
        public synchronized void bar(String label, long done, long total, String line) {
            PrintStream o = out();
            if (terminal) {
                o.print("\r" + line);
                o.flush();
                return;
            }
            if (total <= 0) {
                // Unknown length: a line every 5 s at most.
                long now = System.nanoTime();
                if (done > 0 && now - lastLine >= 5_000_000_000L) {
                    lastLine = now;
                    o.println(line);
                }
                return;
            }
            long tenth = done * 10 / total;
            if (done == 0) lastTenth = -1;
            if (tenth != lastTenth && tenth >= 0 && tenth < 10) {
                lastTenth = tenth;
                o.println(line);
            }
        }

        @Override
        public synchronized void barDone(String label, String line) {
            out().println(terminal ? "\r" + line : line);
            lastTenth = -1;
        }
    }
}
