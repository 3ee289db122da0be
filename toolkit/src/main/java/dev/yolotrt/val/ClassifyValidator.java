package dev.yolotrt.val;

import dev.yolotrt.data.ClassFolders;
import dev.yolotrt.data.Images;
import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.Batch;
import dev.yolotrt.predict.Probs;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.util.Progress;
import dev.yolotrt.util.YoloException;
import org.bytedeco.opencv.opencv_core.Mat;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ultralytics' ClassificationValidator on an ImageNet-style folder ({@code root/split/<class>/*.jpg},
 * classes numbered in sorted folder order): top-1 accuracy (the most probable class is the label) and
 * top-5 accuracy (the label is among the min(5, nc) most probable).
 */
public final class ClassifyValidator {

    /** What classification val measured. */
    public record Result(String model, String dataset, String split, int images, double top1, double top5, List<String> classes,
                         Map<String, Double> speed) {

        /** Ultralytics' table: classes, top1_acc, top5_acc. */
        public Table table() {
            return Table.create("Classification " + dataset + " " + split, StringColumn.create("Class", List.of("all")),
                    IntColumn.create("Images", new int[] {images}), DoubleColumn.create("top1_acc", new double[] {top1}),
                    DoubleColumn.create("top5_acc", new double[] {top5}));
        }

        public String report() {
            return String.format(Locale.ROOT, "%22s%11s%11s%n%22s%11.3f%11.3f%n", "classes", "top1_acc", "top5_acc", "all", top1, top5);
        }
    }

    private ClassifyValidator() {
    }

    public static Result run(Predictor predictor, ModelMetadata meta, String name, Path root, String split, ValOptions o) {
        Path dir = ClassFolders.splitDir(root, split);
        List<Path> classDirs = ClassFolders.classDirs(dir);
        if (classDirs.size() != meta.nc()) {
            throw new YoloException(dir + " has " + classDirs.size() + " class folders but " + name + " predicts " + meta.nc()
                    + " classes (" + String.join(", ", meta.names()) + ")");
        }
        List<Path> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            for (Path p : ClassFolders.imagesIn(classDirs.get(c))) {
                images.add(p);
                labels.add(c);
            }
        }
        if (images.isEmpty()) throw new YoloException("no images in the class folders of " + dir);
        var po = o.predictOptions();
        int chunk = predictor.chunk(po), top1 = 0, top5 = 0, k = Math.min(5, meta.nc());
        double pre = 0, inf = 0, post = 0;
        try (Progress bar = Progress.start("val " + root.getFileName() + " " + split, images.size())) {
            for (int start = 0; start < images.size(); start += chunk) {
                List<Path> part = images.subList(start, Math.min(images.size(), start + chunk));
                List<Mat> mats = part.stream().map(Images::read).toList();
                Batch b = predictor.run(mats, po);
                pre += b.preMs();
                inf += b.inferMs();
                post += b.postMs();
                for (int i = 0; i < part.size(); i++) {
                    Probs probs = b.extras().get(i).probs();
                    int label = labels.get(start + i);
                    int[] best = probs.top5();
                    if (best[0] == label) top1++;
                    for (int j = 0; j < Math.min(k, best.length); j++) if (best[j] == label) top5++;
                    mats.get(i).close();
                }
                bar.step(part.size());
            }
        }
        int n = images.size();
        List<String> classes = classDirs.stream().map(p -> p.getFileName().toString()).toList();
        return new Result(name, root.getFileName().toString(), dir.getFileName().toString(), n, (double) top1 / n, (double) top5 / n, classes,
                Map.of("preprocess", pre / n, "inference", inf / n, "postprocess", post / n));
    }

}
