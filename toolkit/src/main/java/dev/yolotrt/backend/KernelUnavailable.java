package dev.yolotrt.backend;

import dev.yolotrt.util.YoloException;

/**
 * One of the toolkit's CUDA kernels cannot run on this GPU or driver (its PTX is newer than the driver can compile). The
 * kernels only speed up work the host can do too, so the predictor goes on without them (one warning) instead of failing.
 */
public final class KernelUnavailable extends YoloException {
    public KernelUnavailable(String message) {
        super(message);
    }
}
