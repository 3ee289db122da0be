package dev.yolotrt.trt11;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TensorsTest {

    @Test
    void halfMatchesIeeeBinary16() {
        // Bit patterns worked out by hand from IEEE 754 binary16 (bias 15, 10 mantissa bits).
        assertEquals(0x3c00, Tensors.toHalf(1f) & 0xffff);
        assertEquals(0xc000, Tensors.toHalf(-2f) & 0xffff);
        assertEquals(0x7bff, Tensors.toHalf(65504f) & 0xffff);           // largest finite
        assertEquals(0x7c00, Tensors.toHalf(1e5f) & 0xffff);             // overflow to infinity
        assertEquals(0x2e66, Tensors.toHalf(0.1f) & 0xffff);             // 0.0999755859375
        assertEquals(0x6800, Tensors.toHalf(2049f) & 0xffff);            // tie: to even, 2048
        assertEquals(0x6802, Tensors.toHalf(2051f) & 0xffff);            // tie: to even, 2052
        assertEquals(0x0002, Tensors.toHalf(1e-7f) & 0xffff);            // subnormal: 1e-7 / 2^-24 = 1.68 -> 2
        assertEquals(0x0400, Tensors.toHalf(0x1p-14f) & 0xffff);         // smallest normal
        assertEquals(0x7e00, Tensors.toHalf(Float.NaN) & 0xffff);
        assertEquals(0.0999755859375f, Tensors.fromHalf((short) 0x2e66));
        assertEquals(2f * 0x1p-24f, Tensors.fromHalf((short) 0x0002));
        assertEquals(-2f, Tensors.fromHalf((short) 0xc000));
        assertEquals(Float.POSITIVE_INFINITY, Tensors.fromHalf((short) 0x7c00));
        for (int h = 0; h < 0x7c00; h++) assertEquals(h, Tensors.toHalf(Tensors.fromHalf((short) h)) & 0xffff, "0x" + Integer.toHexString(h));
    }

    @Test
    void referenceFileRoundTrips(@TempDir Path dir) throws Exception {
        float[] v = {1.5f, -3f, 0f, 640f, 1e-6f, 7f};
        Path f = dir.resolve("r.f32");
        Tensors.write(f, new long[]{1, 2, 3}, v);
        Tensors.Tensor t = Tensors.read(f);
        assertArrayEquals(new long[]{1, 2, 3}, t.shape());
        assertArrayEquals(v, t.values());
        assertArrayEquals(v, Tensors.floats(Tensors.bytes(v, false), v.length, false));
    }
}
