package dev.yolotrt.video;

import dev.yolotrt.data.Images;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.YoloException;
import dev.yolotrt.viz.Annotator;
import dev.yolotrt.viz.ResultWriter;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.line;

/**
 * Saves a video's results as Ultralytics does on Linux: the annotated video as {@code <stem>.avi} (Motion JPEG in AVI,
 * the source's size and frame rate, 30 for streams) in the run folder, each annotated frame as
 * {@code <stem>_frames/<n>.jpg} ({@code save_frames}), labels and crops through {@link ResultWriter}. The video is
 * written to a hidden file and moved into place by {@link #finish}; {@link #close} without it deletes it, so a failed
 * run leaves no video that looks whole.
 */
public final class VideoSink implements AutoCloseable {

    /** Centres a trail keeps per track. */
    private static final int TRAIL = 30;

    private final Path dir;
    private final String stem;
    private final double fps;
    private final ResultWriter writer;
    private final ResultWriter.Options o;
    private final boolean video;
    private final boolean frames;
    private final boolean trails;
    private final Map<Integer, ArrayDeque<int[]>> centres = new HashMap<>();
    private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
    private FFmpegFrameRecorder recorder;
    private Path part;
    private boolean finished;
    /** The run folder's nearest ancestor that was there before: what this sink made and left empty goes when the run fails. */
    private final Path existed;

    public VideoSink(Path dir, String source, double fps, ResultWriter.Options o, boolean video, boolean frames, boolean trails) {
        this.dir = dir;
        Path e = dir.toAbsolutePath();
        while (e.getParent() != null && !Files.exists(e)) e = e.getParent();
        this.existed = e;
        this.stem = ResultWriter.videoName(source);
        this.fps = fps;
        this.o = o;
        this.writer = new ResultWriter(dir, o);
        this.video = video;
        this.frames = frames;
        this.trails = trails;
    }

    /** The annotated video once finished: {@code <run>/<stem>.avi}. */
    public Path videoFile() {
        return dir.resolve(stem + ".avi");
    }

    public void write(Results r) {
        writer.write(r);
        if (!video && !frames) return;
        try (Mat m = Annotator.plot(r, o.showLabels(), o.showConf(), o.lineWidth())) {
            if (trails) drawTrails(m, r.boxes());
            if (video) record(m);
            if (frames) Images.write(m, dir.resolve(stem + "_frames").resolve((r.frame() + 1) + ".jpg"));
        }
    }

    private void record(Mat m) {
        try {
            if (recorder == null) {
                Files.createDirectories(dir);
                part = dir.resolve("." + stem + ".avi.part");
                recorder = new FFmpegFrameRecorder(part.toString(), m.cols(), m.rows(), 0);
                recorder.setFormat("avi");
                recorder.setVideoCodec(avcodec.AV_CODEC_ID_MJPEG);
                recorder.setPixelFormat(avutil.AV_PIX_FMT_YUVJ420P);
                recorder.setFrameRate(fps);
                // OpenCV's MJPG writer encodes at quality 95: a low quantiser keeps the frames as sharp.
                recorder.setVideoQuality(2);
                recorder.start();
            }
            recorder.record(converter.convert(m), avutil.AV_PIX_FMT_BGR24);
        } catch (IOException e) {
            throw new YoloException("cannot write the video " + videoFile() + ": " + e.getMessage());
        }
    }

    /** Each track's recent centres as a polyline in its class colour (show_trails). */
    private void drawTrails(Mat m, Boxes b) {
        if (!b.isTrack()) return;
        int lw = Math.max((int) Math.round((m.cols() + m.rows()) / 2.0 * 0.003), 2);
        for (int i = 0; i < b.size(); i++) {
            float[] c = b.xywh(i);
            ArrayDeque<int[]> q = centres.computeIfAbsent(b.id(i), k -> new ArrayDeque<>());
            q.addLast(new int[] {Math.round(c[0]), Math.round(c[1])});
            if (q.size() > TRAIL) q.removeFirst();
            int rgb = Annotator.rgb(b.cls(i));
            Scalar colour = new Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff, 0);
            int[] prev = null;
            for (int[] p : q) {
                if (prev != null) line(m, new Point(prev[0], prev[1]), new Point(p[0], p[1]), colour, lw, LINE_AA, 0);
                prev = p;
            }
        }
    }

    /** Completes the video and moves it into place. */
    public void finish() {
        if (recorder != null) {
            try {
                recorder.stop();
                recorder.release();
                recorder = null;
                Files.move(part, videoFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new YoloException("cannot finish the video " + videoFile() + ": " + e.getMessage());
            }
        }
        finished = true;
    }

    public Path dir() {
        return dir;
    }

    /** Frees the encoder; an unfinished video is deleted. */
    @Override
    public void close() {
        if (recorder != null) {
            try {
                recorder.release();
            } catch (FFmpegFrameRecorder.Exception ignored) {
                // deleted below either way
            }
            recorder = null;
        }
        if (!finished && part != null) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // a hidden .part file is all that can remain
            }
        }
        if (!finished) {
            try {
                for (Path p = dir.toAbsolutePath(); !p.equals(existed) && p.startsWith(existed); p = p.getParent()) Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // not empty: labels or frames of the frames that did decode stay
            }
        }
        converter.close();
    }
}
