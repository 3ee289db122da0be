package dev.yolotrt.data;

/** Width and height from the first bytes of a PNG (IHDR) or JPEG (the first SOF marker), or null. */
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
        return null;
    }

    private static long u32(byte[] b, int at) {
        return ((long) (b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
