package dev.yolotrt.spark;

import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Keypoints;
import dev.yolotrt.predict.Masks;
import dev.yolotrt.predict.Obb;
import dev.yolotrt.predict.Results;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/** {@link Results} as Spark rows: the path, the image size, one struct per detection, the task's extras and the timings. */
final class ResultRows {
    private ResultRows() {
    }

    private static StructField field(String name, DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }

    private static StructType floats(String... names) {
        List<StructField> f = new ArrayList<>();
        for (String n : names) f.add(field(n, DataTypes.FloatType, false));
        return DataTypes.createStructType(f);
    }

    /** A binary mask in COCO's uncompressed RLE: column-major run lengths, starting with a run of zeros. */
    static final StructType RLE = DataTypes.createStructType(List.of(field("height", DataTypes.IntegerType, false),
            field("width", DataTypes.IntegerType, false), field("counts", DataTypes.createArrayType(DataTypes.IntegerType, false), false)));

    static final StructType BOX = floats("x1", "y1", "x2", "y2");
    static final StructType KEYPOINT = floats("x", "y", "conf");
    static final StructType OBB = floats("cx", "cy", "w", "h", "angle");

    /** One detection: class, name, confidence, box in original pixels; a mask (segment), keypoints (pose) or rotated box (obb). */
    static final StructType DETECTION = DataTypes.createStructType(List.of(
            field("class_id", DataTypes.IntegerType, false), field("name", DataTypes.StringType, false),
            field("confidence", DataTypes.FloatType, false), field("box", BOX, false), field("mask", RLE, true),
            field("keypoints", DataTypes.createArrayType(KEYPOINT, false), true), field("obb", OBB, true),
            field("track_id", DataTypes.IntegerType, true)));

    static final StructType SPEED = DataTypes.createStructType(List.of(field("preprocess", DataTypes.DoubleType, false),
            field("inference", DataTypes.DoubleType, false), field("postprocess", DataTypes.DoubleType, false)));

    /** The output of {@link YoloSpark#predict}: where an image could not be read, only the path and the error are set. */
    static final StructType SCHEMA = DataTypes.createStructType(List.of(
            field("path", DataTypes.StringType, false), field("height", DataTypes.IntegerType, true),
            field("width", DataTypes.IntegerType, true), field("detections", DataTypes.createArrayType(DETECTION, false), true),
            field("probs", DataTypes.createArrayType(DataTypes.FloatType, false), true), field("speed", SPEED, true),
            field("error", DataTypes.StringType, true)));

    /** The output of {@link YoloSpark#track} and {@link YoloSpark#predictVideos}: one row per frame, numbered from 1. */
    static final StructType FRAMES = DataTypes.createStructType(List.of(
            field("path", DataTypes.StringType, false), field("frame", DataTypes.IntegerType, true),
            field("height", DataTypes.IntegerType, true), field("width", DataTypes.IntegerType, true),
            field("detections", DataTypes.createArrayType(DETECTION, false), true),
            field("probs", DataTypes.createArrayType(DataTypes.FloatType, false), true), field("speed", SPEED, true),
            field("error", DataTypes.StringType, true)));

    static Row failed(String path, String error) {
        return RowFactory.create(path, null, null, null, null, null, error);
    }

    static Row failedFrame(String path, String error) {
        return RowFactory.create(path, null, null, null, null, null, null, error);
    }

    static Row frame(String path, int frame, Results r) {
        Row row = of(path, r);
        Object[] v = new Object[row.size() + 1];
        v[0] = path;
        v[1] = frame;
        for (int i = 1; i < row.size(); i++) v[i + 1] = row.get(i);
        return RowFactory.create(v);
    }

    static Row of(String path, Results r) {
        Boxes b = r.boxes();
        Masks masks = r.masks();
        Keypoints kpts = r.keypoints();
        Obb obb = r.obb();
        List<Row> dets = new ArrayList<>(b.size());
        for (int i = 0; i < b.size(); i++) {
            float[] xyxy = b.xyxy(i);
            dets.add(RowFactory.create(b.cls(i), b.name(i), b.conf(i), RowFactory.create(xyxy[0], xyxy[1], xyxy[2], xyxy[3]),
                    masks == null ? null : rle(masks, i), kpts == null ? null : seq(keypoints(kpts, i)), obb == null ? null : obb(obb, i),
                    b.isTrack() ? b.id(i) : null));
        }
        float[] probs = r.probs() == null ? null : r.probs().data();
        Object[] p = null;
        if (probs != null) {
            p = new Object[probs.length];
            for (int i = 0; i < probs.length; i++) p[i] = probs[i];
        }
        int[] hw = r.origShape();
        var s = r.speed();
        return RowFactory.create(path, hw[0], hw[1], seq(dets), p == null ? null : seq(List.of(p)),
                RowFactory.create(s.get("preprocess"), s.get("inference"), s.get("postprocess")), null);
    }

    /** An array column's value as Spark's row encoder takes it: a Scala sequence. */
    private static scala.collection.Seq<?> seq(List<?> values) {
        return scala.jdk.javaapi.CollectionConverters.asScala(values);
    }

    private static Row rle(Masks m, int i) {
        byte[] d = m.data(i);
        int h = m.height(), w = m.width();
        List<Integer> counts = new ArrayList<>();
        boolean on = false;
        int run = 0;
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                if ((d[y * w + x] != 0) != on) {
                    counts.add(run);
                    run = 0;
                    on = !on;
                }
                run++;
            }
        }
        counts.add(run);
        return RowFactory.create(h, w, seq(counts));
    }

    private static List<Row> keypoints(Keypoints k, int i) {
        float[] xy = k.xy(i);
        float[] conf = k.conf(i);
        List<Row> out = new ArrayList<>(xy.length / 2);
        for (int q = 0; q < xy.length / 2; q++) out.add(RowFactory.create(xy[2 * q], xy[2 * q + 1], conf == null ? 1f : conf[q]));
        return out;
    }

    private static Row obb(Obb o, int i) {
        float[] r = o.xywhr(i);
        return RowFactory.create(r[0], r[1], r[2], r[3], r[4]);
    }
}
