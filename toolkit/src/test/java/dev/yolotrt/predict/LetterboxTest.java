package dev.yolotrt.predict;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LetterboxTest {

    @Test
    void busGeometryMatchesUltralytics() {
        // bus.jpg is 810 wide, 1080 high: gain 640/1080, width round(480.0) = 480, 80 px grey each side.
        Letterbox lb = Letterbox.of(1080, 810, 640, 640);
        assertEquals(640.0 / 1080, lb.gain(), 1e-12);
        assertEquals(480, lb.newW());
        assertEquals(640, lb.newH());
        assertEquals(80, lb.left());
        assertEquals(0, lb.top());
    }

    @Test
    void oddPaddingFollowsUltralyticsRounding() {
        // 1280x720 -> 640x360, 280 px to pad: 140 top, 140 bottom. 500x333 -> 640x426: 214 split 107/107.
        Letterbox z = Letterbox.of(720, 1280, 640, 640);
        assertEquals(360, z.newH());
        assertEquals(140, z.top());
        Letterbox odd = Letterbox.of(333, 500, 640, 640);
        assertEquals(426, odd.newH()); // 333 * 1.28 = 426.24
        assertEquals(107, odd.top());
        // A 427 px high pad of 213: round(106.5 - 0.1) = 106 on top, 107 below.
        Letterbox odd2 = Letterbox.of(427, 640, 640, 640);
        assertEquals(106, odd2.top());
    }

    @ParameterizedTest
    @CsvSource({"1080,810", "720,1280", "640,640", "100,1000", "1000,100", "333,517", "481,640"})
    void boxRoundTripWithinHalfPixel(int h, int w) {
        Letterbox lb = Letterbox.of(h, w, 640, 640);
        float[][] boxes = {{0, 0, w, h}, {w * 0.1f, h * 0.2f, w * 0.55f, h * 0.9f}, {w / 3f, h / 3f, w / 2f, h / 2f}};
        for (float[] box : boxes) {
            float[] a = lb.toLetterbox(box[0], box[1]);
            float[] b = lb.toLetterbox(box[2], box[3]);
            float[] back = {a[0], a[1], b[0], b[1]};
            lb.toOriginal(back, 1);
            assertArrayEquals(box, back, 0.5f, () -> h + "x" + w);
            // Corners of the full image land on the content edges inside the 640x640 canvas.
        }
        float[] corner = lb.toLetterbox(w, h);
        assertEquals(lb.left() + lb.newW(), corner[0], 0.5f);
        assertEquals(lb.top() + lb.newH(), corner[1], 0.5f);
    }
}
