package dev.yolotrt.data;

import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;

/** Image I/O through OpenCV (BGR {@link Mat}s) and conversion to and from {@link BufferedImage}. */
public final class Images {
    private Images() {
    }

    /** Reads a colour image; a missing or undecodable file is reported by name. */
    public static Mat read(Path file) {
        if (!Files.isRegularFile(file)) throw new YoloException("image not found: " + file);
        if (!Files.isReadable(file)) throw new YoloException("image not readable: " + file + " (check its permissions)");
        Mat m = imread(file.toString(), IMREAD_COLOR);
        if (m == null || m.empty()) {
            throw new YoloException("cannot decode image " + file + " (not an image, or a corrupt one)");
        }
        return m;
    }

    /** Decodes encoded image bytes (JPEG, PNG ...); {@code what} names them in errors. */
    public static Mat decode(byte[] bytes, String what) {
        Mat encoded = new Mat(1, bytes.length, org.bytedeco.opencv.global.opencv_core.CV_8UC1, new BytePointer(bytes));
        Mat m = imdecode(encoded, IMREAD_COLOR);
        if (m == null || m.empty()) throw new YoloException("cannot decode image " + what + " (not an image, or a corrupt one)");
        return m;
    }

    public static BufferedImage toBufferedImage(Mat bgr) {
        try (var toMat = new OpenCVFrameConverter.ToMat(); var toImage = new Java2DFrameConverter()) {
            BufferedImage shared = toImage.convert(toMat.convert(bgr));
            // The converter reuses its image; hand out a copy the caller owns.
            BufferedImage copy = new BufferedImage(shared.getWidth(), shared.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
            copy.getGraphics().drawImage(shared, 0, 0, null);
            return copy;
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
