package dev.yolotrt.notebook;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A cell's stdout or stderr: passes on the first {@code cap} bytes and counts the rest, so a cell that
 * prints a million lines neither floods the notebook nor exhausts the kernel.
 */
final class BoundedOutput extends OutputStream {

    /** Output kept per cell and stream. */
    static final long CAP = 200_000;

    private final OutputStream target;
    private final long cap;
    private long written;
    private long dropped;

    BoundedOutput(OutputStream target, long cap) {
        this.target = target;
        this.cap = cap;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        if (written < cap) {
            target.write(b);
            written++;
        } else {
            dropped++;
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        int keep = (int) Math.max(0, Math.min(len, cap - written));
        target.write(b, off, keep);
        written += keep;
        dropped += len - keep;
    }

    @Override
    public synchronized void flush() throws IOException {
        target.flush();
    }

    /** A line saying how much was not kept, or "" when nothing was dropped. */
    synchronized String notice() {
        return dropped == 0 ? "" : "\n... " + dropped + " more bytes of output not kept\n";
    }
}
