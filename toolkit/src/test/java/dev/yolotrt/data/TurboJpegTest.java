package dev.yolotrt.data;

import dev.yolotrt.testutil.LogLines;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.absdiff;
import static org.bytedeco.opencv.global.opencv_core.sumElems;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * libturbojpeg gives exactly OpenCV's pixels (the decoder Ultralytics' cv2.imread uses), on every COCO image we have and on
 * made-up JPEGs, and leaves what OpenCV does beyond decoding (EXIF orientation) to OpenCV. CI installs libturbojpeg0; a
 * machine without it decodes through OpenCV and skips these tests, saying why.
 */
class TurboJpegTest {

    @BeforeEach
    void needsTheLibrary() {
        // Under CI the library must be there (.ci/run installs it): a missing one fails here instead of skipping.
        if (System.getenv("CI") == null) Assumptions.assumeTrue(TurboJpeg.available(), TurboJpeg.whyUnavailable());
        assertTrue(TurboJpeg.available(), TurboJpeg.whyUnavailable());
    }

    @Test
    void everyCocoImageDecodesToOpenCvsPixels() throws Exception {
        List<Path> files = new ArrayList<>();
        for (String dir : List.of("coco128/images/train2017", "coco128/images/val2017", "coco8/images/val", "coco8/images/train")) {
            try (Stream<Path> s = Files.list(Shared.datasets().resolve(dir))) {
                s.filter(p -> p.toString().endsWith(".jpg")).sorted().forEach(files::add);
            }
        }
        for (String photo : List.of("bus.jpg", "zidane.jpg", "dog.jpg", "horses.jpg", "kite.jpg", "person.jpg", "eagle.jpg", "giraffe.jpg")) {
            files.add(Shared.image(photo));
        }
        int viaTurbo = 0;
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            try (Mat cv = imread(f.toString(), IMREAD_COLOR); Mat ours = Images.read(f); Mat turbo = TurboJpeg.decode(bytes, f.toString())) {
                assertSame(cv, ours, f.toString());
                if (turbo != null) {
                    viaTurbo++;
                    assertSame(cv, turbo, f + " (libturbojpeg)");
                }
            }
        }
        System.out.printf("%d of %d JPEGs decoded by libturbojpeg, all equal to OpenCV's imread%n", viaTurbo, files.size());
        assertTrue(files.size() >= 270, "images found: " + files.size());
        assertTrue(viaTurbo >= files.size() * 9 / 10, viaTurbo + " of " + files.size() + " went through libturbojpeg");
    }

    @Test
    void madeUpJpegsDecodeToOpenCvsPixels() {
        Random r = new Random(7);
        for (int[] size : new int[][] {{37, 53}, {480, 640}, {101, 9}}) {
            for (boolean gray : new boolean[] {false, true}) {
                byte[] px = new byte[size[0] * size[1] * (gray ? 1 : 3)];
                r.nextBytes(px);
                try (Mat img = new Mat(size[0], size[1], gray ? CV_8UC1 : CV_8UC3)) {
                    img.data().put(px);
                    byte[] jpeg = encode(img);
                    try (Mat cv = opencv(jpeg); Mat turbo = TurboJpeg.decode(jpeg, "jpeg")) {
                        assertNotNull(turbo, "libturbojpeg declined a plain JPEG " + size[0] + "x" + size[1]);
                        assertSame(cv, turbo, size[0] + "x" + size[1] + (gray ? " grey" : " colour"));
                    }
                }
            }
        }
    }

    @Test
    void anExifOrientationIsLeftToOpenCvWhichRotates() {
        try (Mat img = new Mat(20, 40, CV_8UC3, new Scalar(10, 200, 30, 0))) {
            byte[] plain = encode(img);
            // Orientation 6 (rotate 90° clockwise), big-endian TIFF: OpenCV returns a 40 x 20 image.
            byte[] rotated = withExif(plain, 6, false);
            assertEquals(6, TurboJpeg.exifOrientation(rotated));
            assertEquals(3, TurboJpeg.exifOrientation(withExif(plain, 3, true)));
            assertEquals(1, TurboJpeg.exifOrientation(plain));
            assertNull(TurboJpeg.decode(rotated, "rotated"));
            try (Mat cv = opencv(rotated); Mat ours = Images.decode(rotated, "rotated.jpg")) {
                assertEquals(40, cv.rows());
                assertSame(cv, ours, "rotated.jpg");
            }
            // Orientation 1 changes nothing: libturbojpeg decodes it.
            try (Mat upright = TurboJpeg.decode(withExif(plain, 1, true), "upright")) {
                assertNotNull(upright);
                assertEquals(20, upright.rows());
            }
        }
    }

    @Test
    void aTruncatedJpegDecodesAsFarAsOpenCvsWithOneWarningOfOurs() throws Exception {
        byte[] whole = Files.readAllBytes(Shared.image("bus.jpg"));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length * 3 / 5);
        // OpenCV leaves the rows after the data ends unwritten (whatever the allocation held): the rows before them must agree.
        try (LogLines log = LogLines.capture(); Mat ours = Images.decode(cut, "cut.jpg"); Mat cv = opencv(cut);
             var top = new org.bytedeco.opencv.opencv_core.Rect(0, 0, 810, 680); Mat a = ours.apply(top); Mat b = cv.apply(top)) {
            assertEquals(1080, ours.rows());
            assertSame(b, a, "truncated bus.jpg, rows 0-679");
            assertEquals(java.util.List.of("WARNING: cut.jpg: corrupt or truncated JPEG (Premature end of JPEG file); predicting on the pixels that decoded"),
                    log.lines());
        }
    }

    @Test
    void corruptBytesAreLeftToOpenCvsErrorMessage() {
        byte[] truncated = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xDB, 0, 4, 1, 2};
        assertNull(TurboJpeg.decode(truncated, "bad.jpg"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.yolotrt.util.YoloException.class, () -> Images.decode(truncated, "bad.jpg"));
        assertTrue(e.getMessage().startsWith("cannot decode image bad.jpg"), e.getMessage());
    }

    private static void assertSame(Mat want, Mat got, String what) {
        assertEquals(want.rows(), got.rows(), what + " rows");
        assertEquals(want.cols(), got.cols(), what + " cols");
        assertEquals(want.type(), got.type(), what + " type");
        try (Mat d = new Mat()) {
            absdiff(want, got, d);
            Scalar s = sumElems(d);
            assertEquals(0.0, s.get(0) + s.get(1) + s.get(2), what + ": summed |difference| of the pixels");
        }
    }

    private static byte[] encode(Mat img) {
        try (BytePointer buf = new BytePointer()) {
            assertTrue(imencode(".jpg", img, buf));
            byte[] b = new byte[(int) buf.limit()];
            buf.get(b);
            return b;
        }
    }

    private static Mat opencv(byte[] jpeg) {
        try (BytePointer data = new BytePointer(jpeg); Mat encoded = new Mat(1, jpeg.length, CV_8UC1, data)) {
            return imdecode(encoded, IMREAD_COLOR);
        }
    }

    /** {@code jpeg} with an APP1 Exif segment right after SOI holding one IFD0 entry: orientation (0x0112, SHORT). */
    private static byte[] withExif(byte[] jpeg, int orientation, boolean littleEndian) {
        byte[] tiff = new byte[8 + 2 + 12 + 4];
        java.nio.ByteBuffer t = java.nio.ByteBuffer.wrap(tiff).order(littleEndian ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
        t.put(littleEndian ? (byte) 'I' : (byte) 'M').put(littleEndian ? (byte) 'I' : (byte) 'M').putShort((short) 42).putInt(8);
        t.putShort((short) 1).putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0).putInt(0);
        int len = 2 + 6 + tiff.length;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0xFF);
        out.write(0xD8);
        out.write(0xFF);
        out.write(0xE1);
        out.write(len >> 8);
        out.write(len & 0xff);
        out.writeBytes("Exif\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        out.writeBytes(tiff);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
