package dev.yolotrt.backend;

import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.YoloException;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.tensorrt.nvinfer.ILogger;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;
import static org.bytedeco.tensorrt.global.nvinfer.getInferLibVersion;

/**
 * Loading TensorRT and CUDA through JavaCPP, and the facts about the machine that exports and engine
 * files depend on. Every failure to find them becomes one line that says what is missing.
 */
public final class TensorRt {

    private static final Logger LOG = Logger.getLogger("dev.yolotrt.tensorrt");

    /**
     * The one TensorRT logger of the process. TensorRT keeps the first logger it is given (its plugin
     * registry logs through it later), so a per-object logger that the GC frees crashes the next
     * plugin lookup; this one lives as long as the class. Created on first use: making one loads
     * TensorRT's natives, which a CPU-only machine lacks.
     */
    public static Log logger() {
        return LoggerHolder.LOGGER;
    }

    private static final class LoggerHolder {
        static final Log LOGGER = new Log();
    }
    private static volatile String unavailable;
    private static volatile boolean checked;

    private TensorRt() {
    }

    /** Throws a one-line {@link YoloException} unless TensorRT and a CUDA GPU are usable; {@code what} names the task. */
    public static void require(String what) {
        String why = whyUnavailable();
        if (why != null) throw new YoloException(what + " needs an NVIDIA GPU with TensorRT 10.6: " + why);
    }

    public static boolean available() {
        return whyUnavailable() == null;
    }

    /** Null when usable, else the reason. */
    public static synchronized String whyUnavailable() {
        if (checked) return unavailable;
        checked = true;
        try {
            Loader.load(org.bytedeco.cuda.global.cudart.class);
            int[] n = new int[1];
            int err = cudaGetDeviceCount(n);
            if (err != cudaSuccess || n[0] == 0) {
                unavailable = "no CUDA GPU found (" + (err != cudaSuccess ? cudaGetErrorString(err).getString() : "0 devices") + ")";
                return unavailable;
            }
            Loader.load(org.bytedeco.tensorrt.global.nvinfer.class);
            Loader.load(org.bytedeco.tensorrt.global.nvonnxparser.class);
        } catch (Throwable e) {
            // Without the driver's device node, the loading failure is libcuda.so.1's: the driver is what is missing.
            if (!java.nio.file.Files.exists(java.nio.file.Path.of("/dev/nvidiactl"))) {
                unavailable = "no NVIDIA driver on this machine (no /dev/nvidiactl)";
                return unavailable;
            }
            unavailable = "the CUDA/TensorRT libraries did not load (" + Downloads.oneLine(e)
                    + "); run ./yolo-trt setup gpu (TensorRT and CUDA through Maven, docs/gpu.md), or put TensorRT 10.6 and the CUDA 12 runtime on LD_LIBRARY_PATH";
        }
        return unavailable;
    }

    /** How many CUDA GPUs this process sees (after CUDA_VISIBLE_DEVICES). */
    public static int deviceCount() {
        int[] n = new int[1];
        check(cudaGetDeviceCount(n), "cudaGetDeviceCount");
        return n[0];
    }

    /** "10.6.0" */
    public static String version() {
        int v = getInferLibVersion();
        return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
    }

    /** The GPU's name and compute capability, e.g. "NVIDIA H100 80GB HBM3 (sm_90)". */
    public static String gpu() {
        cudaDeviceProp p = new cudaDeviceProp();
        check(cudaGetDeviceProperties(p, 0), "cudaGetDeviceProperties");
        return p.name().getString().strip() + " (sm_" + p.major() + p.minor() + ")";
    }

    /** Total GPU memory in bytes. */
    public static long gpuMemory() {
        SizeTPointer free = new SizeTPointer(1), total = new SizeTPointer(1);
        check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
        return total.get();
    }

    /** Free device memory in bytes (cudaMemGetInfo), for leak checks. */
    public static long freeMemory() {
        SizeTPointer free = new SizeTPointer(1), total = new SizeTPointer(1);
        check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
        return free.get();
    }

    public static void check(int err, String call) {
        if (err != cudaSuccess) throw new YoloException("CUDA " + call + " failed: " + cudaGetErrorString(err).getString());
    }

    /**
     * TensorRT's log, forwarded to java.util.logging ("dev.yolotrt.tensorrt"); errors are also kept so
     * that a failure can carry TensorRT's own words. Keep a reference while TensorRT may call it.
     */
    public static final class Log extends ILogger {
        // Errors per thread: each export or load reads only what its own calls logged.
        private final ThreadLocal<List<String>> errors = ThreadLocal.withInitial(ArrayList::new);

        private Log() {
        }

        @Override
        public void log(Severity severity, String msg) {
            // JavaCPP's enum values from native code are not the canonical constants: compare values.
            if (severity.value <= Severity.kERROR.value) {
                errors.get().add(msg.strip());
                LOG.log(Level.FINE, msg);
            } else {
                LOG.log(severity.value == Severity.kWARNING.value ? Level.FINE : Level.FINEST, msg);
            }
        }

        /** Forgets this thread's errors: call before an operation whose errors you will read. */
        public void clear() {
            errors.get().clear();
        }

        /** The errors this thread logged since {@link #clear()}, on one line; "" if none. */
        public String errors() {
            return String.join("; ", errors.get()).replace('\n', ' ');
        }
    }
}
