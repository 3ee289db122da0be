package dev.yolotrt.backend;

import dev.yolotrt.tensor.Picked;
import org.bytedeco.javacpp.LongPointer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped PTX is the current letterbox.cu, candidates.cu and flow.cu compiled (scripts/ptx.sh records each source's hash in
 * it), each entry takes the arguments its launch passes, in that order: letterbox(pixels, jobs, input, dstW, dstH) and
 * candidates(head, channels, anchors, nc, conf, multiLabel, cap, counts, out), and the letterbox table has the layout
 * the kernel reads. The kernels' output is checked on the GPU (DeviceLetterboxGpuTest).
 */
class DeviceLetterboxTest {

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = DeviceLetterbox.class.getResourceAsStream(name)) {
            assertNotNull(in, name + " is on the class path");
            return in.readAllBytes();
        }
    }

    @Test
    void ptxIsTheCurrentSourceCompiled() throws Exception {
        for (String kernel : List.of("letterbox", "candidates", "flow")) {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(resource(kernel + ".cu")));
            String ptx = new String(resource(kernel + ".ptx"), java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(ptx.contains("// generated from " + kernel + ".cu sha256 " + sha), kernel + ".ptx is stale: run scripts/ptx.sh");
            assertTrue(ptx.contains(".target sm_80"), "PTX for compute 8.0, which the driver compiles for Ampere and newer");
        }
    }

    @Test
    void entriesTakeTheArgumentsInTheOrderTheLaunchesPassThem() throws Exception {
        assertEquals(List.of("u64", "u64", "u64", "u32", "u32"), params("letterbox"), "3 pointers, 2 ints");
        // conf and multi_label come through device memory (a pointer), so that one graph serves every conf.
        assertEquals(List.of("u64", "u32", "u32", "u32", "u64", "u32", "u64", "u64"), params("candidates"),
                "pointer, 3 ints, the pick's pointer, cap, 2 pointers");
    }

    /**
     * Two images in a batch of three: each slot's row is its pixels' offset in the upload, then srcW, srcH, step, newW,
     * newH, left, top (letterbox.cu reads them in that order); the empty third slot has srcW 0, which the kernel skips.
     */
    @Test
    void tableRowsFollowTheKernelsLayout() throws Exception {
        List<DeviceLetterbox.Job> jobs = List.of(new DeviceLetterbox.Job(null, 810, 1080, 2430, 480, 640, 80, 0),
                new DeviceLetterbox.Job(null, 640, 427, 1920, 640, 427, 0, 106));
        long[] offsets = {0, 2430L * 1080, 2430L * 1080 + 1920L * 427};
        assertEquals(DeviceLetterbox.FIELDS, 8, "longs per slot in letterbox.cu (JOB_FIELDS)");
        try (LongPointer table = new LongPointer(3 * DeviceLetterbox.FIELDS)) {
            table.fill(0xff);
            DeviceLetterbox.table(table, jobs, offsets, 3);
            long[] got = new long[3 * DeviceLetterbox.FIELDS];
            table.get(got);
            assertArrayEquals(new long[] {0, 810, 1080, 2430, 480, 640, 80, 0, 2_624_400, 640, 427, 1920, 640, 427, 0, 106,
                    0, 0, 0, 0, 0, 0, 0, 0}, got);
        }
        String cu = new String(resource("letterbox.cu"), java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(cu.contains("#define JOB_FIELDS 8"), "letterbox.cu reads 8 longs per slot");
    }

    /** The pick the host writes for the graph to upload: candidates.cu's {@code struct Pick {float conf; int multiLabel;}}. */
    @Test
    void pickFollowsTheKernelsStruct() throws Exception {
        try (org.bytedeco.javacpp.BytePointer at = new org.bytedeco.javacpp.BytePointer(DeviceCandidates.PICK_BYTES)) {
            DeviceCandidates.pick(at, new Picked.Pick(0.375f, true));
            java.nio.ByteBuffer b = at.asByteBuffer().order(java.nio.ByteOrder.nativeOrder());
            assertEquals(0.375f, b.getFloat(0));
            assertEquals(1, b.getInt(4));
            DeviceCandidates.pick(at, new Picked.Pick(0.5f, false));
            assertEquals(0.5f, b.getFloat(0));
            assertEquals(0, b.getInt(4));
        }
        String cu = new String(resource("candidates.cu"), java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(cu.contains("struct Pick {\n    float conf;\n    int multiLabel;\n};"), "candidates.cu's Pick is a float then an int");
    }

    private static List<String> params(String entry) throws Exception {
        String ptx = new String(resource(entry + ".ptx"), java.nio.charset.StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("\\.param \\.(u64|u32|f32) " + entry + "_param_(\\d+)").matcher(ptx);
        List<String> types = new java.util.ArrayList<>();
        while (m.find()) {
            assertEquals(types.size(), Integer.parseInt(m.group(2)));
            types.add(m.group(1));
        }
        return types;
    }
}
