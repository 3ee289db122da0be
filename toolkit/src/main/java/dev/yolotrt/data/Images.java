package dev.yolotrt.data;

import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;

/**
 * Image I/O through OpenCV (BGR {@link Mat}s; JPEGs through libturbojpeg where the system has it, with OpenCV's pixels, see
 * {@link TurboJpeg}) and conversion to and from {@link BufferedImage}.
 */
public final class Images {
    private Images() {
    }

    /**
     * The most pixels an image may have (PIL's decompression-bomb limit): a small file whose header
     * claims 30000 x 30000 would otherwise decode to gigabytes before anything else could object.
     */
    public static final long MAX_PIXELS = 2L * 89_478_485;
    /** The largest image file read: a 178-megapixel photo is far smaller, and a larger file would be read whole into memory. */
    static final long MAX_FILE_BYTES = 512L << 20;

    /** Reads a colour image; a missing, oversized or undecodable file is reported by name. */
    public static Mat read(Path file) {
        if (!Files.isRegularFile(file)) throw new YoloException("image not found: " + file);
        if (!Files.isReadable(file)) throw new YoloException("image not readable: " + file + " (check its permissions)");
        byte[] head = new byte[64 * 1024];
        byte[] jpeg = null;
        try (var in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            if (n == 0) throw new YoloException("cannot decode image " + file + " (the file is empty)");
            checkSize(head, n, file.toString());
            // A JPEG for libturbojpeg: the rest of the same read, not a second one.
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new YoloException("image " + file + " is " + Files.size(file) / 1_000_000 + " MB, more than the " + (MAX_FILE_BYTES >> 20)
                        + " MiB an image file may be");
            }
            if (TurboJpeg.available() && n >= 2 && (head[0] & 0xff) == 0xFF && (head[1] & 0xff) == 0xD8) {
                byte[] rest = in.readAllBytes();
                jpeg = Arrays.copyOf(head, n + rest.length);
                System.arraycopy(rest, 0, jpeg, n, rest.length);
            }
        } catch (IOException e) {
            throw new YoloException("cannot read image " + file + ": " + e.getMessage());
        }
        // Its size is checked above; what libturbojpeg leaves to OpenCV (EXIF orientation, CMYK, errors) imread reads as before.
        Mat fast = jpeg == null ? null : TurboJpeg.decode(jpeg, file.toString());
        if (fast != null) return fast;
        return decoded(() -> imread(file.toString(), IMREAD_COLOR), file.toString());
    }

    /** What decodes JPEGs here: libturbojpeg with SIMD, or OpenCV (and why). */
    public static String jpegDecoder() {
        return TurboJpeg.available() ? "libturbojpeg" : "OpenCV (" + TurboJpeg.whyUnavailable() + ")";
    }

    /** Decodes encoded image bytes (JPEG, PNG ...); {@code what} names them in errors. */
    public static Mat decode(byte[] bytes, String what) {
        if (bytes.length == 0) throw new YoloException("cannot decode image " + what + " (it is empty)");
        checkSize(bytes, bytes.length, what);
        Mat fast = TurboJpeg.decode(bytes, what);
        if (fast != null) return fast;
        try (BytePointer data = new BytePointer(bytes);
             Mat encoded = new Mat(1, bytes.length, org.bytedeco.opencv.global.opencv_core.CV_8UC1, data)) {
            return decoded(() -> imdecode(encoded, IMREAD_COLOR), what);
        }
    }

    /**
     * Bounds the size a PNG or JPEG header claims before anything decodes it. Read from the bytes
     * here, not through ImageIO, whose JPEG reader needs a system libjpeg that slim JREs lack.
     */
    static void checkSize(byte[] b, int n, String what) {
        long[] wh = HeaderSize.of(b, n);
        if (wh != null && wh[0] * wh[1] > MAX_PIXELS) {
            throw new YoloException("image " + what + " is " + wh[0] + "x" + wh[1] + " pixels, more than the " + MAX_PIXELS / 1_000_000
                    + " megapixels allowed; scale it down first");
        }
    }

    /** Runs an OpenCV decode; an empty result or an OpenCV error is one line naming the image. */
    private static Mat decoded(java.util.function.Supplier<Mat> decode, String what) {
        Mat m;
        try {
            m = decode.get();
        } catch (RuntimeException e) {
            String why = Downloads.oneLine(e).replaceAll(".*error: \\(-?\\d+:([^)]*)\\).*", "$1").strip();
            throw new YoloException("cannot decode image " + what + " (" + why + ")");
        }
        if (m == null || m.empty()) throw new YoloException("cannot decode image " + what + " (not an image, or a corrupt one)");
        return m;
    }

    /** A BGR Mat as a TYPE_3BYTE_BGR image, by copying the pixels: no Graphics, so no AWT font libraries. */
    public static BufferedImage toBufferedImage(Mat bgr) {
        Mat m = bgr.isContinuous() ? bgr : bgr.clone();
        try {
            BufferedImage img = new BufferedImage(m.cols(), m.rows(), BufferedImage.TYPE_3BYTE_BGR);
            byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
            m.data().get(px);
            return img;
        } finally {
            if (m != bgr) m.close();
        }
    }

    /** Encodes {@code bgr} by the file's extension (.png, else JPEG) and writes it through a temporary file. */
    public static Path write(Mat bgr, Path file) {
        String ext = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? ".png" : ".jpg";
        try (BytePointer buf = new BytePointer()) {
            if (!org.bytedeco.opencv.global.opencv_imgcodecs.imencode(ext, bgr, buf)) {
                throw new YoloException("cannot encode " + file + " as " + ext);
            }
            byte[] bytes = new byte[(int) buf.limit()];
            buf.get(bytes);
            return dev.yolotrt.util.AtomicWrite.write(file, bytes);
        }
    }

    public static Mat fromBufferedImage(BufferedImage image) {
        BufferedImage bgr = image;
        if (image.getType() != BufferedImage.TYPE_3BYTE_BGR) {
            bgr = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
            bgr.getGraphics().drawImage(image, 0, 0, null);
        }
        try (var toMat = new OpenCVFrameConverter.ToMat(); var toFrame = new Java2DFrameConverter()) {
            return toMat.convert(toFrame.convert(bgr)).clone();
        }
    }
}
