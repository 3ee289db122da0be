package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;

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

    private DeviceCandidates() {
    }

    /** The kernel's arguments for one session, kept so that a launch allocates nothing (cuLaunchKernel reads them through pointers). */
    static final class Args implements AutoCloseable {
        private final LongPointer head = new LongPointer(1), counts = new LongPointer(1), out = new LongPointer(1);
        private final IntPointer channels = new IntPointer(1), anchors = new IntPointer(1), nc = new IntPointer(1), multiLabel = new IntPointer(1),
                cap = new IntPointer(1);
        private final FloatPointer conf = new FloatPointer(1);
        private final PointerPointer<Pointer> params = new PointerPointer<>(9);

        Args() {
            // candidates(head, channels, anchors, nc, conf, multiLabel, cap, counts, out)
            Pointer[] order = {head, channels, anchors, nc, conf, multiLabel, cap, counts, out};
            for (int i = 0; i < order.length; i++) params.put(i, order[i]);
        }

        /** Queues the kernel on {@code stream} for {@code batch} images of a [batch, channels, anchors] head at {@code headAddress}. */
        void launch(CUstream_st stream, long headAddress, int batch, int channels, int anchors, Picked.Pick pick, long countsAddress, long outAddress) {
            head.put(0, headAddress);
            this.channels.put(0, channels);
            this.anchors.put(0, anchors);
            nc.put(0, channels - 4);
            conf.put(0, pick.conf());
            multiLabel.put(0, pick.multiLabel() ? 1 : 0);
            cap.put(0, CAP);
            counts.put(0, countsAddress);
            out.put(0, outAddress);
            int block = 256;
            DeviceKernels.check(cuLaunchKernel(DeviceKernels.function("candidates.ptx", "candidates"), (anchors + block - 1) / block, batch,
                    1, block, 1, 1, 0, stream, params, (PointerPointer<?>) null), "cuLaunchKernel (candidates)");
        }

        @Override
        public void close() {
            params.close();
            conf.close();
            for (Pointer p : new Pointer[] {cap, multiLabel, nc, anchors, channels, out, counts, head}) p.close();
        }
    }
}
