package dev.yolotrt.util;

/** Values quoted in messages, kept short: a hostile file or argument can hold millions of characters. */
public final class Text {

    /** Longest value quoted in a message. */
    public static final int MAX_QUOTED = 160;

    private Text() {
    }

    /** {@code s} on one line, cut to {@link #MAX_QUOTED} characters with the full length said. */
    public static String clip(String s) {
        if (s == null) return "null";
        String one = s.replace('\n', ' ').replace('\r', ' ').replace('\0', ' ');
        return one.length() <= MAX_QUOTED ? one : one.substring(0, MAX_QUOTED) + "… (" + one.length() + " characters)";
    }

    /** A whole message on one line, at most {@code max} characters. */
    public static String line(String s, int max) {
        String one = s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
        return one.length() <= max ? one : one.substring(0, max) + "… (" + one.length() + " characters)";
    }

    /** What to do about a damaged ONNX model: make it again from its checkpoint, in Java or with Ultralytics. */
    public static String reexport(java.nio.file.Path onnx) {
        String stem = onnx.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
        return "make it again from its checkpoint: yolo-trt export model=" + stem + ".pt format=onnx (or Ultralytics' yolo export)";
    }
}
