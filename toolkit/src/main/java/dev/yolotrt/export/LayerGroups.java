package dev.yolotrt.export;

import ai.onnx.proto.OnnxMl;
import dev.yolotrt.util.YoloException;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The blocks of a YOLO graph that an INT8 sensitivity pass keeps in FP16 one at a time: the stem
 * (model.0, which sees raw pixels), the backbone, the neck (from the first upsample on), the detection
 * head (the last module), and the head's box and class branches. Each group is a regex over layer
 * names for {@code fp16_layers}; ONNX node names survive TensorRT's parser, so the same regex finds
 * the layers in the network.
 */
public record LayerGroups(List<Group> groups) {

    /** One block: a name, the regex that selects its layers, and how many nodes and weights it holds. */
    public record Group(String name, String regex, int nodes, long params) {
    }

    /** Module indices have at most four digits; a longer run of digits is not a YOLO module name. */
    private static final Pattern MODULE = Pattern.compile("/model\\.(\\d{1,4})/");

    /** The YOLO module index in an ONNX node or tensor name ({@code /model.22/cv2.0/...} → 22), or null. */
    public static Integer module(String name) {
        Matcher m = MODULE.matcher(name);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    public static LayerGroups of(Path onnx) {
        return of(OnnxFiles.read(onnx), onnx.toString());
    }

    static LayerGroups of(byte[] onnx, String what) {
        OnnxMl.GraphProto g = OnnxFiles.parse(onnx, what).getGraph();
        Map<String, Long> weights = new HashMap<>();
        for (OnnxMl.TensorProto t : g.getInitializerList()) {
            // Weights are float; integer initializers are shapes and slice bounds, which exports spell differently.
            if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT_VALUE && t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT16_VALUE) continue;
            long n = 1;
            for (long d : t.getDimsList()) n *= d;
            weights.put(t.getName(), n);
        }
        int head = -1;
        int neck = Integer.MAX_VALUE;
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            Integer m = module(n.getName());
            if (m == null) continue;
            head = Math.max(head, m);
            if (n.getOpType().equals("Resize")) neck = Math.min(neck, m);
        }
        if (head < 1 || neck == Integer.MAX_VALUE) {
            throw new YoloException(what + " does not have Ultralytics' /model.N/ layer names with an upsampling neck; "
                    + "give fp16_layers a regex of your own");
        }
        List<String[]> defs = List.of(
                new String[] {"stem", "^/model\\.0/"},
                new String[] {"backbone", "^/model\\.(" + range(1, neck - 1) + ")/"},
                new String[] {"neck", "^/model\\.(" + range(neck, head - 1) + ")/"},
                new String[] {"head", "^/model\\." + head + "/"},
                new String[] {"head box", "^/model\\." + head + "/(cv2|dfl)"},
                new String[] {"head cls", "^/model\\." + head + "/cv3"});
        List<Group> out = new ArrayList<>();
        for (String[] d : defs) {
            Pattern p = Pattern.compile(d[1]);
            int nodes = 0;
            long params = 0;
            for (OnnxMl.NodeProto n : g.getNodeList()) {
                if (!p.matcher(n.getName()).find()) continue;
                nodes++;
                for (String in : n.getInputList()) params += weights.getOrDefault(in, 0L);
            }
            out.add(new Group(d[0], d[1], nodes, params));
        }
        return new LayerGroups(List.copyOf(out));
    }

    /** A regex alternation of the integers lo..hi. */
    private static String range(int lo, int hi) {
        StringBuilder sb = new StringBuilder();
        for (int i = lo; i <= hi; i++) sb.append(i > lo ? "|" : "").append(i);
        return sb.toString();
    }

    public Group get(String name) {
        return groups.stream().filter(g -> g.name().equals(name)).findFirst()
                .orElseThrow(() -> new YoloException("no layer group '" + name + "'; groups: " + groups.stream().map(Group::name).toList()));
    }

    public Table table() {
        StringColumn name = StringColumn.create("Group");
        StringColumn regex = StringColumn.create("fp16_layers");
        IntColumn nodes = IntColumn.create("Nodes");
        LongColumn params = LongColumn.create("Weights");
        for (Group g : groups) {
            name.append(g.name());
            regex.append(g.regex());
            nodes.append(g.nodes());
            params.append(g.params());
        }
        return Table.create("Layer groups", name, regex, nodes, params);
    }
}
