package dev.yolotrt.backend;

import dev.yolotrt.tensor.Picked;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;


/**
 * The candidates kernel ({@code candidates.cu}, shipped as PTX): per image of a detect head, the (anchor, class) pairs
 * above conf with their boxes, appended to a list of at most {@link #CAP}, so that only those are copied back.
 */
final class DeviceCandidates {
    /**
     * Pairs kept per image: Ultralytics' max_nms, the most its NMS looks at. An image with more (val's conf 0.001 on a
     * crowded image can get there) has its whole head copied back instead, and the host decodes it as without the kernel.
     */
    static final int CAP = 30_000;
    /** Floats per pair: anchor * nc + class (as int bits), score, cx, cy, w, h. */
    static final int FLOATS = 6;
    /** Bytes of the kernel's {@code Pick} in device memory: conf (float), multiLabel (int). */
    static final int PICK_BYTES = 8;

    private DeviceCandidates() {
    }

    /** The kernel in the current GPU's context; loaded before a capture begins, since loading a module cannot be captured. */
    static CUfunc_st kernel() {
        return DeviceKernels.function("candidates.ptx", "candidates");
    }

    /** Writes {@code pick} as the kernel's {@code Pick} into {@code at} ({@link #PICK_BYTES}, host memory the graph uploads). */
    static void pick(Pointer at, Picked.Pick pick) {
        new FloatPointer(at).capacity(1).put(pick.conf());
        new IntPointer(at).capacity(2).put(1, pick.multiLabel() ? 1 : 0);
    }

    /**
     * Queues {@code kernel} on {@code stream} for {@code batch} images of a [batch, channels, anchors] head at
     * {@code headAddress}, keeping what the {@code Pick} at {@code pickAddress} (device memory) says: each image's pairs go to
     * its list of {@link #CAP} at {@code outAddress}, its count to {@code countsAddress}.
     */
    static void launch(CUfunc_st kernel, CUstream_st stream, long headAddress, int batch, int channels, int anchors, long pickAddress,
                       long countsAddress, long outAddress) {
        // candidates(head, channels, anchors, nc, pick, cap, counts, out)
        int block = 256;
        DeviceKernels.launch(kernel, stream, "candidates", new int[] {(anchors + block - 1) / block, batch}, new int[] {block},
                headAddress, channels, anchors, channels - 4, pickAddress, CAP, countsAddress, outAddress);
    }
}
