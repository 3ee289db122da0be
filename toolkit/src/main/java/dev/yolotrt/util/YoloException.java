package dev.yolotrt.util;

/**
 * A problem the user can fix: bad input, a missing file, an option out of range. Its message is one
 * line that names the file or key and says what to do; the CLI prints it without a stack trace.
 */
public class YoloException extends RuntimeException {
    public YoloException(String message) {
        super(message);
    }

    public YoloException(String message, Throwable cause) {
        super(message, cause);
    }
}
