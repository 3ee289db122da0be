package dev.yolotrt.util;

/**
 * A problem the user can fix: bad input, a missing file, an option out of range. Its message is one
 * line that names the file or key and says what to do; the CLI prints it without a stack trace. Messages
 * quote what files and arguments hold, so the line is kept to one line of at most {@link #MAX_MESSAGE}
 * characters here, whatever a stranger's file put into it.
 */
public class YoloException extends RuntimeException {

    public static final int MAX_MESSAGE = 2000;

    public YoloException(String message) {
        super(Text.line(message, MAX_MESSAGE));
    }

    public YoloException(String message, Throwable cause) {
        super(Text.line(message, MAX_MESSAGE), cause);
    }
}
