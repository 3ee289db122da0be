package dev.yolotrt.util;

import java.util.Locale;

/**
 * A tqdm-like progress bar, drawn by the {@link Log} sink installed when it starts: on a terminal it redraws one line
 * in place; elsewhere (CI logs, pipes) it prints a line at most every 10%; a notebook kernel updates a display in place.
 */
public final class Progress implements AutoCloseable {

    private final String label;
    private final long total;
    private final Log.Sink sink;
    private final long started = System.nanoTime();
    private final String unit;
    private long done;
    private long lastUpdate;

    private Progress(String label, long total, String unit, Log.Sink sink) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.sink = sink;
        sink.bar(label, 0, total, render());
    }

    public static Progress start(String label, long total) {
        return new Progress(label, total, "it", Log.sink());
    }

    public static Progress bytes(String label, long total) {
        return new Progress(label, total, "B", Log.sink());
    }

    /** A bar of unknown length that shows elapsed time; {@link #set} with seconds to refresh it. */
    public static Progress timer(String label) {
        return new Progress(label, 0, "s", Log.sink());
    }

    /**
     * A line tied to the bars (a scan summary, a warning during a run) through the {@link Log} sink: where bars update
     * in place, it takes the current bar's place.
     */
    public static void note(String line) {
        Log.sink().barDone("note", line);
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
        sink.bar(label, done, total, render());
    }

    @Override
    public void close() {
        sink.barDone(label, render());
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
}
