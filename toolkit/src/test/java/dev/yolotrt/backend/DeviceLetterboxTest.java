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
 * The shipped PTX is the current letterbox.cu compiled (scripts/ptx.sh records the source's hash in it), and its entry
 * takes the arguments DeviceLetterbox.Args passes, in that order: src, srcW, srcH, step, dst, dstW, dstH, newW, newH,
 * left, top. The kernel's output is checked against the host letterbox on the GPU (DeviceLetterboxGpuTest).
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
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(resource("letterbox.cu")));
        String ptx = new String(resource("letterbox.ptx"), java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(ptx.contains("// generated from letterbox.cu sha256 " + sha), "letterbox.ptx is stale: run scripts/ptx.sh");
        assertTrue(ptx.contains(".target sm_80"), "PTX for compute 8.0, which the driver compiles for Ampere and newer");
    }

    @Test
    void entryTakesTheArgumentsInTheOrderTheLaunchPassesThem() throws Exception {
        String ptx = new String(resource("letterbox.ptx"), java.nio.charset.StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("\\.param \\.(u64|u32) letterbox_param_(\\d+)").matcher(ptx);
        StringBuilder types = new StringBuilder();
        int n = 0;
        while (m.find()) {
            assertEquals(n++, Integer.parseInt(m.group(2)));
            types.append(m.group(1)).append(' ');
        }
        assertEquals(String.join(" ", List.of("u64", "u32", "u32", "u32", "u64", "u32", "u32", "u32", "u32", "u32", "u32")) + " ",
                types.toString(), "pointer, 3 ints, pointer, 6 ints");
    }
}
