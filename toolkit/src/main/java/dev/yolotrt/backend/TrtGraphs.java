package dev.yolotrt.backend;

import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraphNode_st;
import org.bytedeco.cuda.cudart.CUgraph_st;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static dev.yolotrt.backend.TensorRt.check;
import static org.bytedeco.cuda.global.cudart.cudaGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphExecDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphInstantiate;

/**
 * A session's CUDA graphs by {@link Key}: instantiated once, launched many times, at most {@link #MAX} of them (the least
 * recently launched goes first). Used by its session's thread alone, while the stream is idle (calls end synchronised).
 */
final class TrtGraphs {
    /**
     * Graphs a session keeps; past it the least recently launched goes (a notebook sweeping imgsz on a dynamic engine
     * would otherwise keep one per size it ever saw).
     */
    static final int MAX = 16;

    /** Where a graph's input comes from: nowhere (the engine alone, on what the input holds), host-letterboxed floats, or 8-bit pixels. */
    enum Feed { NONE, FLOATS, PIXELS }

    /**
     * One graph per feed, input shape and download: {@code outputs} copies every output back, {@code pick} only the
     * candidates kernel's pairs; neither: nothing comes back (the engine alone). What the kernel keeps (conf, multi_label)
     * is not part of the key: the graph uploads it from pinned memory written before each launch.
     */
    record Key(Feed feed, int batch, int height, int width, boolean outputs, boolean pick) {
    }

    /**
     * An instantiated graph and the output shapes it produces; {@code upload} is the pixel upload's node, whose size is
     * set before each launch (a batch's images differ in size), null for the other feeds.
     */
    record Graph(CUgraphExec_st exec, CUgraph_st graph, CUgraphNode_st upload, List<long[]> outShapes) {
    }

    /** In access order: the first is the least recently launched. */
    private final Map<Key, Graph> graphs = new LinkedHashMap<>(16, 0.75f, true);
    /** The engine's count of graphs over all its sessions. */
    private final AtomicInteger count;

    TrtGraphs(AtomicInteger count) {
        this.count = count;
    }

    /** The graph of {@code key}, or null before it is captured. */
    Graph get(Key key) {
        return graphs.get(key);
    }

    /** Instantiates {@code graph} (captured for {@code key}, owned from here on) and keeps it, the eldest going past {@link #MAX}. */
    Graph add(Key key, CUgraph_st graph, CUgraphNode_st upload, List<long[]> shapes) {
        CUgraphExec_st exec = new CUgraphExec_st();
        int r = cudaGraphInstantiate(exec, graph, 0L);
        if (r != 0) cudaGraphDestroy(graph);
        check(r, "cudaGraphInstantiate");
        Graph g = new Graph(exec, graph, upload, shapes);
        if (graphs.size() >= MAX) {
            Key eldest = graphs.keySet().iterator().next();
            drop(k -> k.equals(eldest));
        }
        graphs.put(key, g);
        count.incrementAndGet();
        return g;
    }

    /** Destroys the graphs whose keys {@code which} accepts. */
    void drop(Predicate<Key> which) {
        for (var it = graphs.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!which.test(e.getKey())) continue;
            cudaGraphExecDestroy(e.getValue().exec());
            cudaGraphDestroy(e.getValue().graph());
            it.remove();
            count.decrementAndGet();
        }
    }
}
