package dev.yolotrt.backend;

import dev.yolotrt.util.YoloException;
import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.yolotrt.backend.TensorRt.check;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphExecDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphInstantiate;
import static org.bytedeco.cuda.global.cudart.cudaGraphLaunch;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamBeginCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamCaptureModeThreadLocal;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamEndCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.tensorrt.global.nvinfer.createInferRuntime;

/**
 * A TensorRT engine behind the {@link Backend} interface: the runtime and the engine, deserialized
 * once and shared by the {@link TrtSession}s that run it.
 */
public final class TensorRtBackend implements Backend {

    private final String name;
    private final TensorRt.Log log;
    private final IRuntime runtime;
    private final ICudaEngine engine;
    private final String input;
    private final List<String> outputs = new ArrayList<>();
    private final long[] inputShape;
    private final long[] maxInput;
    private final int device;
    private int open;
    private boolean closed;

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
    private void bind() {
        if (device >= 0) check(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
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

    /** Three batches per engine: one uploads and letterboxes while another infers and the host runs NMS for a third. */
    @Override
    public int concurrency() {
        return 3;
    }

    @Override
    public TrtSession openSession() {
        synchronized (this) {
            if (closed) throw new IllegalStateException("backend closed");
            open++;
        }
        try {
            return new TrtSession();
        } catch (RuntimeException e) {
            sessionClosed();
            throw e;
        }
    }

    private synchronized void sessionClosed() {
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

    private static long[] dims(Dims64 d) {
        long[] out = new long[d.nbDims()];
        for (int i = 0; i < out.length; i++) out[i] = d.d(i);
        return out;
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long v : shape) n *= v;
        return n;
    }

    /** A captured graph of one enqueue at one input shape, and the output shapes it produces. */
    private record Graph(CUgraphExec_st exec, CUgraph_st graph, List<long[]> outShapes) {
    }

    /**
     * One execution context with its CUDA stream, device buffers sized for the largest profile
     * shape, pinned host buffers and a CUDA graph per input shape (captured on first use, then
     * replayed, which removes most of the per-launch overhead at small batches). One thread at a
     * time; freed in reverse order of creation on close.
     */
    public final class TrtSession implements Session {
        private final IExecutionContext context;
        private final CUstream_st stream = new CUstream_st();
        private final Pointer devIn = new Pointer();
        private final FloatPointer hostIn;
        private final List<Pointer> devOut = new ArrayList<>();
        private final List<FloatPointer> hostOut = new ArrayList<>();
        private final Map<String, Graph> graphs = new LinkedHashMap<>();
        private final Pointer hostPix = new Pointer(), devPix = new Pointer();
        private long pixCapacity;
        private final DeviceLetterbox.Args args = new DeviceLetterbox.Args();
        /** The candidates kernel's arguments; its lists (device and pinned) are made on the first {@link #inferPicked}. */
        private final DeviceCandidates.Args pickArgs = new DeviceCandidates.Args();
        private final Pointer devCounts = new Pointer(), hostCounts = new Pointer(), devCand = new Pointer(), hostCand = new Pointer();
        private boolean released;

        TrtSession() {
            bind();
            context = engine.createExecutionContext();
            if (context == null || context.isNull()) {
                throw new YoloException("TensorRT could not create an execution context (" + log.errors() + "); is GPU memory exhausted?");
            }
            try {
                check(cudaStreamCreate(stream), "cudaStreamCreate");
                long inCount = count(maxInput);
                check(cudaMalloc(devIn, inCount * Float.BYTES), "cudaMalloc");
                Pointer h = new Pointer();
                check(cudaMallocHost(h, inCount * Float.BYTES), "cudaMallocHost");
                hostIn = new FloatPointer(h).capacity(inCount);
                // Outputs at the largest input shape are the largest outputs.
                context.setInputShape(input, dims64(maxInput));
                for (String o : outputs) {
                    long c = count(dims(context.getTensorShape(o)));
                    Pointer d = new Pointer();
                    check(cudaMalloc(d, c * Float.BYTES), "cudaMalloc");
                    devOut.add(d);
                    Pointer ho = new Pointer();
                    check(cudaMallocHost(ho, c * Float.BYTES), "cudaMallocHost");
                    hostOut.add(new FloatPointer(ho).capacity(c));
                    context.setTensorAddress(o, d);
                }
                context.setTensorAddress(input, devIn);
            } catch (RuntimeException e) {
                release();
                throw e;
            }
        }

        /** A pinned host buffer: {@link #infer} then copies nothing on the host. */
        @Override
        public FloatBuffer inputBuffer(int batch, int height, int width) {
            return hostIn.limit((long) batch * 3 * height * width).asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
        }

        /** Runs a batch; the tensors view this session's pinned output buffers. */
        @Override
        public List<Tensor> infer(FloatBuffer in, int batch, int height, int width) {
            bind();
            stage(in, batch, height, width);
            return run(batch, height, width);
        }

        /** Queues the upload of a host-letterboxed batch. */
        private void stage(FloatBuffer in, int batch, int height, int width) {
            long n = checkShape(batch, height, width);
            if (!in.isDirect() || new Pointer(in).address() != hostIn.address()) {
                FloatBuffer dst = hostIn.limit(n).asBuffer();
                dst.put(0, in, in.position(), (int) n);
            }
            check(cudaMemcpyAsync(devIn, hostIn, n * Float.BYTES, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync H2D");
        }

        @Override
        public boolean letterboxesOnDevice() {
            return true;
        }

        /**
         * Uploads the images' 8-bit pixels (4 × less than floats) through pinned staging and letterboxes each into its
         * input slot with the kernel, on this session's stream, before the engine runs.
         */
        @Override
        public List<Tensor> inferImages(List<DeviceLetterbox.Job> jobs, int batch, int height, int width) {
            bind();
            stage(jobs, batch, height, width);
            return run(batch, height, width);
        }

        /** Queues the upload of a batch's 8-bit pixels and the letterbox kernel that fills each input slot. */
        private void stage(List<DeviceLetterbox.Job> jobs, int batch, int height, int width) {
            checkShape(batch, height, width);
            long[] offsets = new long[jobs.size() + 1];
            for (int i = 0; i < jobs.size(); i++) offsets[i + 1] = offsets[i] + jobs.get(i).bytes();
            long total = offsets[jobs.size()], plane = 3L * height * width;
            stagePixels(total);
            // Copying a megabyte-sized image into pinned memory takes a tenth of a millisecond or more: the images of a batch are
            // copied side by side, then uploaded in one transfer.
            IntStream copies = IntStream.range(0, jobs.size());
            (jobs.size() > 1 ? copies.parallel() : copies).forEach(i -> {
                DeviceLetterbox.Job j = jobs.get(i);
                Pointer.memcpy(new BytePointer(hostPix).position(offsets[i]), new BytePointer(j.pixels()).capacity(j.bytes()), j.bytes());
            });
            check(cudaMemcpyAsync(devPix, hostPix, total, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync H2D (pixels)");
            for (int i = 0; i < jobs.size(); i++) {
                args.launch(stream, jobs.get(i), devPix.address() + offsets[i], devIn.address() + i * plane * Float.BYTES, width, height);
            }
        }

        @Override
        public boolean picksOnDevice() {
            return true;
        }

        /**
         * The batch through the engine, then the candidates kernel over the head: the per-image counts come back first,
         * then only each image's pairs (a few hundred bytes at predict's conf 0.25, instead of the 2.8 MB head per image).
         */
        @Override
        public Picked inferPicked(FloatBuffer in, List<DeviceLetterbox.Job> jobs, int batch, int height, int width, Picked.Pick pick) {
            bind();
            if (jobs == null) stage(in, batch, height, width);
            else stage(jobs, batch, height, width);
            Graph g = launch(batch, height, width);
            long[] head = g.outShapes.get(0);
            int channels = (int) head[1], anchors = (int) head[2], nc = channels - 4;
            long listBytes = (long) DeviceCandidates.CAP * DeviceCandidates.FLOATS * Float.BYTES;
            if (devCounts.isNull()) {
                check(cudaMalloc(devCounts, maxInput[0] * Integer.BYTES), "cudaMalloc (candidate counts)");
                check(cudaMallocHost(hostCounts, maxInput[0] * Integer.BYTES), "cudaMallocHost (candidate counts)");
                check(cudaMalloc(devCand, maxInput[0] * listBytes), "cudaMalloc (candidates)");
                check(cudaMallocHost(hostCand, maxInput[0] * listBytes), "cudaMallocHost (candidates)");
            }
            check(cudaMemsetAsync(devCounts, 0, (long) batch * Integer.BYTES, stream), "cudaMemsetAsync");
            pickArgs.launch(stream, devOut.get(0).address(), batch, channels, anchors, pick, devCounts.address(), devCand.address());
            check(cudaMemcpyAsync(hostCounts, devCounts, (long) batch * Integer.BYTES, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync D2H (counts)");
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
            int[] counts = new int[batch];
            new IntPointer(hostCounts).capacity(batch).get(counts);
            for (int c : counts) if (c > DeviceCandidates.CAP) return new Picked(null, copyOutputs(g));
            for (int b = 0; b < batch; b++) {
                if (counts[b] == 0) continue;
                check(cudaMemcpyAsync(new BytePointer(hostCand).position(b * listBytes), new BytePointer(devCand).position(b * listBytes),
                        (long) counts[b] * DeviceCandidates.FLOATS * Float.BYTES, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync D2H (candidates)");
            }
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
            List<Picked.Candidates> images = new ArrayList<>(batch);
            FloatPointer lists = new FloatPointer(hostCand).capacity(maxInput[0] * listBytes / Float.BYTES);
            for (int b = 0; b < batch; b++) {
                int n = counts[b];
                int[] anchor = new int[n], cls = new int[n];
                float[] score = new float[n], box = new float[n * 4], rows = new float[n * DeviceCandidates.FLOATS];
                lists.position((long) b * DeviceCandidates.CAP * DeviceCandidates.FLOATS).get(rows);
                for (int i = 0; i < n; i++) {
                    int r = i * DeviceCandidates.FLOATS, key = Float.floatToRawIntBits(rows[r]);
                    anchor[i] = key / nc;
                    cls[i] = key % nc;
                    score[i] = rows[r + 1];
                    System.arraycopy(rows, r + 2, box, i * 4, 4);
                }
                images.add(new Picked.Candidates(anchor, cls, score, box));
            }
            return new Picked(images, null);
        }

        /** The first {@code n} floats of the engine's input as the last call left them, read back (to check the device letterbox). */
        public float[] input(int n) {
            bind();
            float[] out = new float[n];
            try (FloatPointer host = new FloatPointer(n)) {
                check(cudaMemcpy(host, devIn, (long) n * Float.BYTES, cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
                host.get(out);
            }
            return out;
        }

        /** Pinned and device buffers for {@code bytes} of pixels, grown (never shrunk) as images need. */
        private void stagePixels(long bytes) {
            if (bytes <= pixCapacity) return;
            if (!hostPix.isNull()) cudaFreeHost(hostPix);
            if (!devPix.isNull()) cudaFree(devPix);
            hostPix.setNull();
            devPix.setNull();
            pixCapacity = 0;
            check(cudaMallocHost(hostPix, bytes), "cudaMallocHost (pixels)");
            check(cudaMalloc(devPix, bytes), "cudaMalloc (pixels)");
            pixCapacity = bytes;
        }

        private long checkShape(int batch, int height, int width) {
            if (batch > maxInput[0] || height > maxInput[2] || width > maxInput[3]) {
                throw new YoloException("input " + batch + "x3x" + height + "x" + width + " exceeds the engine's largest shape "
                        + java.util.Arrays.toString(maxInput) + "; export with a larger batch or imgsz");
            }
            return (long) batch * 3 * height * width;
        }

        /** The engine's graph on the staged input, outputs copied back; the tensors view the pinned output buffers. */
        private List<Tensor> run(int batch, int height, int width) {
            return copyOutputs(launch(batch, height, width));
        }

        /** Queues the engine's graph for this input shape on the staged input. */
        private Graph launch(int batch, int height, int width) {
            Graph g = graph(batch, height, width);
            check(cudaGraphLaunch(g.exec, stream), "cudaGraphLaunch");
            return g;
        }

        /** Every output of the graph's last launch copied back; the tensors view the pinned output buffers. */
        private List<Tensor> copyOutputs(Graph g) {
            for (int i = 0; i < outputs.size(); i++) {
                long count = count(g.outShapes.get(i));
                check(cudaMemcpyAsync(hostOut.get(i), devOut.get(i), count * Float.BYTES, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync D2H");
            }
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < outputs.size(); i++) {
                long count = count(g.outShapes.get(i));
                out.add(new Tensor(outputs.get(i), g.outShapes.get(i), hostOut.get(i).limit(count).asBuffer()));
            }
            return out;
        }

        /**
         * The engine alone: {@code reps} repetitions of {@code runs} graph launches on device-resident
         * buffers (no copies), synchronised per repetition. Returns milliseconds per image, one per repetition.
         */
        public double[] timeEngine(int batch, int height, int width, int warmup, int reps, int runs) {
            bind();
            Graph g = graph(batch, height, width);
            for (int i = 0; i < warmup; i++) check(cudaGraphLaunch(g.exec, stream), "cudaGraphLaunch");
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
            double[] ms = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < runs; i++) check(cudaGraphLaunch(g.exec, stream), "cudaGraphLaunch");
                check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
                ms[r] = (System.nanoTime() - t0) / 1e6 / runs / batch;
            }
            return ms;
        }

        private Graph graph(int batch, int height, int width) {
            String key = batch + "x" + height + "x" + width;
            Graph g = graphs.get(key);
            if (g != null) return g;
            if (!context.setInputShape(input, dims64(new long[] {batch, 3, height, width}))) {
                throw new YoloException("the engine does not accept input " + key + " (" + log.errors() + ")");
            }
            List<long[]> shapes = new ArrayList<>();
            for (String o : outputs) shapes.add(dims(context.getTensorShape(o)));
            // TensorRT needs one plain enqueue after a shape change before it can be captured.
            if (!context.enqueueV3(stream)) throw new YoloException("TensorRT enqueue failed: " + log.errors());
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
            CUgraph_st graph = new CUgraph_st();
            CUgraphExec_st exec = new CUgraphExec_st();
            check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
            boolean ok = context.enqueueV3(stream);
            check(cudaStreamEndCapture(stream, graph), "cudaStreamEndCapture");
            if (!ok) throw new YoloException("TensorRT enqueue failed during graph capture: " + log.errors());
            check(cudaGraphInstantiate(exec, graph, 0L), "cudaGraphInstantiate");
            g = new Graph(exec, graph, shapes);
            graphs.put(key, g);
            return g;
        }

        @Override
        public void close() {
            if (released) return;
            release();
            sessionClosed();
        }

        /** Frees what was created, newest first. */
        private void release() {
            released = true;
            bind();
            if (!stream.isNull()) cudaStreamSynchronize(stream);
            for (Graph g : graphs.values()) {
                cudaGraphExecDestroy(g.exec());
                cudaGraphDestroy(g.graph());
            }
            graphs.clear();
            if (!hostCand.isNull()) cudaFreeHost(hostCand);
            if (!devCand.isNull()) cudaFree(devCand);
            if (!hostCounts.isNull()) cudaFreeHost(hostCounts);
            if (!devCounts.isNull()) cudaFree(devCounts);
            pickArgs.close();
            args.close();
            if (!devPix.isNull()) cudaFree(devPix);
            if (!hostPix.isNull()) cudaFreeHost(hostPix);
            for (int i = hostOut.size() - 1; i >= 0; i--) cudaFreeHost(hostOut.get(i));
            for (int i = devOut.size() - 1; i >= 0; i--) cudaFree(devOut.get(i));
            if (hostIn != null) cudaFreeHost(hostIn);
            if (!devIn.isNull()) cudaFree(devIn);
            if (!stream.isNull()) cudaStreamDestroy(stream);
            NativeScope.release(context);
        }
    }

    private static Dims64 dims64(long[] shape) {
        Dims64 d = new Dims64();
        d.nbDims(shape.length);
        for (int i = 0; i < shape.length; i++) d.d(i, shape[i]);
        return d;
    }
}
