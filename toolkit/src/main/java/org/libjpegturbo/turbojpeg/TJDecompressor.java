package org.libjpegturbo.turbojpeg;

/**
 * The decompressing part of libjpeg-turbo's Java API, declared here so that the JNI functions libturbojpeg.so exports for
 * that API (Debian's libturbojpeg0 and libjpeg-turbo's own builds carry them) bind to these methods: no compiled glue of
 * ours. The library reads and writes the fields by name, so their names and types are its, not ours. Load the library
 * before the first instance; one instance per thread at a time; close it to free the native handle.
 */
public final class TJDecompressor implements AutoCloseable {
    /** TurboJPEG's pixel format for 8-bit B, G, R, as OpenCV stores colour images. */
    public static final int PF_BGR = 1;
    /** TurboJPEG's colour spaces a BGR decode cannot take: CMYK and YCCK. */
    public static final int CS_CMYK = 3, CS_YCCK = 4;

    private long handle;
    private int jpegWidth, jpegHeight, jpegSubsamp = -1, jpegColorspace = -1;

    public TJDecompressor() throws TJException {
        init();
    }

    /** Reads the frame header of {@code jpeg[0, size)}: width, height, subsampling and colour space. */
    public int[] header(byte[] jpeg, int size) throws TJException {
        decompressHeader(jpeg, size);
        return new int[] {jpegWidth, jpegHeight, jpegSubsamp, jpegColorspace};
    }

    /** Decodes into {@code dst} (rows of {@code width} pixels, no padding) at full size with the accurate integer IDCT. */
    public void decompress(byte[] jpeg, int size, byte[] dst, int width, int height, int pixelFormat) throws TJException {
        decompress(jpeg, size, dst, 0, 0, width, 0, height, pixelFormat, 0);
    }

    @Override
    public void close() throws TJException {
        if (handle != 0) destroy();
    }

    private native void init() throws TJException;

    private native void destroy() throws TJException;

    private native void decompressHeader(byte[] src, int size) throws TJException;

    private native void decompress(byte[] src, int size, byte[] dst, int x, int y, int width, int pitch, int height, int pixelFormat,
                                   int flags) throws TJException;
}
