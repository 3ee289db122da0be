package dev.yolotrt.spark;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.Downloads;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;

/**
 * The videos of a partition, one after the other, each through the toolkit's own video pipeline on this executor's model
 * (decoding ahead, batches in flight, a tracker of its own when tracking): one row per frame, in frame order. A video that
 * cannot be opened, or breaks off, gives a row with its error.
 */
final class VideoPartition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final String model;
    private final String task;
    private final LinkedHashMap<String, Object> options;
    private final String column;
    private final boolean track;

    VideoPartition(String model, String task, Map<String, ?> options, String column, boolean track) {
        this.model = model;
        this.task = task;
        this.options = new LinkedHashMap<>(options);
        this.column = column;
        this.track = track;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Yolo yolo = ExecutorModels.get(model, task);
        TaskContext tc = TaskContext.get();
        return new Iterator<>() {
            private String path;
            private Stream<Results> frames;
            private Iterator<Results> it;
            private int frame;
            private Row next;

            {
                // A task that fails or is killed stops the video it was reading.
                if (tc != null) tc.addTaskCompletionListener(new TaskCompletionListener() {
                    @Override
                    public void onTaskCompletion(TaskContext context) {
                        closeVideo();
                    }
                });
            }

            private void closeVideo() {
                if (frames != null) frames.close();
                frames = null;
                it = null;
            }

            @Override
            public boolean hasNext() {
                while (next == null) {
                    if (it == null) {
                        if (!rows.hasNext()) return false;
                        path = rows.next().getAs(column);
                        frame = 0;
                        try {
                            frames = track ? yolo.trackStream(path, options) : yolo.stream(path, options);
                            it = frames.iterator();
                        } catch (RuntimeException e) {
                            closeVideo();
                            next = ResultRows.failedFrame(path, Downloads.oneLine(e));
                            break;
                        }
                    }
                    try {
                        if (it.hasNext()) {
                            Results r = it.next();
                            next = ResultRows.frame(path, ++frame, r);
                        } else {
                            closeVideo();
                        }
                    } catch (RuntimeException e) {
                        closeVideo();
                        next = ResultRows.failedFrame(path, Downloads.oneLine(e));
                    }
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                Row r = next;
                next = null;
                return r;
            }
        };
    }
}
