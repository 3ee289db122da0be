package dev.yolotrt.tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

/** A named float tensor in row-major order: what a backend returns, and what decoding reads; a value below both. */
public record Tensor(String name, long[] shape, FloatBuffer data) {

    public Tensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return (int) shape[i];
    }

    /** Elements per item of the leading (batch) dimension. */
    public int itemSize() {
        long n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return (int) n;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
