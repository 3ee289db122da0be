package dev.yolotrt.backend;

import dev.yolotrt.tensor.Picked;
import dev.yolotrt.tensor.Tensor;
import dev.yolotrt.util.YoloException;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUgraphNode_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.yolotrt.backend.TrtGraphs.Feed;
import dev.yolotrt.backend.TrtGraphs.Graph;
import dev.yolotrt.backend.TrtGraphs.Key;
import java.util.stream.IntStream;

import static dev.yolotrt.backend.TensorRt.check;
import static dev.yolotrt.backend.TensorRtBackend.count;
import static dev.yolotrt.backend.TensorRtBackend.dims;
import static dev.yolotrt.backend.TensorRtBackend.dims64;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaGraphAddChildGraphNode;
import static org.bytedeco.cuda.global.cudart.cudaGraphAddMemcpyNode1D;
import static org.bytedeco.cuda.global.cudart.cudaGraphCreate;
import static org.bytedeco.cuda.global.cudart.cudaGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphExecMemcpyNodeSetParams1D;
import static org.bytedeco.cuda.global.cudart.cudaGraphLaunch;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy2DAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaStreamBeginCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamCaptureModeThreadLocal;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamEndCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/**
 * One execution context with its CUDA stream, device buffers sized for the largest profile shape, pinned host buffers
 * and a CUDA graph per {@link TrtGraphs.Key}, captured on first use and then replayed: a batch is one graph launch holding the
 * upload, the letterbox kernel, the engine, the candidates kernel and the download, so its cost barely depends on how
 * many steps it has. One thread at a time; freed in reverse order of creation on close.
 */
public final class TrtSession implements Backend.Session, Backend.DeviceOps {
    /** Pairs per image that each launch copies back with the counts; an image with more gets a second copy (val's conf 0.001). */
    private static final int PREFIX = 512;
    private final TensorRtBackend backend;
    /** The engine's input and output tensor names, its largest input shape and its log: the backend's, read once. */
    private final String input;
    private final List<String> outputs;
    private final long[] maxInput;
    private final TensorRt.Log log;
    private final IExecutionContext context;
    private final CUstream_st stream = new CUstream_st();
    private final Pointer devIn = new Pointer();
    private final FloatPointer hostIn;
    private final List<Pointer> devOut = new ArrayList<>();
    private final List<FloatPointer> hostOut = new ArrayList<>();
    private final TrtGraphs graphs;
    private final Pointer hostPix = new Pointer(), devPix = new Pointer();
    private long pixCapacity;
    /** Each slot's letterbox geometry, uploaded by the graph with the pixels. */
    private final Pointer hostJobs = new Pointer(), devJobs = new Pointer();
    /** The candidates kernel's counts and lists, device and pinned, made on the first {@link #inferPicked}. */
    private final Pointer devCounts = new Pointer(), hostCounts = new Pointer(), devCand = new Pointer(), hostCand = new Pointer();
    /** The kernel's conf and multi_label: written into the pinned one before each launch, copied up by the graph. */
    private final Pointer hostPick = new Pointer(), devPick = new Pointer();
    private boolean released;

    TrtSession(TensorRtBackend backend) {
        this.backend = backend;
        input = backend.input;
        outputs = backend.outputs;
        maxInput = backend.maxInput;
        log = backend.log;
        graphs = new TrtGraphs(backend.graphCount);
        bind();
        context = backend.engine.createExecutionContext();
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
            long jobBytes = maxInput[0] * DeviceLetterbox.FIELDS * Long.BYTES;
            check(cudaMallocHost(hostJobs, jobBytes), "cudaMallocHost (letterbox table)");
            check(cudaMalloc(devJobs, jobBytes), "cudaMalloc (letterbox table)");
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    /** Makes the engine's GPU current on the calling thread. */
    private void bind() {
        backend.bind();
    }

    @Override
    public java.util.Optional<Backend.DeviceOps> device() {
        return java.util.Optional.of(this);
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
        return finish(launch(new Key(Feed.FLOATS, batch, height, width, true, false), 0));
    }

    /** Puts a host-letterboxed batch into the pinned input the graph uploads from. */
    private void stage(FloatBuffer in, int batch, int height, int width) {
        long n = checkShape(batch, height, width);
        if (!in.isDirect() || new Pointer(in).address() != hostIn.address()) {
            FloatBuffer dst = hostIn.limit(n).asBuffer();
            dst.put(0, in, in.position(), (int) n);
        }
    }

    /**
     * Uploads the images' 8-bit pixels (4 × less than floats) through pinned staging and letterboxes the batch into
     * the input with the kernel, in the same graph as the engine.
     */
    @Override
    public List<Tensor> inferImages(List<DeviceLetterbox.Job> jobs, int batch, int height, int width) {
        bind();
        long bytes = stage(jobs, batch, height, width);
        return finish(launch(new Key(Feed.PIXELS, batch, height, width, true, false), bytes));
    }

    /**
     * Copies a batch's 8-bit pixels side by side into pinned staging and writes the letterbox table; returns the bytes
     * the graph's upload then moves.
     */
    private long stage(List<DeviceLetterbox.Job> jobs, int batch, int height, int width) {
        checkShape(batch, height, width);
        long[] offsets = new long[jobs.size() + 1];
        for (int i = 0; i < jobs.size(); i++) offsets[i + 1] = offsets[i] + jobs.get(i).bytes();
        long total = offsets[jobs.size()];
        stagePixels(total);
        // Copying a megabyte-sized image into pinned memory takes a tenth of a millisecond on one core: the copy is
        // cut into pieces of a quarter megabyte, copied on all cores.
        long piece = 1 << 18;
        int pieces = (int) ((total + piece - 1) / piece);
        IntStream copies = IntStream.range(0, pieces);
        (pieces > 1 ? copies.parallel() : copies).forEach(k -> {
            long from = k * piece, to = Math.min(total, from + piece);
            // Walks the images whose bytes overlap [from, to).
            int i = 0;
            while (offsets[i + 1] <= from) i++;
            for (long at = from; at < to; i++) {
                long end = Math.min(to, offsets[i + 1]);
                Pointer.memcpy(new BytePointer(hostPix).position(at), new BytePointer(jobs.get(i).pixels()).position(at - offsets[i]), end - at);
                at = end;
            }
        });
        DeviceLetterbox.table(new LongPointer(hostJobs).capacity((long) batch * DeviceLetterbox.FIELDS), jobs, offsets, batch);
        return total;
    }

    /**
     * The batch through the engine, then the candidates kernel over the head; the graph brings back the per-image counts
     * and each image's first {@link #PREFIX} pairs (a few kilobytes, instead of the 2.8 MB head per image). Images
     * with more pairs get the rest in a second copy; past {@link DeviceCandidates#CAP}, the whole head comes back.
     */
    @Override
    public Picked inferPicked(FloatBuffer in, List<DeviceLetterbox.Job> jobs, int batch, int height, int width, Picked.Pick pick) {
        bind();
        long bytes = 0;
        if (jobs == null) stage(in, batch, height, width);
        else bytes = stage(jobs, batch, height, width);
        if (devCounts.isNull()) {
            check(cudaMalloc(devCounts, maxInput[0] * Integer.BYTES), "cudaMalloc (candidate counts)");
            check(cudaMallocHost(hostCounts, maxInput[0] * Integer.BYTES), "cudaMallocHost (candidate counts)");
            check(cudaMalloc(devCand, maxInput[0] * listBytes()), "cudaMalloc (candidates)");
            check(cudaMallocHost(hostCand, maxInput[0] * listBytes()), "cudaMallocHost (candidates)");
            check(cudaMalloc(devPick, DeviceCandidates.PICK_BYTES), "cudaMalloc (pick)");
            check(cudaMallocHost(hostPick, DeviceCandidates.PICK_BYTES), "cudaMallocHost (pick)");
        }
        // The previous launch has finished (calls end synchronised): the pinned values can change under its graph.
        DeviceCandidates.pick(hostPick, pick);
        Graph g = launch(new Key(jobs == null ? Feed.FLOATS : Feed.PIXELS, batch, height, width, false, true), bytes);
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        int[] counts = new int[batch];
        new IntPointer(hostCounts).capacity(batch).get(counts);
        for (int c : counts) if (c > DeviceCandidates.CAP) return new Picked(null, copyOutputs(g.outShapes()));
        boolean more = false;
        long row = (long) DeviceCandidates.FLOATS * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            if (counts[b] <= PREFIX) continue;
            long at = b * listBytes() + PREFIX * row;
            check(cudaMemcpyAsync(new BytePointer(hostCand).position(at), new BytePointer(devCand).position(at), (counts[b] - PREFIX) * row,
                    cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync D2H (candidates)");
            more = true;
        }
        if (more) check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        long[] head = g.outShapes().get(0);
        int nc = (int) head[1] - 4;
        List<Picked.Candidates> images = new ArrayList<>(batch);
        FloatPointer lists = new FloatPointer(hostCand).capacity(maxInput[0] * listBytes() / Float.BYTES);
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

    /** Bytes of one image's candidate list. */
    private static long listBytes() {
        return (long) DeviceCandidates.CAP * DeviceCandidates.FLOATS * Float.BYTES;
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

    /**
     * Pinned and device buffers for {@code bytes} of pixels, grown by half again or more (never shrunk) as images need.
     * The pixel graphs hold the old buffers' addresses: they are dropped, and captured again on their next use.
     */
    private void stagePixels(long bytes) {
        if (bytes <= pixCapacity) return;
        graphs.drop(k -> k.feed() == Feed.PIXELS);
        if (!hostPix.isNull()) cudaFreeHost(hostPix);
        if (!devPix.isNull()) cudaFree(devPix);
        hostPix.setNull();
        devPix.setNull();
        long grown = Math.max(bytes, pixCapacity * 3 / 2);
        pixCapacity = 0;
        check(cudaMallocHost(hostPix, grown), "cudaMallocHost (pixels)");
        check(cudaMalloc(devPix, grown), "cudaMalloc (pixels)");
        pixCapacity = grown;
    }

    private long checkShape(int batch, int height, int width) {
        if (batch > maxInput[0] || height > maxInput[2] || width > maxInput[3]) {
            throw new YoloException("input " + batch + "x3x" + height + "x" + width + " exceeds the engine's largest shape "
                    + Arrays.toString(maxInput) + "; export with a larger batch or imgsz");
        }
        return (long) batch * 3 * height * width;
    }

    /** Queues the graph of {@code key}; a pixel graph's upload first takes this batch's size, {@code bytes}. */
    private Graph launch(Key key, long bytes) {
        Graph g = graph(key);
        if (g.upload() != null) {
            check(cudaGraphExecMemcpyNodeSetParams1D(g.exec(), g.upload(), devPix, hostPix, bytes, cudaMemcpyHostToDevice),
                    "cudaGraphExecMemcpyNodeSetParams1D");
        }
        check(cudaGraphLaunch(g.exec(), stream), "cudaGraphLaunch");
        return g;
    }

    /** Waits for a graph that downloaded every output; the tensors view the pinned output buffers. */
    private List<Tensor> finish(Graph g) {
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        return tensors(g.outShapes());
    }

    /** Every output at {@code shapes} copied back after the fact; the tensors view the pinned output buffers. */
    private List<Tensor> copyOutputs(List<long[]> shapes) {
        for (int i = 0; i < outputs.size(); i++) {
            check(cudaMemcpyAsync(hostOut.get(i), devOut.get(i), count(shapes.get(i)) * Float.BYTES, cudaMemcpyDeviceToHost, stream),
                    "cudaMemcpyAsync D2H");
        }
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        return tensors(shapes);
    }

    private List<Tensor> tensors(List<long[]> shapes) {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            out.add(new Tensor(outputs.get(i), shapes.get(i), hostOut.get(i).limit(count(shapes.get(i))).asBuffer()));
        }
        return out;
    }

    @Override
    public double[] timeEngine(int batch, int height, int width, int warmup, int reps, int runs) {
        bind();
        Graph g = graph(new Key(Feed.NONE, batch, height, width, false, false));
        for (int i = 0; i < warmup; i++) check(cudaGraphLaunch(g.exec(), stream), "cudaGraphLaunch");
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        double[] ms = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < runs; i++) check(cudaGraphLaunch(g.exec(), stream), "cudaGraphLaunch");
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
            ms[r] = (System.nanoTime() - t0) / 1e6 / runs / batch;
        }
        return ms;
    }

    /**
     * The graph of {@code key}, captured on first use from one pass of its work on this session's stream: the upload
     * of floats or of the letterbox table and the letterbox kernel, the engine, then the candidates kernel and the
     * copies back. A pixel graph puts the pixel upload in front as a node of its own, so that each launch can set its size.
     */
    private Graph graph(Key key) {
        Graph g = graphs.get(key);
        if (g != null) return g;
        int batch = key.batch(), height = key.height(), width = key.width();
        String shape = batch + "x3x" + height + "x" + width;
        if (!context.setInputShape(input, dims64(new long[] {batch, 3, height, width}))) {
            throw new YoloException("the engine does not accept input " + shape + " (" + log.errors() + ")");
        }
        List<long[]> shapes = new ArrayList<>();
        for (String o : outputs) shapes.add(dims(context.getTensorShape(o)));
        // Kernels are loaded and TensorRT gets one plain enqueue after a shape change before anything is captured.
        CUfunc_st letterbox = key.feed() == Feed.PIXELS ? DeviceLetterbox.kernel() : null;
        CUfunc_st candidates = key.pick() ? DeviceCandidates.kernel() : null;
        if (!context.enqueueV3(stream)) throw new YoloException("TensorRT enqueue failed: " + log.errors());
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        CUgraph_st body = new CUgraph_st();
        check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
        boolean ok = false;
        try {
            if (key.feed() == Feed.FLOATS) {
                check(cudaMemcpyAsync(devIn, hostIn, checkShape(batch, height, width) * Float.BYTES, cudaMemcpyHostToDevice, stream),
                        "cudaMemcpyAsync H2D");
            } else if (key.feed() == Feed.PIXELS) {
                check(cudaMemcpyAsync(devJobs, hostJobs, (long) batch * DeviceLetterbox.FIELDS * Long.BYTES, cudaMemcpyHostToDevice, stream),
                        "cudaMemcpyAsync H2D (letterbox table)");
                DeviceLetterbox.launch(letterbox, stream, devPix.address(), devJobs.address(), devIn.address(), batch, width, height);
            }
            ok = context.enqueueV3(stream);
            if (key.pick()) {
                long[] head = shapes.get(0);
                check(cudaMemsetAsync(devCounts, 0, (long) batch * Integer.BYTES, stream), "cudaMemsetAsync");
                check(cudaMemcpyAsync(devPick, hostPick, DeviceCandidates.PICK_BYTES, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync H2D (pick)");
                DeviceCandidates.launch(candidates, stream, devOut.get(0).address(), batch, (int) head[1], (int) head[2], devPick.address(),
                        devCounts.address(), devCand.address());
                check(cudaMemcpyAsync(hostCounts, devCounts, (long) batch * Integer.BYTES, cudaMemcpyDeviceToHost, stream),
                        "cudaMemcpyAsync D2H (counts)");
                long prefix = (long) PREFIX * DeviceCandidates.FLOATS * Float.BYTES;
                check(cudaMemcpy2DAsync(hostCand, listBytes(), devCand, listBytes(), prefix, batch, cudaMemcpyDeviceToHost, stream),
                        "cudaMemcpy2DAsync D2H (candidates)");
            } else if (key.outputs()) {
                for (int i = 0; i < outputs.size(); i++) {
                    check(cudaMemcpyAsync(hostOut.get(i), devOut.get(i), count(shapes.get(i)) * Float.BYTES, cudaMemcpyDeviceToHost, stream),
                            "cudaMemcpyAsync D2H");
                }
            }
        } finally {
            // Capture always ends, so that the stream stays usable whatever failed.
            int ended = cudaStreamEndCapture(stream, body);
            if (!ok || ended != 0) {
                if (!body.isNull()) cudaGraphDestroy(body);
                check(ended, "cudaStreamEndCapture");
            }
        }
        if (!ok) throw new YoloException("TensorRT enqueue failed during graph capture: " + log.errors());
        CUgraph_st graph = body;
        CUgraphNode_st upload = null;
        if (key.feed() == Feed.PIXELS) {
            // The body is cloned into the pixel graph behind its upload node.
            graph = new CUgraph_st();
            try {
                check(cudaGraphCreate(graph, 0), "cudaGraphCreate");
                upload = new CUgraphNode_st();
                check(cudaGraphAddMemcpyNode1D(upload, graph, null, 0, devPix, hostPix, pixCapacity, cudaMemcpyHostToDevice),
                        "cudaGraphAddMemcpyNode1D");
                check(cudaGraphAddChildGraphNode(new CUgraphNode_st(), graph, upload, 1, body), "cudaGraphAddChildGraphNode");
            } finally {
                cudaGraphDestroy(body);
            }
        }
        return graphs.add(key, graph, upload, shapes);
    }

    @Override
    public void close() {
        if (released) return;
        release();
        backend.sessionClosed();
    }

    /** Frees what was created, newest first. */
    private void release() {
        released = true;
        bind();
        if (!stream.isNull()) cudaStreamSynchronize(stream);
        graphs.drop(k -> true);
        if (!hostPick.isNull()) cudaFreeHost(hostPick);
        if (!devPick.isNull()) cudaFree(devPick);
        if (!hostCand.isNull()) cudaFreeHost(hostCand);
        if (!devCand.isNull()) cudaFree(devCand);
        if (!hostCounts.isNull()) cudaFreeHost(hostCounts);
        if (!devCounts.isNull()) cudaFree(devCounts);
        if (!devPix.isNull()) cudaFree(devPix);
        if (!hostPix.isNull()) cudaFreeHost(hostPix);
        if (!devJobs.isNull()) cudaFree(devJobs);
        if (!hostJobs.isNull()) cudaFreeHost(hostJobs);
        for (int i = hostOut.size() - 1; i >= 0; i--) cudaFreeHost(hostOut.get(i));
        for (int i = devOut.size() - 1; i >= 0; i--) cudaFree(devOut.get(i));
        if (hostIn != null) cudaFreeHost(hostIn);
        if (!devIn.isNull()) cudaFree(devIn);
        if (!stream.isNull()) cudaStreamDestroy(stream);
        NativeScope.release(context);
    }
}
