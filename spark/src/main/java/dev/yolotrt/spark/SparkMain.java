package dev.yolotrt.spark;

import dev.yolotrt.util.YoloException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The spark-submit entry point, with the CLI's {@code key=value} grammar:
 * <pre>
 * predict model=M source=FOLDER_OR_GLOB [output=PARQUET_FOLDER] [partitions=N] [predict keys ...]
 * val     model=M data=YAML [partitions=N] [val keys ...]
 * </pre>
 * predict reads the images with Spark's binaryFile source and writes the rows as Parquet (without {@code output}, it
 * prints a sample and the counts); val prints the box metrics table as {@code yolo-trt val} does.
 */
public final class SparkMain {
    private SparkMain() {
    }

    public static void main(String[] args) {
        if (args.length == 0 || !(args[0].equals("predict") || args[0].equals("val"))) {
            System.err.println("usage: predict model=M source=FOLDER_OR_GLOB [output=PARQUET_FOLDER] [partitions=N] [key=value ...]\n"
                    + "       val model=M data=YAML [partitions=N] [key=value ...]");
            System.exit(2);
        }
        Map<String, Object> kv = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) fail("'" + args[i] + "' is not key=value");
            kv.put(args[i].substring(0, eq).strip(), args[i].substring(eq + 1).strip());
        }
        String model = (String) kv.remove("model");
        if (model == null) fail("model= is missing (a path every executor can read, or a name in YOLO_TRT_MODELS)");
        Object partitions = kv.remove("partitions");
        SparkSession spark = SparkSession.builder().appName("yolo-trt " + args[0]).getOrCreate();
        try {
            int n = partitions == null ? spark.sparkContext().defaultParallelism() : Integer.parseInt((String) partitions);
            if (args[0].equals("val")) {
                System.out.print(YoloSpark.validate(spark, model, kv, n).report(true));
                return;
            }
            String source = (String) kv.remove("source");
            String output = (String) kv.remove("output");
            if (source == null) fail("source= is missing (a folder or glob of images every executor can read)");
            Dataset<Row> images = spark.read().format("binaryFile").load(source);
            Dataset<Row> rows = YoloSpark.predict(partitions == null ? images : images.repartition(n), model, kv);
            if (output != null) {
                rows.write().parquet(output);
                rows = spark.read().parquet(output);
            } else {
                rows = rows.cache();
                rows.selectExpr("path", "size(detections) AS detections", "error").show(10, false);
            }
            System.out.printf("%d images, %d detections, %d errors%s%n", rows.count(),
                    rows.filter("error IS NULL").selectExpr("coalesce(sum(size(detections)), 0)").first().getLong(0), rows.filter("error IS NOT NULL").count(),
                    output == null ? "" : "; rows in " + output);
        } catch (YoloException | NumberFormatException e) {
            fail(e.getMessage());
        } finally {
            spark.stop();
        }
    }

    private static void fail(String message) {
        System.err.println("yolo-trt-spark: " + message);
        System.exit(2);
    }
}
