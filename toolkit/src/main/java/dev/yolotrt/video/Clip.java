package dev.yolotrt.video;

import dev.yolotrt.util.YoloException;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * A short clip a browser plays (WebM, VP8), built frame by frame from annotated frames and scaled to at most
 * {@code maxSide} pixels: what a notebook shows inline as a {@code <video>}. Add frames, then {@link #finish}.
 */
public final class Clip implements AutoCloseable {
    private final Path file;
    private final double fps;
    private final int maxSide;
    private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
    private FFmpegFrameRecorder recorder;
    private int frames;
    private boolean done;

    public Clip(Path file, double fps, int maxSide) {
        this.file = file;
        this.fps = fps;
        this.maxSide = maxSide;
    }

    /** Appends a BGR frame (kept by the caller). */
    public void add(Mat bgr) {
        double s = Math.min(1.0, (double) maxSide / Math.max(bgr.cols(), bgr.rows()));
        // VP8 wants even sizes.
        int w = Math.max(2, (int) Math.round(bgr.cols() * s) / 2 * 2), h = Math.max(2, (int) Math.round(bgr.rows() * s) / 2 * 2);
        try (Mat small = new Mat()) {
            resize(bgr, small, new Size(w, h), 0, 0, INTER_AREA);
            if (recorder == null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                recorder = new FFmpegFrameRecorder(file.toString(), w, h, 0);
                recorder.setFormat("webm");
                recorder.setVideoCodec(avcodec.AV_CODEC_ID_VP8);
                recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
                recorder.setFrameRate(fps);
                recorder.setVideoBitrate(800_000);
                // libvpx's realtime mode: a notebook's clip is encoded as fast as frames come.
                recorder.setVideoOption("deadline", "realtime");
                recorder.setVideoOption("cpu-used", "8");
                recorder.start();
            }
            recorder.record(converter.convert(small), avutil.AV_PIX_FMT_BGR24);
            frames++;
        } catch (IOException e) {
            throw new YoloException("cannot write the clip " + file + ": " + e.getMessage());
        }
    }

    /** Completes the file; the clip then shows as a video in a notebook. */
    public Clip finish() {
        if (recorder != null) {
            try {
                recorder.stop();
                recorder.release();
            } catch (IOException e) {
                throw new YoloException("cannot finish the clip " + file + ": " + e.getMessage());
            }
            recorder = null;
        }
        done = true;
        return this;
    }

    public Path file() {
        return file;
    }

    public int frames() {
        return frames;
    }

    /** An HTML5 video element holding the clip (base64), for a notebook cell. */
    public String html() {
        if (!done || frames == 0) throw new YoloException("the clip " + file + " has no frames or is not finished; add frames, then finish()");
        try {
            String data = Base64.getEncoder().encodeToString(Files.readAllBytes(file));
            return "<video controls loop autoplay muted playsinline style=\"max-width:100%\" src=\"data:video/webm;base64," + data + "\"></video>";
        } catch (IOException e) {
            throw new YoloException("cannot read the clip " + file + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "clip " + file + " (" + frames + " frames, " + fps + " fps)";
    }

    @Override
    public void close() {
        if (recorder != null) {
            try {
                recorder.release();
            } catch (IOException ignored) {
                // nothing more to free
            }
            recorder = null;
        }
        converter.close();
    }
}
