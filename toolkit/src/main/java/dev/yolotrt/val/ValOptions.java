package dev.yolotrt.val;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.predict.PredictOptions;

import java.util.List;
import java.util.Map;

/** Validation settings; the defaults (Ultralytics' val: conf 0.001, iou 0.7, max_det 300, split val) come from {@link Cfg}. */
public record ValOptions(String data, String split, Integer imgsz, int batch, double conf, double iou, int maxDet,
                         boolean saveJson, boolean verbose, boolean gpuPreprocess, boolean gpuDecode) {

    public static ValOptions defaults() {
        return of(Cfg.empty());
    }

    public static ValOptions of(Map<String, ?> args) {
        return of(Cfg.of(args));
    }

    /** The options of {@code given} layered over val mode's defaults. */
    public static ValOptions of(Cfg given) {
        Cfg c = given.forMode(Cfg.Mode.VAL, Cfg.Caller.API);
        List<Integer> sz = c.isSet("imgsz") ? c.ints("imgsz") : null;
        return new ValOptions(c.string("data"), c.string("split"), sz == null ? null : sz.get(0), c.integer("batch"),
                c.number("conf"), c.number("iou"), c.integer("max_det"),
                c.bool("save_json"), c.bool("verbose"), c.bool("gpu_preprocess"), c.bool("gpu_decode"));
    }

    /**
     * The prediction settings validation runs with: every class per box, Ultralytics' val resize (images the letterbox
     * shrinks with INTER_AREA stay on the host even with {@code gpu_preprocess}: the kernel is bilinear).
     */
    public PredictOptions predictOptions() {
        PredictOptions.Builder b = PredictOptions.builder().conf(conf).iou(iou).maxDet(maxDet).batch(batch)
                .multiLabel(true).valResize(true).gpuPreprocess(gpuPreprocess).gpuDecode(gpuDecode);
        if (imgsz != null) b.imgsz(imgsz);
        return b.build();
    }
}
