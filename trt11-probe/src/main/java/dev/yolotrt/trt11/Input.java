package dev.yolotrt.trt11;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The probe's input: an image letterboxed to a square (bilinear, pad value 114, centred), as RGB in [0, 1], CHW.
 * Pure Java (ImageIO), so the CPU reference and the GPU run see bit-identical inputs.
 */
final class Input {

    private Input() {
    }

    static float[] letterbox(Path image, int size) throws IOException {
        BufferedImage img = ImageIO.read(image.toFile());
        if (img == null) throw new IOException(image + " is not an image ImageIO can read");
        int w = img.getWidth(), h = img.getHeight();
        double r = Math.min((double) size / w, (double) size / h);
        int nw = (int) Math.round(w * r), nh = (int) Math.round(h * r);
        int left = (size - nw) / 2, top = (size - nh) / 2;
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] chw = new float[3 * size * size];
        java.util.Arrays.fill(chw, 114f / 255f);
        int plane = size * size;
        for (int y = 0; y < nh; y++) {
            // Half-pixel centres, clamped at the border.
            double sy = Math.max(0, Math.min(h - 1, (y + 0.5) * h / nh - 0.5));
            int y0 = (int) sy, y1 = Math.min(h - 1, y0 + 1);
            double fy = sy - y0;
            for (int x = 0; x < nw; x++) {
                double sx = Math.max(0, Math.min(w - 1, (x + 0.5) * w / nw - 0.5));
                int x0 = (int) sx, x1 = Math.min(w - 1, x0 + 1);
                double fx = sx - x0;
                int p00 = rgb[y0 * w + x0], p01 = rgb[y0 * w + x1], p10 = rgb[y1 * w + x0], p11 = rgb[y1 * w + x1];
                int at = (top + y) * size + left + x;
                for (int c = 0; c < 3; c++) {
                    int shift = 16 - 8 * c;  // R, G, B
                    double v = (1 - fy) * ((1 - fx) * (p00 >> shift & 255) + fx * (p01 >> shift & 255))
                            + fy * ((1 - fx) * (p10 >> shift & 255) + fx * (p11 >> shift & 255));
                    chw[c * plane + at] = (float) (Math.round(v) / 255.0);
                }
            }
        }
        return chw;
    }
}
