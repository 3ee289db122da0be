package dev.yolotrt.spark;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.Settings;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.val.Metrics;
import dev.yolotrt.val.Validator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spark in local mode (2 threads, a failed task tried up to 4 times) against the toolkit in one process, on coco128 with
 * ONNX Runtime's yolov8n: the same predictions, the same val metrics, retried tasks leave every image once, a corrupt image
 * is a row with an error.
 */
class YoloSparkTest {
    private static final Settings SETTINGS = Settings.fromEnvironment();
    private static final AtomicInteger INJECTED = new AtomicInteger();
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(Files.isRegularFile(SETTINGS.modelsDir().resolve("yolov8n.onnx"))
                && Files.isDirectory(SETTINGS.datasetsDir().resolve("coco128/images/val2017")), "test assets (../shared) not found");
        spark = SparkSession.builder().master("local[2,4]").appName("yolo-trt-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    private static Path val2017() {
        return SETTINGS.datasetsDir().resolve("coco128/images/val2017");
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @Test
    void predictOverBinaryFilesEqualsOneProcess() {
        Map<String, Results> single = new TreeMap<>();
        try (Yolo yolo = Yolo.load("yolov8n.onnx")) {
            for (Results r : yolo.predict(val2017().toString())) single.put(name(r.path()), r);
        }
        Dataset<Row> files = spark.read().format("binaryFile").option("pathGlobFilter", "*.jpg").load(val2017().toString()).repartition(2);
        List<Row> rows = YoloSpark.predict(files, "yolov8n.onnx").collectAsList();
        assertEquals(128, single.size());
        assertEquals(single.size(), rows.size());
        int boxes = 0;
        for (Row row : rows) {
            Results r = single.remove(name(row.getAs("path")));
            assertNotNull(r, (String) row.getAs("path") + " is not among the images, or came twice");
            assertNull(row.getAs("error"));
            assertEquals(r.origShape()[0], (int) row.getAs("height"));
            assertEquals(r.origShape()[1], (int) row.getAs("width"));
            List<Row> dets = row.getList(row.fieldIndex("detections"));
            Boxes b = r.boxes();
            assertEquals(b.size(), dets.size(), (String) row.getAs("path"));
            for (int i = 0; i < b.size(); i++) {
                Row d = dets.get(i);
                assertEquals(b.cls(i), d.getInt(0));
                assertEquals(b.name(i), d.getString(1));
                assertEquals(b.conf(i), d.getFloat(2));
                Row box = d.getStruct(3);
                assertArrayEquals(b.xyxy(i), new float[] {box.getFloat(0), box.getFloat(1), box.getFloat(2), box.getFloat(3)});
                assertTrue(d.isNullAt(4) && d.isNullAt(5) && d.isNullAt(6), "a detect model has no mask, keypoints or rotated box");
            }
            assertTrue(row.getStruct(row.fieldIndex("speed")).getDouble(1) > 0);
            boxes += b.size();
        }
        assertTrue(single.isEmpty());
        assertTrue(boxes > 500, "yolov8n finds hundreds of objects in 128 COCO images, found " + boxes);
        // docs/scale-out.md's flattening: one row per detection, the box's corners as columns.
        Dataset<Row> flat = spark.createDataFrame(rows, YoloSpark.schema()).selectExpr("path", "explode(detections) AS d")
                .selectExpr("path", "d.name", "d.confidence", "d.box.*");
        assertEquals(List.of("path", "name", "confidence", "x1", "y1", "x2", "y2"), List.of(flat.columns()));
        assertEquals(boxes, flat.count());
    }

    @Test
    void distributedValEqualsOneProcess() {
        Map<String, Object> options = Map.of("data", "coco128-val2017.yaml");
        Metrics single;
        try (Yolo yolo = Yolo.load("yolov8n.onnx")) {
            single = yolo.val(dev.yolotrt.val.ValOptions.of(options)).box();
        }
        Validator.Run run = YoloSpark.validate(spark, "yolov8n.onnx", options, 3);
        Metrics spread = run.box();
        assertEquals(128, spread.images());
        assertEquals(single.instances(), spread.instances());
        // Every number val prints, in every digit: the table without its speed line, and the full-precision values.
        assertEquals(withoutSpeed(single.report(true)), withoutSpeed(spread.report(true)));
        assertEquals(single.map(), spread.map());
        assertEquals(single.map50(), spread.map50());
        assertEquals(single.precision(), spread.precision());
        assertEquals(single.recall(), spread.recall());
        assertArrayEquals(single.imagesPerClass(), spread.imagesPerClass());
        for (int i = 0; i < single.confusion().length; i++) assertArrayEquals(single.confusion()[i], spread.confusion()[i]);
        assertTrue(single.map() > 0.3 && single.map() < 0.5, "yolov8n's mAP50-95 on 128 val2017 images: " + single.map());
    }

    /** A path column takes file: URIs as binaryFile writes them; a frame with neither content nor paths is refused at once. */
    @Test
    void pathsAsUrisAndAFrameWithoutPaths() {
        String uri = SETTINGS.assetsDir().resolve("bus.jpg").toAbsolutePath().toUri().toString();
        Dataset<Row> in = spark.createDataFrame(List.of(RowFactory.create(uri)),
                DataTypes.createStructType(List.of(DataTypes.createStructField("uri", DataTypes.StringType, false))));
        Row bus = YoloSpark.predict(in, "yolov8n.onnx").collectAsList().get(0);
        assertEquals(uri, bus.getAs("path"));
        assertNull(bus.getAs("error"));
        assertEquals(4, bus.<Row>getList(bus.fieldIndex("detections")).stream().filter(d -> d.getString(1).equals("person")).count());
        Dataset<Row> numbers = spark.createDataFrame(List.of(RowFactory.create(1, 2)), DataTypes.createStructType(List.of(
                DataTypes.createStructField("a", DataTypes.IntegerType, false), DataTypes.createStructField("b", DataTypes.IntegerType, false))));
        YoloException e = assertThrows(YoloException.class, () -> YoloSpark.predict(numbers, "yolov8n.onnx"));
        assertTrue(e.getMessage().contains("binaryFile") && e.getMessage().contains("'path'"), e.getMessage());
        assertThrows(YoloException.class, () -> YoloSpark.predict(in, "yolov8n.onnx", Map.of("conf", 2.0)), "conf is checked on the driver");
    }

    /** Segment, pose, classify and OBB models: masks as RLE, keypoints, probabilities and rotated boxes equal one process's. */
    @Test
    void everyTaskMatchesOneProcess() throws IOException {
        List<String> photos = List.of(SETTINGS.assetsDir().resolve("bus.jpg").toString(), SETTINGS.assetsDir().resolve("zidane.jpg").toString());
        List<String> aerial;
        try (Stream<Path> s = Files.list(SETTINGS.datasetsDir().resolve("dota8/images/train"))) {
            aerial = s.map(Path::toString).filter(p -> p.endsWith(".jpg")).sorted().limit(2).toList();
        }
        Map<String, List<String>> sources = Map.of("yolo11n-seg.onnx", photos, "yolo11n-pose.onnx", photos,
                "yolo11n-cls-dogcat.onnx", photos, "yolov8n-obb-dota8.onnx", aerial);
        for (var e : sources.entrySet()) {
            String model = e.getKey();
            Map<String, Object> options = model.contains("obb") ? Map.of("conf", 0.01) : Map.of();
            List<Results> single;
            try (Yolo yolo = Yolo.load(model)) {
                single = yolo.predict(e.getValue(), options);
            }
            Dataset<Row> in = spark.createDataFrame(e.getValue().stream().map(p -> RowFactory.create(p)).toList(),
                    DataTypes.createStructType(List.of(DataTypes.createStructField("path", DataTypes.StringType, false))));
            List<Row> rows = YoloSpark.predict(in, model, options).collectAsList();
            assertEquals(single.size(), rows.size(), model);
            for (int k = 0; k < rows.size(); k++) {
                Row row = rows.get(k);
                Results r = single.get(k);
                assertEquals(r.path(), row.getAs("path"));
                if (r.probs() != null) {
                    List<Float> probs = row.getList(row.fieldIndex("probs"));
                    float[] expected = r.probs().data();
                    assertEquals(expected.length, probs.size());
                    for (int c = 0; c < expected.length; c++) assertEquals(expected[c], probs.get(c), model);
                    continue;
                }
                List<Row> dets = row.getList(row.fieldIndex("detections"));
                assertEquals(r.boxes().size(), dets.size(), model + " " + r.path());
                assertTrue(dets.size() > 0, model + " finds something in " + r.path());
                for (int i = 0; i < dets.size(); i++) {
                    Row d = dets.get(i);
                    assertEquals(r.boxes().conf(i), d.getFloat(2));
                    if (r.masks() != null) assertArrayEquals(r.masks().data(i), decodeRle(d.getStruct(4)), model);
                    if (r.keypoints() != null) {
                        List<Row> kp = d.getList(5);
                        float[] xy = r.keypoints().xy(i);
                        assertEquals(xy.length / 2, kp.size());
                        for (int q = 0; q < kp.size(); q++) {
                            assertEquals(xy[2 * q], kp.get(q).getFloat(0));
                            assertEquals(xy[2 * q + 1], kp.get(q).getFloat(1));
                            assertEquals(r.keypoints().conf(i)[q], kp.get(q).getFloat(2));
                        }
                    }
                    if (r.obb() != null) {
                        Row o = d.getStruct(6);
                        assertArrayEquals(r.obb().xywhr(i), new float[] {o.getFloat(0), o.getFloat(1), o.getFloat(2), o.getFloat(3), o.getFloat(4)});
                    }
                }
            }
        }
    }

    /** COCO's uncompressed RLE back to row-major 0/1 bytes: runs alternate from zeros, down the columns. */
    private static byte[] decodeRle(Row rle) {
        int h = rle.getInt(0), w = rle.getInt(1);
        List<Integer> counts = rle.getList(2);
        byte[] out = new byte[h * w];
        int pos = 0;
        for (int k = 0; k < counts.size(); k++) {
            for (int j = 0; j < counts.get(k); j++, pos++) out[(pos % h) * w + pos / h] = (byte) (k % 2);
        }
        assertEquals(h * w, pos);
        return out;
    }

    private static String withoutSpeed(String report) {
        return report.replaceAll("(?m)^Speed:.*$", "");
    }

    /** Throws once, from the first attempt of partition 1, after two of its rows went through the pipeline. */
    private static final class FailOnce implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            TaskContext tc = TaskContext.get();
            boolean fail = tc.partitionId() == 1 && tc.attemptNumber() == 0;
            return new Iterator<>() {
                int n;

                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    if (fail && n++ == 2) {
                        INJECTED.incrementAndGet();
                        throw new IllegalStateException("injected failure");
                    }
                    return rows.next();
                }
            };
        }
    }

    @Test
    void aFailedTaskIsRetriedAndEveryImageComesOnce() throws IOException {
        List<Row> paths = new ArrayList<>();
        try (Stream<Path> s = Files.list(val2017())) {
            s.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(24).forEach(p -> paths.add(RowFactory.create(p.toString())));
        }
        Dataset<Row> in = spark.createDataFrame(paths, DataTypes.createStructType(List.of(DataTypes.createStructField("path", DataTypes.StringType, false))))
                .repartition(2).mapPartitions(new FailOnce(), Encoders.row(DataTypes.createStructType(
                        List.of(DataTypes.createStructField("path", DataTypes.StringType, false)))));
        int before = INJECTED.get();
        List<Row> rows = YoloSpark.predict(in, "yolov8n.onnx", Map.of("conf", 0.4)).collectAsList();
        assertEquals(before + 1, INJECTED.get(), "the failure was injected once, and the retry ran");
        assertEquals(paths.size(), rows.size());
        assertEquals(paths.stream().map(r -> r.getString(0)).sorted().toList(), rows.stream().map(r -> (String) r.getAs("path")).sorted().toList());
        assertTrue(rows.stream().allMatch(r -> r.isNullAt(r.fieldIndex("error"))));
    }

    @Test
    void aCorruptImageIsARowWithAnError(@TempDir Path dir) throws IOException {
        Files.copy(SETTINGS.assetsDir().resolve("bus.jpg"), dir.resolve("bus.jpg"));
        byte[] broken = new byte[4096];
        broken[0] = (byte) 0xFF; // a JPEG's start-of-image marker, then zeros where its segments should be
        broken[1] = (byte) 0xD8;
        Files.write(dir.resolve("broken.jpg"), broken);
        Files.writeString(dir.resolve("notes.jpg"), "not an image");
        Dataset<Row> files = spark.read().format("binaryFile").load(dir.toString());
        Map<String, Row> rows = new TreeMap<>();
        for (Row r : YoloSpark.predict(files, "yolov8n.onnx").collectAsList()) rows.put(name(r.getAs("path")), r);
        assertEquals(List.of("broken.jpg", "bus.jpg", "notes.jpg"), List.copyOf(rows.keySet()));
        for (String bad : List.of("broken.jpg", "notes.jpg")) {
            Row r = rows.get(bad);
            String error = r.getAs("error");
            assertNotNull(error, bad);
            assertTrue(error.contains(bad), error);
            assertTrue(r.isNullAt(r.fieldIndex("detections")) && r.isNullAt(r.fieldIndex("height")));
        }
        Row ok = rows.get("bus.jpg");
        assertNull(ok.getAs("error"));
        assertEquals(1080, (int) ok.getAs("height"));
        assertEquals(810, (int) ok.getAs("width"));
        List<Row> dets = ok.getList(ok.fieldIndex("detections"));
        assertEquals(4, dets.stream().filter(d -> d.getString(1).equals("person")).count(), "bus.jpg: 4 persons, as Ultralytics finds");
        // A path that is not there, given as a path column: an error row too.
        Dataset<Row> missing = spark.createDataFrame(List.of(RowFactory.create(dir.resolve("gone.jpg").toString())),
                DataTypes.createStructType(List.of(DataTypes.createStructField("path", DataTypes.StringType, false))));
        Row gone = YoloSpark.predict(missing, "yolov8n.onnx").collectAsList().get(0);
        assertTrue(((String) gone.getAs("error")).contains("gone.jpg"), (String) gone.getAs("error"));
    }

    /**
     * A column of videos tracked over Spark (each video in its own task, with its own tracker) gives, frame by frame, the
     * tracked boxes and ids of {@code Yolo.track} in one process; a video that is not there is a row with its error.
     */
    @Test
    void trackingAColumnOfVideosEqualsOneProcess(@TempDir Path dir) throws IOException {
        Path videos = SETTINGS.datasetsDir().getParent().resolve("videos");
        Assumptions.assumeTrue(Files.isRegularFile(videos.resolve("cup.mp4")), "../shared/videos not found");
        List<String> files = List.of(videos.resolve("cup.mp4").toString(), videos.resolve("Megamind.avi").toString());
        Path broken = dir.resolve("broken.mp4");
        Files.write(broken, new byte[] {0, 0, 0, 24, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm'}); // an MP4 header, then nothing
        Map<String, Object> options = Map.of("tracker", "bytetrack.yaml", "vid_stride", 3);
        List<Row> in = new ArrayList<>();
        for (String f : files) in.add(RowFactory.create(f));
        in.add(RowFactory.create(broken.toString()));
        Dataset<Row> df = spark.createDataFrame(in, DataTypes.createStructType(List.of(DataTypes.createStructField("path", DataTypes.StringType, false))))
                .repartition(2);
        Map<String, List<Row>> spread = new TreeMap<>();
        for (Row r : YoloSpark.track(df, "yolov8n.onnx", options).collectAsList()) spread.computeIfAbsent(r.getAs("path"), k -> new ArrayList<>()).add(r);
        assertEquals(new java.util.TreeSet<>(List.of(files.get(0), files.get(1), broken.toString())), spread.keySet());
        List<Row> bad = spread.get(broken.toString());
        assertEquals(1, bad.size());
        assertTrue(((String) bad.get(0).getAs("error")).contains("broken.mp4"), (String) bad.get(0).getAs("error"));
        try (Yolo yolo = Yolo.load("yolov8n.onnx")) {
            for (String f : files) {
                List<Results> single = yolo.track(f, options);
                List<Row> rows = spread.get(f);
                assertEquals(single.size(), rows.size(), f);
                int withIds = 0;
                for (int k = 0; k < rows.size(); k++) {
                    Row row = rows.get(k);
                    assertEquals(k + 1, (int) row.getAs("frame"));
                    assertNull(row.getAs("error"));
                    Boxes b = single.get(k).boxes();
                    List<Row> dets = row.getList(row.fieldIndex("detections"));
                    assertEquals(b.size(), dets.size(), f + " frame " + (k + 1));
                    for (int i = 0; i < b.size(); i++) {
                        Row d = dets.get(i);
                        assertEquals(b.cls(i), d.getInt(0));
                        Row box = d.getStruct(3);
                        float[] xyxy = b.xyxy(i);
                        for (int q = 0; q < 4; q++) assertEquals(xyxy[q], box.getFloat(q), 0f);
                        Object id = d.getAs("track_id");
                        assertEquals(b.isTrack() ? (Object) b.id(i) : null, id);
                        if (id != null) withIds++;
                    }
                }
                assertTrue(withIds > rows.size(), f + ": the frames carry track ids (" + withIds + " over " + rows.size() + " frames)");
            }
        }
    }
}
