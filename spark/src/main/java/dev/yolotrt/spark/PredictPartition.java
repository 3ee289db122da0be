package dev.yolotrt.spark;

import dev.yolotrt.data.ImageSource;
import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.Letterbox;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Settings;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * Predicts a partition as the toolkit predicts a folder: rows are pulled as decoding frees up, images decode on the
 * executor's cores, batches run in flight on this executor's model, and rows come out in input order. An image that
 * cannot be read becomes a row with its error (a stand-in image keeps its slot in the pipeline; its result is dropped).
 */
final class PredictPartition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /** What a row gives: encoded bytes ({@code binaryFile}'s content) or a path / URI to read. */
    enum Input { CONTENT, PATH }

    private final String model;
    private final String task;
    private final LinkedHashMap<String, Object> options;
    private final Input input;
    private final String column;

    PredictPartition(String model, String task, Map<String, ?> options, Input input, String column) {
        this.model = model;
        this.task = task;
        this.options = new LinkedHashMap<>(options);
        this.input = input;
        this.column = column;
    }

    /** One image of the partition: its path, and why it could not be read (set on a decoding thread). */
    private static final class Slot {
        final String path;
        volatile String error;

        Slot(String path) {
            this.path = path;
        }
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Yolo yolo = ExecutorModels.get(model, task);
        PredictOptions po = PredictOptions.builder(options).build();
        Predictor predictor = yolo.predictor();
        ArrayDeque<Slot> slots = new ArrayDeque<>();
        int[] hw = predictor.inputSize(po);
        Iterator<ImageSource> sources = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public ImageSource next() {
                Row row = rows.next();
                String path = input == Input.CONTENT ? row.getAs("path") : row.getAs(column);
                byte[] bytes = input == Input.CONTENT ? row.getAs("content") : null;
                Slot slot = new Slot(path);
                synchronized (slots) {
                    slots.add(slot);
                }
                return new ImageSource(path == null ? "" : path, () -> {
                    try {
                        return bytes != null ? Images.decode(bytes, path) : read(path, yolo.settings());
                    } catch (RuntimeException e) {
                        slot.error = Downloads.oneLine(e);
                        return new Mat(hw[0], hw[1], CV_8UC3, new Scalar(Letterbox.PAD, Letterbox.PAD, Letterbox.PAD, 0));
                    }
                });
            }
        };
        Predictor.Predictions predictions = predictor.iterate(sources, po);
        TaskContext tc = TaskContext.get();
        // A task that fails or is killed stops its decoding threads; its batches finish before the shared model is used again.
        if (tc != null) tc.addTaskCompletionListener(new TaskCompletionListener() {
            @Override
            public void onTaskCompletion(TaskContext context) {
                predictions.close();
            }
        });
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                if (predictions.hasNext()) return true;
                predictions.close();
                return false;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                Results r = predictions.next();
                Slot slot;
                synchronized (slots) {
                    slot = slots.poll();
                }
                return slot.error != null ? ResultRows.failed(slot.path, slot.error) : ResultRows.of(slot.path, r);
            }
        };
    }

    /**
     * An image by path or URI: a local path or {@code file:} URI is read as the toolkit reads files, http(s) as it downloads
     * them; other schemes (hdfs, s3a ...) through Hadoop's file system of the executor's configuration.
     */
    static Mat read(String path, Settings settings) {
        if (path == null) throw new IllegalArgumentException("the image path is null");
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.startsWith("file:")) return Images.read(Path.of(URI.create(path)));
        if (lower.startsWith("http://") || lower.startsWith("https://")) return ImageSource.resolve(path, settings).get(0).load();
        if (!lower.matches("^[a-z][a-z0-9+.-]*://.*")) return Images.read(Path.of(path));
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        try (InputStream in = p.getFileSystem(new org.apache.hadoop.conf.Configuration()).open(p)) {
            return Images.decode(in.readAllBytes(), path);
        } catch (IOException e) {
            throw new dev.yolotrt.util.YoloException("cannot read image " + path + ": " + Downloads.oneLine(e));
        }
    }
}
