package dev.yolotrt.bench;

import dev.yolotrt.data.ImageSource;
import dev.yolotrt.data.Images;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.pipeline.Predictor;
import dev.yolotrt.predict.Batch;
import dev.yolotrt.predict.PredictOptions;
import dev.yolotrt.util.Settings;
import dev.yolotrt.viz.Columns;
import org.bytedeco.opencv.opencv_core.Mat;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Images per second over a folder (or any source), decode included, for the old path (decode one image
 * after another, then infer) and the pipelined one (decode on all cores ahead of inference, batches in flight on
 * sessions of their own, one engine per GPU of {@code device=0,1}), with the
 * time each stage takes per image and the stage that limits the rate.
 */
public final class Throughput {

    private Throughput() {
    }

    public static Table run(Yolo model, List<ImageSource> sources, PredictOptions o) {
        Benchmark.batches(model, o.batch()); // a fixed-batch model runs at its own batch: said here as benchmark data= says it
        Predictor p = model.predictor();
        p.warmup(o);
        StringColumn path = StringColumn.create(Columns.PATH), limit = StringColumn.create(Columns.LIMITED_BY);
        IntColumn images = IntColumn.create(Columns.IMAGES);
        DoubleColumn seconds = DoubleColumn.create(Columns.SECONDS), rate = DoubleColumn.create(Columns.IMAGES_PER_S),
                decode = DoubleColumn.create(Columns.DECODE_MS), pre = DoubleColumn.create(Columns.PREPROCESS_MS),
                inf = DoubleColumn.create(Columns.INFERENCE_MS), post = DoubleColumn.create(Columns.POSTPROCESS_MS);

        // Old path: each batch's images decoded one after another, then letterboxed, inferred, decoded.
        double[] st = new double[4];
        long t0 = System.nanoTime();
        int chunk = p.chunk(o);
        for (int start = 0; start < sources.size(); start += chunk) {
            List<Mat> mats = new ArrayList<>();
            long d0 = System.nanoTime();
            for (ImageSource s : sources.subList(start, Math.min(sources.size(), start + chunk))) mats.add(s.load());
            st[0] += (System.nanoTime() - d0) / 1e6;
            Batch b = p.run(mats, o);
            st[1] += b.preMs();
            st[2] += b.inferMs();
            st[3] += b.postMs();
            mats.forEach(Mat::close);
        }
        row(path, images, seconds, rate, decode, pre, inf, post, limit, "sequential decode", sources.size(), (System.nanoTime() - t0) / 1e9, st,
                largest(st));

        // Pipelined: decoding on all cores, a window ahead, batches in flight; each stage is limited at its own parallelism.
        // An untimed pass first opens every session in flight (contexts, buffers, graphs) and starts the decoding threads.
        try (Predictor.Predictions it = p.iterate(sources.subList(0, Math.min(sources.size(), 4 * p.concurrency() * chunk)), o)) {
            while (it.hasNext()) it.next();
        }
        t0 = System.nanoTime();
        Predictor.Stages stages;
        try (Predictor.Predictions it = p.iterate(sources, o)) {
            while (it.hasNext()) it.next();
            stages = it.stages();
        }
        double[] pt = {stages.decodeMs(), stages.preMs(), stages.inferMs(), stages.postMs()};
        row(path, images, seconds, rate, decode, pre, inf, post, limit, "pipelined (" + p.concurrency() + " in flight)",
                sources.size(), (System.nanoTime() - t0) / 1e9, pt, stages.limit());
        for (DoubleColumn c : List.of(seconds, rate, decode, pre, inf, post)) c.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2));
        return Table.create(model.file().getFileName() + " throughput on " + model.backend().name() + ", JPEGs decoded by "
                + Images.jpegDecoder(), path, images, seconds, rate, decode, pre, inf, post, limit);
    }

    /**
     * {@link #run} on {@code engine} with one GPU, then with one engine on each of {@code gpus} GPUs (1, 2, ... up to
     * that many), rows marked with their GPU count.
     */
    public static Table byGpuCount(Path engine, List<ImageSource> sources, PredictOptions o, Settings settings, int gpus) {
        Table all = null;
        for (int n = 1; n <= gpus; n++) {
            try (Yolo m = Yolo.load(engine, settings.withDevices(IntStream.range(0, n).boxed().toList()))) {
                Table t = run(m, sources, o);
                int[] count = new int[t.rowCount()];
                Arrays.fill(count, n);
                t.addColumns(IntColumn.create(Columns.GPUS, count));
                all = all == null ? t : all.append(t);
            }
        }
        return all;
    }

    private static void row(StringColumn path, IntColumn images, DoubleColumn seconds, DoubleColumn rate, DoubleColumn decode, DoubleColumn pre,
                            DoubleColumn inf, DoubleColumn post, StringColumn limit, String name, int n, double s, double[] st,
                            String limitedBy) {
        path.append(name);
        images.append(n);
        seconds.append(s);
        rate.append(n / s);
        decode.append(st[0] / n);
        pre.append(st[1] / n);
        inf.append(st[2] / n);
        post.append(st[3] / n);
        limit.append(limitedBy);
    }

    /** One stage after another: the one that takes longest (decode, preprocess, inference, postprocess). */
    private static String largest(double[] st) {
        String[] names = {"decode", "preprocess", "inference", "postprocess"};
        int max = 0;
        for (int i = 1; i < 4; i++) if (st[i] > st[max]) max = i;
        return names[max];
    }
}
