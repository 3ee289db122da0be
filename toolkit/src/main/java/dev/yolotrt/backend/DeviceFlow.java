package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.yolotrt.backend.TensorRt.check;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/**
 * BoT-SORT's optical flow on a GPU ({@code flow.cu}): OpenCV's pyramidal Lucas-Kanade with the defaults Ultralytics
 * keeps, to the same float bits as OpenCV's CPU code, so that the camera motion and so the tracks do not depend on where
 * it ran. A {@link Frame} is one half-size grey frame's pyramid and derivatives in device memory, built once and read by
 * the pair before it and the pair after; {@link #track} moves one frame's corners into the next.
 * <p>
 * Calls come from many threads at once: each takes a lane (a stream with its pinned and device buffers) for the length
 * of the call and waits for its own work, so a frame is complete before it is handed out. Pyramid memory is kept for
 * frames of the same size. The GPU is the one {@link #open} was given; every call makes it current on its thread.
 */
public final class DeviceFlow implements AutoCloseable {
    private static final int WIN = 21, MAX_LEVELS = 4;
    private static final String PTX = "flow.ptx";

    private final int device;
    private final CUfunc_st level0, down, deriv, track;
    private final ArrayDeque<Lane> idle = new ArrayDeque<>();
    private final List<Lane> lanes = new ArrayList<>();
    /** Pyramid allocations no frame holds, by size; every one made, to free on close. */
    private final Map<Long, ArrayDeque<Pointer>> spare = new HashMap<>();
    private final List<Pointer> pyramids = new ArrayList<>();
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
    }

    /** The flow on GPU {@code device}; {@link KernelUnavailable} when its driver cannot run the kernels. */
    public static DeviceFlow open(int device) {
        return new DeviceFlow(device);
    }

    /** One frame's pyramid on the device. Close it when both pairs that read it are done; its memory is reused. */
    public final class Frame implements AutoCloseable {
        final int cols, rows, levels;
        private Pointer pyramid;

        private Frame(int cols, int rows, int levels, Pointer pyramid) {
            this.cols = cols;
            this.rows = rows;
            this.levels = levels;
            this.pyramid = pyramid;
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
     * Uploads a half-size grey frame ({@code cols × rows} bytes, rows {@code step} bytes apart, at {@code grey}) and builds
     * its pyramid and derivatives; returns once they are complete.
     */
    public Frame frame(Pointer grey, long step, int cols, int rows) {
        if (cols < 1 || rows < 1) throw new IllegalArgumentException("an empty frame (" + cols + "x" + rows + ")");
        int levels = levels(cols, rows);
        long bytes = bytes(cols, rows, levels);
        Lane lane = takeLane();
        try {
            Pointer pyramid = takePyramid(bytes);
            try {
                long size = step * rows;
                lane.ensureGrey(size);
                Pointer.memcpy(lane.hostGrey, grey, size);
                check(cudaMemcpyAsync(lane.devGrey, lane.hostGrey, size, cudaMemcpyHostToDevice, lane.stream), "cudaMemcpyAsync (grey frame)");
                int w = cols + 2 * WIN, h = rows + 2 * WIN;
                launch(level0, w, h, 1, lane.stream, address(lane.devGrey), step, cols, rows, address(pyramid));
                int c = cols, r = rows;
                for (int level = 1; level < levels; level++) {
                    c = (c + 1) / 2;
                    r = (r + 1) / 2;
                    launch(down, c + 2 * WIN, r + 2 * WIN, 1, lane.stream, address(pyramid), cols, rows, level);
                }
                launch(deriv, w, h, levels, lane.stream, address(pyramid), cols, rows);
                lane.await("optical flow pyramid");
            } catch (RuntimeException e) {
                // Kernels queued before the failure may still write the pyramid: let them end before its memory is reused.
                cudaStreamSynchronize(lane.stream);
                givePyramid(bytes, pyramid);
                throw e;
            }
            return new Frame(cols, rows, levels, pyramid);
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
        long from = pyramidOf(prev), to = pyramidOf(next);
        Lane lane = takeLane();
        try {
            lane.ensurePoints(n);
            lane.hostPoints.position(0).asBuffer().put(points.duplicate().position(0).limit(2 * n));
            check(cudaMemcpyAsync(lane.devPoints, lane.hostPoints, 8L * n, cudaMemcpyHostToDevice, lane.stream), "cudaMemcpyAsync (points)");
            // Small blocks: a pair has a few hundred points, each a long serial loop; spread them over the GPU's multiprocessors.
            int block = 32;
            DeviceKernels.launch(track, lane.stream, "flow_track", new int[] {(n + block - 1) / block}, new int[] {block},
                    from, to, prev.cols, prev.rows, prev.levels, address(lane.devPoints), n, address(lane.devOut), address(lane.devStatus));
            check(cudaMemcpyAsync(lane.hostOut, lane.devOut, 8L * n, cudaMemcpyDeviceToHost, lane.stream), "cudaMemcpyAsync (tracked points)");
            check(cudaMemcpyAsync(lane.hostStatus, lane.devStatus, n, cudaMemcpyDeviceToHost, lane.stream), "cudaMemcpyAsync (status)");
            lane.await("optical flow");
            lane.hostOut.get(out, 0, 2 * n);
            lane.hostStatus.get(status, 0, n);
        } finally {
            giveLane(lane);
        }
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

    /** The device address of an open frame of this flow. */
    private synchronized long pyramidOf(Frame f) {
        if (f.owner() != this) throw new IllegalArgumentException("a frame of another optical flow");
        if (f.pyramid == null) throw new IllegalStateException("frame closed");
        return f.pyramid.address();
    }

    private synchronized void givePyramid(long bytes, Pointer pyramid) {
        if (!closed) spare.computeIfAbsent(bytes, k -> new ArrayDeque<>()).push(pyramid);
    }

    private synchronized Pointer takePyramid(long bytes) {
        if (closed) throw new IllegalStateException("optical flow closed");
        ArrayDeque<Pointer> free = spare.get(bytes);
        if (free != null && !free.isEmpty()) return free.pop();
        bind();
        Pointer p = new Pointer();
        check(cudaMalloc(p, bytes), "cudaMalloc (optical flow pyramid, " + bytes + " bytes)");
        pyramids.add(p);
        return p;
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
        bind();
        if (lane.stream.isNull()) check(cudaStreamCreate(lane.stream), "cudaStreamCreate (optical flow)");
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
        for (int i = pyramids.size() - 1; i >= 0; i--) cudaFree(pyramids.get(i));
        lanes.clear();
        pyramids.clear();
        spare.clear();
    }

    /** A stream with the pinned and device buffers of one call; used by one thread at a time. */
    private static final class Lane {
        final CUstream_st stream = new CUstream_st();
        final Pointer devGrey = new Pointer(), devPoints = new Pointer(), devOut = new Pointer(), devStatus = new Pointer();
        BytePointer hostGrey = new BytePointer((Pointer) null);
        FloatPointer hostPoints = new FloatPointer((Pointer) null), hostOut = new FloatPointer((Pointer) null);
        BytePointer hostStatus = new BytePointer((Pointer) null);
        long greyCapacity;
        int pointCapacity;

        void ensureGrey(long bytes) {
            if (bytes <= greyCapacity) return;
            freeGrey();
            Pointer h = new Pointer();
            check(cudaMallocHost(h, bytes), "cudaMallocHost (grey frame)");
            hostGrey = new BytePointer(h).capacity(bytes);
            check(cudaMalloc(devGrey, bytes), "cudaMalloc (grey frame)");
            greyCapacity = bytes;
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

        /**
         * Waits for the work queued on the stream so far, spinning as a stream synchronize does: waiting asleep on a
         * blocking event instead tracked vtest-1080p.mp4 no faster (docs/benchmarks.md, thirteenth run).
         */
        void await(String what) {
            check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (" + what + ")");
        }

        void release() {
            if (!stream.isNull()) cudaStreamSynchronize(stream);
            freePoints();
            freeGrey();
            if (!stream.isNull()) cudaStreamDestroy(stream);
        }
    }
}
