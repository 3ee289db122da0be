package dev.yolotrt.backend;

import dev.yolotrt.util.YoloException;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cudaGetDevice;

/**
 * The toolkit's own CUDA kernels, shipped as PTX beside their sources ({@code *.cu}, compiled by scripts/ptx.sh) and
 * loaded with the driver API: no NVRTC at run time. A module belongs to the context it was loaded in, so each is loaded
 * once per GPU, into that GPU's primary context (the one the CUDA runtime and TensorRT use there), and stays loaded for
 * the process, like the context.
 */
final class DeviceKernels {
    private static final Map<String, CUfunc_st> FUNCTIONS = new HashMap<>();

    private DeviceKernels() {
    }

    /**
     * Kernel {@code entry} of {@code ptx} in the current GPU's context (the caller has made a runtime call there, so the
     * context is current). A driver too old for the PTX gets {@link KernelUnavailable}.
     */
    static synchronized CUfunc_st function(String ptx, String entry) {
        int[] device = new int[1];
        TensorRt.check(cudaGetDevice(device), "cudaGetDevice");
        String key = device[0] + "/" + ptx + "/" + entry;
        CUfunc_st cached = FUNCTIONS.get(key);
        if (cached != null) return cached;
        byte[] code;
        try (InputStream in = DeviceKernels.class.getResourceAsStream(ptx)) {
            if (in == null) throw new YoloException(ptx + " is missing from the toolkit jar; rebuild it (scripts/ptx.sh)");
            code = in.readAllBytes();
        } catch (IOException e) {
            throw new YoloException("cannot read " + ptx + ": " + e.getMessage());
        }
        CUmod_st module = new CUmod_st();
        BytePointer image = new BytePointer(code.length + 1L).put(code).put(code.length, (byte) 0);
        int r = cuModuleLoadData(module, image);
        // CUDA_ERROR_NO_BINARY_FOR_GPU, CUDA_ERROR_INVALID_PTX, CUDA_ERROR_UNSUPPORTED_PTX_VERSION: PTX from CUDA 12.6 needs driver 560 or newer.
        if (r == 209 || r == 218 || r == 222) {
            throw new KernelUnavailable("this GPU driver cannot run " + ptx + " (CUDA 12.6 PTX, CUDA driver error " + r + "; driver 560 or newer runs it)");
        }
        check(r, "cuModuleLoadData (" + ptx + ")");
        CUfunc_st f = new CUfunc_st();
        check(cuModuleGetFunction(f, module, entry), "cuModuleGetFunction (" + entry + ")");
        FUNCTIONS.put(key, f);
        return f;
    }

    /**
     * Queues {@code kernel} on {@code stream} over a grid of {@code grid} blocks of {@code block} threads (x, y, z; missing
     * ones 1). {@code params} in the kernel's order: a Long is a 64-bit value (a device address), an Integer a 32-bit int.
     * The driver copies them at the call (or into the graph being captured), so they are freed on return.
     */
    static void launch(CUfunc_st kernel, CUstream_st stream, String what, int[] grid, int[] block, Object... params) {
        Pointer[] p = new Pointer[params.length];
        try {
            for (int i = 0; i < params.length; i++) {
                p[i] = params[i] instanceof Integer v ? new IntPointer(1).put(v) : new LongPointer(1).put((Long) params[i]);
            }
            try (PointerPointer<Pointer> args = new PointerPointer<>(p)) {
                check(cuLaunchKernel(kernel, grid[0], dim(grid, 1), dim(grid, 2), block[0], dim(block, 1), dim(block, 2), 0, stream, args,
                        (PointerPointer<?>) null), "cuLaunchKernel (" + what + ")");
            }
        } finally {
            for (Pointer q : p) if (q != null) q.close();
        }
    }

    private static int dim(int[] d, int i) {
        return i < d.length ? d[i] : 1;
    }

    static void check(int r, String what) {
        if (r != CUDA_SUCCESS) throw new YoloException(what + " failed: CUDA driver error " + r);
    }
}
