package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

import java.util.List;


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
        int bx = 32, by = 8;
        DeviceKernels.launch(kernel, stream, "letterbox", new int[] {(dstW + bx - 1) / bx, (dstH + by - 1) / by, batch}, new int[] {bx, by},
                pixels, table, input, dstW, dstH);
    }
}
