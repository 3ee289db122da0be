package dev.yolotrt.val;

import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.Images;
import dev.yolotrt.data.Label;
import dev.yolotrt.data.LabelScan;
import dev.yolotrt.backend.ModelMetadata;
import dev.yolotrt.util.Settings;
import dev.yolotrt.predict.Decoder;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.predict.Predictor;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs a model over a dataset split and scores its boxes the Ultralytics way. */
public final class Validator {

    /** What a run produced: the metrics and, with save_json, the COCO predictions. */
    public record Run(Metrics metrics, CocoJson predictions) {
    }

    private Validator() {
    }

    /**
     * Validates {@code predictor} (a model called {@code name}, described by {@code metadata}) on
     * {@code ds}'s split; {@code settings} say where a missing dataset is downloaded to.
     */
    public static Run run(Predictor predictor, ModelMetadata metadata, String name, Dataset ds, Settings settings, ValOptions o) {
        if (!metadata.task().equals("detect")) {
            throw new YoloException(name + " is a " + metadata.task() + " model; val scores detect and classify models so far "
                    + "(mask, pose and oriented-box metrics are not implemented yet)");
        }
        if (ds.nc() != metadata.nc()) {
            throw new YoloException(ds.name() + " names " + ds.nc() + " classes but " + name + " predicts "
                    + metadata.nc() + "; validate with the dataset the model was trained on");
        }
        LabelScan scan = LabelScan.of(ds.images(o.split(), settings), ds.nc());
        Progress.note(String.format("val: scanning %s %s: %s", ds.name(), o.split(), scan.summary()));
        if (scan.warning() != null) Progress.note(scan.warning());
        List<Path> files = scan.images();
        if (files.isEmpty()) throw new YoloException(ds.name() + ": every image of the '" + o.split() + "' split has a bad label file; " + scan.firstProblem());
        PredictOptions po = o.predictOptions();
        int chunk = predictor.chunk(po);
        predictor.warmup(po);
        Accumulator acc = new Accumulator(ds.names());
        CocoJson json = o.saveJson() ? new CocoJson(CocoJson.isCoco(ds.names())) : null;
        double pre = 0, inf = 0, post = 0;
        try (Progress bar = Progress.start(String.format("val %s %s", ds.name(), o.split()), files.size())) {
            for (int start = 0; start < files.size(); start += chunk) {
                List<Path> part = files.subList(start, Math.min(files.size(), start + chunk));
                long t0 = System.nanoTime();
                List<Mat> images = new ArrayList<>();
                for (Path f : part) images.add(Images.read(f));
                pre += (System.nanoTime() - t0) / 1e6;
                Predictor.Batch b = predictor.run(images, po);
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
                    acc.add(d.xyxy(), d.conf(), d.cls(), txyxy, tcls);
                    if (json != null) json.add(part.get(i), d.xyxy(), d.conf(), d.cls());
                    img.close();
                }
                bar.step(part.size());
            }
        }
        int n = files.size();
        Map<String, Double> speed = Map.of("preprocess", pre / n, "inference", inf / n, "postprocess", post / n);
        return new Run(acc.metrics(name, ds.name(), o.split(), speed), json);
    }
}
