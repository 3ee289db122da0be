package dev.yolotrt.backend;

import org.bytedeco.javacpp.Pointer;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Owns the native objects of one piece of work (a TensorRT build: builder, network, parser, config,
 * timing cache, plan) and releases them on close in reverse order of creation, as JavaCPP's
 * TensorRT samples do in their {@code finally}. TensorRT objects are deleted through their virtual
 * destructors ({@link TrtDelete}); memory JavaCPP allocated is deallocated. Null results are not kept.
 */
public final class NativeScope implements AutoCloseable {

    private final Deque<Pointer> owned = new ArrayDeque<>();

    /** Takes ownership of {@code p} and returns it. */
    public <P extends Pointer> P own(P p) {
        if (p != null && !p.isNull()) owned.push(p);
        return p;
    }

    @Override
    public void close() {
        while (!owned.isEmpty()) release(owned.pop());
    }

    /** Frees one native object the way its kind needs. */
    public static void release(Pointer p) {
        if (p instanceof org.bytedeco.tensorrt.nvinfer.INoCopy trt) TrtDelete.delete(trt);
        else p.deallocate();
    }
}
