package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import java.util.List;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;

/**
 * The letterbox kernel ({@code letterbox.cu}, shipped as PTX): a batch of 8-bit BGR images in device memory, each resized
 * as OpenCV's INTER_LINEAR, padded with grey 114 and written as RGB floats in [0, 1], CHW, into its slot of an engine's input.
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

    /** Longs per slot in the kernel's table: pixel offset, srcW, srcH, step, newW, newH, left, top. */
    static final int FIELDS = 8;

    /**
     * Writes a batch's table into {@code table} (pinned host memory, {@code batch * FIELDS} longs): job {@code i}'s
     * geometry and its pixels' offset in the upload; slots past the jobs get srcW 0, which the kernel leaves as they are.
     */
    static void table(LongPointer table, List<Job> jobs, long[] offsets, int batch) {
        for (int b = 0; b < batch; b++) {
            long at = (long) b * FIELDS;
            if (b >= jobs.size()) {
                for (int f = 0; f < FIELDS; f++) table.put(at + f, 0);
                continue;
            }
            Job j = jobs.get(b);
            long[] row = {offsets[b], j.srcW(), j.srcH(), j.step(), j.newW(), j.newH(), j.left(), j.top()};
            for (int f = 0; f < FIELDS; f++) table.put(at + f, row[f]);
        }
    }

    /** The kernel in the current GPU's context; loaded before a capture begins, since loading a module cannot be captured. */
    static CUfunc_st kernel() {
        return DeviceKernels.function("letterbox.ptx", "letterbox");
    }

    /**
     * Queues {@code kernel} on {@code stream} for a whole batch: the pixels uploaded at {@code pixels}, each slot's row of
     * the table at {@code table}, into the engine's input at {@code input}. The arguments are the same for every batch of
     * one shape (only the table's contents change), so a CUDA graph can hold the launch.
     */
    static void launch(CUfunc_st kernel, CUstream_st stream, long pixels, long table, long input, int batch, int dstW, int dstH) {
        try (LongPointer src = new LongPointer(1).put(pixels); LongPointer jobs = new LongPointer(1).put(table);
             LongPointer dst = new LongPointer(1).put(input); IntPointer w = new IntPointer(1).put(dstW); IntPointer h = new IntPointer(1).put(dstH);
             PointerPointer<Pointer> params = new PointerPointer<>(src, jobs, dst, w, h)) {
            int bx = 32, by = 8;
            DeviceKernels.check(cuLaunchKernel(kernel, (dstW + bx - 1) / bx, (dstH + by - 1) / by,
                    batch, bx, by, 1, 0, stream, params, (PointerPointer<?>) null), "cuLaunchKernel (letterbox)");
        }
    }
}
