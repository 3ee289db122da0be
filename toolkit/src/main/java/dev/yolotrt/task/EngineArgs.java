package dev.yolotrt.task;

import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;

import java.util.Map;

/**
 * How an engine was built, read once from the export args its header records: precision (fp32,
 * fp16, int8), NMS inside the engine with the confidence threshold it keeps (0 without NMS), and the INT8
 * calibrator. Values of the wrong type are one clear line, never a ClassCastException later.
 */
public record EngineArgs(Precision precision, boolean nms, double nmsConf, String calibrator) {

    public static EngineArgs of(Map<String, Object> args) {
        boolean int8 = flag(args, "int8"), half = flag(args, "half"), nms = flag(args, "nms");
        Object cal = args.get("calibrator");
        Object conf = args.get("conf");
        if (nms && conf != null && !(conf instanceof Number)) throw new YoloException("engine metadata: args.conf=" + Text.clip(String.valueOf(conf)) + " is not a number");
        return new EngineArgs(Precision.of(half, int8), nms, nms && conf != null ? ((Number) conf).doubleValue() : 0,
                cal == null ? null : String.valueOf(cal));
    }

    private static boolean flag(Map<String, Object> args, String key) {
        Object v = args.get(key);
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        throw new YoloException("engine metadata: args." + key + "=" + Text.clip(String.valueOf(v)) + " is not true or false");
    }

    /** e.g. "fp16" or "fp16+nms", as backends and tables name engines. */
    public String variant() {
        return precision.id() + (nms ? "+nms" : "");
    }
}
