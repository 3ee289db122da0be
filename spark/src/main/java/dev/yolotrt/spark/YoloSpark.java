package dev.yolotrt.spark;

import dev.yolotrt.backend.TensorRt;
import dev.yolotrt.bench.Int8Tuning;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.data.LabelScan;
import dev.yolotrt.export.ExportOptions;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.util.Log;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.Metrics;
import dev.yolotrt.val.ValOptions;
import dev.yolotrt.val.Validator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The toolkit on a Spark cluster: predict over a DataFrame of images, val split over tasks and merged on the driver, and
 * INT8 sweeps with one setting a task. Each executor JVM loads a model once (on the GPU Spark gave its task, else on the CPU
 * backend) and runs the same pipeline as one process does, so the results are those of one process.
 */
public final class YoloSpark {
    private YoloSpark() {
    }

    /** {@link #predict(org.apache.spark.sql.Dataset, String, Map)} with Ultralytics' defaults. */
    public static org.apache.spark.sql.Dataset<Row> predict(org.apache.spark.sql.Dataset<Row> images, String model) {
        return predict(images, model, Map.of());
    }

    /**
     * Predicts every row of {@code images}: {@code spark.read().format("binaryFile")} rows (path, content), or rows with a
     * {@code path} column (or a single string column) of paths or URIs. {@code options} are predict's keys
     * ({@code conf}, {@code iou}, {@code imgsz}, {@code batch}, {@code classes} ...; {@code task} overrides the model's).
     * One output row per input row, partitioned as the input: path, height, width, detections, probs, speed and error
     * (set, with nothing else, where an image could not be read). Lazy, like any transformation.
     */
    public static org.apache.spark.sql.Dataset<Row> predict(org.apache.spark.sql.Dataset<Row> images, String model, Map<String, ?> options) {
        Map<String, Object> opts = new LinkedHashMap<>(options);
        String task = task(opts);
        PredictOptions.builder(opts).build(); // a bad key or value fails here, on the driver, in one line
        StructType in = images.schema();
        List<String> names = Arrays.asList(in.fieldNames());
        PredictPartition f;
        if (names.contains("content") && names.contains("path")) {
            f = new PredictPartition(model, task, opts, PredictPartition.Input.CONTENT, "path");
        } else {
            String[] strings = Arrays.stream(in.fields()).filter(x -> x.dataType().equals(DataTypes.StringType)).map(StructField::name)
                    .toArray(String[]::new);
            String column = names.contains("path") ? "path" : strings.length == 1 ? strings[0] : null;
            if (column == null) {
                throw new YoloException("predict takes spark.read().format(\"binaryFile\") rows or a column 'path' of image paths; got "
                        + in.simpleString());
            }
            f = new PredictPartition(model, task, opts, PredictPartition.Input.PATH, column);
        }
        return images.mapPartitions(f, Encoders.row(ResultRows.SCHEMA));
    }

    /**
     * Tracks every video of {@code videos} (a column {@code path}, or a single string column, of video files or stream
     * URLs): each video in one task, through the toolkit's video pipeline on the executor's model with a tracker of its own,
     * as {@code Yolo.trackStream} in one process (track's keys: {@code tracker}, {@code conf} 0.1 unless given,
     * {@code vid_stride} ...). One row per frame: path, frame (from 1), the frame's size, its tracked detections with
     * {@code track_id}, speed; a video that cannot be read or breaks off adds a row with its error. Repartition the input
     * so that videos spread over the executors (one video is never split: its tracks need its frames in order).
     */
    public static org.apache.spark.sql.Dataset<Row> track(org.apache.spark.sql.Dataset<Row> videos, String model, Map<String, ?> options) {
        return videos(videos, model, options, true);
    }

    /** {@link #track} without tracking: every frame of every video predicted, as {@code Yolo.stream} does a video. */
    public static org.apache.spark.sql.Dataset<Row> predictVideos(org.apache.spark.sql.Dataset<Row> videos, String model, Map<String, ?> options) {
        return videos(videos, model, options, false);
    }

    private static org.apache.spark.sql.Dataset<Row> videos(org.apache.spark.sql.Dataset<Row> videos, String model, Map<String, ?> options,
            boolean track) {
        Map<String, Object> opts = new LinkedHashMap<>(options);
        String task = task(opts);
        dev.yolotrt.cfg.Cfg.of(opts); // a bad key or value fails here, on the driver, in one line
        if (Boolean.TRUE.equals(opts.get("persist"))) throw new YoloException("persist=True has no meaning across Spark tasks: each video is tracked on its own");
        StructType in = videos.schema();
        List<String> names = Arrays.asList(in.fieldNames());
        String[] strings = Arrays.stream(in.fields()).filter(x -> x.dataType().equals(DataTypes.StringType)).map(StructField::name)
                .toArray(String[]::new);
        String column = names.contains("path") ? "path" : strings.length == 1 ? strings[0] : null;
        if (column == null) throw new YoloException((track ? "track" : "predictVideos") + " takes a column 'path' of video files; got " + in.simpleString());
        return videos.mapPartitions(new VideoPartition(model, task, opts, column, track), Encoders.row(ResultRows.FRAMES));
    }

    /** Takes {@code task} (the model's task override) out of the options, which hold only predict's or val's keys after it. */
    private static String task(Map<String, Object> opts) {
        Object t = opts.remove("task");
        return t == null ? null : String.valueOf(t);
    }

    /** The schema of {@link #predict}'s rows. */
    public static StructType schema() {
        return ResultRows.SCHEMA;
    }

    /** {@link #validate} with the box metrics only, as {@code Yolo.val}. */
    public static Metrics val(SparkSession spark, String model, Map<String, ?> options) {
        return validate(spark, model, options, spark.sparkContext().defaultParallelism()).box();
    }

    /**
     * Validates {@code model} on {@code options}' dataset split (val's keys: data, split, conf, iou, batch ...) in
     * {@code partitions} tasks: each scores a consecutive run of the split's images on its executor's model, the driver
     * merges their statistics in the split's order, so every metric is that of {@code Yolo.val} in one process (the speed
     * line is the tasks' summed stage times per image). The dataset must be readable at the same path on every executor;
     * {@code save_json} stays with single-process val.
     */
    public static Validator.Run validate(SparkSession spark, String model, Map<String, ?> options, int partitions) {
        Map<String, Object> opts = new LinkedHashMap<>(options);
        String task = task(opts);
        ValOptions vo = ValOptions.of(opts);
        if (vo.saveJson()) throw new YoloException("save_json=True is not split over Spark tasks; run it with Yolo.val in one process");
        int n = Math.max(1, partitions);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Validator.Partial> parts = sc.parallelize(IntStream.range(0, n).boxed().toList(), n)
                .map(k -> score(model, task, opts, k, n)).collect();
        Validator.Partial all = parts.get(0);
        for (int k = 1; k < parts.size(); k++) all.merge(parts.get(k));
        Settings settings = Settings.fromEnvironment();
        return all.run(Path.of(model).getFileName().toString(), Dataset.load(vo.data(), settings).name(), vo.split());
    }

    /** Part {@code k} of {@code n}: the checks and label scan of the whole split (label files only), then its own images. */
    private static Validator.Partial score(String model, String task, Map<String, Object> opts, int k, int n) {
        Yolo yolo = ExecutorModels.get(model, task);
        ValOptions vo = ValOptions.of(opts);
        Dataset ds = Dataset.load(vo.data(), yolo.settings());
        String name = yolo.file().getFileName().toString();
        LabelScan scan = Validator.scan(yolo.metadata(), name, ds, yolo.settings(), vo);
        int size = scan.images().size(), from = (int) ((long) size * k / n), to = (int) ((long) size * (k + 1) / n);
        LabelScan mine = new LabelScan(scan.images().subList(from, to), scan.labels().subList(from, to), 0, 0, 0, 0, null);
        return Validator.score(yolo.predictor(), yolo.metadata(), ds, mine, vo);
    }

    /**
     * {@link Int8Tuning#run} with every distinct setting built and measured as a task on a GPU executor (engines and the
     * timing cache in the executors' YOLO_TRT_CACHE: one folder shared by them reuses both); the same table, rows in the
     * settings' order. Ask for one GPU a task ({@code spark.task.resource.gpu.amount=1}) so that timings do not share a GPU.
     */
    public static Table int8Tuning(SparkSession spark, String model, List<Int8Tuning.Setting> settings, String valData) {
        List<ExportOptions> distinct = settings.stream().map(Int8Tuning.Setting::options).distinct().toList();
        List<Object[]> encoded = distinct.stream().map(RecordCodec::encode).toList();
        Log.info("INT8 tuning: " + distinct.size() + " engines as Spark tasks");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Object[]> measured = sc.parallelize(encoded, encoded.size()).map(e -> {
            ExportOptions o = RecordCodec.decode(ExportOptions.class, e);
            double[] r = Int8Tuning.measure(ExecutorModels.get(model, null), o, valData);
            return new Object[] {r, TensorRt.gpu()};
        }).collect();
        List<double[]> rows = new ArrayList<>();
        for (Int8Tuning.Setting s : settings) rows.add((double[]) measured.get(distinct.indexOf(s.options()))[0]);
        String gpu = (String) measured.get(0)[1];
        return Int8Tuning.table(Path.of(model).getFileName().toString(), gpu, settings, rows);
    }
}
