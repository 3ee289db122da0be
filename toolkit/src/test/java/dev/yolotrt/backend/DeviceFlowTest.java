package dev.yolotrt.backend;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * What the host side of the GPU corners and optical flow must agree on with flow.cu, checked without a GPU: the
 * corners' order; each entry takes the arguments its launch passes, in that order; the level count is OpenCV's; the
 * pyramid's size is the sum flow.cu's layout walks; and the PTX fuses no multiply-add but Sobel's, where OpenCV's AVX2
 * code does (bit equality with OpenCV's CPU code needs each other product rounded on its own). The results are checked
 * against OpenCV on the host (FlowOnHostTest) and on the GPU (DeviceFlowGpuTest).
 */
class DeviceFlowTest {

    private static String ptx() throws Exception {
        return ptx("flow.ptx");
    }

    private static String ptx(String name) throws Exception {
        try (InputStream in = DeviceFlow.class.getResourceAsStream(name)) {
            assertNotNull(in, name + " is on the class path");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    @Test
    void entriesTakeTheArgumentsInTheOrderTheLaunchesPassThem() throws Exception {
        assertEquals(List.of("u64", "u64", "u32", "u32", "u64"), params("flow_level0"), "grey, step, cols, rows, pyramid");
        assertEquals(List.of("u64", "u32", "u32", "u32"), params("flow_down"), "pyramid, cols, rows, level");
        assertEquals(List.of("u64", "u32", "u32"), params("flow_deriv"), "pyramid, cols, rows");
        assertEquals(List.of("u64", "u64", "u32", "u32", "u32", "u64", "u32", "u64", "u64"), params("flow_track"),
                "prev, next, cols, rows, levels, points, n, out, status");
        assertEquals(List.of("u64", "u64", "u32", "u32", "u64"), params("flow.ptx", "corners_cov"), "grey, step, cols, rows, cov");
        assertEquals(List.of("u64", "u32", "u32", "u64", "u64"), params("flow.ptx", "corners_eig"), "cov, cols, rows, eig, top");
        assertEquals(List.of("u64", "u32", "u32", "u64", "u64", "u64"), params("flow.ptx", "corners_pick"),
                "eig, cols, rows, top, keys, found");
    }

    /** OpenCV's order: strongest first; of equal strength, the later pixel first; at most 1000. */
    @Test
    void cornersAreSortedAsOpenCvSortsThem() {
        float a = 0.5f, b = 0.25f;
        // pixel index y * 10 + x of a 10-column frame
        long[] keys = {key(b, 12), key(a, 3), key(b, 45), key(a, 37)};
        assertArrayEquals(new float[] {7, 3, 3, 0, 5, 4, 2, 1}, DeviceFlow.strongest(keys, 10));
        long[] many = new long[1500];
        for (int i = 0; i < many.length; i++) many[i] = key(i, i);
        float[] xy = DeviceFlow.strongest(many, 100);
        assertEquals(2 * DeviceFlow.MAX_CORNERS, xy.length);
        assertEquals(1499 % 100, xy[0]);
        assertEquals(1499 / 100, xy[1]);
        assertEquals(500 / 100, xy[xy.length - 1], "the 1000th strongest is pixel 500");
    }

    private static long key(float strength, int pixel) {
        return (long) Float.floatToRawIntBits(strength) << 32 | pixel;
    }

    /**
     * Each product rounded on its own (bit equality with OpenCV's CPU code), except where OpenCV's AVX2 Sobel fuses:
     * in corners_cov, dx's column taps (1) and dy's two rows' taps (2 each); none in the flow's kernels.
     */
    @Test
    void fusedMultiplyAddsOnlyInSobelsTaps() throws Exception {
        String ptx = ptx();
        Pattern fma = Pattern.compile("fma\\.rn\\.f32");
        assertEquals(5, fma.matcher(ptx).results().count(), "fused float multiply-adds in flow.ptx");
        assertFalse(ptx.contains("mad.f32") || ptx.contains("fma.rn.f64"), "flow.ptx fuses a multiply-add of its own");
        int sobel = ptx.indexOf(".entry corners_cov"), next = ptx.indexOf(".entry", sobel + 1);
        assertEquals(5, fma.matcher(ptx.substring(sobel, next < 0 ? ptx.length() : next)).results().count(), "all of them in corners_cov");
    }

    /** OpenCV builds levels while the next one is larger than the 21-pixel window, up to 3 below the frame. */
    @Test
    void levelsAreOpenCvs() {
        assertEquals(4, DeviceFlow.levels(960, 540), "vtest-1080p.mp4 at half size: 480x270, 240x135, 120x68 below");
        assertEquals(4, DeviceFlow.levels(384, 288), "vtest.avi: down to 48x36");
        assertEquals(4, DeviceFlow.levels(320, 240), "cup.mp4: down to 40x30");
        assertEquals(2, DeviceFlow.levels(100, 50), "50x25 fits, 25x13 does not");
        assertEquals(1, DeviceFlow.levels(40, 40), "20x20 is no larger than the window");
    }

    /** 960x540: per level (cols + 42) x (rows + 42) bytes of image and 4 times that of derivatives, each rounded up to 256. */
    @Test
    void pyramidBytesFollowTheKernelsLayout() {
        // 1002x582 = 583,164 -> 583,168 + 2,332,672; 522x312 -> 163,072 + 651,520; 282x177 -> 49,920 + 199,680; 162x110 -> 17,920 + 71,424
        assertEquals(4_069_376L, DeviceFlow.bytes(960, 540, 4));
        assertEquals(583_168L + 2_332_672L, DeviceFlow.bytes(960, 540, 1));
    }

    private static List<String> params(String entry) throws Exception {
        return params("flow.ptx", entry);
    }

    private static List<String> params(String file, String entry) throws Exception {
        Matcher m = Pattern.compile("\\.param \\.(u64|u32|f32) " + entry + "_param_(\\d+)").matcher(ptx(file));
        List<String> types = new ArrayList<>();
        while (m.find()) {
            assertEquals(types.size(), Integer.parseInt(m.group(2)));
            types.add(m.group(1));
        }
        return types;
    }
}
