package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;

/**
 * The letterbox kernel ({@code letterbox.cu}, shipped as PTX): one 8-bit BGR image in device memory, resized as OpenCV's
 * INTER_LINEAR, padded with grey 114 and written as RGB floats in [0, 1], CHW, into one slot of an engine's input.
 * The module is loaded once per GPU ({@link DeviceKernels}).
 */
public final class DeviceLetterbox {

    /** An image to place: its pixels in host memory (rows {@code step} bytes apart) and where it goes in the input. */
    public record Job(Pointer pixels, int srcW, int srcH, long step, int newW, int newH, int left, int top) {
        long bytes() {
            return step * srcH;
        }
    }

    private DeviceLetterbox() {
    }

    /**
     * The kernel's arguments for one session, kept so that a launch allocates nothing: cuLaunchKernel reads each value
     * through a pointer when it is called.
     */
    static final class Args implements AutoCloseable {
        private final LongPointer src = new LongPointer(1), dst = new LongPointer(1);
        private final IntPointer[] ints = new IntPointer[9];
        private final PointerPointer<Pointer> params = new PointerPointer<>(11);

        Args() {
            for (int i = 0; i < ints.length; i++) ints[i] = new IntPointer(1);
            // letterbox(src, srcW, srcH, step, dst, dstW, dstH, newW, newH, left, top)
            params.put(0, src);
            for (int i = 0; i < 3; i++) params.put(1 + i, ints[i]);
            params.put(4, dst);
            for (int i = 3; i < 9; i++) params.put(2 + i, ints[i]);
        }

        /** Queues the kernel on {@code stream}: {@code job}'s pixels at device address {@code srcAddress} into the float slot at {@code dstAddress}. */
        void launch(CUstream_st stream, Job job, long srcAddress, long dstAddress, int dstW, int dstH) {
            src.put(0, srcAddress);
            dst.put(0, dstAddress);
            int[] v = {job.srcW(), job.srcH(), (int) job.step(), dstW, dstH, job.newW(), job.newH(), job.left(), job.top()};
            for (int i = 0; i < v.length; i++) ints[i].put(0, v[i]);
            int bx = 32, by = 8;
            DeviceKernels.check(cuLaunchKernel(DeviceKernels.function("letterbox.ptx", "letterbox"), (dstW + bx - 1) / bx, (dstH + by - 1) / by, 1,
                    bx, by, 1, 0, stream, params, (PointerPointer<?>) null), "cuLaunchKernel (letterbox)");
        }

        @Override
        public void close() {
            params.close();
            for (int i = ints.length - 1; i >= 0; i--) ints[i].close();
            dst.close();
            src.close();
        }
    }
}
