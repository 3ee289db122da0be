package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.yolotrt.backend.TensorRt.check;
import static org.bytedeco.cuda.global.cudart.cudaEventBlockingSync;
import static org.bytedeco.cuda.global.cudart.cudaEventCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventDisableTiming;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaStreamWaitEvent;

/**
 * BoT-SORT's corners and optical flow on a GPU ({@code flow.cu}). The flow is OpenCV's pyramidal Lucas-Kanade with the
 * defaults Ultralytics keeps, to the same float bits as OpenCV's CPU code; the corners are OpenCV's goodFeaturesToTrack
 * as Ultralytics calls it, with the float arithmetic OpenCV runs on an x86 CPU with AVX2 and FMA. A {@link Frame} is
 * one half-size grey frame's corners, and its pyramid and derivatives in device memory, built once and read by the
 * pair before it and the pair after; {@link #track} moves one frame's corners into the next.
 * <p>
 * Calls come from many threads at once: each takes a lane (a stream with its pinned and device buffers) for the length
 * of the call. A frame's build is queued and not waited for: the pairs that read it wait for it on the GPU (an event),
 * and a caller sleeps while it waits for corners or points (a blocking event), leaving its core to the other motion
 * threads. Pyramid memory is kept, with the event its last build ended with (the next build waits for it), for
 * frames of the same size. The GPU is the one {@link #open} was given; every call makes it current on its thread.
 */
public final class DeviceFlow implements AutoCloseable {
    private static final int WIN = 21, MAX_LEVELS = 4;
    private static final String PTX = "flow.ptx";
    /** Ultralytics' maxCorners; candidates downloaded with the counts (more come in a second copy). */
    static final int MAX_CORNERS = 1000, CANDIDATES = 8192;

    private final int device;
    private final CUfunc_st level0, down, deriv, track, cov, eig, pick;
    private final ArrayDeque<Lane> idle = new ArrayDeque<>();
    private final List<Lane> lanes = new ArrayList<>();
    /** Pyramid allocations no frame holds, by size; every one made, to free on close. */
    private final Map<Long, ArrayDeque<Pyramid>> spare = new HashMap<>();
    private final List<Pyramid> pyramids = new ArrayList<>();
    /** Lanes taken by calls under way: {@link #close} waits for them. */
    private int busy;
    private boolean closed;

    private DeviceFlow(int device) {
        this.device = device;
        bind();
        level0 = DeviceKernels.function(PTX, "flow_level0");
        down = DeviceKernels.function(PTX, "flow_down");
        deriv = DeviceKernels.function(PTX, "flow_deriv");
        track = DeviceKernels.function(PTX, "flow_track");
        cov = DeviceKernels.function(PTX, "corners_cov");
        eig = DeviceKernels.function(PTX, "corners_eig");
        pick = DeviceKernels.function(PTX, "corners_pick");
    }

    /** The flow on GPU {@code device}; {@link KernelUnavailable} when its driver cannot run the kernels. */
    public static DeviceFlow open(int device) {
        return new DeviceFlow(device);
    }

    /** Device memory for one frame's pyramid, and the event its build ends with. */
    private record Pyramid(Pointer memory, CUevent_st built) {
    }

    /** One frame's corners, and its pyramid on the device. Close it when both pairs that read it are done; its memory is reused. */
    public final class Frame implements AutoCloseable {
        final int cols, rows, levels;
        private final float[] corners;
        private Pyramid pyramid;

        private Frame(int cols, int rows, int levels, float[] corners, Pyramid pyramid) {
            this.cols = cols;
            this.rows = rows;
            this.levels = levels;
            this.corners = corners;
            this.pyramid = pyramid;
        }

        /** The frame's corners as goodFeaturesToTrack gives them, strongest first: x, y pairs (a copy). */
        public float[] corners() {
            return corners.clone();
        }

        private DeviceFlow owner() {
            return DeviceFlow.this;
        }

        @Override
        public void close() {
            synchronized (DeviceFlow.this) {
                if (pyramid == null) return;
                givePyramid(bytes(cols, rows, levels), pyramid);
                pyramid = null;
            }
        }
    }

    /**
     * Uploads a half-size grey frame ({@code cols × rows} bytes, rows {@code step} bytes apart, at {@code grey}), finds its
     * corners and builds its pyramid and derivatives; returns with the corners, the pyramid's build queued.
     */
    public Frame frame(Pointer grey, long step, int cols, int rows) {
        if (cols < 1 || rows < 1) throw new IllegalArgumentException("an empty frame (" + cols + "x" + rows + ")");
        int levels = levels(cols, rows);
        long bytes = bytes(cols, rows, levels);
        Lane lane = takeLane();
        try {
            Pyramid pyramid = takePyramid(bytes);
            float[] corners;
            try {
                long size = step * rows;
                // The lane's pinned buffer is free: its last upload ended before that call's corners came back.
                lane.ensureGrey(size);
                Pointer.memcpy(lane.hostGrey, grey, size);
                check(cudaMemcpyAsync(lane.devGrey, lane.hostGrey, size, cudaMemcpyHostToDevice, lane.stream), "cudaMemcpyAsync (grey frame)");
                corners = corners(lane, step, cols, rows);
                // A pyramid taken back from a frame no pair read may still be building on another lane: after that build.
                check(cudaStreamWaitEvent(lane.stream, pyramid.built(), 0), "cudaStreamWaitEvent (optical flow pyramid)");
                int w = cols + 2 * WIN, h = rows + 2 * WIN;
                long memory = pyramid.memory().address();
                launch(level0, w, h, 1, lane.stream, address(lane.devGrey), step, cols, rows, memory);
                int c = cols, r = rows;
                for (int level = 1; level < levels; level++) {
                    c = (c + 1) / 2;
                    r = (r + 1) / 2;
                    launch(down, c + 2 * WIN, r + 2 * WIN, 1, lane.stream, memory, cols, rows, level);
                }
                launch(deriv, w, h, levels, lane.stream, memory, cols, rows);
                check(cudaEventRecord(pyramid.built(), lane.stream), "cudaEventRecord (optical flow pyramid)");
            } catch (RuntimeException e) {
                // Kernels queued before the failure may still write the pyramid: let them end before its memory is reused.
                cudaStreamSynchronize(lane.stream);
                givePyramid(bytes, pyramid);
                throw e;
            }
            return new Frame(cols, rows, levels, corners, pyramid);
        } finally {
            giveLane(lane);
        }
    }

    /**
     * Tracks {@code n} points ({@code points}: x, y pairs in {@code prev}'s pixels) from {@code prev} into {@code next}, as
     * OpenCV's {@code calcOpticalFlowPyrLK} without errors: each point's position into {@code out} (x, y pairs) and its
     * status (1 found, 0 lost) into {@code status}.
     */
    public void track(Frame prev, Frame next, FloatBuffer points, int n, float[] out, byte[] status) {
        if (prev.cols != next.cols || prev.rows != next.rows) throw new IllegalArgumentException("frames of different sizes");
        if (points.limit() < 2 * n || out.length < 2 * n || status.length < n) throw new IllegalArgumentException("fewer than " + n + " points' room");
        if (n == 0) return;
        Pyramid from = pyramidOf(prev), to = pyramidOf(next);
        Lane lane = takeLane();
        try {
            check(cudaStreamWaitEvent(lane.stream, from.built(), 0), "cudaStreamWaitEvent (optical flow pyramid)");
            check(cudaStreamWaitEvent(lane.stream, to.built(), 0), "cudaStreamWaitEvent (optical flow pyramid)");
            lane.ensurePoints(n);
            lane.hostPoints.position(0).asBuffer().put(points.duplicate().position(0).limit(2 * n));
            check(cudaMemcpyAsync(lane.devPoints, lane.hostPoints, 8L * n, cudaMemcpyHostToDevice, lane.stream), "cudaMemcpyAsync (points)");
            // Small blocks: a pair has a few hundred points, each a long serial loop; spread them over the GPU's multiprocessors.
            int block = 32;
            DeviceKernels.launch(track, lane.stream, "flow_track", new int[] {(n + block - 1) / block}, new int[] {block},
                    from.memory().address(), to.memory().address(), prev.cols, prev.rows, prev.levels, address(lane.devPoints), n,
                    address(lane.devOut), address(lane.devStatus));
            check(cudaMemcpyAsync(lane.hostOut, lane.devOut, 8L * n, cudaMemcpyDeviceToHost, lane.stream), "cudaMemcpyAsync (tracked points)");
            check(cudaMemcpyAsync(lane.hostStatus, lane.devStatus, n, cudaMemcpyDeviceToHost, lane.stream), "cudaMemcpyAsync (status)");
            lane.await("optical flow");
            lane.hostOut.get(out, 0, 2 * n);
            lane.hostStatus.get(status, 0, n);
        } finally {
            giveLane(lane);
        }
    }

    /**
     * The corners of the grey frame uploaded to the lane: the device finds the candidates (in no order), the host sorts
     * them as OpenCV does (strongest first; of equal ones, the later pixel first) and keeps the first {@link #MAX_CORNERS}.
     */
    private float[] corners(Lane lane, long step, int cols, int rows) {
        lane.ensureCorners((long) cols * rows);
        check(cudaMemsetAsync(lane.devCounts, 0, 8, lane.stream), "cudaMemsetAsync (corners)");
        long counts = lane.devCounts.address();
        launch(cov, cols, rows, 1, lane.stream, address(lane.devGrey), step, cols, rows, address(lane.devCov));
        // One thread per column (the box filter's running sums go down the columns).
        DeviceKernels.launch(eig, lane.stream, "corners", new int[] {(cols + 31) / 32}, new int[] {32}, address(lane.devCov), cols, rows,
                address(lane.devEig), counts);
        launch(pick, cols, rows, 1, lane.stream, address(lane.devEig), cols, rows, counts, address(lane.devKeys), counts + 4);
        check(cudaMemcpyAsync(lane.hostCounts, lane.devCounts, 8, cudaMemcpyDeviceToHost, lane.stream), "cudaMemcpyAsync (corner counts)");
        check(cudaMemcpyAsync(lane.hostKeys, lane.devKeys, 8L * CANDIDATES, cudaMemcpyDeviceToHost, lane.stream), "cudaMemcpyAsync (corners)");
        lane.await("corners");
        int found = lane.hostCounts.get(1);
        long[] keys = new long[found];
        lane.hostKeys.get(keys, 0, Math.min(found, CANDIDATES));
        if (found > CANDIDATES) {
            // On the lane's stream: a copy on the default stream would wait for every other stream's work too.
            try (LongPointer rest = new LongPointer(found - CANDIDATES)) {
                check(cudaMemcpyAsync(rest, new Pointer(lane.devKeys).position(8L * CANDIDATES), 8L * (found - CANDIDATES), cudaMemcpyDeviceToHost,
                        lane.stream), "cudaMemcpyAsync (corners)");
                lane.await("corners");
                rest.get(keys, CANDIDATES, found - CANDIDATES);
            }
        }
        return strongest(keys, cols);
    }

    /**
     * The first {@link #MAX_CORNERS} of corners_pick's candidates in OpenCV's order, as x, y pairs: keys are (eigenvalue
     * bits, pixel index), both non-negative, so their order is the eigenvalues' and then the pixels'. Sorts {@code keys}.
     */
    static float[] strongest(long[] keys, int cols) {
        Arrays.sort(keys);
        int n = Math.min(keys.length, MAX_CORNERS);
        float[] xy = new float[2 * n];
        for (int i = 0; i < n; i++) {
            int index = (int) keys[keys.length - 1 - i];
            xy[2 * i] = index % cols;
            xy[2 * i + 1] = index / cols;
        }
        return xy;
    }

    /** OpenCV's level count for 3 levels below the frame: it stops before a level would fit inside one window. */
    static int levels(int cols, int rows) {
        for (int level = 0; level < MAX_LEVELS - 1; level++) {
            cols = (cols + 1) / 2;
            rows = (rows + 1) / 2;
            if (cols <= WIN || rows <= WIN) return level + 1;
        }
        return MAX_LEVELS;
    }

    /** Bytes of a pyramid: per level the bordered image and its derivatives (4 bytes a pixel), each block 256-byte aligned. */
    static long bytes(int cols, int rows, int levels) {
        long total = 0;
        for (int level = 0; level < levels; level++) {
            long pixels = (long) (cols + 2 * WIN) * (rows + 2 * WIN);
            total += align(pixels) + align(4 * pixels);
            cols = (cols + 1) / 2;
            rows = (rows + 1) / 2;
        }
        return total;
    }

    private static long align(long bytes) {
        return (bytes + 255) / 256 * 256;
    }

    private void bind() {
        check(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
    }

    /** The pyramid of an open frame of this flow. */
    private synchronized Pyramid pyramidOf(Frame f) {
        if (f.owner() != this) throw new IllegalArgumentException("a frame of another optical flow");
        if (f.pyramid == null) throw new IllegalStateException("frame closed");
        return f.pyramid;
    }

    private synchronized void givePyramid(long bytes, Pyramid pyramid) {
        if (!closed) spare.computeIfAbsent(bytes, k -> new ArrayDeque<>()).push(pyramid);
    }

    private synchronized Pyramid takePyramid(long bytes) {
        if (closed) throw new IllegalStateException("optical flow closed");
        ArrayDeque<Pyramid> free = spare.get(bytes);
        if (free != null && !free.isEmpty()) return free.pop();
        bind();
        Pointer p = new Pointer();
        check(cudaMalloc(p, bytes), "cudaMalloc (optical flow pyramid, " + bytes + " bytes)");
        CUevent_st built = new CUevent_st();
        int r = cudaEventCreateWithFlags(built, cudaEventDisableTiming);
        if (r != 0) cudaFree(p);
        check(r, "cudaEventCreateWithFlags (optical flow pyramid)");
        Pyramid pyramid = new Pyramid(p, built);
        pyramids.add(pyramid);
        return pyramid;
    }

    private Lane takeLane() {
        Lane lane;
        synchronized (this) {
            if (closed) throw new IllegalStateException("optical flow closed");
            lane = idle.poll();
            if (lane == null) {
                lane = new Lane();
                lanes.add(lane);
            }
            busy++;
        }
        try {
            bind();
            lane.create();
        } catch (RuntimeException e) {
            giveLane(lane);
            throw e;
        }
        return lane;
    }

    private synchronized void giveLane(Lane lane) {
        idle.push(lane);
        busy--;
        notifyAll();
    }

    /** One thread per pixel of a w × h grid (per z slice: pyramid levels). */
    private static void launch(CUfunc_st f, int w, int h, int z, CUstream_st stream, Object... params) {
        int bx = 32, by = 8;
        DeviceKernels.launch(f, stream, "optical flow", new int[] {(w + bx - 1) / bx, (h + by - 1) / by, z}, new int[] {bx, by}, params);
    }

    private static Long address(Pointer p) {
        return p.address();
    }

    /** Waits for the calls under way, then frees every lane and pyramid, newest first; frames still open become empty. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        boolean interrupted = false;
        while (busy > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        bind();
        for (int i = lanes.size() - 1; i >= 0; i--) lanes.get(i).release();
        for (int i = pyramids.size() - 1; i >= 0; i--) {
            cudaEventDestroy(pyramids.get(i).built());
            cudaFree(pyramids.get(i).memory());
        }
        lanes.clear();
        pyramids.clear();
        spare.clear();
    }

    /** A stream with the pinned and device buffers of one call; used by one thread at a time. */
    private static final class Lane {
        final CUstream_st stream = new CUstream_st();
        /** Recorded after the work a caller waits for (blocking: the caller sleeps). */
        final CUevent_st done = new CUevent_st();
        final Pointer devGrey = new Pointer(), devPoints = new Pointer(), devOut = new Pointer(), devStatus = new Pointer();
        BytePointer hostGrey = new BytePointer((Pointer) null);
        FloatPointer hostPoints = new FloatPointer((Pointer) null), hostOut = new FloatPointer((Pointer) null);
        BytePointer hostStatus = new BytePointer((Pointer) null);
        /** Corners: per-pixel covariance and eigenvalues, candidate keys, and the largest eigenvalue and candidate count. */
        final Pointer devCov = new Pointer(), devEig = new Pointer(), devKeys = new Pointer(), devCounts = new Pointer();
        LongPointer hostKeys = new LongPointer((Pointer) null);
        IntPointer hostCounts = new IntPointer((Pointer) null);
        long greyCapacity, pixelCapacity;
        int pointCapacity;

        void ensureGrey(long bytes) {
            if (bytes <= greyCapacity) return;
            // The last frame's pyramid build may still read the device buffer.
            cudaStreamSynchronize(stream);
            freeGrey();
            Pointer h = new Pointer();
            check(cudaMallocHost(h, bytes), "cudaMallocHost (grey frame)");
            hostGrey = new BytePointer(h).capacity(bytes);
            check(cudaMalloc(devGrey, bytes), "cudaMalloc (grey frame)");
            greyCapacity = bytes;
        }

        void ensureCorners(long pixels) {
            if (pixels <= pixelCapacity) return;
            freeCorners();
            check(cudaMalloc(devCov, 12 * pixels), "cudaMalloc (corner covariance)");
            check(cudaMalloc(devEig, 4 * pixels), "cudaMalloc (corner eigenvalues)");
            check(cudaMalloc(devKeys, 8 * Math.max(pixels, CANDIDATES)), "cudaMalloc (corner candidates)");
            check(cudaMalloc(devCounts, 8), "cudaMalloc (corner counts)");
            Pointer k = new Pointer(), c = new Pointer();
            check(cudaMallocHost(k, 8L * CANDIDATES), "cudaMallocHost (corner candidates)");
            hostKeys = new LongPointer(k).capacity(CANDIDATES);
            check(cudaMallocHost(c, 8), "cudaMallocHost (corner counts)");
            hostCounts = new IntPointer(c).capacity(2);
            pixelCapacity = pixels;
        }

        void ensurePoints(int n) {
            if (n <= pointCapacity) return;
            freePoints();
            int cap = Math.max(n, 1024);
            Pointer h = new Pointer(), o = new Pointer(), s = new Pointer();
            check(cudaMallocHost(h, 8L * cap), "cudaMallocHost (points)");
            hostPoints = new FloatPointer(h).capacity(2L * cap);
            check(cudaMallocHost(o, 8L * cap), "cudaMallocHost (tracked points)");
            hostOut = new FloatPointer(o).capacity(2L * cap);
            check(cudaMallocHost(s, cap), "cudaMallocHost (status)");
            hostStatus = new BytePointer(s).capacity(cap);
            check(cudaMalloc(devPoints, 8L * cap), "cudaMalloc (points)");
            check(cudaMalloc(devOut, 8L * cap), "cudaMalloc (tracked points)");
            check(cudaMalloc(devStatus, cap), "cudaMalloc (status)");
            pointCapacity = cap;
        }

        private void freeGrey() {
            if (!devGrey.isNull()) cudaFree(devGrey);
            if (!hostGrey.isNull()) cudaFreeHost(hostGrey);
            devGrey.setNull();
            hostGrey.setNull();
            greyCapacity = 0;
        }

        private void freeCorners() {
            for (Pointer p : new Pointer[] {devCounts, devKeys, devEig, devCov}) {
                if (!p.isNull()) cudaFree(p);
                p.setNull();
            }
            if (!hostCounts.isNull()) cudaFreeHost(hostCounts);
            if (!hostKeys.isNull()) cudaFreeHost(hostKeys);
            hostCounts.setNull();
            hostKeys.setNull();
            pixelCapacity = 0;
        }

        private void freePoints() {
            if (!devStatus.isNull()) cudaFree(devStatus);
            if (!devOut.isNull()) cudaFree(devOut);
            if (!devPoints.isNull()) cudaFree(devPoints);
            if (!hostStatus.isNull()) cudaFreeHost(hostStatus);
            if (!hostOut.isNull()) cudaFreeHost(hostOut);
            if (!hostPoints.isNull()) cudaFreeHost(hostPoints);
            for (Pointer p : new Pointer[] {devStatus, devOut, devPoints, hostStatus, hostOut, hostPoints}) p.setNull();
            pointCapacity = 0;
        }

        /** The stream and its events, those not made yet (a failed call leaves the rest to the next, or to {@link #release}). */
        void create() {
            if (stream.isNull()) check(cudaStreamCreate(stream), "cudaStreamCreate (optical flow)");
            if (done.isNull()) {
                check(cudaEventCreateWithFlags(done, cudaEventDisableTiming | cudaEventBlockingSync), "cudaEventCreateWithFlags (optical flow)");
            }
        }

        /** Waits, asleep, for the work queued on the stream so far. */
        void await(String what) {
            check(cudaEventRecord(done, stream), "cudaEventRecord (" + what + ")");
            check(cudaEventSynchronize(done), "cudaEventSynchronize (" + what + ")");
        }

        void release() {
            if (!stream.isNull()) cudaStreamSynchronize(stream);
            freePoints();
            freeCorners();
            freeGrey();
            if (!done.isNull()) cudaEventDestroy(done);
            if (!stream.isNull()) cudaStreamDestroy(stream);
        }
    }
}
