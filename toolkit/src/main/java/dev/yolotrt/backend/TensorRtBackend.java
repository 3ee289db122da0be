package dev.yolotrt.backend;

import dev.yolotrt.util.YoloException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

import java.util.ArrayList;
import java.util.List;

import static dev.yolotrt.backend.TensorRt.check;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.tensorrt.global.nvinfer.createInferRuntime;

/**
 * A TensorRT engine behind the {@link Backend} interface: the runtime and the engine, deserialized
 * once and shared by the {@link TrtSession}s that run it.
 */
public final class TensorRtBackend implements Backend {

    private final String name;
    final TensorRt.Log log;
    private final IRuntime runtime;
    final ICudaEngine engine;
    final String input;
    final List<String> outputs = new ArrayList<>();
    private final long[] inputShape;
    final long[] maxInput;
    private final int device;
    private int open;
    private boolean closed;
    /** CUDA graphs instantiated by this engine's open sessions, for tests that check they stay bounded. */
    final java.util.concurrent.atomic.AtomicInteger graphCount = new java.util.concurrent.atomic.AtomicInteger();

    /** Deserializes {@code plan} on the current GPU. {@code what} names the file in errors. */
    public TensorRtBackend(byte[] plan, String what, String precision, boolean plugins) {
        this(plan, what, precision, plugins, -1);
    }

    /**
     * Deserializes {@code plan} on GPU {@code device} (-1: the current one); every CUDA call of this engine and its
     * sessions then runs on that GPU, whichever thread makes it.
     */
    public TensorRtBackend(byte[] plan, String what, String precision, boolean plugins, int device) {
        TensorRt.require("running " + what);
        if (device >= TensorRt.deviceCount()) {
            throw new YoloException("device=" + device + " but this machine has " + TensorRt.deviceCount() + " GPU(s), numbered from 0");
        }
        this.device = device;
        bind();
        log = TensorRt.logger();
        log.clear();
        // Engines with NMS inside use TensorRT's plugin library; register it before deserializing.
        if (plugins && !org.bytedeco.tensorrt.global.nvinfer_plugin.initLibNvInferPlugins(log, "")) {
            throw new YoloException("running " + what + " needs TensorRT's plugin library (libnvinfer_plugin.so.10), which did not load");
        }
        runtime = createInferRuntime(log);
        BytePointer bytes = new BytePointer(plan);
        engine = runtime.deserializeCudaEngine(bytes, plan.length);
        bytes.close();
        if (engine == null || engine.isNull()) {
            String why = log.errors();
            throw new YoloException(what + " could not be loaded by TensorRT " + TensorRt.version()
                    + (why.isEmpty() ? "" : " (" + why + ")")
                    + "; it is corrupt, or was built by another TensorRT version or for another GPU: export it again on this machine");
        }
        String in = null;
        for (int i = 0; i < engine.getNbIOTensors(); i++) {
            String n = engine.getIOTensorName(i);
            // JavaCPP hands back enum values that are not the canonical constants: compare their values.
            if (engine.getTensorIOMode(n).value == org.bytedeco.tensorrt.global.nvinfer.TensorIOMode.kINPUT.value) in = n;
            else outputs.add(n);
        }
        if (in == null || outputs.isEmpty()) throw new YoloException(what + " has no input or no output tensor; not a YOLO engine");
        input = in;
        inputShape = dims(engine.getTensorShape(input));
        maxInput = inputShape[0] < 0 || inputShape[2] < 0 || inputShape[3] < 0
                ? dims(engine.getProfileShape(input, 0, org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector.kMAX))
                : inputShape;
        this.name = "tensorrt-" + precision + (device >= 0 ? "-gpu" + device : "");
    }

    /** Makes this engine's GPU current on the calling thread (CUDA's current device is per thread). */
    void bind() {
        if (device >= 0) check(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
    }

    @Override
    public java.util.OptionalInt gpu() {
        if (device >= 0) return java.util.OptionalInt.of(device);
        int[] current = new int[1];
        check(org.bytedeco.cuda.global.cudart.cudaGetDevice(current), "cudaGetDevice");
        return java.util.OptionalInt.of(current[0]);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public int maxBatch() {
        return (int) maxInput[0];
    }

    /** Output shapes in engine order (-1 where dynamic). */
    public List<long[]> outputShapes() {
        List<long[]> shapes = new ArrayList<>();
        for (String o : outputs) shapes.add(dims(engine.getTensorShape(o)));
        return shapes;
    }

    /** Output tensor names, in engine order. */
    public List<String> outputNames() {
        return List.copyOf(outputs);
    }

    /**
     * The CUDA graphs the open sessions hold. Graphs are keyed by feed and input shape (conf and multi_label reach the
     * candidates kernel through device memory), so this stays constant while options other than the shape change.
     */
    public int capturedGraphs() {
        return graphCount.get();
    }

    /** Three batches per engine: one uploads and letterboxes while another infers and the host runs NMS for a third. */
    @Override
    public int concurrency() {
        return 3;
    }

    /** Twice the batches a pipeline keeps in flight: each session holds device buffers for the largest shape, and graphs. */
    @Override
    public int maxSessions() {
        return 2 * concurrency();
    }

    @Override
    public TrtSession openSession() {
        synchronized (this) {
            if (closed) throw new IllegalStateException("backend closed");
            open++;
        }
        try {
            return new TrtSession(this);
        } catch (RuntimeException e) {
            sessionClosed();
            throw e;
        }
    }

    synchronized void sessionClosed() {
        open--;
    }

    /**
     * Releases the engine, then the runtime (reverse order of creation). Sessions belong to their
     * owners and are closed first: closing under an open session is refused, since its context
     * would outlive its engine.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        if (open > 0) throw new IllegalStateException(open + " TensorRT session(s) of " + name + " still open; close them first");
        closed = true;
        bind();
        NativeScope.release(engine);
        NativeScope.release(runtime);
    }

    static long[] dims(Dims64 d) {
        long[] out = new long[d.nbDims()];
        for (int i = 0; i < out.length; i++) out[i] = d.d(i);
        return out;
    }

    static long count(long[] shape) {
        long n = 1;
        for (long v : shape) n *= v;
        return n;
    }

    static Dims64 dims64(long[] shape) {
        Dims64 d = new Dims64();
        d.nbDims(shape.length);
        for (int i = 0; i < shape.length; i++) d.d(i, shape[i]);
        return d;
    }
}
