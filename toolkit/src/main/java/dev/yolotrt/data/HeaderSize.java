package dev.yolotrt.data;

/**
 * Width and height from the first bytes of a PNG (IHDR), JPEG (the first SOF marker), BMP, WebP (VP8, VP8L, VP8X),
 * TIFF (IFD0's ImageWidth and ImageLength) or PFM header, or null: every format OpenCV reads for us is sized before
 * it decodes, so a small file cannot claim gigabytes of pixels.
 */
final class HeaderSize {
    private HeaderSize() {
    }

    static long[] of(byte[] b, int n) {
        if (n >= 24 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return new long[] {u32(b, 16), u32(b, 20)};
        }
        if (n >= 4 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8) {
            int i = 2;
            while (i + 9 < n) {
                if ((b[i] & 0xff) != 0xFF) return null;
                int marker = b[i + 1] & 0xff;
                if (marker == 0xFF) { // fill byte
                    i++;
                    continue;
                }
                int len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
                // SOF0-3, 5-7, 9-11, 13-15 carry the frame size; C4 (DHT), C8 (JPG), CC (DAC) do not.
                if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                    long h = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff);
                    long w = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
                    return new long[] {w, h};
                }
                if (marker == 0xDA || len < 2) return null; // scan data: no frame header found before it
                i += 2 + len;
            }
        }
        if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
            return new long[] {Math.abs((long) (int) le32(b, 18)), Math.abs((long) (int) le32(b, 22))};
        }
        if (n >= 30 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            String chunk = new String(b, 12, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            switch (chunk) {
                case "VP8X" -> {
                    return new long[] {1 + (le32(b, 24) & 0xffffff), 1 + (le32(b, 27) & 0xffffff)};
                }
                case "VP8L" -> {
                    long bits = le32(b, 21);
                    return new long[] {1 + (bits & 0x3fff), 1 + ((bits >> 14) & 0x3fff)};
                }
                case "VP8 " -> {
                    return new long[] {le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff};
                }
                default -> {
                    return null;
                }
            }
        }
        if (n >= 8 && (b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0 || b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42)) {
            return tiff(b, n, b[0] == 'I');
        }
        if (n >= 3 && b[0] == 'P' && (b[1] == 'F' || b[1] == 'f') && Character.isWhitespace(b[2])) {
            String[] f = new String(b, 2, Math.min(n - 2, 64), java.nio.charset.StandardCharsets.ISO_8859_1).strip().split("\\s+");
            if (f.length >= 2 && f[0].matches("\\d{1,9}") && f[1].matches("\\d{1,9}")) return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
        }
        return null;
    }

    /** TIFF: IFD0's ImageWidth (256) and ImageLength (257), SHORT or LONG. */
    private static long[] tiff(byte[] b, int n, boolean le) {
        long ifd = le ? le32(b, 4) : u32(b, 4);
        if (ifd < 8 || ifd + 2 > n) return null;
        int at = (int) ifd, count = le ? le16(b, at) : (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
        long w = -1, h = -1;
        for (int e = 0; e < count && at + 2 + (e + 1) * 12 <= n; e++) {
            int entry = at + 2 + e * 12;
            int tag = le ? le16(b, entry) : (b[entry] & 0xff) << 8 | (b[entry + 1] & 0xff);
            int type = le ? le16(b, entry + 2) : (b[entry + 2] & 0xff) << 8 | (b[entry + 3] & 0xff);
            long v = type == 3 ? (le ? le16(b, entry + 8) : (b[entry + 8] & 0xff) << 8 | (b[entry + 9] & 0xff)) : le ? le32(b, entry + 8) : u32(b, entry + 8);
            if (tag == 256) w = v;
            if (tag == 257) h = v;
        }
        return w >= 0 && h >= 0 ? new long[] {w, h} : null;
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static long le32(byte[] b, int at) {
        return le16(b, at) | (long) le16(b, at + 2) << 16;
    }

    private static long u32(byte[] b, int at) {
        return ((long) (b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
