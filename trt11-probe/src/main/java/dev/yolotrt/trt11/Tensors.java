package dev.yolotrt.trt11;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference file (int32 rank, int64 dims, then float32 values; big-endian, as DataOutputStream writes) and
 * FP16 conversion for engines whose I/O tensors are half (Java 17 has no Float.float16ToFloat).
 */
final class Tensors {

    private Tensors() {
    }

    record Tensor(long[] shape, float[] values) {
    }

    static void write(Path file, long[] shape, float[] values) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeInt(shape.length);
            for (long d : shape) out.writeLong(d);
            for (float v : values) out.writeFloat(v);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static Tensor read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            long[] shape = new long[in.readInt()];
            long n = 1;
            for (int i = 0; i < shape.length; i++) n *= shape[i] = in.readLong();
            float[] v = new float[Math.toIntExact(n)];
            for (int i = 0; i < v.length; i++) v[i] = in.readFloat();
            return new Tensor(shape, v);
        }
    }

    /** Little-endian bytes of {@code v} as float32 or, when {@code half}, IEEE binary16 (round to nearest even). */
    static ByteBuffer bytes(float[] v, boolean half) {
        ByteBuffer b = ByteBuffer.allocate(v.length * (half ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            if (half) b.putShort(toHalf(f));
            else b.putFloat(f);
        }
        return b.flip();
    }

    static float[] floats(ByteBuffer b, int n, boolean half) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = half ? fromHalf(b.getShort()) : b.getFloat();
        return v;
    }

    static short toHalf(float f) {
        int bits = Float.floatToIntBits(f), sign = bits >>> 16 & 0x8000, exp = (bits >>> 23 & 0xff) - 127 + 15;
        int mant = bits & 0x7fffff;
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) (sign | 0x7e00);     // NaN
        if (exp >= 31) return (short) (sign | 0x7c00);                             // overflow, infinity
        if (exp <= 0) {                                                            // subnormal or zero
            if (exp < -10) return (short) sign;
            mant |= 0x800000;
            int shift = 14 - exp, half = mant >> shift, rest = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
            if (rest > mid || (rest == mid && (half & 1) == 1)) half++;
            return (short) (sign | half);
        }
        int half = sign | exp << 10 | mant >> 13, rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) half++;          // may carry into the exponent: correct
        return (short) half;
    }

    static float fromHalf(short h) {
        int sign = (h & 0x8000) << 16, exp = h >>> 10 & 0x1f, mant = h & 0x3ff;
        if (exp == 0) return (sign != 0 ? -mant : mant) * 0x1p-24f;
        if (exp == 31) return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13);
        return Float.intBitsToFloat(sign | (exp - 15 + 127) << 23 | mant << 13);
    }
}
