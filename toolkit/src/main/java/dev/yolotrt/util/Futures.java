package dev.yolotrt.util;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for work handed to other threads, with its failure rethrown as the caller's own. */
public final class Futures {

    private Futures() {
    }

    /** The result of {@code f}; a runtime failure or error of the task is rethrown as is, anything else as {@code what failed}. */
    public static <T> T get(Future<T> f, String what) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new YoloException("interrupted while " + what);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new YoloException(what + " failed: " + e.getCause());
        }
    }
}
