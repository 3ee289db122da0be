package dev.yolotrt.video;

import dev.yolotrt.util.YoloException;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;

/**
 * One video file, stream URL or camera, decoded by FFmpeg into BGR frames with the pixels OpenCV's
 * {@code VideoCapture} gives (Ultralytics reads videos with it): FFmpeg's decoder, then swscale to BGR24 with
 * bicubic filtering, as OpenCV's FFmpeg backend converts. One owner, not thread-safe; {@link #close} frees the decoder.
 */
public final class VideoSource implements AutoCloseable {

    /** One decoded frame: BGR pixels (owned by the caller), its index from 0 and its presentation time. */
    public record Frame(Mat image, int index, long timestampUs) {
    }

    private static final Pattern STREAM = Pattern.compile("^(rtsp|rtsps|rtmp|rtmps|http|https|tcp|udp|srt|rtp)://.*",
            Pattern.CASE_INSENSITIVE);
    /** Suffixes Ultralytics lists as videos; any other file FFmpeg reads works too when named explicitly. */
    public static final java.util.Set<String> VIDEO_SUFFIXES = java.util.Set.of("asf", "avi", "gif", "m4v", "mkv", "mov", "mp4",
            "mpeg", "mpg", "ts", "wmv", "webm");

    private final String name;
    private final boolean live;
    private final FFmpegFrameGrabber grabber;
    private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
    private int index;

    private VideoSource(String name, boolean live, FFmpegFrameGrabber grabber) {
        this.name = name;
        this.live = live;
        this.grabber = grabber;
    }

    /** True for what Ultralytics treats as a stream: a URL of a streaming protocol or a camera index. */
    public static boolean isStream(String source) {
        return STREAM.matcher(source).matches() && !isVideoFile(source) || source.matches("\\d+");
    }

    /** What predict and track read as a video rather than images: a video file, a stream URL or a camera index. */
    public static boolean isVideo(Object source) {
        return source instanceof String s && (isStream(s.strip()) || isVideoFile(s.strip()))
                || source instanceof Path p && isVideoFile(p.toString());
    }

    /** A file name or URL path ending in a video suffix. */
    public static boolean isVideoFile(String source) {
        String s = source.replaceAll("[?#].*$", "");
        int dot = s.lastIndexOf('.');
        return dot > 0 && VIDEO_SUFFIXES.contains(s.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Opens {@code source}: a file, a URL FFmpeg reads, or a camera index ({@code 0} is /dev/video0). A live source that
     * sends nothing for {@code timeoutMs} fails instead of waiting forever.
     */
    public static VideoSource open(String source, int timeoutMs) {
        String s = source.strip();
        boolean camera = s.matches("\\d+");
        boolean url = STREAM.matcher(s).matches();
        if (camera) {
            Path dev = Path.of("/dev/video" + s);
            if (!Files.exists(dev)) throw new YoloException("camera " + s + " not found (" + dev + " does not exist); list cameras with: ls /dev/video*");
        } else if (!url && !Files.isRegularFile(Path.of(s))) {
            throw new YoloException("video not found: " + s);
        }
        FFmpegLogCallback.setLevel(avutil.AV_LOG_QUIET);
        FFmpegFrameGrabber g = camera ? new FFmpegFrameGrabber("/dev/video" + s) : new FFmpegFrameGrabber(s);
        if (camera) g.setFormat("video4linux2");
        g.setPixelFormat(avutil.AV_PIX_FMT_BGR24);
        g.setImageScalingFlags(SWS_BICUBIC);
        if (url || camera) {
            // Microseconds: the I/O timeout of every protocol (and RTSP's socket), so a silent server ends the read.
            String us = String.valueOf(timeoutMs * 1000L);
            g.setOption("rw_timeout", us);
            g.setOption("timeout", us);
            if (s.toLowerCase(Locale.ROOT).startsWith("rtsp")) g.setOption("rtsp_transport", "tcp");
        }
        try {
            g.start();
        } catch (Exception | UnsatisfiedLinkError e) {
            close(g);
            throw new YoloException("cannot open video " + s + ": " + reason(e)
                    + (url ? " (check the URL and that the server is up)" : camera ? "" : " (is it a video FFmpeg can read?)"));
        }
        if (g.getVideoStream() < 0 || g.getImageWidth() <= 0 || g.getImageHeight() <= 0) {
            close(g);
            throw new YoloException("no video stream in " + s + " (an audio-only or data file?); give a video file");
        }
        return new VideoSource(s, url || camera, g);
    }

    private static String reason(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        return m.replaceAll("\\s+", " ");
    }

    private static void close(FFmpegFrameGrabber g) {
        try {
            g.release();
        } catch (Exception ignored) {
            // nothing more to free
        }
    }

    public String name() {
        return name;
    }

    /** A stream or camera: frames arrive in real time and may be dropped. */
    public boolean live() {
        return live;
    }

    public int width() {
        return grabber.getImageWidth();
    }

    public int height() {
        return grabber.getImageHeight();
    }

    /** Frames per second as the container states it (30 where it states none, as Ultralytics assumes). */
    public double fps() {
        double f = grabber.getFrameRate();
        return Double.isFinite(f) && f > 0 && f < 1000 ? f : 30;
    }

    /** Frames the container announces; 0 for live sources or when unknown. */
    public int frames() {
        return live ? 0 : Math.max(0, grabber.getLengthInVideoFrames());
    }

    /** The next frame, or null at the end. A read error ends with a {@link YoloException} naming the source. */
    public Frame next() {
        org.bytedeco.javacv.Frame f;
        try {
            f = grabber.grabImage();
        } catch (Exception e) {
            throw new YoloException("reading " + name + " failed at frame " + index + ": " + reason(e)
                    + (live ? " (the stream stopped or timed out)" : " (the file is truncated or corrupt)"));
        }
        if (f == null || f.image == null) return null;
        Mat view = converter.convert(f);
        // The grabber reuses its buffer for the next frame: each frame gets pixels of its own.
        Mat copy = view.clone();
        return new Frame(copy, index++, grabber.getTimestamp());
    }

    @Override
    public void close() {
        close(grabber);
        converter.close();
    }
}
