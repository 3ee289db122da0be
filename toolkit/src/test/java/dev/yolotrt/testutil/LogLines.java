package dev.yolotrt.testutil;

import dev.yolotrt.util.Log;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The info lines and notes through the {@link Log} sink while open (bars left out); the previous sink is back on close. */
public final class LogLines implements AutoCloseable {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Log.Sink previous;

    private LogLines() {
        previous = Log.install(new Log.Sink() {
            @Override
            public void line(String line) {
                lines.add(line);
            }

            @Override
            public void barDone(String label, String line) {
                if (label.equals("note")) lines.add(line);
            }
        });
    }

    public static LogLines capture() {
        return new LogLines();
    }

    public List<String> lines() {
        return lines;
    }

    /** Forgets the lines so far. */
    public void clear() {
        lines.clear();
    }

    @Override
    public void close() {
        Log.install(previous);
    }
}
