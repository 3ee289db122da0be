package dev.yolotrt.video;

import dev.yolotrt.util.YoloException;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

import static org.bytedeco.ffmpeg.global.avutil.av_frame_clone;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC2;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.split;

/**
 * One video file, stream URL or camera, decoded by FFmpeg into BGR frames with the pixels OpenCV's
 * {@code VideoCapture} gives (Ultralytics reads videos with it): FFmpeg's decoder, then swscale to BGR24 with
 * bicubic filtering, as OpenCV's FFmpeg backend converts. One owner, not thread-safe; {@link #close} frees the decoder.
 */
public final class VideoSource implements AutoCloseable {

    /** One decoded frame: BGR pixels (owned by the caller), its index from 0 and its presentation time. */
    public record Frame(Mat image, int index, long timestampUs) {
    }

    /**
     * A decoded frame before its conversion to BGR: a new reference to the decoder's picture (no copy), converted by
     * {@link Converter} on another thread so that decoding and conversion overlap. {@link #free} if never converted.
     */
    public record Raw(AVFrame picture, int index, long timestampUs) {
        public void free() {
            av_frame_free(picture);
        }
    }

    /**
     * Converts raw frames to BGR exactly as the grabber does (swscale, bicubic, same sizes), one context per thread:
     * several converters run the costliest part of reading HD video on several cores.
     */
    public static final class Converter implements AutoCloseable {
        private SwsContext ctx;

        /** The frame's BGR pixels; frees {@code raw}. */
        public Frame convert(Raw raw) {
            AVFrame p = raw.picture();
            try {
                int w = p.width(), h = p.height();
                // swscale's vector code may write up to a vector past a row's end: harmless inside the image (the next row
                // is written after), past the last row it would overwrite the heap (seen on a 2x2 video). The frame's buffer
                // gets rows of slack after the image, at least 64 bytes, that its header then hides: OpenCV sees an image of
                // h rows and no parent (a submatrix would lend copyMakeBorder those rows as border pixels), and frees the
                // whole buffer with the frame.
                Mat out = new Mat(h + 1 + 64 / (3 * w), w, CV_8UC3);
                BytePointer end = new BytePointer(out.datastart()).position((long) h * out.step());
                out.rows(h).dataend(end).datalimit(end);
                try (PointerPointer<BytePointer> dst = new PointerPointer<>(1); IntPointer dstStride = new IntPointer(1)) {
                    dst.put(0, out.data());
                    dstStride.put(0, (int) out.step());
                    if (p.format() == avutil.AV_PIX_FMT_NV12) {
                        planar(p, w, h, dst, dstStride);
                    } else {
                        ctx = sws_getCachedContext(ctx, w, h, p.format(), w, h, avutil.AV_PIX_FMT_BGR24, SWS_BICUBIC, null, null, (DoublePointer) null);
                        sws_scale(ctx, p.data(), p.linesize(), 0, h, dst, dstStride);
                    }
                }
                return new Frame(out, raw.index(), raw.timestampUs());
            } finally {
                raw.free();
            }
        }

        /**
         * NVDEC's NV12 (the decoder's own YUV 4:2:0 samples, chroma interleaved) split into the planar 4:2:0 the software
         * decoder hands out, then the same swscale conversion: swscale converts NV12 to BGR on another path whose pixels
         * differ (by up to 22 levels), the planes themselves are equal (H.264 decoding is exact).
         */
        private void planar(AVFrame p, int w, int h, PointerPointer<BytePointer> dst, IntPointer dstStride) {
            int cw = (w + 1) / 2, ch = (h + 1) / 2;
            try (Mat uv = new Mat(ch, cw, CV_8UC2, p.data(1), p.linesize(1));
                 Mat u = new Mat(ch, cw, CV_8UC1); Mat v = new Mat(ch, cw, CV_8UC1); MatVector planes = new MatVector(u, v)) {
                split(uv, planes);
                // The vector's own headers: split writes into them (u and v's buffers, unless it had to allocate).
                Mat pu = planes.get(0), pv = planes.get(1);
                try (PointerPointer<BytePointer> src = new PointerPointer<>(p.data(0), pu.data(), pv.data());
                     IntPointer srcStride = new IntPointer(p.linesize(0), (int) pu.step(), (int) pv.step())) {
                    ctx = sws_getCachedContext(ctx, w, h, avutil.AV_PIX_FMT_YUV420P, w, h, avutil.AV_PIX_FMT_BGR24, SWS_BICUBIC, null, null, (DoublePointer) null);
                    sws_scale(ctx, src, srcStride, 0, h, dst, dstStride);
                }
            }
        }

        @Override
        public void close() {
            if (ctx != null) sws_freeContext(ctx);
            ctx = null;
        }
    }

    private static final Pattern STREAM = Pattern.compile("^(rtsp|rtsps|rtmp|rtmps|http|https|tcp|udp|srt|rtp)://.*",
            Pattern.CASE_INSENSITIVE);
    /** Suffixes Ultralytics lists as videos; any other file FFmpeg reads works too when named explicitly. */
    public static final java.util.Set<String> VIDEO_SUFFIXES = java.util.Set.of("asf", "avi", "gif", "m4v", "mkv", "mov", "mp4",
            "mpeg", "mpg", "ts", "wmv", "webm");

    private final String name;
    private final boolean live;
    private FFmpegFrameGrabber grabber;
    private final int timeoutMs;
    private final boolean raw;
    private final boolean nvdec;
    private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
    /** NVDEC's frames to BGR for {@link #next} (its grabber is raw). */
    private final Converter nvdecConverter = new Converter();
    private int index;

    private VideoSource(String name, boolean live, FFmpegFrameGrabber grabber, int timeoutMs, boolean raw, boolean nvdec) {
        this.timeoutMs = timeoutMs;
        this.raw = raw;
        this.nvdec = nvdec;
        this.name = name;
        this.live = live;
        this.grabber = grabber;
    }

    /** True for what Ultralytics treats as a stream: a URL of a streaming protocol or a camera index. */
    public static boolean isStream(String source) {
        return STREAM.matcher(source).matches() && !isVideoFile(source) && !isImageUrl(source) || source.matches("\\d+");
    }

    /** An http(s) URL whose path ends in an image suffix (…/bus.jpg): an image to download, as Ultralytics reads it. */
    static boolean isImageUrl(String source) {
        String s = source.replaceAll("[?#].*$", "");
        int dot = s.lastIndexOf('.');
        return s.matches("(?i)^https?://.*") && dot > 0
                && dev.yolotrt.data.ImageSource.IMAGE_SUFFIXES.contains(s.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** What predict and track read as video rather than images: a video file, a stream URL, a camera index, a .streams file. */
    public static boolean isVideo(Object source) {
        return source instanceof String s && (isStream(s.strip()) || isVideoFile(s.strip()) || s.strip().endsWith(".streams"))
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
        return open(source, timeoutMs, false);
    }

    /** As {@link #open(String, int)}; {@code raw}: frames are taken with {@link #nextRaw} and converted by {@link Converter}s. */
    public static VideoSource open(String source, int timeoutMs, boolean raw) {
        return open(source, timeoutMs, raw, Decoder.CPU);
    }

    /**
     * Which decoder reads a video file: FFmpeg's software decoder (the default), or NVDEC, which gives the same frames
     * or a clear error. Streams and cameras always use the software decoder. NVDEC is not the default on a GPU: one
     * NVDEC session decodes 1080p H.264 at about 670 frames/s on an H200, where the software decoder's threads reach
     * 1,250 (docs/benchmarks.md, tenth run).
     */
    public enum Decoder {
        CPU, NVDEC;

        /** The {@code decoder} option: cpu, nvdec, or None (cpu). */
        public static Decoder of(String option) {
            if (option == null) return CPU;
            return switch (option.strip().toLowerCase(Locale.ROOT)) {
                case "cpu" -> CPU;
                case "nvdec" -> NVDEC;
                default -> throw new YoloException("decoder=" + option + " is not a decoder; use decoder=cpu or decoder=nvdec (or leave it out)");
            };
        }
    }

    /** As {@link #open(String, int, boolean)}, decoding a file with {@code decoder}. */
    public static VideoSource open(String source, int timeoutMs, boolean raw, Decoder decoder) {
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
        boolean file = !url && !camera;
        boolean tryNvdec = file && decoder == Decoder.NVDEC;
        // NVDEC's frames are NV12, converted by a Converter: its grabber is always raw.
        FFmpegFrameGrabber g = start(s, camera, url, timeoutMs, raw || tryNvdec, null);
        if (!tryNvdec) return new VideoSource(s, url || camera, g, timeoutMs, raw, false);
        // The software decoder's stream (raw: its codec and pixel format) says whether NVDEC can give the same frames. H.264
        // only: the codec NvdecGpuTest found equal on a GPU. HEVC, VP9 and AV1 are exact by their standards too but untested
        // here (AV1's film grain is not); MPEG-2 and MPEG-4 part 2 let each decoder round its IDCT its own way.
        String cuvid = g.getVideoCodec() == avcodec.AV_CODEC_ID_H264 ? "h264_cuvid" : null;
        String why = cuvid == null ? "its codec (" + g.getVideoCodecName() + ") has no NVDEC decoder here"
                : g.getPixelFormat() != avutil.AV_PIX_FMT_YUV420P ? "NVDEC gives the same frames only for 8-bit 4:2:0 video, not " + pixelFormat(g.getPixelFormat())
                : null;
        if (why == null) {
            FFmpegFrameGrabber hw;
            try {
                hw = start(s, false, false, timeoutMs, true, cuvid);
                close(g);
                return new VideoSource(s, false, hw, timeoutMs, raw, true);
            } catch (YoloException e) {
                why = "FFmpeg's " + e.getMessage();
            }
        }
        close(g);
        throw new YoloException("decoder=nvdec cannot decode " + s + ": " + why + "; use decoder=cpu");
    }

    private static String pixelFormat(int format) {
        BytePointer name = avutil.av_get_pix_fmt_name(format);
        return name == null ? "pixel format " + format : name.getString();
    }

    /** A started grabber (BGR, or raw frames), with {@code codec} as its decoder when not null. */
    private static FFmpegFrameGrabber start(String s, boolean camera, boolean url, int timeoutMs, boolean raw, String codec) {
        FFmpegFrameGrabber g = camera ? new FFmpegFrameGrabber("/dev/video" + s) : new FFmpegFrameGrabber(s);
        if (camera) g.setFormat("video4linux2");
        if (codec != null) g.setVideoCodecName(codec);
        g.setPixelFormat(avutil.AV_PIX_FMT_BGR24);
        g.setImageScalingFlags(SWS_BICUBIC);
        if (raw) g.setImageMode(FrameGrabber.ImageMode.RAW);
        // Frame and slice threads of the decoder (H.264, HEVC, ...): HD decoding on every core.
        g.setVideoOption("threads", "auto");
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
            if (codec != null) throw new YoloException(codec + " did not open (" + reason(e) + "; NVDEC needs an NVIDIA GPU and its driver)");
            throw new YoloException("cannot open video " + s + ": " + reason(e)
                    + (url ? " (check the URL and that the server is up)" : camera ? "" : " (is it a video FFmpeg can read?)"));
        }
        if (g.getVideoStream() < 0 || g.getImageWidth() <= 0 || g.getImageHeight() <= 0) {
            close(g);
            throw new YoloException("no video stream in " + s + " (an audio-only or data file?); give a video file");
        }
        return g;
    }

    private static String reason(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        if (m.contains("avcodec_find_decoder")) return "no decoder for its video codec (unknown or unsupported codec)";
        // JavaCV's hints about its log callback and setFormat() mean nothing to a user; FFmpeg's error number gets its words.
        m = m.replaceAll("\\(For more details.*?has been called\\.\\)", "").replaceAll("\\(Has setFormat\\(\\) been called\\?\\)", "");
        java.util.regex.Matcher err = java.util.regex.Pattern.compile("avformat_open_input\\(\\) error (-?\\d+): Could not open input \"[^\"]*\"").matcher(m);
        if (err.find()) m = m.substring(0, err.start()) + ffmpegWords(Integer.parseInt(err.group(1))) + m.substring(err.end());
        return m.replaceAll("\\s+", " ").strip().replaceFirst("\\.$", "");
    }

    /** FFmpeg's own words for an error number ("Invalid data found when processing input"), lower-cased. */
    private static String ffmpegWords(int code) {
        try (BytePointer buf = new BytePointer(256)) {
            if (avutil.av_strerror(code, buf, 256) == 0) {
                String w = buf.limit(0).getString().strip(); // limit 0: up to the terminating NUL, not the whole buffer
                return w.isEmpty() ? "FFmpeg error " + code : Character.toLowerCase(w.charAt(0)) + w.substring(1);
            }
        }
        return "FFmpeg error " + code;
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

    /** Whether NVDEC decodes this video. */
    public boolean nvdec() {
        return nvdec;
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

    private org.bytedeco.javacv.Frame grab() {
        try {
            return grabber.grabImage();
        } catch (Exception e) {
            throw new YoloException("reading " + name + " failed at frame " + index + ": " + reason(e)
                    + (live ? " (the stream stopped or timed out)" : " (the file is truncated or corrupt)"));
        }
    }

    /**
     * A live source opened again after it dropped (a new connection, same options); frame indices continue. Throws
     * when it cannot be reached within the timeout.
     */
    public void reconnect() {
        VideoSource fresh = open(name, timeoutMs, raw);
        close(grabber);
        grabber = fresh.grabber;
        fresh.converter.close();
    }

    /** The next frame undecoded to BGR (a source opened raw), or null at the end. */
    public Raw nextRaw() {
        org.bytedeco.javacv.Frame f = grab();
        if (f == null || !(f.opaque instanceof AVFrame p)) return null;
        AVFrame ref = av_frame_clone(p);
        if (ref == null) throw new YoloException("out of memory reading " + name);
        return new Raw(ref, index++, grabber.getTimestamp());
    }

    /** The next frame, or null at the end. A read error ends with a {@link YoloException} naming the source. */
    public Frame next() {
        if (nvdec) {
            Raw r = nextRaw();
            return r == null ? null : nvdecConverter.convert(r);
        }
        org.bytedeco.javacv.Frame f = grab();
        if (f == null || f.image == null) return null;
        Mat view = converter.convert(f);
        // The grabber reuses its buffer for the next frame: each frame gets pixels of its own.
        Mat copy = view.clone();
        return new Frame(copy, index++, grabber.getTimestamp());
    }

    @Override
    public void close() {
        close(grabber);
        nvdecConverter.close();
        converter.close();
    }
}
