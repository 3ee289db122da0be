package dev.yolotrt.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.util.YoloException;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What really ran: each layer of a built engine with its precision and the ONNX nodes fused into it, from TensorRT's
 * engine inspector ({@code IEngineInspector}, JSON, detailed profiling verbosity). A layer's precision is that of its
 * first input (the data a convolution reads; its output may be wider), INT8, FP16, FP32 or another type; Reformat
 * layers are counted apart since they are the cost a placement should avoid. Grouped per YOLO block with
 * {@link LayerGroups}, and checked against {@code fp16_layers} and against the layers the builder pinned to FP16
 * ({@code pinned}: a Q/DQ network's float first stage), which the export saves into the same JSON.
 */
public record LayerPrecision(List<Layer> layers, Set<String> pinned) {

    /** One engine layer: its name, TensorRT's layer type, precision, and the ONNX nodes it came from. */
    public record Layer(String name, String type, String precision, List<String> nodes) {
        public Layer {
            nodes = List.copyOf(nodes);
        }

        boolean reformat() {
            return type.equalsIgnoreCase("Reformat");
        }

        /**
         * The layer's own ONNX nodes: without the Q/DQ nodes TensorRT fused into it, which are named after the tensor they
         * quantize, often another block's (a block's input is dequantized under its producer's name). All of them where
         * that leaves none; the layer's name where it has none.
         */
        List<String> ownNodes() {
            if (nodes.isEmpty()) return List.of(name);
            List<String> own = nodes.stream().filter(n -> !QDQ_NODE.matcher(n).find()).toList();
            return own.isEmpty() ? nodes : own;
        }

        /** A layer with weights, which an INT8 engine is expected to run in INT8. */
        boolean weighted() {
            return type.toLowerCase(Locale.ROOT).contains("conv") || type.toLowerCase(Locale.ROOT).contains("gemm");
        }
    }

    /** The key under which an export adds the pinned layers to the inspector's JSON. */
    static final String PINNED = "yolo-trt pinned to FP16";

    public LayerPrecision {
        layers = List.copyOf(layers);
        pinned = Set.copyOf(pinned);
    }

    /** QuantizeLinear and DequantizeLinear nodes as our writer names them, and as NVIDIA's quantization tools do. */
    private static final Pattern QDQ_NODE = Pattern.compile("(?i)QuantizeLinear");
    private static final Pattern ONNX_LAYER = Pattern.compile("\\[ONNX Layer: ([^\\]]+)]");
    /** ONNX node names inside a fused layer's name: {@code /model.0/conv/Conv + PWN(PWN(/model.0/act/Sigmoid), ...)}. */
    private static final Pattern NODE = Pattern.compile("/[^\\s(),+]+");

    /** Where an export saves the inspector's JSON of {@code engine}: {@code yolov8n.engine} → {@code yolov8n.layers.json}. */
    public static java.nio.file.Path sidecar(java.nio.file.Path engine) {
        return engine.resolveSibling(engine.getFileName().toString().replaceFirst("(?i)\\.engine$", "") + ".layers.json");
    }

    /** The report saved beside {@code engine} by its export. */
    public static LayerPrecision of(java.nio.file.Path engine) {
        java.nio.file.Path f = sidecar(engine);
        String json;
        try {
            json = java.nio.file.Files.readString(f);
        } catch (IOException e) {
            throw new YoloException("no layer report " + f + " (" + e.getMessage() + "); export the engine again with this version");
        }
        try {
            return parse(json);
        } catch (YoloException e) {
            throw new YoloException(f + ": " + e.getMessage() + "; export the engine again to write it anew");
        }
    }

    /** Parses the inspector's JSON ({@code getEngineInformation(kJSON)}); anything else is one line. */
    public static LayerPrecision parse(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new YoloException("the engine inspector's output is not JSON: " + why);
        }
        JsonNode list = root == null ? null : root.get("Layers");
        if (list == null || !list.isArray()) throw new YoloException("the engine inspector's JSON has no Layers list");
        List<Layer> out = new ArrayList<>();
        for (JsonNode l : list) {
            if (l.isTextual()) {
                // Without detailed verbosity the inspector lists names only: no precision to report.
                out.add(new Layer(l.asText(), "?", "?", nodes(l.asText(), "")));
                continue;
            }
            String name = l.path("Name").asText();
            String type = l.path("LayerType").asText("?");
            JsonNode io = l.path("Inputs").size() > 0 ? l.path("Inputs").get(0) : l.path("Outputs").path(0);
            out.add(new Layer(name, type, precision(io.path("Format/Datatype").asText("")), nodes(name, l.path("Metadata").asText(""))));
        }
        Set<String> pinned = new java.util.LinkedHashSet<>();
        root.path(PINNED).forEach(n -> pinned.add(n.asText()));
        return new LayerPrecision(out, pinned);
    }

    /** The inspector's JSON with {@code pinned} added under {@link #PINNED}, as an export saves it beside the engine. */
    static String withPinned(String json, Set<String> pinned) {
        try {
            ObjectMapper mapper = new ObjectMapper();
            com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(json);
            com.fasterxml.jackson.databind.node.ArrayNode list = root.putArray(PINNED);
            pinned.forEach(list::add);
            return mapper.writeValueAsString(root);
        } catch (IOException | ClassCastException e) {
            throw new YoloException("the engine inspector's output is not a JSON object: " + e.getMessage());
        }
    }

    /** INT8, FP16, FP32, FP8, INT32, BOOL or ? from a format string such as "Channel major FP16 format where channel % 8 == 0". */
    static String precision(String format) {
        String f = format.toLowerCase(Locale.ROOT);
        if (f.contains("int8")) return "INT8";
        if (f.contains("fp16") || f.contains("half")) return "FP16";
        if (f.contains("fp32") || f.contains("float")) return "FP32";
        if (f.contains("fp8")) return "FP8";
        if (f.contains("int32")) return "INT32";
        if (f.contains("bool")) return "BOOL";
        return "?";
    }

    /** The ONNX nodes of a layer: from its metadata ([ONNX Layer: name] entries) if present, else from its name. */
    private static List<String> nodes(String name, String metadata) {
        List<String> n = new ArrayList<>();
        Matcher m = ONNX_LAYER.matcher(metadata);
        while (m.find()) n.add(m.group(1));
        if (n.isEmpty()) {
            Matcher k = NODE.matcher(name);
            while (k.find()) n.add(k.group());
        }
        return n;
    }

    /** The block of a layer: the first of stem, backbone, neck, head box, head cls, head matching one of its own nodes; else "other". */
    static String block(Layer l, LayerGroups groups) {
        for (String g : List.of("stem", "backbone", "neck", "head box", "head cls", "head")) {
            Pattern p = Pattern.compile(groups.get(g).regex());
            for (String n : l.ownNodes()) if (p.matcher(n).find()) return g;
        }
        return "other";
    }

    /** One row per layer: name, type, precision, block. */
    public Table layerTable(LayerGroups groups) {
        StringColumn name = StringColumn.create("Layer"), type = StringColumn.create("Type"), prec = StringColumn.create("Precision"),
                block = StringColumn.create("Block");
        for (Layer l : layers) {
            name.append(l.name());
            type.append(l.type());
            prec.append(l.precision());
            block.append(block(l, groups));
        }
        return Table.create("Engine layers", name, type, prec, block);
    }

    /** Per block, how many layers ran in each precision, and how many were reformats. */
    public Table table(LayerGroups groups) {
        List<String> precisions = List.of("INT8", "FP16", "FP32");
        Map<String, int[]> rows = new LinkedHashMap<>();
        for (String g : List.of("stem", "backbone", "neck", "head box", "head cls", "head", "other")) rows.put(g, new int[precisions.size() + 2]);
        for (Layer l : layers) {
            int[] r = rows.get(block(l, groups));
            if (l.reformat()) r[precisions.size() + 1]++;
            else if (precisions.contains(l.precision())) r[precisions.indexOf(l.precision())]++;
            else r[precisions.size()]++;
        }
        StringColumn block = StringColumn.create("Block");
        List<IntColumn> cols = new ArrayList<>();
        for (String p : precisions) cols.add(IntColumn.create(p));
        cols.add(IntColumn.create("other type"));
        cols.add(IntColumn.create("Reformat"));
        rows.forEach((g, r) -> {
            if (java.util.Arrays.stream(r).sum() == 0) return;
            block.append(g);
            for (int i = 0; i < r.length; i++) cols.get(i).append(r[i]);
        });
        Table t = Table.create("Layer precision per block", block);
        cols.forEach(t::addColumns);
        return t;
    }

    /**
     * One line per layer whose precision differs from what was asked of an INT8 engine: a layer matching
     * {@code fp16Layers} that ran INT8, one of the {@link #pinned} layers (the float first stage of a Q/DQ network, which
     * the builder pins to FP16) that ran anything but FP16 (TensorRT may relax the pin), or a convolution outside both
     * that did not run INT8. Empty when all is as asked.
     */
    public List<String> warnings(String fp16Layers) {
        Pattern keep = fp16Layers == null ? null : Pattern.compile(fp16Layers);
        List<String> w = new ArrayList<>();
        for (Layer l : layers) {
            if (l.reformat() || l.precision().equals("?")) continue;
            List<String> own = l.ownNodes();
            boolean asked = keep != null && own.stream().anyMatch(n -> keep.matcher(n).find());
            boolean pinnedLayer = own.stream().anyMatch(pinned::contains);
            if (asked && l.precision().equals("INT8")) {
                w.add("WARNING layer " + l.name() + " matches fp16_layers=" + fp16Layers + " but ran INT8");
            } else if (pinnedLayer && !l.precision().equals("FP16")) {
                w.add("WARNING layer " + l.name() + " was pinned to FP16 (the Q/DQ first stage) but ran " + l.precision());
            } else if (!asked && !pinnedLayer && l.weighted() && !l.precision().equals("INT8")
                    && own.stream().noneMatch(n -> QdqOnnx.DEFAULT_KEEP_FLOAT.matcher(n).find())) {
                w.add("WARNING layer " + l.name() + " (" + l.type() + ") was meant to run INT8 but ran " + l.precision());
            }
        }
        return w;
    }
}
