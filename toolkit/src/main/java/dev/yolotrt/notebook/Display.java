package dev.yolotrt.notebook;

import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code display(x)} from a notebook cell: shows a value as rich output now, in Jupyter or in the
 * headless runner, and as text elsewhere. The active notebook installs where bundles go.
 */
public final class Display {

    private static volatile Consumer<Map<String, Object>> sink;

    private Display() {
    }

    /** Set by the kernel or the runner; null when no notebook is running. */
    public static void install(Consumer<Map<String, Object>> target) {
        sink = target;
    }

    public static void display(Object value) {
        Consumer<Map<String, Object>> s = sink;
        if (s != null) s.accept(Rich.bundle(value));
        else System.out.println(value);
    }
}
