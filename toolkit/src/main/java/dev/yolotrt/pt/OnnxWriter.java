package dev.yolotrt.pt;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.yolotrt.task.Task;
import dev.yolotrt.util.YoloException;


import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.function.Supplier;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds a YOLOv8 detection or classification network from a checkpoint's modules as an ONNX graph
 * in Ultralytics' export layout: input {@code images} [1, 3, H, W], output {@code output0} [1, 4 + nc,
 * anchors] with boxes decoded to pixels (xywh) and class scores after the sigmoid, or [1, nc]
 * probabilities; BatchNorm folded into the convolutions, Ultralytics' metadata_props. Modules: Conv,
 * C2f, C3k2 (+ Bottleneck, C3k), C2PSA (+ PSABlock, Attention), SPPF, Upsample, Concat, Detect, OBB
 * (angles and rotated decoding appended), Pose (decoded keypoints appended), Segment (mask
 * coefficients appended, prototypes as output1), Classify; anything else is one line naming it.
 */
public final class OnnxWriter {

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("yolo-trt");
    /** The module path of the nodes being written, as torch's ONNX export records it ({@code model.22}, {@code cv2.0}, ...). */
    private final Deque<String> scope = new ArrayDeque<>();
    /** How often each node name was handed out: torch numbers repeats {@code Conv_1}, {@code Conv_2}. */
    private final Map<String, Integer> used = new HashMap<>();
    private int constants;

    private OnnxWriter() {
    }

    /** The ONNX model bytes of {@code c} at input size {@code imgsz} × {@code imgsz}. */
    public static byte[] write(Checkpoint c, int imgsz) {
        return write(c, imgsz, imgsz);
    }

    /**
     * The ONNX model bytes of {@code c} at input {@code h} × {@code w} (multiples of the stride): the rectangular input
     * Ultralytics feeds a PyTorch model (its letterbox pads only to the stride).
     */
    public static byte[] write(Checkpoint c, int h, int w) {
        OnnxWriter wr = new OnnxWriter();
        PyObject model = c.model();
        Map<?, ?> layers = modules(child(model, "model"));
        wr.graph.addInput(valueInfo("images", 1, 3, h, w));
        List<String> outs = new ArrayList<>();
        List<int[]> sizes = new ArrayList<>(); // feature-map (height, width) per layer, for the anchors
        int nc = 0;
        int[] kpt = null;
        int nm = 0;
        int[] protoSize = null;
        for (int i = 0; i < layers.size(); i++) {
            try {
                PyObject m = (PyObject) layers.get(String.valueOf(i));
                String type = m.className();
                Object f = m.get("f");
                Object first = list(f).get(0); // Concat and Detect take several; the rest one
                String in = i == 0 ? "images" : outs.get(from(first, i, outs.size()));
                int[] inSize = i == 0 ? new int[] {h, w} : sizes.get(from(first, i, outs.size()));
                String out;
                int[] size = inSize;
                wr.scope.addLast("model." + i);
                switch (type.substring(type.lastIndexOf('.') + 1)) {
                    case "Conv" -> {
                        out = wr.conv(in, m);
                        size = new int[] {inSize[0] / stride(m), inSize[1] / stride(m)};
                    }
                    case "C2f", "C3k2" -> out = wr.c2f(in, m);
                    case "C2PSA" -> out = wr.c2psa(in, m, inSize);
                    case "SPPF" -> out = wr.sppf(in, m);
                    case "Upsample" -> {
                        out = wr.upsample(in, m);
                        size = new int[] {inSize[0] * 2, inSize[1] * 2};
                    }
                    case "Concat" -> {
                        List<String> parts = new ArrayList<>();
                        for (Object k : list(f)) parts.add(outs.get(from(k, i, outs.size())));
                        out = wr.node("Concat", parts, Map.of("axis", 1L));
                    }
                    case "Classify" -> {
                        PyObject linear = child(m, "linear");
                        nc = ((Number) linear.get("out_features")).intValue();
                        out = wr.classify(in, m);
                    }
                    case "Detect", "OBB", "Pose", "Segment" -> {
                        List<String> feats = new ArrayList<>();
                        List<int[]> fs = new ArrayList<>();
                        for (Object k : list(f)) {
                            feats.add(outs.get(from(k, i, outs.size())));
                            fs.add(sizes.get(from(k, i, outs.size())));
                        }
                        nc = m.get("nc") instanceof Number n ? n.intValue()
                                : ((Number) m.get("no")).intValue() - 4 * ((Number) m.get("reg_max")).intValue();
                        if (type.endsWith(".Pose")) {
                            List<?> k = list(m.get("kpt_shape"));
                            kpt = new int[] {((Number) k.get(0)).intValue(), ((Number) k.get(1)).intValue()};
                        }
                        if (type.endsWith(".Segment")) {
                            nm = ((Number) m.get("nm")).intValue();
                            protoSize = new int[] {fs.get(0)[0] * 2, fs.get(0)[1] * 2};
                        }
                        out = wr.detect(feats, fs, m, h, nc, type.endsWith(".OBB"), kpt);
                    }
                    default -> throw new YoloException("module " + type + " (layer " + i + ") is not supported by the .pt converter yet");
                }
                wr.scope.removeLast();
                outs.add(out);
                sizes.add(size);
            } catch (YoloException e) {
                throw e;
            } catch (RuntimeException | StackOverflowError e) {
                throw new YoloException("layer " + i + ": " + Damage.describe(e), e);
            }
        }
        wr.graph.addOutput(c.kind() == Task.CLASSIFY ? valueInfo("output0", 1, nc)
                : valueInfo("output0", 1, 4 + nc + (c.kind() == Task.OBB ? 1 : 0) + (kpt == null ? 0 : kpt[0] * kpt[1]) + nm, -1));
        if (nm > 0) wr.graph.addOutput(valueInfo("output1", 1, nm, protoSize[0], protoSize[1]));
        OnnxMl.ModelProto.Builder mp = OnnxMl.ModelProto.newBuilder().setIrVersion(8).setProducerName("yolo-trt")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(wr.graph);
        metadata(mp, c, h, w, kpt);
        return mp.build().toByteArray();
    }

    private static void metadata(OnnxMl.ModelProto.Builder mp, Checkpoint c, int h, int w, int[] kpt) {
        PyObject model = c.model();
        StringBuilder names = new StringBuilder("{");
        if (model.get("names") instanceof Map<?, ?> n) {
            n.forEach((k, v) -> names.append(names.length() > 1 ? ", " : "").append(k).append(": '").append(scalar(v).replace("'", "\\'")).append('\''));
        }
        names.append('}');
        long stride = 32;
        if (model.get("stride") instanceof Checkpoint.Tensor t) {
            float[] s = t.floats();
            stride = (long) s[s.length - 1];
        }
        Object version = c.root() instanceof Map<?, ?> r ? r.get("version") : null;
        Map<String, String> props = new java.util.LinkedHashMap<>();
        props.put("description", "Ultralytics model converted from a .pt checkpoint by yolo-trt");
        props.put("author", "Ultralytics");
        props.put("version", scalar(version));
        props.put("stride", String.valueOf(stride));
        props.put("task", c.task());
        props.put("batch", "1");
        props.put("imgsz", "[" + h + ", " + w + "]");
        props.put("names", names.toString());
        if (kpt != null) props.put("kpt_shape", "[" + kpt[0] + ", " + kpt[1] + "]");
        props.forEach((k, v) -> mp.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    }

    /** A str or number as text; anything else by its type only, as a hostile value may be huge or cyclic. */
    private static String scalar(Object v) {
        if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) return String.valueOf(v);
        return "<" + Pickle.type(v) + ">";
    }

    /** A pickled tuple (Object[]) or list as a List; a single value as a one-element list. */
    private static List<?> list(Object o) {
        if (o instanceof Object[] a) return List.of(a);
        if (o instanceof List<?> l) return l;
        return List.of(o);
    }

    private static int from(Object f, int i, int n) {
        int k = ((Number) f).intValue();
        return k < 0 ? i + k : k;
    }

    private static Map<?, ?> modules(PyObject m) {
        if (!(m.get("_modules") instanceof Map<?, ?> children)) throw new YoloException("module " + m.className() + " holds no submodules");
        return children;
    }

    private static PyObject child(PyObject m, String name) {
        Object c = modules(m).get(name);
        if (!(c instanceof PyObject d)) throw new YoloException("module " + m.className() + " has no child " + name);
        return d;
    }

    private static Checkpoint.Tensor param(PyObject m, String name) {
        Object p = m.get("_parameters") instanceof Map<?, ?> ps ? ps.get(name) : null;
        if (p == null && m.get("_buffers") instanceof Map<?, ?> bs) p = bs.get(name);
        return (Checkpoint.Tensor) p;
    }

    private static int stride(PyObject conv) {
        return (int) pair(child(conv, "conv"), "stride")[0];
    }

    /**
     * A node name as Ultralytics' export (torch.onnx) gives it: the module path and the op, {@code /model.22/cv2.0/cv2.0.0/conv/Conv},
     * numbered {@code _1}, {@code _2} when the same path and op come again; so that {@code LayerGroups} and {@code fp16_layers} work
     * on converted models as on exported ones.
     */
    private String name(String op) {
        String full = "/" + (scope.isEmpty() ? "" : String.join("/", scope) + "/") + op;
        int n = used.merge(full, 1, Integer::sum) - 1;
        return n == 0 ? full : full + "_" + n;
    }

    /** Runs {@code body} with the nodes it writes inside the submodule {@code module}. */
    private <T> T in(String module, Supplier<T> body) {
        scope.addLast(module);
        try {
            return body.get();
        } finally {
            scope.removeLast();
        }
    }

    private String node(String op, List<String> inputs, Map<String, Object> attrs) {
        String name = name(op);
        String out = name + "_output_0";
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(out);
        attrs.forEach((k, v) -> n.addAttribute(attribute(k, v)));
        graph.addNode(n);
        return out;
    }

    private static OnnxMl.AttributeProto attribute(String k, Object v) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(k);
        if (v instanceof Long l) a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(l);
        else if (v instanceof String s) a.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        else if (v instanceof long[] ls) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long l : ls) a.addInts(l);
        } else {
            throw new IllegalArgumentException("attribute " + k);
        }
        return a.build();
    }

    private String constant(float[] values, long... dims) {
        String n = "const_" + (constants++);
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(n).setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        graph.addInitializer(t);
        return n;
    }

    private String longs(long... values) {
        String n = "shape_" + (constants++);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(n).setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber())
                .addDims(values.length);
        for (long v : values) t.addInt64Data(v);
        graph.addInitializer(t);
        return n;
    }

    /** Conv2d + BatchNorm2d (folded) + its activation (SiLU, or none: Identity) of an Ultralytics Conv module. */
    private String conv(String in, PyObject m) {
        String y = in("conv", () -> conv2d(in, child(m, "conv"), modules(m).get("bn") instanceof PyObject bn ? bn : null));
        String act = child(m, "act").className();
        if (act.endsWith(".SiLU")) return in("act", () -> silu(y));
        if (act.endsWith(".Identity")) return y;
        throw new YoloException("activation " + act + " is not supported by the .pt converter yet");
    }

    /** The Conv module {@code parent.name} on {@code in}, its nodes named under {@code name}. */
    private String conv(String in, PyObject parent, String name) {
        return in(name, () -> conv(in, child(parent, name)));
    }

    /** The Conv module {@code key} of a Sequential's {@code children}, its nodes named under {@code name}. */
    private String conv(String in, Map<?, ?> children, String name, String key) {
        return in(name, () -> conv(in, (PyObject) children.get(key)));
    }

    private String silu(String x) {
        return node("Mul", List.of(x, node("Sigmoid", List.of(x), Map.of())), Map.of());
    }

    /** A Conv2d with an optional BatchNorm2d folded in: w·γ/√(σ²+ε), (b − μ)·γ/√(σ²+ε) + β. */
    private String conv2d(String in, PyObject conv, PyObject bn) {
        Checkpoint.Tensor wt = param(conv, "weight");
        float[] w = wt.floats();
        long[] shape = wt.shape();
        int out = (int) shape[0], per = w.length / out;
        Checkpoint.Tensor bt = param(conv, "bias");
        float[] b = bt != null ? bt.floats() : new float[out];
        if (bn != null) {
            float[] g = param(bn, "weight").floats(), beta = param(bn, "bias").floats();
            float[] mean = param(bn, "running_mean").floats(), var = param(bn, "running_var").floats();
            double eps = ((Number) bn.get("eps")).doubleValue();
            for (int o = 0; o < out; o++) {
                double s = g[o] / Math.sqrt(var[o] + eps);
                for (int k = 0; k < per; k++) w[o * per + k] = (float) (w[o * per + k] * s);
                b[o] = (float) ((b[o] - mean[o]) * s + beta[o]);
            }
        }
        return node("Conv", List.of(in, constant(w, shape), constant(b, out)), Map.of(
                "kernel_shape", pair(conv, "kernel_size"), "strides", pair(conv, "stride"), "pads", pads(conv),
                "dilations", pair(conv, "dilation"), "group", ((Number) conv.get("groups")).longValue()));
    }

    /** A torch layer's (height, width) attribute, e.g. kernel_size. */
    private static long[] pair(PyObject layer, String key) {
        List<?> v = list(layer.get(key));
        return new long[] {((Number) v.get(0)).longValue(), ((Number) v.get(1)).longValue()};
    }

    /** torch's symmetric padding as ONNX pads: top, left, bottom, right. */
    private static long[] pads(PyObject layer) {
        long[] p = pair(layer, "padding");
        return new long[] {p[0], p[1], p[0], p[1]};
    }

    /** Names the graph output {@code name} (output0, output1) as Ultralytics' export does. */
    private String output(String from, String name) {
        graph.addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").setName(name).addInput(from).addOutput(name));
        return name;
    }

    /** C2f and C3k2: cv1, split in two, each block (Bottleneck or C3k) on the last piece, concatenate all, cv2. */
    private String c2f(String in, PyObject m) {
        String y = conv(in, m, "cv1");
        long c = ((Number) m.get("c")).longValue();
        // YOLOv8's C2f exports its chunk as two Slices, YOLO11's C3k2 as one Split: the same nodes as Ultralytics' export.
        String[] halves = m.className().endsWith(".C2f") ? new String[] {slice(y, 0, c), slice(y, c, 2 * c)} : split(y, c, c);
        List<String> parts = new ArrayList<>(List.of(halves));
        Map<?, ?> blocks = modules(child(m, "m"));
        for (int i = 0; i < blocks.size(); i++) {
            PyObject b = (PyObject) blocks.get(String.valueOf(i));
            String last = parts.get(parts.size() - 1);
            parts.add(in("m." + i, () -> b.className().endsWith(".C3k") ? c3(last, b) : bottleneck(last, b)));
        }
        return conv(node("Concat", parts, Map.of("axis", 1L)), m, "cv2");
    }

    private String bottleneck(String x, PyObject b) {
        String z = conv(conv(x, b, "cv1"), b, "cv2");
        return Boolean.TRUE.equals(b.get("add")) ? node("Add", List.of(x, z), Map.of()) : z;
    }

    /** C3 (C3k): cv3 of the concatenation of the Bottlenecks on cv1 and of cv2. */
    private String c3(String in, PyObject m) {
        String a = conv(in, m, "cv1");
        Map<?, ?> blocks = modules(child(m, "m"));
        scope.addLast("m"); // a Sequential: its own scope, then m.0, m.1, ...
        for (int i = 0; i < blocks.size(); i++) {
            String x = a;
            PyObject b = (PyObject) blocks.get(String.valueOf(i));
            a = in("m." + i, () -> bottleneck(x, b));
        }
        scope.removeLast();
        return conv(node("Concat", List.of(a, conv(in, m, "cv2")), Map.of("axis", 1L)), m, "cv3");
    }

    /** C2PSA: cv1 split in two, the PSA blocks on the second half, concatenated back, cv2. */
    private String c2psa(String in, PyObject m, int[] size) {
        long c = ((Number) m.get("c")).longValue();
        String[] ab = split(conv(in, m, "cv1"), c, c);
        String b = ab[1];
        Map<?, ?> blocks = modules(child(m, "m"));
        scope.addLast("m"); // a Sequential of PSABlocks
        for (int i = 0; i < blocks.size(); i++) {
            PyObject blk = (PyObject) blocks.get(String.valueOf(i));
            String x = b;
            b = in("m." + i, () -> psaBlock(x, blk, c, size));
        }
        scope.removeLast();
        return conv(node("Concat", List.of(ab[0], b), Map.of("axis", 1L)), m, "cv2");
    }

    /** PSABlock: attention and a two-conv feed-forward (a Sequential ffn.0, ffn.1), each with a shortcut when add. */
    private String psaBlock(String x, PyObject blk, long c, int[] size) {
        boolean add = Boolean.TRUE.equals(blk.get("add"));
        String att = in("attn", () -> attention(x, child(blk, "attn"), c, size));
        String b = add ? node("Add", List.of(x, att), Map.of()) : att;
        Map<?, ?> ffn = modules(child(blk, "ffn"));
        String f = b;
        scope.addLast("ffn");
        for (int k = 0; k < ffn.size(); k++) f = conv(f, ffn, "ffn." + k, String.valueOf(k));
        scope.removeLast();
        return add ? node("Add", List.of(b, f), Map.of()) : f;
    }

    /**
     * Ultralytics' Attention: qkv as one conv, per head q·k scaled and softmaxed over the keys, v
     * weighted by it, plus a depthwise positional conv of v, then proj.
     */
    private String attention(String x, PyObject a, long dim, int[] size) {
        long heads = ((Number) a.get("num_heads")).longValue(), kd = ((Number) a.get("key_dim")).longValue();
        long hd = ((Number) a.get("head_dim")).longValue(), n = (long) size[0] * size[1];
        float scale = ((Number) a.get("scale")).floatValue();
        String qkv = node("Reshape", List.of(conv(x, a, "qkv"), longs(1, heads, 2 * kd + hd, n)), Map.of());
        String[] parts = split(qkv, 2, kd, kd, hd);
        String qt = node("Transpose", List.of(parts[0]), Map.of("perm", new long[] {0, 1, 3, 2}));
        String attn = node("Softmax", List.of(node("Mul", List.of(node("MatMul", List.of(qt, parts[1]), Map.of()),
                constant(new float[] {scale}, 1)), Map.of())), Map.of("axis", -1L));
        String weighted = node("MatMul", List.of(parts[2], node("Transpose", List.of(attn), Map.of("perm", new long[] {0, 1, 3, 2}))), Map.of());
        String image = node("Reshape", List.of(weighted, longs(1, dim, size[0], size[1])), Map.of());
        String pe = conv(node("Reshape", List.of(parts[2], longs(1, dim, size[0], size[1])), Map.of()), a, "pe");
        return conv(node("Add", List.of(image, pe), Map.of()), a, "proj");
    }

    /** Channels lo..hi−1. */
    private String slice(String x, long lo, long hi) {
        return node("Slice", List.of(x, longs(lo), longs(hi), longs(1)), Map.of());
    }

    /** Split along channels. */
    private String[] split(String x, long... sizes) {
        return split(x, 1, sizes);
    }

    private String[] split(String x, int axis, long... sizes) {
        String base = name("Split");
        OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType("Split").setName(base).addInput(x).addInput(longs(sizes))
                .addAttribute(attribute("axis", (long) axis));
        String[] outs = new String[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            outs[i] = base + "_output_" + i;
            n.addOutput(outs[i]);
        }
        graph.addNode(n);
        return outs;
    }

    /** SPPF: cv1, three k×k max-pools in a row, concatenate the four, cv2. */
    private String sppf(String in, PyObject m) {
        String x = conv(in, m, "cv1");
        PyObject pool = child(m, "m");
        long k = ((Number) pool.get("kernel_size")).longValue();
        List<String> parts = new ArrayList<>(List.of(x));
        for (int i = 0; i < 3; i++) {
            String prev = parts.get(parts.size() - 1);
            // One MaxPool module called three times: torch names its scopes m, m_1, m_2.
            parts.add(in(i == 0 ? "m" : "m_" + i, () -> node("MaxPool", List.of(prev), Map.of("kernel_shape", new long[] {k, k},
                    "strides", new long[] {1, 1}, "pads", new long[] {k / 2, k / 2, k / 2, k / 2}))));
        }
        return conv(node("Concat", parts, Map.of("axis", 1L)), m, "cv2");
    }

    /** torch's nearest 2× upsample as Resize (asymmetric coordinates, floor). */
    private String upsample(String in, PyObject m) {
        return node("Resize", List.of(in, "", constant(new float[] {1, 1, 2, 2}, 4)), Map.of("mode", "nearest",
                "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"));
    }

    /**
     * Detect: per level box (cv2) and class (cv3) branches concatenated and flattened, all levels
     * joined; DFL (softmax over reg_max bins, expectation), distances to boxes around the anchor
     * centres (cell + 0.5), times the level's stride; sigmoid scores. OBB appends the angle, Pose
     * ({@code kpt} = [keypoints, 2 or 3]) the keypoints: (raw·2 + cell)·stride, visibility after a sigmoid.
     */
    private String detect(List<String> feats, List<int[]> sizes, PyObject m, int imgH, int nc, boolean obb, int[] kpt) {
        long reg = ((Number) m.get("reg_max")).longValue(), no = nc + 4 * reg;
        Map<?, ?> cv2 = modules(child(m, "cv2")), cv3 = modules(child(m, "cv3"));
        List<String> flat = new ArrayList<>();
        int anchors = 0;
        for (int l = 0; l < feats.size(); l++) {
            String box = branch(feats.get(l), (PyObject) cv2.get(String.valueOf(l)), "cv2." + l);
            String cls = branch(feats.get(l), (PyObject) cv3.get(String.valueOf(l)), "cv3." + l);
            String cat = node("Concat", List.of(box, cls), Map.of("axis", 1L));
            flat.add(node("Reshape", List.of(cat, longs(1, no, -1)), Map.of()));
            anchors += sizes.get(l)[0] * sizes.get(l)[1];
        }
        String x = node("Concat", flat, Map.of("axis", 2L));
        String[] parts = {slice(x, 0, 4 * reg), slice(x, 4 * reg, 4 * reg + nc)};
        // DFL: [1, 4·reg, A] → [1, 4, reg, A], softmax over reg, expectation with 0..reg−1.
        int all = anchors;
        String dist = in("dfl", () -> {
            // As Ultralytics' DFL module: bins to the channel axis, softmax, then a 1×1 conv with weights 0..reg−1 takes the expectation.
            String bins = node("Transpose", List.of(node("Reshape", List.of(parts[0], longs(1, 4, reg, all)), Map.of())),
                    Map.of("perm", new long[] {0, 2, 1, 3}));
            float[] range = new float[(int) reg];
            for (int i = 0; i < reg; i++) range[i] = i;
            String expect = in("conv", () -> node("Conv", List.of(node("Softmax", List.of(bins), Map.of("axis", 1L)), constant(range, 1, reg, 1, 1)),
                    Map.of("kernel_shape", new long[] {1, 1})));
            return node("Reshape", List.of(expect, longs(1, 4, all)), Map.of()); // [1, 4, A]: left, top, right, bottom
        });
        float[] ax = new float[anchors], ay = new float[anchors], st = new float[anchors];
        int a = 0;
        for (int[] s : sizes) {
            float stride = (float) imgH / s[0];
            for (int y = 0; y < s[0]; y++) {
                for (int xx = 0; xx < s[1]; xx++) {
                    ax[a] = xx + 0.5f;
                    ay[a] = y + 0.5f;
                    st[a++] = stride;
                }
            }
        }
        float[] anchorXY = new float[2 * anchors];
        System.arraycopy(ax, 0, anchorXY, 0, anchors);
        System.arraycopy(ay, 0, anchorXY, anchors, anchors);
        String anchor = constant(anchorXY, 1, 2, anchors);
        String[] ltrb = split2(dist);
        String strides = constant(st, 1, 1, anchors);
        String scores = node("Sigmoid", List.of(parts[1]), Map.of());
        String out;
        if (obb) {
            // OBB: angle = (sigmoid(cv4) − 1/4)·π; dist2rbox: the box centre offset (rb − lt)/2 rotated by it.
            String angle = node("Mul", List.of(node("Sub", List.of(node("Sigmoid", List.of(cv4(feats, m, 1)), Map.of()),
                    constant(new float[] {0.25f}, 1)), Map.of()), constant(new float[] {(float) Math.PI}, 1)), Map.of());
            String cos = node("Cos", List.of(angle), Map.of()), sin = node("Sin", List.of(angle), Map.of());
            String[] fxy = split(node("Div", List.of(node("Sub", List.of(ltrb[1], ltrb[0]), Map.of()), constant(new float[] {2}, 1)), Map.of()), 1, 1, 1);
            String rx = node("Sub", List.of(node("Mul", List.of(fxy[0], cos), Map.of()), node("Mul", List.of(fxy[1], sin), Map.of())), Map.of());
            String ry = node("Add", List.of(node("Mul", List.of(fxy[0], sin), Map.of()), node("Mul", List.of(fxy[1], cos), Map.of())), Map.of());
            String xy = node("Add", List.of(node("Concat", List.of(rx, ry), Map.of("axis", 1L)), anchor), Map.of());
            String wh = node("Add", List.of(ltrb[0], ltrb[1]), Map.of());
            String boxes = node("Mul", List.of(node("Concat", List.of(xy, wh), Map.of("axis", 1L)), strides), Map.of());
            out = node("Concat", List.of(boxes, scores, angle), Map.of("axis", 1L));
        } else {
            String x1y1 = node("Sub", List.of(anchor, ltrb[0]), Map.of());
            String x2y2 = node("Add", List.of(anchor, ltrb[1]), Map.of());
            String centre = node("Div", List.of(node("Add", List.of(x1y1, x2y2), Map.of()), constant(new float[] {2}, 1)), Map.of());
            String wh = node("Sub", List.of(x2y2, x1y1), Map.of());
            String boxes = node("Mul", List.of(node("Concat", List.of(centre, wh), Map.of("axis", 1L)), strides), Map.of());
            List<String> rows = new ArrayList<>(List.of(boxes, scores));
            if (kpt != null) rows.add(keypoints(feats, m, kpt, ax, ay, st));
            if (m.className().endsWith(".Segment")) {
                rows.add(cv4(feats, m, ((Number) m.get("nm")).longValue()));
                in("proto", () -> proto(feats.get(0), child(m, "proto")));
            }
            out = node("Concat", rows, Map.of("axis", 1L));
        }
        return output(out, "output0");
    }

    /** The head's extra branch (cv4: angles, keypoints or mask coefficients) of every level: [1, channels, A]. */
    private String cv4(List<String> feats, PyObject m, long channels) {
        Map<?, ?> cv4 = modules(child(m, "cv4"));
        List<String> raw = new ArrayList<>();
        for (int l = 0; l < feats.size(); l++) {
            raw.add(node("Reshape", List.of(branch(feats.get(l), (PyObject) cv4.get(String.valueOf(l)), "cv4." + l), longs(1, channels, -1)), Map.of()));
        }
        return node("Concat", raw, Map.of("axis", 2L));
    }

    /**
     * Segment's Proto on the first level: cv1, a 2× ConvTranspose2d, cv2, cv3, as output1 [1, nm, H/4,
     * W/4]. Its mask coefficients are cv4, appended to output0 as they are (no sigmoid).
     */
    private String proto(String p3, PyObject proto) {
        PyObject up = child(proto, "upsample");
        Checkpoint.Tensor wt = param(up, "weight"), bt = param(up, "bias");
        long out = wt.shape()[1];
        String x = in("upsample", () -> node("ConvTranspose", List.of(conv(p3, proto, "cv1"), constant(wt.floats(), wt.shape()),
                constant(bt != null ? bt.floats() : new float[(int) out], out)),
                Map.of("kernel_shape", pair(up, "kernel_size"), "strides", pair(up, "stride"), "pads", pads(up))));
        return output(conv(conv(x, proto, "cv2"), proto, "cv3"), "output1");
    }

    /** Pose's cv4 branches decoded as its export does: [1, K·ndim, A], x and y in pixels, visibility 0..1. */
    private String keypoints(List<String> feats, PyObject m, int[] kpt, float[] ax, float[] ay, float[] st) {
        int anchors = ax.length;
        String y = node("Reshape", List.of(cv4(feats, m, (long) kpt[0] * kpt[1]), longs(1, kpt[0], kpt[1], anchors)), Map.of());
        String[] parts = kpt[1] == 3 ? split(y, 2, 2, 1) : new String[] {y};
        // The anchor centres minus 0.5: the cell's column and row.
        float[] cell = new float[2 * anchors];
        for (int a = 0; a < anchors; a++) {
            cell[a] = ax[a] - 0.5f;
            cell[anchors + a] = ay[a] - 0.5f;
        }
        String xy = node("Mul", List.of(node("Add", List.of(node("Mul", List.of(parts[0], constant(new float[] {2}, 1)), Map.of()),
                constant(cell, 1, 1, 2, anchors)), Map.of()), constant(st, 1, 1, 1, anchors)), Map.of());
        String all = kpt[1] == 3 ? node("Concat", List.of(xy, node("Sigmoid", List.of(parts[1]), Map.of())), Map.of("axis", 2L)) : xy;
        return node("Reshape", List.of(all, longs(1, (long) kpt[0] * kpt[1], anchors)), Map.of());
    }

    /** [1, 4, A] distances into left-top and right-bottom halves ([1, 2, A] each), as the export's two Slices. */
    private String[] split2(String dist) {
        return new String[] {slice(dist, 0, 2), slice(dist, 2, 4)};
    }

    /** Classify: Conv, global average pool, flatten, Linear, softmax (Ultralytics' export keeps the softmax). */
    private String classify(String in, PyObject m) {
        String x = node("Flatten", List.of(node("GlobalAveragePool", List.of(conv(in, m, "conv")), Map.of())), Map.of("axis", 1L));
        PyObject linear = child(m, "linear");
        Checkpoint.Tensor w = param(linear, "weight");
        String y = in("linear", () -> node("Gemm", List.of(x, constant(w.floats(), w.shape()), constant(param(linear, "bias").floats(), w.shape()[0])),
                Map.of("transB", 1L)));
        String out = node("Softmax", List.of(y), Map.of("axis", 1L));
        return output(out, "output0");
    }

    /**
     * A head branch: a Sequential of Conv, Conv, Conv2d; YOLO11's class branch nests Sequentials of
     * DWConv (a grouped Conv) and Conv in it.
     */
    private String branch(String in, PyObject seq, String name) {
        return in(name, () -> {
            Map<?, ?> ms = modules(seq);
            String x = in;
            for (int i = 0; i < ms.size(); i++) {
                PyObject mod = (PyObject) ms.get(String.valueOf(i));
                String type = mod.className();
                String sub = name + "." + i; // torch names a Sequential's children by their full path: cv2.0.0
                String y = x;
                x = type.endsWith(".Conv2d") ? in(sub, () -> conv2d(y, mod, null))
                        : type.endsWith(".Sequential") ? branch(y, mod, sub) : in(sub, () -> conv(y, mod));
            }
            return x;
        });
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, long... dims) {
        OnnxMl.TensorShapeProto.Builder s = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d >= 0 ? OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d)
                    : OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("anchors"));
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(s))).build();
    }
}
