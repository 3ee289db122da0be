package dev.yolotrt.predict;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.util.YoloException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prediction settings with Ultralytics' names; the defaults (conf 0.25, iou 0.7, max_det 300) come from {@link Cfg}'s
 * table and predict mode's layer. What is saved and how it is drawn ({@code save}, {@code show_labels} ...) belongs to
 * the writer ({@code viz.ResultWriter.Options}), not to inference.
 * {@code imgsz} null means the model's own size; {@code batch} applies to dynamic-batch models. {@code gpuPreprocess}
 * letterboxes on the GPU (engines; the default, bit-exact with the host letterbox on the H200); ONNX Runtime always
 * letterboxes on the host. {@code gpuDecode} picks a detect head's candidates on the GPU (engines; the default, the host
 * decoder's detections exactly on the H200).
 */
public record PredictOptions(double conf, double iou, int maxDet, int[] classes, boolean agnosticNms,
                             int[] imgsz, int batch, boolean multiLabel, boolean valResize, boolean verbose, boolean gpuPreprocess,
                             boolean gpuDecode) {

    /** Upper bounds that keep one batch's input (batch × 3 × h × w floats) addressable. */
    public static final int MAX_IMGSZ = 16_384;
    public static final int MAX_BATCH = 1024;

    public PredictOptions {
        if (!(conf >= 0 && conf <= 1)) throw new YoloException("conf=" + conf + " must be between 0 and 1");
        if (!(iou >= 0 && iou <= 1)) throw new YoloException("iou=" + iou + " must be between 0 and 1");
        if (maxDet < 1 || maxDet > 100_000) throw new YoloException("max_det=" + maxDet + " must be from 1 to 100000");
        if (batch < 1 || batch > MAX_BATCH) throw new YoloException("batch=" + batch + " must be from 1 to " + MAX_BATCH);
        if (imgsz != null && (imgsz.length != 2 || imgsz[0] < 32 || imgsz[1] < 32 || imgsz[0] > MAX_IMGSZ || imgsz[1] > MAX_IMGSZ)) {
            throw new YoloException("imgsz must be one size or height,width, each from 32 to " + MAX_IMGSZ);
        }
        if ((long) batch * 3 * (imgsz == null ? 640 : imgsz[0]) * (imgsz == null ? 640 : imgsz[1]) > Integer.MAX_VALUE) {
            throw new YoloException("batch=" + batch + " at imgsz " + java.util.Arrays.toString(imgsz) + " is too large for one input tensor; lower batch or imgsz");
        }
        classes = classes == null ? null : classes.clone();
        imgsz = imgsz == null ? null : imgsz.clone();
    }

    public static PredictOptions defaults() {
        return builder().build();
    }

    /** A builder holding predict mode's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder from {@code key=value} style arguments, checked against {@link Cfg}. */
    public static Builder builder(Map<String, ?> args) {
        return new Builder().apply(Cfg.of(args));
    }

    /** Mutable builder; every setter validates through the record's constructor at build(). */
    public static final class Builder {
        private double conf;
        private double iou;
        private int maxDet;
        private int[] classes;
        private boolean agnosticNms;
        private int[] imgsz;
        private int batch;
        /** Not options of the table: val sets them. */
        private boolean multiLabel;
        private boolean valResize;
        private boolean verbose;
        private boolean gpuPreprocess;
        private boolean gpuDecode;

        /** A builder holding predict mode's defaults. */
        public Builder() {
            apply(Cfg.empty());
        }

        /**
         * Takes every option from {@code given} layered over predict mode's defaults ({@link Cfg#forMode}); values already
         * layered by another mode (track's conf 0.1) stay. {@code imgsz} only when given: otherwise the model's own.
         */
        public Builder apply(Cfg given) {
            Cfg cfg = given.forMode(Cfg.Mode.PREDICT, Cfg.Caller.API);
            conf = cfg.number("conf");
            iou = cfg.number("iou");
            maxDet = cfg.integer("max_det");
            List<Integer> c = cfg.ints("classes");
            classes = c == null ? null : c.stream().mapToInt(Integer::intValue).toArray();
            agnosticNms = cfg.bool("agnostic_nms");
            if (cfg.isSet("imgsz")) imgsz(cfg.ints("imgsz"));
            batch = cfg.integer("batch");
            verbose = cfg.bool("verbose");
            gpuPreprocess = cfg.bool("gpu_preprocess");
            gpuDecode = cfg.bool("gpu_decode");
            return this;
        }

        public Builder conf(double v) { conf = v; return this; }
        public Builder iou(double v) { iou = v; return this; }
        public Builder maxDet(int v) { maxDet = v; return this; }
        public Builder classes(int... v) { classes = v; return this; }
        public Builder agnosticNms(boolean v) { agnosticNms = v; return this; }
        public Builder imgsz(int size) { imgsz = new int[] {size, size}; return this; }
        public Builder imgsz(int h, int w) { imgsz = new int[] {h, w}; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder multiLabel(boolean v) { multiLabel = v; return this; }
        /** Letterbox as Ultralytics' validation loader does ({@link Letterbox#forVal}). */
        public Builder valResize(boolean v) { valResize = v; return this; }
        public Builder verbose(boolean v) { verbose = v; return this; }
        public Builder gpuPreprocess(boolean v) { gpuPreprocess = v; return this; }
        public Builder gpuDecode(boolean v) { gpuDecode = v; return this; }

        private void imgsz(List<Integer> v) {
            imgsz = v.size() == 1 ? new int[] {v.get(0), v.get(0)} : v.stream().mapToInt(Integer::intValue).toArray();
        }

        public PredictOptions build() {
            return new PredictOptions(conf, iou, maxDet, classes, agnosticNms, imgsz, batch, multiLabel, valResize, verbose,
                    gpuPreprocess, gpuDecode);
        }
    }

    /** What the decoder keeps of the head, from these options. */
    public Decoder.Filter filter() {
        return new Decoder.Filter((float) conf, (float) iou, maxDet, classes, agnosticNms, multiLabel);
    }

    /** The options as a {@code key=value} map (for records of runs and engine metadata). */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("conf", conf);
        m.put("iou", iou);
        m.put("max_det", maxDet);
        m.put("agnostic_nms", agnosticNms);
        m.put("batch", batch);
        return m;
    }
}
