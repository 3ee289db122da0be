package dev.yolotrt.data;

import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Log;
import org.bytedeco.opencv.opencv_core.Mat;
import org.libjpegturbo.turbojpeg.TJDecompressor;
import org.libjpegturbo.turbojpeg.TJException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * JPEG decoding through the system's libturbojpeg (apt: libturbojpeg0), about twice as fast as OpenCV's: the
 * libjpeg-turbo inside JavaCV's OpenCV build is compiled without SIMD ("SIMD Support Request: NO" in its build
 * information), and decoding is the host's slowest stage when a folder streams to the GPU. The pixels are OpenCV's own:
 * the same accurate integer IDCT and smooth chroma upsampling, checked image by image in the tests. Where OpenCV would do
 * more than decode (an EXIF orientation to apply, CMYK) or the library objects, {@link #decode} returns null and OpenCV
 * decodes. {@code YOLO_TRT_TURBOJPEG} names the library file where it is not in a standard place.
 */
final class TurboJpeg {
    private static final String WHY_NOT;

    static {
        String why;
        try {
            String named = System.getenv("YOLO_TRT_TURBOJPEG");
            String lib = find(named);
            if (lib == null) {
                why = named != null && !named.isBlank() ? "YOLO_TRT_TURBOJPEG=" + named + " is not a file"
                        : "libturbojpeg.so.0 not found: apt-get install libturbojpeg0, or set YOLO_TRT_TURBOJPEG to the library file";
            } else {
                System.load(lib);
                new TJDecompressor().close();
                why = null;
            }
        } catch (Throwable t) {
            // A library without the JNI entry points (built without Java) or of another architecture: OpenCV decodes.
            why = "libturbojpeg unusable: " + t;
        }
        WHY_NOT = why;
    }

    private TurboJpeg() {
    }

    static boolean available() {
        return WHY_NOT == null;
    }

    /** Why JPEGs decode through OpenCV instead; null when libturbojpeg is in use. */
    static String whyUnavailable() {
        return WHY_NOT;
    }

    /**
     * The BGR image OpenCV's imread would give for these JPEG bytes, or null where OpenCV should decode them itself. A
     * truncated or slightly corrupt JPEG gets one warning naming {@code what} and is left to OpenCV, which decodes it as far
     * as it goes (the rows past the end differ between the two: OpenCV's are the ones Ultralytics predicts on).
     */
    static Mat decode(byte[] jpeg, String what) {
        if (!available() || jpeg.length < 4 || (jpeg[0] & 0xff) != 0xFF || (jpeg[1] & 0xff) != 0xD8) return null;
        int orientation = exifOrientation(jpeg);
        if (orientation >= 2 && orientation <= 8) return null;
        try (TJDecompressor d = new TJDecompressor()) {
            int[] h = d.header(jpeg, jpeg.length);
            int w = h[0], ht = h[1];
            if (h[3] == TJDecompressor.CS_CMYK || h[3] == TJDecompressor.CS_YCCK || w <= 0 || ht <= 0) return null;
            int n = Math.multiplyExact(Math.multiplyExact(w, ht), 3);
            byte[] px = buffer(n);
            try {
                d.decompress(jpeg, jpeg.length, px, w, ht, TJDecompressor.PF_BGR);
            } catch (TJException warning) {
                if (warning.errorCode() == 0) {
                    Log.info("WARNING: " + what + ": corrupt or truncated JPEG (" + Downloads.oneLine(warning)
                            + "); predicting on the pixels that decoded");
                }
                return null;
            }
            Mat m = new Mat(ht, w, CV_8UC3);
            m.data().put(px, 0, n);
            return m;
        } catch (TJException | ArithmeticException e) {
            // Corrupt or unusual data (even a warning): OpenCV decodes it, as it would have, and reports what it cannot.
            return null;
        }
    }

    /** Each decoding thread's pixel buffer, kept for the next image up to 16 MB (a 2,300 x 2,300 photo). */
    private static final ThreadLocal<byte[]> BUFFER = new ThreadLocal<>();

    /**
     * A buffer of at least {@code n} bytes: at thousands of images per second, a new array per image would be gigabytes
     * per second of garbage.
     */
    private static byte[] buffer(int n) {
        byte[] b = BUFFER.get();
        if (b != null && b.length >= n) return b;
        b = new byte[n];
        if (n <= 16 << 20) BUFFER.set(b);
        return b;
    }

    /**
     * The EXIF orientation (TIFF tag 0x0112 of IFD0 in an APP1 "Exif" segment before the scan), or 1 when there is none:
     * OpenCV's imread rotates or flips images whose orientation is 2 to 8.
     */
    static int exifOrientation(byte[] b) {
        int i = 2;
        while (i + 4 <= b.length && (b[i] & 0xff) == 0xFF) {
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) break;
            int len = u16(b, i + 2, false);
            if (len < 2) break;
            int s = i + 4;
            if (marker == 0xE1 && len >= 16 && s + 6 <= b.length && b[s] == 'E' && b[s + 1] == 'x' && b[s + 2] == 'i' && b[s + 3] == 'f'
                    && b[s + 4] == 0 && b[s + 5] == 0) {
                int t = s + 6, end = Math.min(b.length, i + 2 + len);
                if (t + 8 > end) return 1;
                boolean le = b[t] == 'I' && b[t + 1] == 'I';
                long ifd = u32(b, t + 4, le);
                if (ifd < 8 || t + ifd + 2 > end) return 1;
                int at = (int) (t + ifd), count = u16(b, at, le);
                for (int e = 0; e < count && at + 2 + (e + 1) * 12 <= end; e++) {
                    int entry = at + 2 + e * 12;
                    if (u16(b, entry, le) == 0x0112) return u16(b, entry + 8, le);
                }
                return 1;
            }
            i += 2 + len;
        }
        return 1;
    }

    private static int u16(byte[] b, int at, boolean le) {
        return le ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 : (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    private static long u32(byte[] b, int at, boolean le) {
        return le ? (u16(b, at, true) | (long) u16(b, at + 2, true) << 16) : ((long) u16(b, at, false) << 16 | u16(b, at + 2, false));
    }

    /** The file {@code named} (YOLO_TRT_TURBOJPEG) when set, else libturbojpeg.so.0 in LD_LIBRARY_PATH or the usual library folders. */
    private static String find(String named) {
        if (named != null && !named.isBlank()) return Files.isRegularFile(Path.of(named)) ? Path.of(named).toAbsolutePath().toString() : null;
        List<String> dirs = new ArrayList<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) dirs.addAll(List.of(ld.split(":")));
        dirs.addAll(List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
                "/opt/libjpeg-turbo/lib64"));
        for (String d : dirs) {
            if (d.isBlank()) continue;
            Path p = Path.of(d, "libturbojpeg.so.0");
            if (Files.isRegularFile(p)) return p.toAbsolutePath().toString();
        }
        return null;
    }
}
