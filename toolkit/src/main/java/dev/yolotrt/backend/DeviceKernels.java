package dev.yolotrt.backend;

import dev.yolotrt.util.YoloException;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
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
     * context is current); {@code option} names the setting that avoids it, for the one line a too-old driver gets.
     */
    static synchronized CUfunc_st function(String ptx, String entry, String option) {
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
        if (r == 222) { // CUDA_ERROR_UNSUPPORTED_PTX_VERSION
            throw new YoloException("the GPU driver is older than the CUDA 12.6 PTX of " + ptx + "; update the driver, or set " + option + "=false");
        }
        check(r, "cuModuleLoadData (" + ptx + ")");
        CUfunc_st f = new CUfunc_st();
        check(cuModuleGetFunction(f, module, entry), "cuModuleGetFunction (" + entry + ")");
        FUNCTIONS.put(key, f);
        return f;
    }

    static void check(int r, String what) {
        if (r != CUDA_SUCCESS) throw new YoloException(what + " failed: CUDA driver error " + r);
    }
}
