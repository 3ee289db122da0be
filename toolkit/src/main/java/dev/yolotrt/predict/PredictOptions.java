package dev.yolotrt.predict;

import dev.yolotrt.cfg.Cfg;
import dev.yolotrt.util.YoloException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prediction settings with Ultralytics' names and defaults (conf 0.25, iou 0.7, max_det 300).
 * {@code imgsz} null means the model's own size; {@code batch} applies to dynamic-batch models. {@code gpuPreprocess}
 * letterboxes on the GPU (engines; the default, bit-exact with the host letterbox on the H200); ONNX Runtime always
 * letterboxes on the host. {@code gpuDecode} picks a detect head's candidates on the GPU (engines; the default, the host
 * decoder's detections exactly on the H200).
 */
public record PredictOptions(double conf, double iou, int maxDet, int[] classes, boolean agnosticNms,
                             int[] imgsz, int batch, boolean multiLabel, boolean valResize, boolean save,
                             boolean showLabels, boolean showConf, Integer lineWidth, boolean verbose, boolean gpuPreprocess, boolean gpuDecode) {

    public static final double DEFAULT_CONF = Cfg.PREDICT_CONF;

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
        if (lineWidth != null && lineWidth < 1) throw new YoloException("line_width=" + lineWidth + " must be at least 1 (or None)");
        if ((long) batch * 3 * (imgsz == null ? 640 : imgsz[0]) * (imgsz == null ? 640 : imgsz[1]) > Integer.MAX_VALUE) {
            throw new YoloException("batch=" + batch + " at imgsz " + java.util.Arrays.toString(imgsz) + " is too large for one input tensor; lower batch or imgsz");
        }
        classes = classes == null ? null : classes.clone();
        imgsz = imgsz == null ? null : imgsz.clone();
    }

    public static PredictOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder from {@code key=value} style arguments, checked against {@link Cfg}. */
    public static Builder builder(Map<String, ?> args) {
        return builder().apply(Cfg.of(args));
    }

    /** Mutable builder; every setter validates through the record's constructor at build(). */
    public static final class Builder {
        private double conf = DEFAULT_CONF;
        private double iou = Cfg.DEFAULTS.number("iou");
        private int maxDet = Cfg.DEFAULTS.integer("max_det");
        private int[] classes;
        private boolean agnosticNms;
        private int[] imgsz;
        private int batch = 1;
        private boolean multiLabel;
        private boolean valResize;
        private boolean save;
        private boolean showLabels = true;
        private boolean showConf = true;
        private Integer lineWidth;
        private boolean verbose = true;
        private boolean gpuPreprocess = Cfg.DEFAULTS.bool("gpu_preprocess");
        private boolean gpuDecode = Cfg.DEFAULTS.bool("gpu_decode");

        public Builder apply(Cfg cfg) {
            if (cfg.get("conf") != null) conf = cfg.number("conf");
            iou = cfg.number("iou");
            maxDet = cfg.integer("max_det");
            List<Integer> c = cfg.ints("classes");
            classes = c == null ? null : c.stream().mapToInt(Integer::intValue).toArray();
            agnosticNms = cfg.bool("agnostic_nms");
            if (cfg.isSet("imgsz")) imgsz(cfg.ints("imgsz"));
            batch = cfg.integer("batch");
            if (cfg.isSet("save")) save = cfg.bool("save");
            showLabels = cfg.bool("show_labels");
            showConf = cfg.bool("show_conf");
            lineWidth = cfg.integer("line_width");
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
        public Builder save(boolean v) { save = v; return this; }
        public Builder showLabels(boolean v) { showLabels = v; return this; }
        public Builder showConf(boolean v) { showConf = v; return this; }
        public Builder lineWidth(Integer v) { lineWidth = v; return this; }
        public Builder verbose(boolean v) { verbose = v; return this; }
        public Builder gpuPreprocess(boolean v) { gpuPreprocess = v; return this; }
        public Builder gpuDecode(boolean v) { gpuDecode = v; return this; }

        private void imgsz(List<Integer> v) {
            imgsz = v.size() == 1 ? new int[] {v.get(0), v.get(0)} : v.stream().mapToInt(Integer::intValue).toArray();
        }

        public PredictOptions build() {
            return new PredictOptions(conf, iou, maxDet, classes, agnosticNms, imgsz, batch, multiLabel, valResize, save,
                    showLabels, showConf, lineWidth, verbose, gpuPreprocess, gpuDecode);
        }
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
