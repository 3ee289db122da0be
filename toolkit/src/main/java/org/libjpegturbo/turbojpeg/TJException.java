package org.libjpegturbo.turbojpeg;

/**
 * What libturbojpeg's JNI functions throw: they construct it by this name, with a message and TurboJPEG's error code
 * (0 a warning, 1 fatal), or with a message alone. See {@link TJDecompressor}.
 */
public final class TJException extends Exception {
    private final int errorCode;

    public TJException(String message) {
        this(message, 1);
    }

    public TJException(String message, int errorCode) {
        super(message);
        this.errorCode = errorCode;
    }

    public int errorCode() {
        return errorCode;
    }
}
