package dev.yolotrt.val;

import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.ImageLoader;
import dev.yolotrt.data.Images;
import dev.yolotrt.data.Label;
import dev.yolotrt.data.LabelScan;
import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.Batch;
import dev.yolotrt.predict.Decoder;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.task.Task;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Runs a model over a dataset split and scores it the Ultralytics way: boxes, masks, keypoints, oriented boxes or classes. */
public final class Validator {

    /**
     * What val measured (Ultralytics' {@code metrics.box}, {@code .seg}, {@code .pose}, {@code .top1}): the box metrics of
     * every task with boxes, the mask metrics of a segment model, the keypoint metrics of a pose model, the accuracy of a
     * classifier (the others null where the task has none), and with save_json the COCO predictions.
     */
    public record Run(Task task, Metrics box, Metrics masks, Metrics pose, ClassifyValidator.Result top, CocoJson predictions) {

        /** A classifier's run: its accuracy only. */
        static Run of(ClassifyValidator.Result top) {
            return new Run(Task.CLASSIFY, null, null, null, top, null);
        }

        /** The metric scored beside the boxes ({@link Task#secondMetric}): masks or keypoints, or null. */
        public Metrics second() {
            return masks != null ? masks : pose;
        }

        /** The tables as Ultralytics prints them: boxes, then masks or keypoints; a classifier's accuracy. */
        public String report(boolean perClassRows) {
            if (top != null) return top.report();
            Metrics s = second();
            return box.report(perClassRows, "Box", s, task.secondMetric());
        }

        @Override
        public String toString() {
            return report(true);
        }
    }

    private Validator() {
    }

    /**
     * Validates {@code predictor} (a model called {@code name}, described by {@code metadata}) on
     * {@code ds}'s split; {@code settings} say where a missing dataset is downloaded to.
     */
    public static Run run(Predictor predictor, ModelMetadata metadata, String name, Dataset ds, Settings settings, ValOptions o) {
        return score(predictor, metadata, ds, scan(metadata, name, ds, settings, o), o).run(name, ds.name(), o.split());
    }

    /**
     * Validates a model of any task on {@code o}'s data: a dataset YAML for the tasks with boxes, an ImageNet-style folder
     * ({@code data=FOLDER}, FOLDER/split/&lt;class&gt;/*.jpg) for a classifier.
     */
    public static Run val(Predictor predictor, ModelMetadata metadata, String name, Settings settings, ValOptions o) {
        if (metadata.task() != Task.CLASSIFY) return run(predictor, metadata, name, Dataset.load(o.data(), settings), settings, o);
        if (o.data() == null || o.data().endsWith(".yaml")) {
            throw new YoloException("classification val takes data=FOLDER (FOLDER/" + o.split() + "/<class>/*.jpg), not " + o.data());
        }
        return Run.of(ClassifyValidator.run(predictor, metadata, name, Path.of(o.data()), o.split(), o));
    }

    /**
     * The statistics of part of a validation (a run over some of the split's images): merged in the images' order, the
     * parts of a split give exactly the metrics of one run over all of it. The COCO predictions stay with the process
     * that made them.
     */
    public static final class Partial implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Task task;
        private final Accumulator boxes;
        private final Accumulator second;
        private final transient CocoJson json;
        private double pre, inf, post;
        private int images;

        private Partial(Task task, Accumulator boxes, Accumulator second, CocoJson json) {
            this.task = task;
            this.boxes = boxes;
            this.second = second;
            this.json = json;
        }

        /** Appends {@code next}'s images after this part's (the part of the split that follows this one). */
        public Partial merge(Partial next) {
            boxes.merge(next.boxes);
            if (second != null) second.merge(next.second);
            pre += next.pre;
            inf += next.inf;
            post += next.post;
            images += next.images;
            return this;
        }

        /** The metrics of the images merged so far; speed per image (stage times summed over the parts). */
        public Run run(String model, String dataset, String split) {
            Map<String, Double> speed = Map.of("preprocess", pre / images, "inference", inf / images, "postprocess", post / images);
            Metrics s = second == null ? null : second.metrics(model, dataset, split, speed);
            return new Run(task, boxes.metrics(model, dataset, split, speed), task == Task.SEGMENT ? s : null, task == Task.POSE ? s : null,
                    null, json);
        }
    }

    /**
     * Checks that {@code name} can be validated on {@code ds}'s split and scans its labels (the scan's line and warning
     * printed), as the first step of {@link #run}.
     */
    public static LabelScan scan(ModelMetadata metadata, String name, Dataset ds, Settings settings, ValOptions o) {
        Task task = metadata.task();
        boolean pose = task == Task.POSE, segment = task == Task.SEGMENT, obb = task == Task.OBB;
        if (pose && (ds.kptShape() == null || !Arrays.equals(ds.kptShape(), metadata.kptShape()))) {
            throw new YoloException(ds.name() + " has kpt_shape " + Arrays.toString(ds.kptShape()) + " but " + name + " predicts "
                    + Arrays.toString(metadata.kptShape()) + "; validate a pose model on a pose dataset of its keypoints");
        }
        if (task == Task.CLASSIFY) {
            throw new YoloException(name + " is a classify model; val scores it on an ImageNet-style folder (data=FOLDER), not " + ds.name());
        }
        if (ds.nc() != metadata.nc()) {
            throw new YoloException(ds.name() + " names " + ds.nc() + " classes but " + name + " predicts "
                    + metadata.nc() + "; validate with the dataset the model was trained on");
        }
        if (metadata.engineArgs().nms() && metadata.engineArgs().nmsConf() > o.conf()) {
            // Ultralytics' matching pairs labels by IoU, not by score: a low-score box can take a label from a better-scored
            // one, so dropping low scores changes (usually raises) mAP. The numbers then compare only with others at that conf.
            Progress.note(String.format(Locale.ROOT, "WARNING: %s has NMS inside (nms=true) and keeps only conf >= %.3g, not val's "
                    + "%.3g: its mAP is not comparable with an engine without nms=true", name, metadata.engineArgs().nmsConf(), o.conf()));
        }
        LabelScan scan = LabelScan.of(ds.images(o.split(), settings), ds.nc(), pose ? ds.kptShape() : null);
        Progress.note(String.format("val: scanning %s %s: %s", ds.name(), o.split(), scan.summary()));
        if (scan.warning() != null) Progress.note(scan.warning());
        List<Path> files = scan.images();
        if (files.isEmpty()) throw new YoloException(ds.name() + ": every image of the '" + o.split() + "' split has a bad label file; " + scan.firstProblem());
        // Labels of another task: masks need polygons, oriented boxes their four corners; box lines alone score neither.
        boolean shapes = scan.labels().stream().flatMap(List::stream).anyMatch(l -> l.polygon() != null);
        if ((segment || obb) && !shapes && scan.labels().stream().anyMatch(l -> !l.isEmpty())) {
            throw new YoloException(ds.name() + " has box labels only (class x y w h), but " + name + " is a" + (segment
                    ? " segment model, scored on polygons: validate it on a segment dataset such as coco8-seg.yaml"
                    : "n OBB model, scored on four corners (class x1 y1 ... x4 y4): validate it on an OBB dataset such as dota8.yaml"));
        }
        return scan;
    }

    /** Predicts on the images of {@code scan} (from {@link #scan}, or any run of its images) and matches them with their labels. */
    public static Partial score(Predictor predictor, ModelMetadata metadata, Dataset ds, LabelScan scan, ValOptions o) {
        Task task = metadata.task();
        boolean pose = task == Task.POSE, segment = task == Task.SEGMENT, obb = task == Task.OBB;
        List<Path> files = scan.images();
        PredictOptions po = o.predictOptions();
        int chunk = predictor.chunk(po);
        predictor.warmup(po);
        Accumulator acc = new Accumulator(ds.names());
        Accumulator kpt = task.secondMetric() != null ? new Accumulator(ds.names()) : null;
        CocoJson json = o.saveJson() ? new CocoJson(CocoJson.isCoco(ds.names())) : null;
        double pre = 0, inf = 0, post = 0;
        int threads = ImageLoader.defaultThreads();
        // Images decoded on all cores a couple of batches ahead of inference, in order.
        try (Progress bar = Progress.start(String.format("val %s %s", ds.name(), o.split()), files.size());
             ImageLoader<Path> loader = new ImageLoader<>(files, Images::read, threads, Math.max(2 * chunk, threads))) {
            for (int start = 0; start < files.size(); start += chunk) {
                List<Path> part = files.subList(start, Math.min(files.size(), start + chunk));
                List<Mat> images = new ArrayList<>();
                for (int k = 0; k < part.size(); k++) {
                    ImageLoader.Loaded<Path> l = loader.next();
                    images.add(l.image());
                    pre += l.decodeMs();
                }
                Batch b = predictor.run(images, po);
                pre += b.preMs();
                inf += b.inferMs();
                post += b.postMs();
                for (int i = 0; i < part.size(); i++) {
                    Mat img = images.get(i);
                    Letterbox lb = b.letterboxes().get(i);
                    List<Label> labels = scan.labels().get(start + i);
                    float[] txyxy = new float[labels.size() * 4];
                    int[] tcls = new int[labels.size()];
                    for (int k = 0; k < labels.size(); k++) {
                        double[] n = labels.get(k).xyxyn();
                        System.arraycopy(lb.labelToOriginal(n[0], n[1], n[2], n[3]), 0, txyxy, k * 4, 4);
                        tcls[k] = labels.get(k).cls();
                    }
                    Decoder.Detections d = b.detections().get(i);
                    if (obb) {
                        // Oriented boxes are matched by probabilistic IoU of the rotated boxes only, as Ultralytics' OBB val does.
                        acc.addMatched(Matching.match(rotatedSimilarity(labels, lb, b.extras().get(i).obb()), d.cls(), tcls,
                                Matching.IOU_THRESHOLDS), d.conf(), d.cls(), tcls);
                    } else {
                        acc.add(part.get(i).toString(), d.xyxy(), d.conf(), d.cls(), txyxy, tcls);
                    }
                    if (pose) {
                        float[][] sim = keypointSimilarity(labels, lb, txyxy, b.extras().get(i).keypoints(), ds.kptShape()[1]);
                        kpt.addMatched(Matching.match(sim, d.cls(), tcls, Matching.IOU_THRESHOLDS), d.conf(), d.cls(), tcls);
                    } else if (segment) {
                        // Labels in Ultralytics' order for masks: largest first, as its overlap masks sort them.
                        MaskTargets t = MaskTargets.of(labels, lb, lb.dstH() / b.extras().get(i).masks().height());
                        int[] sortedCls = Arrays.stream(t.order()).map(k -> tcls[k]).toArray();
                        float[][] sim = t.iou(b.extras().get(i).masks());
                        kpt.addMatched(Matching.match(sim, d.cls(), sortedCls, Matching.IOU_THRESHOLDS), d.conf(), d.cls(), sortedCls);
                    }
                    if (json != null) json.add(part.get(i), d.xyxy(), d.conf(), d.cls());
                    img.close();
                }
                bar.step(part.size());
            }
        }
        Partial p = new Partial(task, acc, kpt, json);
        p.pre = pre;
        p.inf = inf;
        p.post = post;
        p.images = files.size();
        return p;
    }

    /** Probabilistic IoU of each predicted oriented box with each label's (its four corners' minimum-area rectangle). */
    private static float[][] rotatedSimilarity(List<Label> labels, Letterbox lb, dev.yolotrt.predict.Obb pred) {
        float[][] truth = new float[labels.size()][];
        for (int l = 0; l < labels.size(); l++) {
            double[] p = labels.get(l).polygon();
            if (p == null || p.length != 8) throw new YoloException("an oriented-box label has 4 corners (class x1 y1 ... x4 y4); got a plain box");
            float[] xy = new float[8];
            for (int k = 0; k < 8; k += 2) System.arraycopy(lb.labelToOriginal(p[k], p[k + 1], p[k], p[k + 1]), 0, xy, k, 2);
            truth[l] = RotatedBoxes.fromCorners(xy);
        }
        float[][] out = new float[pred.size()][labels.size()];
        for (int i = 0; i < pred.size(); i++) {
            for (int l = 0; l < labels.size(); l++) out[i][l] = (float) dev.yolotrt.predict.Nms.probiou(pred.xywhr(i), truth[l]);
        }
        return out;
    }

    /** OKS of each prediction's keypoints with each label's, both in original pixels as Ultralytics' pose val maps them. */
    private static float[][] keypointSimilarity(List<Label> labels, Letterbox lb, float[] txyxy, dev.yolotrt.predict.Keypoints pred, int dim) {
        int nl = labels.size();
        float[][] truth = new float[nl][];
        boolean[][] visible = new boolean[nl][];
        double[] area = new double[nl];
        for (int l = 0; l < nl; l++) {
            double[] k = labels.get(l).keypoints();
            int n = k.length / dim;
            truth[l] = new float[2 * n];
            visible[l] = new boolean[n];
            for (int q = 0; q < n; q++) {
                float[] xy = lb.labelToOriginal(k[q * dim], k[q * dim + 1], k[q * dim], k[q * dim + 1]);
                truth[l][2 * q] = xy[0];
                truth[l][2 * q + 1] = xy[1];
                visible[l][q] = dim < 3 || k[q * dim + 2] != 0;
            }
            area[l] = (txyxy[l * 4 + 2] - txyxy[l * 4]) * (double) (txyxy[l * 4 + 3] - txyxy[l * 4 + 1]) * 0.53;
        }
        float[][] p = new float[pred.size()][];
        for (int i = 0; i < pred.size(); i++) p[i] = pred.xy(i);
        return Oks.matrix(p, truth, visible, area);
    }
}
