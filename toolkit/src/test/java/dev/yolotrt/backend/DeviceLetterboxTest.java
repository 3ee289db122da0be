package dev.yolotrt.backend;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped PTX is the current letterbox.cu and candidates.cu compiled (scripts/ptx.sh records each source's hash in
 * it), and each entry takes the arguments its Args class passes, in that order: letterbox(src, srcW, srcH, step, dst,
 * dstW, dstH, newW, newH, left, top) and candidates(head, channels, anchors, nc, conf, multiLabel, cap, counts, out). The
 * kernels' output is checked on the GPU (DeviceLetterboxGpuTest).
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
        for (String kernel : List.of("letterbox", "candidates")) {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(resource(kernel + ".cu")));
            String ptx = new String(resource(kernel + ".ptx"), java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(ptx.contains("// generated from " + kernel + ".cu sha256 " + sha), kernel + ".ptx is stale: run scripts/ptx.sh");
            assertTrue(ptx.contains(".target sm_80"), "PTX for compute 8.0, which the driver compiles for Ampere and newer");
        }
    }

    @Test
    void entriesTakeTheArgumentsInTheOrderTheLaunchesPassThem() throws Exception {
        assertEquals(List.of("u64", "u32", "u32", "u32", "u64", "u32", "u32", "u32", "u32", "u32", "u32"), params("letterbox"),
                "pointer, 3 ints, pointer, 6 ints");
        assertEquals(List.of("u64", "u32", "u32", "u32", "f32", "u32", "u32", "u64", "u64"), params("candidates"),
                "pointer, 3 ints, a float, 2 ints, 2 pointers");
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
